// Package pgnode is what every driver's PostgreSQL sandbox server is
// made of: the roles (the platform's superuser Admin and the learner's
// role Learner, owner of sandbox.PostgresDatabase and nothing else), the
// template's setup statements, pg_hba.conf and postgresql.conf (the caps
// of docs/postgres.md), the SCRAM verifiers the sandbox's fresh passwords
// are sent as, a client connection over the unix socket, and the template
// data directory kept in memory and written out per sandbox.
package pgnode

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opslab/opslab/internal/sandbox"
)

// The server every Postgres sandbox runs.
const (
	// Port is every Postgres sandbox's port; it listens on no TCP
	// address, so the number only names its socket (SocketName).
	Port = 5432
	// SocketName is the server's socket file in its socket folder.
	SocketName = ".s.PGSQL.5432"
	// Admin is the platform's superuser role in every Postgres sandbox.
	Admin = "opslab"
	// Learner is the learner's role, owner of sandbox.PostgresDatabase.
	Learner = "learner"
	// StatementTimeout is the learner role's default statement_timeout.
	StatementTimeout = 5 * time.Second
	// MaxConnections is the server's max_connections; the learner role
	// may hold all but the three reserved for the platform.
	MaxConnections = 20
)

// Extensions lists the extensions the learner role can create: those
// Debian's PostgreSQL 15 marks trusted. Every other extension needs a
// superuser, which the learner is not.
var Extensions = []string{
	"btree_gin", "btree_gist", "citext", "cube", "dict_int", "fuzzystrmatch",
	"hstore", "intarray", "isn", "lo", "ltree", "pg_trgm", "pgcrypto", "plpgsql",
	"seg", "tablefunc", "tcn", "tsm_system_rows", "tsm_system_time", "unaccent", "uuid-ossp",
}

// Setup is run once as the admin role on the template's server:
// the learner's role and database, and no way to any other database.
var Setup = []string{
	"CREATE ROLE " + Learner + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT " + strconv.Itoa(MaxConnections-3),
	"ALTER ROLE " + Learner + " SET statement_timeout = '" + strconv.Itoa(int(StatementTimeout/time.Millisecond)) + "ms'",
	"ALTER ROLE " + Learner + " SET idle_in_transaction_session_timeout = '60s'",
	"CREATE DATABASE " + sandbox.PostgresDatabase + " OWNER " + Learner,
	"REVOKE ALL ON DATABASE postgres, template1, " + sandbox.PostgresDatabase + " FROM PUBLIC",
}

// HBA is every sandbox's pg_hba.conf: unix socket connections
// only, with SCRAM passwords, the admin to any database and the learner
// to its own.
const HBA = `# opslab: unix socket only, SCRAM passwords only.
# TYPE  DATABASE  USER     METHOD
local   all       ` + Admin + `   scram-sha-256
local   ` + sandbox.PostgresDatabase + `     ` + Learner + `  scram-sha-256
`

// Conf returns the postgresql.conf of a sandbox whose socket is in
// socketDir and whose memory cap is memCap: no TCP, small caches, the caps
// of docs/postgres.md. fsync is off: the data directory is on the
// sandbox's tmpfs and thrown away with it, so there is no disk to sync to.
func Conf(socketDir string, memCap int64) string {
	lines := []string{
		"# opslab: one sandbox's server (see docs/postgres.md)",
		"listen_addresses = ''",
		"port = " + strconv.Itoa(Port),
		"unix_socket_directories = '" + strings.ReplaceAll(socketDir, "'", "''") + "'",
		"unix_socket_permissions = 0700",
		"max_connections = " + strconv.Itoa(MaxConnections),
		"superuser_reserved_connections = 3",
		"password_encryption = scram-sha-256",
		"shared_buffers = 16MB",
		"work_mem = 4MB",
		"maintenance_work_mem = 16MB",
		"temp_file_limit = " + strconv.FormatInt(max(memCap>>10, 1024), 10) + "kB",
		"max_worker_processes = 4",
		"max_parallel_workers = 2",
		"max_parallel_workers_per_gather = 1",
		"autovacuum_max_workers = 2",
		"max_wal_size = 32MB",
		"min_wal_size = 4MB",
		"fsync = off",
		"synchronous_commit = off",
		"full_page_writes = off",
		"jit = off",
		"huge_pages = off",
		"dynamic_shared_memory_type = mmap",
		"logging_collector = off",
		"log_destination = 'stderr'",
		"log_line_prefix = '%m [%p] '",
		"lc_messages = 'C'",
		"datestyle = 'iso, mdy'",
		"timezone = 'UTC'",
		"log_timezone = 'UTC'",
		"default_text_search_config = 'pg_catalog.english'",
	}
	return strings.Join(lines, "\n") + "\n"
}

// Connect signs in to database as user on the server whose socket
// is in socketDir. Nothing comes from the platform's environment (PGHOST,
// PGPASSFILE...).
func Connect(ctx context.Context, socketDir string, user sandbox.Credentials, database string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.Port = socketDir, Port
	cfg.User, cfg.Password, cfg.Database = user.User, user.Password, database
	cfg.TLSConfig, cfg.Fallbacks = nil, nil
	cfg.RuntimeParams = map[string]string{"application_name": "opslab"}
	cfg.ConnectTimeout = time.Second
	return pgx.ConnectConfig(ctx, cfg)
}

// SetPasswords gives the admin and learner roles the passwords of access,
// sent as SCRAM-SHA-256 verifiers so the server never sees them.
func SetPasswords(ctx context.Context, c *pgx.Conn, access sandbox.PostgresAccess) error {
	var sql strings.Builder
	for _, u := range []sandbox.Credentials{access.Admin, access.Learner} {
		v, err := ScramVerifier(u.Password)
		if err != nil {
			return err
		}
		fmt.Fprintf(&sql, "ALTER ROLE %s PASSWORD '%s';\n", pgx.Identifier{u.User}.Sanitize(), v)
	}
	if _, err := c.Exec(ctx, sql.String()); err != nil {
		return fmt.Errorf("set the sandbox's passwords: %w", err)
	}
	return nil
}

// scramIterations is the PBKDF2 iteration count of the verifiers
// ScramVerifier makes: PostgreSQL's own default.
const scramIterations = 4096

// ScramVerifier returns the SCRAM-SHA-256 verifier PostgreSQL stores for
// password (RFC 7677, in the form of pg_authid.rolpassword), with a fresh
// random salt. The password must be ASCII with no control characters,
// which SASLprep leaves as is (redisnode.NewSecret's hex is).
func ScramVerifier(password string) (string, error) {
	for _, r := range password {
		if r < 0x21 || r > 0x7e {
			return "", fmt.Errorf("scram verifier: the password must be printable ASCII")
		}
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // never fails on the platforms Go supports
	salted, err := pbkdf2.Key(sha256.New, password, salt, scramIterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("scram verifier: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	serverKey := hmacSHA256(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", scramIterations, b64(salt), b64(stored[:]), b64(serverKey)), nil
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// TreeEntry is one folder or regular file of a tree read by ReadTree.
type TreeEntry struct {
	rel  string      // path under the tree's root ("" for the root)
	mode os.FileMode // permission bits, with os.ModeDir for a folder
	data []byte      // a file's content
}

// ReadTree reads the folder root and everything under it into memory,
// folders before what they hold. Only folders and regular files are
// allowed; anything else is an error.
func ReadTree(root string) ([]TreeEntry, error) {
	var out []TreeEntry
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if rel == "." {
			rel = ""
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			out = append(out, TreeEntry{rel: rel, mode: os.ModeDir | info.Mode().Perm()})
		case e.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out = append(out, TreeEntry{rel: rel, mode: info.Mode().Perm(), data: data})
		default:
			return fmt.Errorf("read %s: not a file or a folder", path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the tree %s: %w", root, err)
	}
	return out, nil
}

// WriteTree writes the tree ReadTree read to dst, which must not exist,
// every folder and file given to uid (unless uid is negative: they are
// then the platform's). The folders are made first, then the files by a
// few goroutines at once.
func WriteTree(entries []TreeEntry, dst string, uid int) error {
	var files []TreeEntry
	for _, e := range entries {
		if !e.mode.IsDir() {
			files = append(files, e)
			continue
		}
		path := filepath.Join(dst, e.rel)
		if err := os.Mkdir(path, e.mode.Perm()); err != nil {
			return err
		}
		if err := chownTo(path, uid); err != nil {
			return err
		}
	}
	const workers = 4
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			var err error
			for i := w; i < len(files) && err == nil; i += workers {
				err = writeFile(filepath.Join(dst, files[i].rel), files[i], uid)
			}
			errs <- err
		}()
	}
	var first error
	for range workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// writeFile makes the new file path with e's mode and content, owned by
// uid when it is not negative.
func writeFile(path string, e TreeEntry, uid int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, e.mode.Perm())
	if err != nil {
		return err
	}
	if uid >= 0 {
		if err := f.Chown(uid, uid); err != nil {
			f.Close()
			return err
		}
	}
	if len(e.data) > 0 {
		if _, err := f.Write(e.data); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// chownTo gives path to uid (and the group of the same number), unless
// uid is negative.
func chownTo(path string, uid int) error {
	if uid < 0 {
		return nil
	}
	return os.Lchown(path, uid, uid)
}

// CopyTree copies the folder src to dst, which must not exist, as
// WriteTree writes.
func CopyTree(src, dst string, uid int) error {
	entries, err := ReadTree(src)
	if err != nil {
		return err
	}
	return WriteTree(entries, dst, uid)
}
