// Package toolchain holds no code: its tests check the build's own
// dependencies (see docs/architecture.md, "Dependencies"). They fail when
// the test binary was built with a Go release older than the minimum
// scripts/check-go.sh names (one whose standard library has known
// vulnerabilities opslab's code reaches), when go.mod's toolchain line
// falls below that minimum, and when go.mod requires a module replaced
// because of its vulnerabilities. `make vuln` is the full check; these
// keep the cheap part of it in every `go test ./...`.
package toolchain
