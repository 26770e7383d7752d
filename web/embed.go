// Package web holds the site's templates and static files, embedded in the
// binary.
package web

import "embed"

// FS holds templates/*.html and static/*.
//
//go:embed templates/*.html static/*
var FS embed.FS
