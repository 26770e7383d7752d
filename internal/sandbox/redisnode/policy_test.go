package redisnode_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

func TestLearnerACLRules(t *testing.T) {
	got := strings.Join(redisnode.LearnerACLRules(), " ")
	want := "~* &* +@all -debug -module -shutdown -migrate -replicaof -slaveof -sync -psync -replconf -failover " +
		"-acl +acl|whoami +acl|cat +acl|users +acl|log +acl|dryrun +acl|genpass +acl|help +acl|setuser +acl|deluser +acl|getuser " +
		"-config +config|get +config|set +config|resetstat +config|help"
	if got != want {
		t.Errorf("rules:\n got %s\nwant %s", got, want)
	}
}

func TestClientACLRules(t *testing.T) {
	got := strings.Join(redisnode.ClientACLRules(), " ")
	want := "~* &* +@all -debug -module -shutdown -migrate -replicaof -slaveof -sync -psync -replconf -failover " +
		"-acl +acl|whoami +acl|cat +acl|users +acl|log +acl|dryrun +acl|genpass +acl|help " +
		"-config +config|get +config|resetstat +config|help"
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
		{[]string{"ACL", "LIST"}, "NOPERM this user has no permissions to run the 'acl|list' command"},
		{[]string{"ACL", "SAVE"}, "NOPERM this user has no permissions to run the 'acl|save' command"},
		{[]string{"ACL", "LOAD"}, "NOPERM this user has no permissions to run the 'acl|load' command"},
		{[]string{"CONFIG", "REWRITE"}, "NOPERM this user has no permissions to run the 'config|rewrite' command"},
		{[]string{"CONFIG", "SET", "maxmemory-policy"}, "ERR wrong number of arguments for 'config|set' command"},
		{[]string{"CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "dir"}, "ERR wrong number of arguments for 'config|set' command"},
		{[]string{"CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "DIR", "/"}, "ERR CONFIG SET 'dir' is not allowed in the sandbox: only memory, eviction, persistence, slowlog, latency and encoding settings may change"},
		{[]string{"CONFIG", "SET", "maxmemory", "0"}, "ERR CONFIG SET 'maxmemory' must be between 1 and the sandbox cap of 64mb (0, no limit, is not allowed)"},
		{[]string{"CONFIG", "SET", "maxmemory", "lots"}, "ERR CONFIG SET 'maxmemory' needs a size such as 32mb, got 'lots'"},
	} {
		err := redisnode.CheckLearnerCommand(tc.args)
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
	if err := redisnode.CheckLearnerCommandCap(set("200mb"), 256<<20); err != nil {
		t.Errorf("200mb under a 256mb cap: %v", err)
	}
	if err := redisnode.CheckLearnerCommandCap(set("300mb"), 256<<20); !errors.Is(err, sandbox.ErrDenied) || !strings.Contains(err.Error(), "256mb") {
		t.Errorf("300mb over a 256mb cap: %v", err)
	}
	if err := redisnode.CheckLearnerCommandCap(set("1025kb"), 1<<20); !errors.Is(err, sandbox.ErrDenied) {
		t.Errorf("1025kb over a 1mb cap: %v", err)
	}
	if err := redisnode.CheckLearnerCommandCap(set("1048576B"), 1<<20); err != nil {
		t.Errorf("1048576B at a 1mb cap: %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{64 << 20: "64mb", 1 << 30: "1gb", 1536: "1536", 3 << 10: "3kb", 0: "0", 1000: "1000"} {
		if got := redisnode.FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCheckLearnerACLUserCommands(t *testing.T) {
	const (
		reserved = "in the sandbox: default, admin, learner, client, replication, sentinel are the sandbox's own accounts"
		notRule  = "is not allowed in the sandbox"
		ceiling  = "which the sandbox keeps from every user you create"
	)
	for _, tc := range []struct {
		line string
		want string // "" when allowed, else a part of the refusal
	}{
		// users of the learner's own, with every kind of rule
		{"ACL SETUSER app", ""},
		{"ACL SETUSER app on >s3cret ~app:* +@read +@write -@dangerous", ""},
		{"acl setuser app ON >s3cret %R~cache:* %W~jobs:* %RW~app:* &events:* +@read +@write -migrate", ""},
		{"ACL SETUSER app reset on nopass allkeys allchannels +@all", "'+@all' " + notRule},
		{"ACL SETUSER app off resetpass <old #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 !5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", ""},
		{"ACL SETUSER app resetkeys resetchannels nocommands +get +set +hget +client|setname +acl|whoami +config|get -flushall", ""},
		{"ACL SETUSER app -@all +@string +@hash +@list +@set +@sortedset +@stream +@bitmap +@hyperloglog +@geo +@pubsub +@fast +@transaction +@connection +@blocking", ""},
		{"ACL SETUSER app +@read +@keyspace -@dangerous +ping", ""},
		{"ACL SETUSER app +@slow -@admin -migrate -module", ""},
		{"ACL SETUSER app +@slow -@dangerous -module|help", ""},
		{"ACL SETUSER app clearselectors sanitize-payload", ""},
		{"ACL SETUSER app +select|0", ""},
		{"ACL SETUSER app +@READ", ""},
		{"ACL SETUSER App2 on", ""},
		// selectors, as one argument or spread over several
		{`ACL SETUSER app on >pw ~app:* +@read "(~logs:* +@write -@dangerous)"`, ""},
		{"ACL SETUSER app on >pw ~app:* +@read (~logs:* %W~audit:* &x +set +get)", ""},
		{"ACL SETUSER app (+get ~k*) (+set ~j*)", ""},
		{"ACL SETUSER app ()", ""},
		{"ACL SETUSER app (~logs:* +@write)", "run 'migrate' in the selector (~logs:* +@write)"},
		{"ACL SETUSER app (~logs:* +@slow -@dangerous)", "run 'module|help' in the selector"},
		{"ACL SETUSER app (~logs:* +config)", "'+config' " + notRule},
		{"ACL SETUSER app (~logs:* allcommands)", "'allcommands' " + notRule},
		{"ACL SETUSER app (on ~logs:*)", "'on' " + notRule},
		{"ACL SETUSER app (>pw ~logs:*)", "'>pw' " + notRule},
		{"ACL SETUSER app (reset)", "'reset' " + notRule},
		{"ACL SETUSER app (~a* (+get))", "'(+get)' " + notRule},
		{`ACL SETUSER app "(~a*  +get)"`, "a rule cannot be empty"},
		{"ACL SETUSER app (~a* +get", "Unmatched parenthesis in acl selector starting at '(~a*'"},
		{`ACL SETUSER app "(~a*\t+get)"`, "holds no blanks"},
		// the ceiling: nothing the learner's client cannot run
		{"ACL SETUSER app +@read +@write", "would let 'app' run 'migrate'"},
		{"ACL SETUSER app +@keyspace", "would let 'app' run 'migrate'"},
		{"ACL SETUSER app +@slow", "would let 'app' run 'acl|deluser'"},
		{"ACL SETUSER app +@slow -@admin", "run 'migrate'"},
		{"ACL SETUSER app +@write -migrate +@keyspace", "run 'migrate'"},
		{"ACL SETUSER app +@write -@dangerous +@slow -acl -config -@admin", "run 'migrate'"},
		{"ACL SETUSER app +@write -@dangerous +@slow -acl -config -@admin -migrate", "run 'module|help'"},
		{"ACL SETUSER app +@write reset", ""},
		{"ACL SETUSER app +@write nocommands", ""},
		{"ACL SETUSER app +@write -@all", ""},
		{"ACL SETUSER app +@write -migrate|x", "run 'migrate'"},
		{"ACL SETUSER app allcommands", "'allcommands' " + notRule},
		{"ACL SETUSER app +@all -@dangerous", "'+@all' " + notRule},
		{"ACL SETUSER app +@admin", "'+@admin' " + notRule},
		{"ACL SETUSER app +@dangerous", "'+@dangerous' " + notRule},
		{"ACL SETUSER app +@scripting", "'+@scripting' " + notRule},
		{"ACL SETUSER app +@nosuchcategory", notRule},
		{"ACL SETUSER app +config", "'+config' " + notRule},
		{"ACL SETUSER app +CONFIG|SET", "'+CONFIG|SET' " + notRule},
		{"ACL SETUSER app +config|rewrite", notRule},
		{"ACL SETUSER app +acl", "may not run 'acl|"},
		{"ACL SETUSER app +acl|setuser", notRule},
		{"ACL SETUSER app +acl|list", notRule},
		{"ACL SETUSER app +debug", notRule},
		{"ACL SETUSER app +debug|sleep", notRule},
		{"ACL SETUSER app +module|help", notRule},
		{"ACL SETUSER app +shutdown", notRule},
		{"ACL SETUSER app +migrate", notRule},
		{"ACL SETUSER app +replicaof", notRule},
		{"ACL SETUSER app +slaveof", notRule},
		{"ACL SETUSER app +sync", notRule},
		{"ACL SETUSER app +psync", notRule},
		{"ACL SETUSER app +replconf", notRule},
		{"ACL SETUSER app +failover", notRule},
		{"ACL SETUSER app skip-sanitize-payload", notRule},
		{"ACL SETUSER app %X~k*", notRule},
		{"ACL SETUSER app %~k*", notRule},
		{"ACL SETUSER app %R", notRule},
		{"ACL SETUSER app +", notRule},
		{"ACL SETUSER app whatever", notRule},
		{`ACL SETUSER app "~a b"`, "holds no blanks"},
		{`ACL SETUSER app ""`, "cannot be empty"},
		{`ACL SETUSER app "on >pw"`, "holds no blanks"},
		{`ACL SETUSER app ">pass word"`, ""},
		// the sandbox's own accounts
		{"ACL SETUSER learner +@all", "'learner' " + reserved},
		{"ACL SETUSER learner on", "'learner' " + reserved},
		{"ACL SETUSER default on nopass", "'default' " + reserved},
		{"ACL SETUSER ADMIN off", "'ADMIN' " + reserved},
		{"ACL SETUSER client +config|set", "'client' " + reserved},
		{"ACL SETUSER replication on", "'replication' " + reserved},
		{"ACL SETUSER sentinel on", "'sentinel' " + reserved},
		{"ACL DELUSER app", ""},
		{"ACL DELUSER app ops", ""},
		{"ACL DELUSER app admin", "'admin' " + reserved},
		{"ACL DELUSER Learner", "'Learner' " + reserved},
		{"ACL GETUSER app", ""},
		{"ACL GETUSER admin", "'admin' " + reserved},
		{"ACL GETUSER default", "'default' " + reserved},
		{"ACL GETUSER client", "'client' " + reserved},
		{"ACL SETUSER", ""}, // Redis answers the arity errors
		{"ACL DELUSER", ""},
		{"ACL GETUSER", ""},
	} {
		args, err := rediscli.ParseLine(tc.line)
		if err != nil {
			t.Fatalf("%s: %v", tc.line, err)
		}
		err = redisnode.CheckLearnerCommand(args)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: refused with %v", tc.line, err)
			}
			continue
		}
		var denied *sandbox.DeniedError
		if !errors.As(err, &denied) || !errors.Is(err, sandbox.ErrDenied) {
			t.Errorf("%s: err = %v, want a DeniedError", tc.line, err)
			continue
		}
		if !strings.HasPrefix(denied.Reply, "ERR ") || !strings.Contains(denied.Reply, tc.want) {
			t.Errorf("%s:\n got %s\nwant an ERR reply holding %s", tc.line, denied.Reply, tc.want)
		}
	}
}
