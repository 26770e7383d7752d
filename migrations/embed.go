// Package migrations holds the SQLite schema as numbered .sql files.
//
// Files are applied in lexical name order, so names carry a zero-padded
// number: 0001_init.sql, 0002_…sql. Each file runs in one transaction and is
// recorded by name once applied, so a file must never change after release:
// add a new one instead. A file must not contain BEGIN or COMMIT.
package migrations

import "embed"

// FS holds every migration file of the application, at its root.
//
//go:embed *.sql
var FS embed.FS
