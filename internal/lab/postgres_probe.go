package lab

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/pgnode"
)

// probeStatementTimeout bounds one postgres probe's statement on the
// server (SET LOCAL statement_timeout).
const probeStatementTimeout = 3 * time.Second

// maxProbeRows bounds the rows a postgres probe may return.
const maxProbeRows = 10000

// dialPostgres signs in to the learner's database on a Postgres sandbox's
// unix socket as who.
func dialPostgres(ctx context.Context, access sandbox.PostgresAccess, who sandbox.Credentials) (*pgx.Conn, error) {
	database := access.Database
	if database == "" {
		database = sandbox.PostgresDatabase
	}
	c, err := pgnode.Connect(ctx, access.Dir, who, database)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres as %s: %w", who.User, err)
	}
	return c, nil
}

// dialLearner signs in to inst's server as the learner's role. A learner
// may have changed their role's password (ALTER ROLE ... PASSWORD is
// theirs to run): then the platform puts its own back, through the admin
// role, and signs in again.
func dialLearner(ctx context.Context, inst sandbox.Instance) (*pgx.Conn, error) {
	conn, err := dialPostgres(ctx, inst.Postgres, inst.Postgres.Learner)
	var pgErr *pgconn.PgError
	if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		return conn, err
	}
	if err := resetPostgresLearner(ctx, inst); err != nil {
		return nil, err
	}
	return dialPostgres(ctx, inst.Postgres, inst.Postgres.Learner)
}

// postgres answers a postgres probe on node as the learner's role, in a
// read-only transaction that is rolled back, its statement bounded by
// probeStatementTimeout: a probe never changes the learner's data (a
// write fails with PostgreSQL's read-only error). One connection serves
// the whole run of checks.
//
// Not as the platform's superuser: the author's SQL reads the learner's
// objects, and a view or function the learner made runs with the
// privileges of whoever queries it, so under the superuser it could run
// programs (COPY ... TO PROGRAM) or rewrite pg_hba.conf, read-only
// transaction or not; SET ROLE would not hold either, since a function
// can RESET ROLE when the session's user is a superuser.
func (p *prober) postgres(ctx context.Context, node sandbox.Node, probe string) (any, error) {
	conn := p.pgConns[node.Name]
	if conn == nil || conn.IsClosed() {
		var err error
		conn, err = dialLearner(ctx, p.inst)
		if err != nil {
			return nil, err
		}
		if p.pgConns == nil {
			p.pgConns = map[string]*pgx.Conn{}
		}
		p.pgConns[node.Name] = conn
	}
	if _, err := conn.Exec(ctx, "BEGIN READ ONLY"); err != nil {
		return nil, fmt.Errorf("begin the probe's transaction: %w", err)
	}
	v, err := func() (any, error) {
		if _, err := conn.Exec(ctx, "SET LOCAL statement_timeout = "+strconv.FormatInt(probeStatementTimeout.Milliseconds(), 10)); err != nil {
			return nil, fmt.Errorf("set the probe's timeout: %w", err)
		}
		if table, ok := course.DescribeTable(probe); ok {
			return describePostgresTable(ctx, conn.PgConn(), table)
		}
		rows, err := queryRows(ctx, conn.PgConn(), probe)
		if err != nil {
			return nil, err
		}
		return queryValue(rows.([]any)), nil
	}()
	if !conn.IsClosed() {
		if _, rbErr := conn.Exec(ctx, "ROLLBACK"); rbErr != nil && err == nil {
			err = fmt.Errorf("roll back the probe's transaction: %w", rbErr)
		}
	}
	if err != nil {
		return nil, pgProbeError(err)
	}
	return v, nil
}

// queryValue is the value of a `postgres: <SQL>` probe, as the exercise
// format names it: rows (the list of rows, each an object of column name
// to value), count (how many), and value (the one cell when there is
// exactly one row of one column).
func queryValue(rows []any) map[string]any {
	v := map[string]any{"rows": rows, "count": int64(len(rows))}
	if len(rows) == 1 {
		if row := rows[0].(map[string]any); len(row) == 1 {
			for _, cell := range row {
				v["value"] = cell
			}
		}
	}
	return v
}

// pgProbeError rewords a statement timeout so the author knows it is the
// probe's bound, and keeps PostgreSQL's other errors as they are.
func pgProbeError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "57014" {
		return fmt.Errorf("the probe ran longer than %s and PostgreSQL cancelled it: %w", probeStatementTimeout, err)
	}
	return err
}

// queryRows runs one SQL statement with the extended protocol (which
// refuses several) and returns its rows, each an object of column name to
// value, as []any.
func queryRows(ctx context.Context, c *pgconn.PgConn, sql string) (any, error) {
	rr := c.ExecParams(ctx, sql, nil, nil, nil, []int16{pgtype.TextFormatCode})
	fields := rr.FieldDescriptions()
	rows := []any{}
	for rr.NextRow() {
		if len(rows) == maxProbeRows {
			_, _ = rr.Close()
			return nil, fmt.Errorf("the probe returned more than %d rows: count or filter them in SQL", maxProbeRows)
		}
		row := make(map[string]any, len(fields))
		for i, raw := range rr.Values() {
			row[fields[i].Name] = pgText(fields[i].DataTypeOID, raw)
		}
		rows = append(rows, row)
	}
	if _, err := rr.Close(); err != nil {
		return nil, err
	}
	return rows, nil
}

// pgText turns a value in PostgreSQL's text format into what matchers
// compare: int64 for integers, float64 for floating point, bool, nil for
// NULL, and PostgreSQL's own text for everything else (numeric,
// timestamps, arrays, ...).
func pgText(oid uint32, raw []byte) any {
	if raw == nil {
		return nil
	}
	s := string(raw)
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	case pgtype.Float4OID, pgtype.Float8OID:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case pgtype.BoolOID:
		return s == "t"
	}
	return s
}

// describePostgresTable answers "describe table T": {exists, columns,
// indexes (the names), index (name, definition, unique, primary of each),
// rows and estimate (the planner's row estimate)}. T is resolved as PostgreSQL resolves a name
// (to_regclass: schema.table, "Quoted"); a table that does not exist
// gives exists false, no columns or indexes and estimate -1.
func describePostgresTable(ctx context.Context, c *pgconn.PgConn, table string) (any, error) {
	found, err := queryRows(ctx, c, "SELECT c.oid, c.relkind::text AS kind, c.reltuples::bigint AS estimate FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass("+quoteLiteral(table)+")")
	if err != nil {
		return nil, err
	}
	rows := found.([]any)
	if len(rows) == 0 {
		return map[string]any{"exists": false, "columns": []any{}, "indexes": []any{}, "index": []any{}, "rows": int64(-1), "estimate": int64(-1)}, nil
	}
	rel := rows[0].(map[string]any)
	if kind := rel["kind"]; kind != "r" && kind != "p" {
		return nil, fmt.Errorf("%s is not a table (pg_class.relkind %v)", table, kind)
	}
	oid := strconv.FormatInt(rel["oid"].(int64), 10)
	columns, err := queryRows(ctx, c, `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
  NOT a.attnotnull AS nullable, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS "default"
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = `+oid+` AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`)
	if err != nil {
		return nil, fmt.Errorf("read the columns: %w", err)
	}
	indexes, err := queryRows(ctx, c, `SELECT ic.relname AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
  i.indisunique AS "unique", i.indisprimary AS "primary"
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = `+oid+`
ORDER BY ic.relname`)
	if err != nil {
		return nil, fmt.Errorf("read the indexes: %w", err)
	}
	var names []any
	for _, ix := range indexes.([]any) {
		names = append(names, ix.(map[string]any)["name"])
	}
	if names == nil {
		names = []any{}
	}
	return map[string]any{"exists": true, "columns": columns, "indexes": names, "index": indexes,
		"rows": rel["estimate"], "estimate": rel["estimate"]}, nil
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

// runPostgresLines runs SQL lines (setup, solution, wrong) in order on the
// sandbox's server as the learner's role, so what they create belongs to
// the learner: each line one statement (the extended protocol refuses
// several), each committed on its own. It stops at the first error, naming
// the statement and giving PostgreSQL's message.
func runPostgresLines(ctx context.Context, inst sandbox.Instance, lines []string) error {
	conn, err := dialLearner(ctx, inst)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for i, line := range lines {
		if waited, err := waitLine(ctx, line); waited || err != nil {
			if err != nil {
				return fmt.Errorf("line %d %q: %w", i+1, line, err)
			}
			continue
		}
		name, sql := course.SplitNodeLine(line)
		if strings.TrimSpace(sql) == "" {
			continue
		}
		if _, ok := inst.Node(name); !ok {
			return fmt.Errorf("line %d %q: this %s sandbox has no node %q", i+1, line, inst.Spec.Kind, name)
		}
		if _, err := conn.PgConn().ExecParams(ctx, sql, nil, nil, nil, nil).Close(); err != nil {
			return fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
	}
	return nil
}
