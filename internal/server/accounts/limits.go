package accounts

import (
	"context"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
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

// throttled is the 429 error for a wait; format takes the seconds.
func throttled(wait time.Duration, format string) error {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	return &throttledError{opslab.Errorf(opslab.ERATELIMIT, format, secs), secs}
}

// limits are the sign-in and sign-up limits of a site.
type limits struct {
	// account spaces out failed sign-ins to one account: a growing
	// delay, never a lockout.
	account *Backoff
	// address caps failed sign-ins from one client address.
	address *Window
	// signup caps accounts created from one client address.
	signup *Window
}

// newLimits builds the sign-in and sign-up limits: per account
// DefaultAccountDelay,
// per address 20 failed sign-ins in 15 minutes, and SignupsPerHour
// sign-ups per address and hour.
func newLimits(signupsPerHour int, now func() time.Time) limits {
	perHour := signupsPerHour
	if perHour == 0 {
		perHour = 10
	} else if perHour < 0 {
		perHour = math.MaxInt
	}
	return limits{
		account: NewBackoff(DefaultAccountDelay, now),
		address: NewWindow(20, 15*time.Minute, now),
		signup:  NewWindow(perHour, time.Hour, now),
	}
}

// signIn checks the pair under the per-account and per-address limits.
// Both slots are reserved before the password is compared, so no more
// guesses are evaluated than the limits allow however many arrive at once;
// a failure keeps them, a success gives them back and clears the
// account's failures.
func (h *Handler) signIn(ctx context.Context, r *http.Request, email, password string) (*opslab.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	acct, wait, ok := h.limits.account.Reserve("account:" + email)
	if !ok {
		h.onSignIn("throttled")
		return nil, throttled(wait, "Too many failed sign-ins to this account. Try again in %d seconds.")
	}
	addr, wait, ok := h.limits.address.Reserve("address:" + kit.ClientIP(r))
	if !ok {
		acct.Return()
		h.onSignIn("throttled")
		return nil, throttled(wait, "Too many failed sign-ins from this address. Try again in %d seconds.")
	}
	u, err := h.users.Authenticate(ctx, email, password)
	if err != nil {
		if opslab.ErrorCode(err) == opslab.EUNAUTHORIZED {
			acct.Keep()
			addr.Keep()
			h.onSignIn("failed")
			return nil, opslab.Errorf(opslab.EUNAUTHORIZED, "The email or password is wrong.")
		}
		acct.Return()
		addr.Return()
		return nil, err
	}
	acct.Return()
	addr.Return()
	h.limits.account.Forget("account:" + email)
	h.onSignIn("ok")
	return u, nil
}

// register creates a learner account when sign-up is open. The address's
// slot is reserved before the account is created and kept for a sign-up
// or an email already taken (so the call cannot probe emails unbounded);
// it is given back for invalid input.
func (h *Handler) register(ctx context.Context, r *http.Request, c credentials) (*opslab.User, error) {
	if !h.signupOpen {
		return nil, opslab.Errorf(opslab.EFORBIDDEN, "Sign-up is closed: ask an administrator for an account.")
	}
	slot, wait, ok := h.limits.signup.Reserve("signup:" + kit.ClientIP(r))
	if !ok {
		return nil, throttled(wait, "Too many sign-ups from this address. Try again in %d seconds.")
	}
	u, err := h.users.CreateUser(ctx, opslab.NewUser{Email: c.Email, Name: c.Name, Password: c.Password, Role: opslab.RoleLearner})
	if err != nil {
		if opslab.ErrorCode(err) == opslab.ECONFLICT {
			slot.Keep()
		} else {
			slot.Return()
		}
		return nil, err
	}
	slot.Keep()
	h.onProgress("register")
	return u, nil
}
