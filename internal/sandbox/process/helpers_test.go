package process_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
)

// scratchDir returns a new, short scratch directory (t.TempDir paths can be
// too long for unix sockets), removed after the test, which also fails if
// a redis-server still serves a sandbox under it.
func scratchDir(tb testing.TB) string {
	tb.Helper()
	return sandboxtest.ScratchDir(tb)
}

// mustDriver returns a Driver over a fresh scratch directory.
func mustDriver(tb testing.TB, opts process.Options) *process.Driver {
	tb.Helper()
	if opts.Dir == "" {
		opts.Dir = scratchDir(tb)
	}
	d, err := process.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Error(err)
		}
	})
	return d
}

// countServers counts live redis processes (servers and their BGSAVE
// children) of sandboxes under dir: those whose command line or working
// directory mentions dir.
func countServers(tb testing.TB, dir string) int {
	tb.Helper()
	return len(sandboxtest.RedisPIDs(dir))
}

// spec returns a valid spec of kind with a fresh id.
func spec(kind sandbox.Kind) sandbox.Spec {
	return sandbox.Spec{ID: sandbox.NewID(kind, 7), Kind: kind, Owner: 7, Lesson: lessonKey("intro")}
}

// mustStart starts a sandbox and stops it after the test.
func mustStart(tb testing.TB, d *process.Driver, s sandbox.Spec) sandbox.Instance {
	tb.Helper()
	inst, err := d.Start(context.Background(), s)
	if err != nil {
		tb.Fatalf("start %s: %v", s.Kind, err)
	}
	tb.Cleanup(func() {
		if err := d.Stop(context.Background(), s.ID); err != nil && !errors.Is(err, sandbox.ErrNotFound) {
			tb.Errorf("stop %s: %v", s.ID, err)
		}
	})
	return inst
}

// redisClient is a connection authenticated as one sandbox user.
type redisClient struct {
	tb testing.TB
	c  *resp.Conn
}

// dialRedis connects to ep as user.
func dialRedis(tb testing.TB, ep sandbox.Endpoint, user sandbox.Credentials) *redisClient {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := resp.Dial(ctx, ep.Network, ep.Address)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if user.User != "" {
		if err := c.Auth(ctx, user.User, user.Password); err != nil {
			tb.Fatal(err)
		}
	}
	return &redisClient{tb: tb, c: c}
}

// do sends args and returns the reply.
func (r *redisClient) do(args ...string) resp.Value {
	r.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := r.c.Do(ctx, args...)
	if err != nil {
		r.tb.Fatalf("%v: %v", args, err)
	}
	return v
}

// ok sends args and fails the test on an error reply.
func (r *redisClient) ok(args ...string) resp.Value {
	r.tb.Helper()
	v := r.do(args...)
	if v.Kind == resp.Error {
		r.tb.Fatalf("%v: error reply %q", args, v.Str)
	}
	return v
}

// lessonKey returns the lesson key written as "course/lesson", or as a lesson
// slug alone (of course "course"); "" gives the zero key.
func lessonKey(s string) opslab.LessonKey {
	if s == "" {
		return opslab.LessonKey{}
	}
	if c, l, ok := strings.Cut(s, "/"); ok {
		return opslab.LessonKey{Course: c, Lesson: l}
	}
	return opslab.LessonKey{Course: "course", Lesson: s}
}
