package redisnode_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

// TestRedisACLPolicyEndToEnd runs the learner's ACL user commands against
// a real redis-server of the process driver: what CheckLearnerCommand lets
// through works, the client account cannot change users at all, and the
// category table the check follows matches the server's.
func TestRedisACLPolicyEndToEnd(t *testing.T) {
	d := processDriver(t, scratchDir(t))
	ctx := context.Background()
	s := sandbox.Spec{ID: sandbox.NewID(sandbox.KindRedis, 7), Kind: sandbox.KindRedis, Owner: 7, Lesson: opslab.LessonKey{Course: "course", Lesson: "acl"}}
	inst, err := d.Start(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Stop(context.Background(), s.ID); err != nil && !errors.Is(err, sandbox.ErrNotFound) {
			t.Errorf("stop: %v", err)
		}
	})
	dial := func(user sandbox.Credentials) *resp.Conn {
		t.Helper()
		c, err := resp.Dial(ctx, inst.Redis.Endpoint.Network, inst.Redis.Endpoint.Address)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if user.User != "" {
			if err := c.Auth(ctx, user.User, user.Password); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	do := func(c *resp.Conn, args ...string) resp.Value {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		v, err := c.Do(cctx, args...)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return v
	}
	admin, learner, client := dial(inst.Redis.Admin), dial(inst.Redis.Learner), dial(inst.Redis.Client)

	// What the check allows, Redis runs for the learner.
	for _, line := range []string{
		"ACL SETUSER app on >s3cret ~app:* &app:* +@read +@write -@dangerous",
		"ACL SETUSER app (~logs:* +get +xadd)",
		"ACL SETUSER app %R~cache:* +@slow -@admin -migrate -module",
		"ACL SETUSER app -@slow +@read +@write -@dangerous +info",
		"ACL GETUSER app",
		"ACL DRYRUN app SET app:1 x",
		"ACL SETUSER reporting on >r3ad ~report:* resetchannels -@all +@read +ping",
		"ACL DELUSER reporting",
	} {
		args, err := rediscli.ParseLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if err := redisnode.CheckLearnerCommandCap(args, inst.Spec.MemoryCap()); err != nil {
			t.Fatalf("%s: refused: %v", line, err)
		}
		if v := do(learner, args...); v.Kind == resp.Error {
			t.Fatalf("%s: Redis refused it for the learner: %s", line, v.Str)
		}
	}
	if v := do(admin, "ACL", "DRYRUN", "app", "CONFIG", "SET", "dir", "/"); v.Str == "OK" {
		t.Errorf("app may run CONFIG SET: %#v", v)
	}
	if v := do(admin, "ACL", "DRYRUN", "app", "GET", "other"); v.Str == "OK" {
		t.Errorf("app may read keys outside app:*: %#v", v)
	}
	// A user the learner made can sign in, and holds no more than the client.
	app := dial(sandbox.Credentials{User: "app", Password: "s3cret"})
	if v := do(app, "SET", "app:1", "x"); v.Kind == resp.Error {
		t.Errorf("app cannot write its own keys: %s", v.Str)
	}
	for _, args := range [][]string{
		{"CONFIG", "SET", "dir", "/"}, {"MIGRATE", "10.0.0.1", "6379", "app:1", "0", "1000"},
		{"ACL", "SETUSER", "learner", "+@all"}, {"SHUTDOWN"},
	} {
		if v := do(app, args...); v.Kind != resp.Error || !strings.HasPrefix(v.Str, "NOPERM") {
			t.Errorf("app ran %q: %#v", args, v)
		}
	}

	// The client account (a learner's own redis-cli skips the check) may
	// not change, show or delete users; the learner's reserved accounts
	// are refused by the check.
	for _, args := range [][]string{
		{"ACL", "SETUSER", "app", "+@all"}, {"ACL", "DELUSER", "app"}, {"ACL", "GETUSER", "app"}, {"ACL", "LIST"},
	} {
		if v := do(client, args...); v.Kind != resp.Error || !strings.HasPrefix(v.Str, "NOPERM") {
			t.Errorf("client ran %q: %#v", args, v)
		}
	}
	for _, args := range [][]string{
		{"ACL", "SETUSER", "learner", "+@all"}, {"ACL", "DELUSER", "admin"}, {"ACL", "GETUSER", "admin"},
		{"ACL", "SETUSER", "client", "+config|set"}, {"ACL", "SETUSER", "default", "on", "nopass"},
	} {
		if err := redisnode.CheckLearnerCommandCap(args, inst.Spec.MemoryCap()); !errors.Is(err, sandbox.ErrDenied) {
			t.Errorf("CheckLearnerCommand(%q) = %v, want a refusal", args, err)
		}
	}
	// A user the check refuses really would exceed the client: Redis would
	// have given it a command of the ceiling.
	for _, tc := range []struct{ rules, item string }{
		{"+@read +@write", "migrate"}, {"+@slow", "config"}, {"+@keyspace", "migrate"},
	} {
		args := append([]string{"ACL", "SETUSER", "probe"}, strings.Fields(tc.rules)...)
		if err := redisnode.CheckLearnerCommandCap(args, inst.Spec.MemoryCap()); !errors.Is(err, sandbox.ErrDenied) {
			t.Errorf("CheckLearnerCommand(%q) = %v, want a refusal", args, err)
		}
		do(admin, append([]string{"ACL", "SETUSER", "probe", "reset", "~*"}, strings.Fields(tc.rules)...)...)
		var dry []string
		switch tc.item {
		case "migrate":
			dry = []string{"MIGRATE", "10.0.0.1", "6379", "k", "0", "1000"}
		case "config":
			dry = []string{"CONFIG", "SET", "dir", "/"}
		}
		if v := do(admin, append([]string{"ACL", "DRYRUN", "probe"}, dry...)...); v.Str != "OK" {
			t.Errorf("%s does not grant %s on the server (%s): the refusal is needless", tc.rules, tc.item, v.Str)
		}
	}
	do(admin, "ACL", "DELUSER", "probe")

	// The ceiling table matches the server's categories, and covers every
	// command or subcommand the client account may not run.
	cats := do(admin, "ACL", "CAT")
	server := map[string][]string{} // item -> categories, for ceiling items and their parents
	for _, c := range cats.Elems {
		for _, m := range do(admin, "ACL", "CAT", c.Str).Elems {
			server[m.Str] = append(server[m.Str], c.Str)
		}
	}
	ceiling := redisnode.ACLCeilingForTest
	for item, want := range ceiling {
		got := server[item]
		if got == nil {
			t.Errorf("ceiling item %s: no such command on the server", item)
			continue
		}
		slices.Sort(got)
		w := slices.Sorted(slices.Values(want))
		if !slices.Equal(got, w) {
			t.Errorf("ceiling item %s: categories %v in the table, %v on the server", item, w, got)
		}
	}
	for item := range server {
		parent, sub, _ := strings.Cut(item, "|")
		if sub == "" && slices.ContainsFunc(slices.Collect(maps.Keys(server)), func(k string) bool { return strings.HasPrefix(k, item+"|") }) {
			continue // a container command: its subcommands are listed one by one
		}
		_, in := ceiling[item]
		clientMay := true
		switch {
		case slices.Contains([]string{"debug", "module", "shutdown", "migrate", "replicaof", "slaveof", "sync", "psync", "replconf", "failover"}, parent):
			clientMay = false
		case parent == "acl":
			clientMay = slices.Contains([]string{"whoami", "cat", "users", "log", "dryrun", "genpass", "help"}, sub)
		case parent == "config":
			clientMay = slices.Contains([]string{"get", "resetstat", "help"}, sub)
		case item == "cluster|meet":
			clientMay = false // not on a redis-cluster node (ClientACLRulesFor)
		}
		if !clientMay && !in {
			t.Errorf("%s: the client may not run it, but the ceiling table lacks it", item)
		}
		if clientMay && in {
			t.Errorf("%s: the client may run it, yet the ceiling table holds it", item)
		}
	}
	for _, c := range redisnode.ACLSafeCategoriesForTest {
		if !slices.ContainsFunc(cats.Elems, func(v resp.Value) bool { return v.Str == c }) {
			t.Errorf("safe category %s does not exist on the server", c)
		}
	}
}
