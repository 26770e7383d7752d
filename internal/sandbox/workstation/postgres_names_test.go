package workstation_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/workstation"
)

// TestPostgresNames: a postgres sandbox's one node is "db" at port 5432,
// forwarded to the server's unix socket with no account of the platform
// in the forward; the environment names db, the learner and appdb; the
// ~/.pgpass line holds the learner's password (its ':' and '\' escaped
// as libpq reads them), never the admin's. A sandbox without a server
// gets neither.
func TestPostgresNames(t *testing.T) {
	inst := sandbox.Instance{
		Spec: sandbox.Spec{Kind: sandbox.KindPostgres},
		Postgres: sandbox.PostgresAccess{
			Endpoint: sandbox.Endpoint{Network: "unix", Address: "/srv/box/.s.PGSQL.5432"},
			Dir:      "/srv/box", Port: 5432, Database: "appdb",
			Learner: sandbox.Credentials{User: "learner", Password: `pa:ss\word`},
			Admin:   sandbox.Credentials{User: "opslab", Password: "admin-secret"},
		},
	}
	fws := workstation.Forwards(inst)
	if len(fws) != 1 || fws[0].Name != "db" || !strings.HasSuffix(fws[0].Listen, ":5432") ||
		fws[0].Network != "unix" || fws[0].Address != "/srv/box/.s.PGSQL.5432" || fws[0].RedisUser != "" || fws[0].RedisPassword != "" {
		t.Fatalf("forwards %+v, want db:5432 to the socket only", fws)
	}
	if env := workstation.PostgresEnv(inst); !slices.Equal(env, []string{"PGHOST=db", "PGUSER=learner", "PGDATABASE=appdb"}) {
		t.Errorf("environment %q", env)
	}
	if got := workstation.Pgpass(inst); got != `db:5432:*:learner:pa\:ss\\word`+"\n" {
		t.Errorf("pgpass %q", got)
	}
	for _, s := range append(workstation.PostgresEnv(inst), workstation.Pgpass(inst), workstation.Hosts("workstation", fws)) {
		if strings.Contains(s, "admin-secret") {
			t.Errorf("the admin password in %q", s)
		}
	}
	redis := sandbox.Instance{Spec: sandbox.Spec{Kind: sandbox.KindRedis}}
	if workstation.PostgresEnv(redis) != nil || workstation.Pgpass(redis) != "" {
		t.Error("a sandbox without a PostgreSQL server got its environment or ~/.pgpass")
	}
}
