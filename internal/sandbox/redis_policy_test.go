package sandbox_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

func TestLearnerACLRules(t *testing.T) {
	got := strings.Join(sandbox.LearnerACLRules(), " ")
	want := "~* &* +@all -debug -module -shutdown -migrate -replicaof -slaveof -sync -psync -replconf -failover " +
		"-acl +acl|whoami +acl|cat +acl|users +acl|log +acl|dryrun +acl|genpass +acl|help " +
		"-config +config|get +config|set +config|resetstat +config|help"
	if got != want {
		t.Errorf("rules:\n got %s\nwant %s", got, want)
	}
}

func TestCheckLearnerCommand(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		reply string // "" when allowed
	}{
		{[]string{"GET", "k"}, ""},
		{[]string{"keys", "*"}, ""},
		{[]string{"FLUSHALL"}, ""},
		{[]string{"bgsave"}, ""},
		{[]string{"CLIENT", "KILL", "ID", "3"}, ""},
		{[]string{"ACL", "WHOAMI"}, ""},
		{[]string{"acl", "log"}, ""},
		{[]string{"CONFIG", "GET", "*"}, ""},
		{[]string{"CONFIG", "RESETSTAT"}, ""},
		{[]string{"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu", "SAVE", "60 100"}, ""},
		{[]string{"config", "set", "Notify-Keyspace-Events", "KEA"}, ""},
		{[]string{}, ""},
		{[]string{"ACL"}, ""}, // Redis answers the arity error itself

		{[]string{"debug", "segfault"}, "NOPERM this user has no permissions to run the 'debug' command"},
		{[]string{"Shutdown"}, "NOPERM this user has no permissions to run the 'shutdown' command"},
		{[]string{"PSYNC", "?", "-1"}, "NOPERM this user has no permissions to run the 'psync' command"},
		{[]string{"ACL", "SetUser", "x"}, "NOPERM this user has no permissions to run the 'acl|setuser' command"},
		{[]string{"ACL", "SAVE"}, "NOPERM this user has no permissions to run the 'acl|save' command"},
		{[]string{"CONFIG", "REWRITE"}, "NOPERM this user has no permissions to run the 'config|rewrite' command"},
		{[]string{"CONFIG", "SET", "maxmemory-policy"}, "ERR wrong number of arguments for 'config|set' command"},
		{[]string{"CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "dir"}, "ERR wrong number of arguments for 'config|set' command"},
		{[]string{"CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "DIR", "/"}, "ERR CONFIG SET 'dir' is not allowed in the sandbox: only memory, eviction, persistence, slowlog, latency and encoding settings may change"},
		{[]string{"CONFIG", "SET", "maxmemory", "0"}, "ERR CONFIG SET 'maxmemory' must be between 1 and the sandbox cap of 64mb (0, no limit, is not allowed)"},
		{[]string{"CONFIG", "SET", "maxmemory", "lots"}, "ERR CONFIG SET 'maxmemory' needs a size such as 32mb, got 'lots'"},
	} {
		err := sandbox.CheckLearnerCommand(tc.args)
		if tc.reply == "" {
			if err != nil {
				t.Errorf("%q: refused with %v", tc.args, err)
			}
			continue
		}
		var denied *sandbox.DeniedError
		if !errors.As(err, &denied) || !errors.Is(err, sandbox.ErrDenied) {
			t.Errorf("%q: err = %v, want a DeniedError", tc.args, err)
			continue
		}
		if denied.Reply != tc.reply {
			t.Errorf("%q:\n got %s\nwant %s", tc.args, denied.Reply, tc.reply)
		}
	}
}

func TestCheckLearnerCommandCap(t *testing.T) {
	set := func(v string) []string { return []string{"CONFIG", "SET", "maxmemory", v} }
	if err := sandbox.CheckLearnerCommandCap(set("200mb"), 256<<20); err != nil {
		t.Errorf("200mb under a 256mb cap: %v", err)
	}
	if err := sandbox.CheckLearnerCommandCap(set("300mb"), 256<<20); !errors.Is(err, sandbox.ErrDenied) || !strings.Contains(err.Error(), "256mb") {
		t.Errorf("300mb over a 256mb cap: %v", err)
	}
	if err := sandbox.CheckLearnerCommandCap(set("1025kb"), 1<<20); !errors.Is(err, sandbox.ErrDenied) {
		t.Errorf("1025kb over a 1mb cap: %v", err)
	}
	if err := sandbox.CheckLearnerCommandCap(set("1048576B"), 1<<20); err != nil {
		t.Errorf("1048576B at a 1mb cap: %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{64 << 20: "64mb", 1 << 30: "1gb", 1536: "1536", 3 << 10: "3kb", 0: "0", 1000: "1000"} {
		if got := sandbox.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
