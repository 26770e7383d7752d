package lab

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/pgnode"
)

// psqlPrompt is psql's prompt for a role that is not a superuser in the
// learner's database, which the console shows.
const psqlPrompt = sandbox.PostgresDatabase + "=> "

// psqlConnectionLost is psql's exit status when it could not connect, or
// lost its connection, outside an interactive session.
const psqlConnectionLost = 2

// execPostgres runs one console line, SQL or one psql meta-command, with
// the real psql in a workstation beside inst (so inside its fence), as
// the learner's role, and returns what psql printed, errors included as
// psql prints them ("ERROR:  relation ... does not exist", its "LINE 1:"
// and caret). refused is true when the console did not run the line: a
// meta-command that reaches outside the database (psqlRefusal). The
// statement timeout is the server's own (the learner role's
// statement_timeout), so a long statement comes back as psql's "canceling
// statement due to statement timeout"; ctx bounds the whole run besides.
// lost is true when psql could not reach the server at all.
//
// The line never becomes shell text: the script carries it base64-encoded
// (an alphabet with no quote, space or shell character) and decodes it
// into a variable passed to psql as one argument.
func (s *Service) execPostgres(ctx context.Context, inst sandbox.Instance, line string) (out string, refused, lost bool) {
	text := strings.TrimSpace(line)
	if text == "" {
		return "", false, false
	}
	if msg := psqlRefusal(text); msg != "" {
		return msg + "\n", true, false
	}
	script := psqlScript(text)
	res, err := s.cfg.Sandboxes.RunShell(ctx, inst, script)
	if err == nil && res.Exit == psqlConnectionLost && learnerPasswordRefused(res, inst) {
		// The learner changed their role's password (ALTER ROLE ... PASSWORD
		// is theirs to run): the platform's is put back and the line runs
		// again. The statement never ran, since psql could not sign in.
		if rerr := resetPostgresLearner(ctx, inst); rerr != nil {
			s.log.Warn("postgres console: reset the learner's password", "sandbox", inst.Spec.ID, "err", rerr)
		} else {
			res, err = s.cfg.Sandboxes.RunShell(ctx, inst, script)
		}
	}
	switch {
	case err != nil && isTimeout(err):
		return timeoutText(s.cfg.ExecTimeout), false, false
	case err != nil:
		s.log.Warn("postgres console", "sandbox", inst.Spec.ID, "err", err)
		return "(error) the console could not run psql beside your sandbox; try again\n", false, false
	}
	out = res.Stdout + res.Stderr
	return capOutput(out), false, res.Exit == psqlConnectionLost
}

// learnerPasswordRefused reports whether psql, in res, could not sign in
// because the server refused the learner role's password.
func learnerPasswordRefused(res sandbox.ShellResult, inst sandbox.Instance) bool {
	return strings.Contains(res.Stdout+res.Stderr, `password authentication failed for user "`+inst.Postgres.Learner.User+`"`)
}

// resetPostgresLearner sets the learner role's password of inst's server
// back to the one the platform holds (inst.Postgres.Learner), signed in
// as the platform's admin role over the server's unix socket; the
// password goes as a SCRAM verifier, so the server never sees it.
func resetPostgresLearner(ctx context.Context, inst sandbox.Instance) error {
	pg := inst.Postgres
	v, err := pgnode.ScramVerifier(pg.Learner.Password)
	if err != nil {
		return fmt.Errorf("reset the learner's password: %w", err)
	}
	c, err := dialPostgres(ctx, pg, pg.Admin)
	if err != nil {
		return fmt.Errorf("reset the learner's password: %w", err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "ALTER ROLE "+pgx.Identifier{pg.Learner.User}.Sanitize()+" PASSWORD '"+v+"'"); err != nil {
		return fmt.Errorf("reset the learner's password: %w", err)
	}
	return nil
}

// psqlScript is the bash script that runs text with psql, as the
// workstation's environment says (PGHOST=db, the learner's role and
// database, the password in ~/.pgpass): -X so no ~/.psqlrc the learner
// wrote changes it, both streams in one in the order psql wrote them.
// The session checks every second that its client is still there
// (client_connection_check_interval), so a statement the console gave up
// on (the learner set statement_timeout = 0 in their line, and the
// console's own timeout killed psql) ends with it instead of holding one
// of the role's connections.
func psqlScript(text string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	return fmt.Sprintf("line=$(printf '%%s' '%s' | base64 -d) || exit 125\nPGOPTIONS='-c client_connection_check_interval=1000' exec psql -X -v ON_ERROR_STOP=1 -c \"$line\" 2>&1\n", enc)
}

// psqlMetaAllowed are the meta-commands the console runs besides the
// describe family (every command whose name starts with "d": \d, \dt,
// \d+, \di, \dn, \du, \df, \dx, \dconfig, ...): they read the catalog or
// print psql's help, and touch no file, program or other connection.
var psqlMetaAllowed = map[string]bool{
	"l": true, "l+": true, "list": true, "list+": true, "z": true, "conninfo": true,
	"sf": true, "sf+": true, "sv": true, "sv+": true, "lo_list": true,
	"encoding": true, "copyright": true, "?": true, "h": true, "help": true, "echo": true,
}

// psqlMetaReasons says why the console refuses the meta-commands that
// reach outside the database; others it does not run get a general
// sentence.
var psqlMetaReasons = map[string]string{
	"!":                "runs a shell command",
	"o":                "writes query results to a file or a program",
	"out":              "writes query results to a file or a program",
	"w":                "writes the query buffer to a file or a program",
	"write":            "writes the query buffer to a file or a program",
	"i":                "reads commands from a file",
	"include":          "reads commands from a file",
	"ir":               "reads commands from a file",
	"include_relative": "reads commands from a file",
	"copy":             "reads or writes a file (or runs a program) on the workstation",
	"g":                "can send the result to a file or a program",
	"gx":               "can send the result to a file or a program",
	"gexec":            "runs the results as further commands",
	"setenv":           "changes psql's environment",
	"getenv":           "reads psql's environment",
	"cd":               "changes psql's working folder",
	"lo_import":        "reads a file of the workstation",
	"lo_export":        "writes a file of the workstation",
	"password":         "changes a role's password",
	"c":                "opens another connection",
	"connect":          "opens another connection",
	"e":                "opens an editor",
	"edit":             "opens an editor",
	"ef":               "opens an editor",
	"ev":               "opens an editor",
	"s":                "writes the command history to a file",
	"watch":            "repeats a query without end",
	"prompt":           "reads from the keyboard",
}

// psqlRefusal returns the console's refusal of text, or "" if the console
// runs it. SQL (a line not starting with a backslash) goes to the server
// as it is: psql -c reads no meta-command in it, and the server's own
// rules say what the learner's role may do. A meta-command runs when it
// is one of the describe family or psqlMetaAllowed, with no backquote
// (psql would run the text between backquotes as a shell command).
func psqlRefusal(text string) string {
	if strings.ContainsRune(text, 0) {
		return "ERROR:  the console does not take NUL characters"
	}
	if !strings.HasPrefix(text, `\`) {
		return ""
	}
	name := psqlMetaName(text[1:])
	shown := `\` + name
	if strings.HasPrefix(name, "!") {
		name = "!" // psql runs "\!ls" as a command of its own, still a shell's
	}
	if reason, ok := psqlMetaReasons[name]; ok {
		return fmt.Sprintf("The console runs SQL and psql's describe meta-commands; %s %s, so it is not run here. Use the terminal (psql -h db) for it.", shown, reason)
	}
	if !strings.HasPrefix(name, "d") && !psqlMetaAllowed[name] {
		return fmt.Sprintf(`The console runs SQL and psql's describe meta-commands (\d, \d NAME, \dt, \di, \dn, \du, \df, \dx, \l, \conninfo, \sf, \sv, \?, \h); it does not run %s. Use the terminal (psql -h db) for it.`, shown)
	}
	if strings.Contains(text, "`") {
		return "The console does not run backquoted text in psql's meta-commands (psql would run it as a shell command). Use the terminal (psql -h db) for it."
	}
	return ""
}

// psqlMetaName is the name of the meta-command at the start of s (the
// text after its backslash), as psql reads it: everything up to the first
// white space or backslash ("dt+", "!", "!ls").
func psqlMetaName(s string) string {
	if i := strings.IndexAny(s, " \t\n\r\f\v\\"); i >= 0 {
		return s[:i]
	}
	return s
}
