// Package content holds the built-in courses, embedded in the binary. Each
// folder with a course.yaml is one course.
package content

import "embed"

// FS is the built-in content tree.
//
//go:embed all:caching-messaging-infrastructure
var FS embed.FS
