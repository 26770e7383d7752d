package sandbox_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

func TestParseKind(t *testing.T) {
	for _, k := range sandbox.Kinds() {
		if got, err := sandbox.ParseKind(string(k)); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
	for _, s := range []string{"", "Redis", "mysql"} {
		if _, err := sandbox.ParseKind(s); !errors.Is(err, sandbox.ErrInvalid) {
			t.Errorf("ParseKind(%q) = %v, want ErrInvalid", s, err)
		}
	}
}

func TestSpecValidate(t *testing.T) {
	ok := sandbox.Spec{ID: sandbox.NewID(sandbox.KindKafka, 9223372036854775807), Kind: sandbox.KindKafka, Owner: 1, Lesson: lk("Intro to streams")}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	if ok.MemoryCap() != sandbox.DefaultMaxMemoryBytes {
		t.Errorf("MemoryCap = %d", ok.MemoryCap())
	}
	for name, change := range map[string]func(*sandbox.Spec){
		"path in id":      func(s *sandbox.Spec) { s.ID = "../etc" },
		"long id":         func(s *sandbox.Spec) { s.ID = strings.Repeat("a", sandbox.MaxIDLen+1) },
		"dash first":      func(s *sandbox.Spec) { s.ID = "-x" },
		"upper id":        func(s *sandbox.Spec) { s.ID = "Redis-1" },
		"kind":            func(s *sandbox.Spec) { s.Kind = "mysql" },
		"owner":           func(s *sandbox.Spec) { s.Owner = 0 },
		"no lesson":       func(s *sandbox.Spec) { s.Lesson = lk("") },
		"control char":    func(s *sandbox.Spec) { s.Lesson = lk("a\x00b") },
		"tiny memory":     func(s *sandbox.Spec) { s.MaxMemoryBytes = 1000 },
		"huge memory":     func(s *sandbox.Spec) { s.MaxMemoryBytes = 8 << 30 },
		"negative memory": func(s *sandbox.Spec) { s.MaxMemoryBytes = -1 },
	} {
		s := ok
		change(&s)
		if err := s.Validate(); !errors.Is(err, sandbox.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestInstanceHidesPasswords(t *testing.T) {
	inst := sandbox.Instance{Redis: sandbox.RedisAccess{
		Learner: sandbox.Credentials{User: "learner", Password: "s3cret-learner"},
		Admin:   sandbox.Credentials{User: "admin", Password: "s3cret-admin"},
	}}
	for _, format := range []string{"%v", "%+v", "%s"} {
		if out := fmt.Sprintf(format, inst); strings.Contains(out, "s3cret") {
			t.Errorf("%s prints a password: %s", format, out)
		}
	}
}
