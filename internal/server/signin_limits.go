package server

import (
	"context"
	"math"
	"net"
	"net/http"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
)

// throttledError carries the wait a 429 answer announces in Retry-After.
type throttledError struct {
	err        *opslab.Error
	retryAfter int
}

func (e *throttledError) Error() string { return e.err.Error() }
func (e *throttledError) Unwrap() error { return e.err }

// RetryAfterSeconds is the wait announced in Retry-After.
func (e *throttledError) RetryAfterSeconds() int { return e.retryAfter }

// signIn checks the pair under the per-account and per-address throttles.
func (s *Server) signIn(ctx context.Context, r *http.Request, email, password string) (*opslab.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	acct, addr := "account:"+email, "address:"+clientIP(r)
	for _, t := range []struct {
		th  *Throttle
		key string
	}{{s.throttle.account, acct}, {s.throttle.address, addr}} {
		if ok, wait := t.th.Allow(t.key); !ok {
			s.metrics.signin("throttled")
			secs := int(math.Ceil(wait.Seconds()))
			return nil, &throttledError{opslab.Errorf(opslab.ERATELIMIT, "Too many failed sign-ins. Try again in %d seconds.", secs), secs}
		}
	}
	u, err := s.cfg.Users.Authenticate(ctx, email, password)
	if err != nil {
		if opslab.ErrorCode(err) == opslab.EUNAUTHORIZED {
			s.throttle.account.Fail(acct)
			s.throttle.address.Fail(addr)
			s.metrics.signin("failed")
			return nil, opslab.Errorf(opslab.EUNAUTHORIZED, "The email or password is wrong.")
		}
		return nil, err
	}
	s.throttle.account.Reset(acct)
	s.metrics.signin("ok")
	return u, nil
}

// register creates a learner account when sign-up is open.
func (s *Server) register(ctx context.Context, r *http.Request, c credentials) (*opslab.User, error) {
	if !s.cfg.SignupOpen {
		return nil, opslab.Errorf(opslab.EFORBIDDEN, "Sign-up is closed: ask an administrator for an account.")
	}
	addr := "signup:" + clientIP(r)
	if ok, wait := s.throttle.signup.Allow(addr); !ok {
		secs := int(math.Ceil(wait.Seconds()))
		return nil, &throttledError{opslab.Errorf(opslab.ERATELIMIT, "Too many sign-ups from this address. Try again in %d seconds.", secs), secs}
	}
	u, err := s.cfg.Users.CreateUser(ctx, opslab.NewUser{Email: c.Email, Name: c.Name, Password: c.Password, Role: opslab.RoleLearner})
	if err != nil {
		return nil, err
	}
	s.throttle.signup.Fail(addr) // counts sign-ups, not failures
	s.metrics.progressEvent("register")
	return u, nil
}

// clientIP is the peer address of the request, without the port.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
