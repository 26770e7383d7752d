package lab_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/testkit"
)

// postgresTarget returns a fixture whose process manager offers a shell
// beside a postgres sandbox (the test is skipped on a machine that cannot
// fence), and a target of an exercise with a postgres sandbox.
func postgresTarget(t *testing.T) (*fixture, lab.Target) {
	t.Helper()
	testkit.Slow(t, "starts a fenced postgres sandbox and a workstation per console line")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	testkit.RequireTool(t, "psql", "apt-get install postgresql-client (make deps-test)")
	f := newFixture(t, sandbox.Config{})
	if !f.mgr.Capabilities(sandbox.KindPostgres).Shell {
		t.Skip("this machine cannot fence sandboxes: no workstation, so no psql console")
	}
	ex := &course.Exercise{ID: "pg", Title: "PG", Sandbox: string(sandbox.KindPostgres)}
	f.lesson.Exercises = append(f.lesson.Exercises, ex)
	return f, lab.Target{UserID: f.users[0], Course: f.course, Lesson: f.lesson, Exercise: ex}
}

// TestPostgresConsole: a console line of a postgres sandbox is run by the
// real psql as the learner's role, so its output is psql's own: command
// tags, aligned tables with their row count, errors with their LINE and
// caret, meta-commands' listings; a statement past the learner role's
// statement_timeout is cancelled by the server with psql's message. A
// learner who changed their role's password still gets their lines run
// (the platform's password is put back).
func TestPostgresConsole(t *testing.T) {
	f, tg := postgresTarget(t)
	for _, c := range []struct{ line, want string }{
		{`CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)`, "CREATE TABLE\n"},
		{`INSERT INTO orders VALUES (1, 'one'), (2, 'two'), (3, 'three')`, "INSERT 0 3\n"},
		{`SELECT id, note FROM orders ORDER BY id`, " id | note  \n----+-------\n  1 | one\n  2 | two\n  3 | three\n(3 rows)\n\n"},
		{`  SELECT current_user  `, " current_user \n--------------\n learner\n(1 row)\n\n"},
		{`SELECT * FROM nope`, "ERROR:  relation \"nope\" does not exist\nLINE 1: SELECT * FROM nope\n                      ^\n"},
		{`SELEC 1`, "ERROR:  syntax error at or near \"SELEC\"\nLINE 1: SELEC 1\n        ^\n"},
		{`INSERT INTO orders VALUES (1, 'again')`, "ERROR:  duplicate key value violates unique constraint \"orders_pkey\"\nDETAIL:  Key (id)=(1) already exists.\n"},
		{`SELECT 1 AS a; SELECT 2 AS b`, " a \n---\n 1\n(1 row)\n\n b \n---\n 2\n(1 row)\n\n"},
		{`SELECT rolpassword FROM pg_authid`, "ERROR:  permission denied for table pg_authid\n"},
		{`SELECT pg_sleep(60)`, "ERROR:  canceling statement due to statement timeout\n"},
		{`ALTER ROLE learner PASSWORD 'my-own'`, "ALTER ROLE\n"},
		{`SELECT count(*) FROM orders`, " count \n-------\n     3\n(1 row)\n\n"},
	} {
		if got := f.exec(t, tg, c.line).Output; got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.line, got, c.want)
		}
	}
	if res := f.exec(t, tg, `SELECT 1`); res.Prompt != "appdb=> " {
		t.Errorf("prompt %q, want psql's", res.Prompt)
	}
	for _, c := range []struct{ line, want string }{
		{`\dt`, "public | orders | table | learner"},
		{`\d orders`, `Table "public.orders"`},
		{`\d orders`, `"orders_pkey" PRIMARY KEY, btree (id)`},
		{`\d+ orders`, "Access method: heap"},
		{`\l`, "appdb"},
		{`\conninfo`, `You are connected to database "appdb" as user "learner" on host "db"`},
		{`\dx`, "plpgsql"},
		{`\h SELECT`, "Command:     SELECT"},
	} {
		if got := f.exec(t, tg, c.line).Output; !strings.Contains(got, c.want) {
			t.Errorf("%s: %q lacks %q", c.line, got, c.want)
		}
	}
}

// TestPostgresConsoleRefusals: the meta-commands that reach outside the
// database (a shell, files, the environment, other connections, an
// editor) and backquotes in a meta-command are refused with a sentence
// naming the command; nothing runs. Hostile lines built to break out of a
// shell's quoting reach psql as they are, as one argument: the server
// answers them, the workstation's home is untouched.
func TestPostgresConsoleRefusals(t *testing.T) {
	f, tg := postgresTarget(t)
	ctx := context.Background()
	f.exec(t, tg, `CREATE TABLE orders (id int)`) // starts the sandbox
	inst, _, err := f.mgr.Acquire(ctx, f.users[0], opslab.LessonKey{Course: f.course.Slug, Lesson: f.lesson.Slug}, sandbox.KindPostgres)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := f.mgr.RunShell(ctx, inst, `echo kept > ~/keep`); err != nil || res.Exit != 0 {
		t.Fatalf("write ~/keep: %+v %v", res, err)
	}
	for _, c := range []struct{ line, name string }{
		{`\! touch ~/p1`, `\!`},
		{`\!touch ~/p1`, `\!touch`},
		{`\o /home/learner/p1`, `\o`},
		{`\out /home/learner/p1`, `\out`},
		{`\w /home/learner/p1`, `\w`},
		{`\i /etc/passwd`, `\i`},
		{`\ir x.sql`, `\ir`},
		{`\copy (SELECT 1) TO '/home/learner/p1'`, `\copy`},
		{`\copy orders FROM PROGRAM 'touch /home/learner/p1'`, `\copy`},
		{`\g /home/learner/p1`, `\g`},
		{`\gx |touch ~/p1`, `\gx`},
		{`\gexec`, `\gexec`},
		{`\setenv PAGER 'touch ~/p1'`, `\setenv`},
		{`\cd /`, `\cd`},
		{`\lo_import /etc/passwd`, `\lo_import`},
		{`\lo_export 1 /home/learner/p1`, `\lo_export`},
		{`\password`, `\password`},
		{`\c postgres`, `\c`},
		{`\e`, `\e`},
		{`\watch 1`, `\watch`},
		{`\set x 1`, `\set`},
		{`\qecho hi`, `\qecho`},
		{`\nosuch`, `\nosuch`},
	} {
		res := f.exec(t, tg, c.line)
		if !strings.HasPrefix(res.Output, "The console runs SQL") || !(strings.Contains(res.Output, c.name+" ") || strings.Contains(res.Output, c.name+".")) || !strings.Contains(res.Output, "terminal") {
			t.Errorf("%s: %q, want a refusal naming %s", c.line, res.Output, c.name)
		}
	}
	for _, line := range []string{"\\d `touch ~/p1`", "\\echo `touch ~/p1`"} {
		if res := f.exec(t, tg, line); !strings.HasPrefix(res.Output, "The console does not run backquoted text") {
			t.Errorf("%s: %q, want the backquote refusal", line, res.Output)
		}
	}
	if res := f.exec(t, tg, "SELECT 1\x00"); !strings.Contains(res.Output, "NUL") {
		t.Errorf("a NUL: %q", res.Output)
	}

	// Lines built to break out of a shell's quoting.
	for _, c := range []struct{ line, want string }{
		{`'; rm -rf ~ #`, "ERROR:  unterminated quoted string at or near \"'; rm -rf ~ #\"\nLINE 1: '; rm -rf ~ #\n        ^\n"},
		{`"; rm -rf ~; "`, "ERROR:  syntax error at or near \"\"; rm -rf ~; \"\"\nLINE 1: \"; rm -rf ~; \"\n        ^\n"},
		{`$(rm -rf ~)`, "ERROR:  syntax error at or near \"$\"\nLINE 1: $(rm -rf ~)\n        ^\n"},
		{"`rm -rf ~`", "ERROR:  syntax error at or near \"`\"\nLINE 1: `rm -rf ~`\n        ^\n"},
		{"SELECT 'a'\nEOF\nrm -rf ~\n", "ERROR:  syntax error at or near \"rm\"\nLINE 3: rm -rf ~\n        ^\n"},
		{`SELECT '$(rm -rf ~)' AS x`, "      x      \n-------------\n $(rm -rf ~)\n(1 row)\n\n"},
		{`\dt \\ \! rm -rf ~`, "public | orders | table | learner"},
	} {
		if got := f.exec(t, tg, c.line).Output; !strings.Contains(got, c.want) {
			t.Errorf("%q:\n got %q\nwant %q", c.line, got, c.want)
		}
	}
	res, err := f.mgr.RunShell(ctx, inst, `cat ~/keep; ls ~ | grep -c '^p1$'`)
	if err != nil || res.Stdout != "kept\n0\n" {
		t.Fatalf("the home after the refused and hostile lines: %+v %v", res, err)
	}
}

// TestPostgresConsoleGivesUp: a line that turned the statement timeout
// off runs until the console's own timeout, which says so; the statement
// does not stay behind on the server (its session sees its client gone)
// holding one of the learner role's connections.
func TestPostgresConsoleGivesUp(t *testing.T) {
	f, tg := postgresTarget(t)
	short, err := lab.New(lab.Config{Sandboxes: f.mgr, Attempts: f.attempts, ExecRate: 1000, ExecBurst: 1000, ExecTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res, err := short.Exec(context.Background(), tg, `SET statement_timeout = 0; SELECT pg_sleep(600)`)
	if err != nil || res.Output != "(error) the command did not finish within 2s and was stopped\n" {
		t.Fatalf("a line past the console's timeout: %+v %v", res, err)
	}
	count := `SELECT count(*) AS sleeping FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()`
	var out string
	for range 30 { // the session checks its client every second
		if out = f.exec(t, tg, count).Output; out == " sleeping \n----------\n        0\n(1 row)\n\n" {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("the abandoned statement still runs: %q", out)
}
