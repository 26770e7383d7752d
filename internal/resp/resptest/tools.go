package resptest

import (
	"testing"

	"github.com/opslab/opslab/internal/testkit"
)

// RequireTool returns the path of the named program. When it is not on
// PATH the test is skipped with a message naming it, except when the CI
// environment variable is set: there a missing tool fails the test, so an
// absent install step cannot hide behind a green run.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	return testkit.RequireTool(t, name, "install Debian's redis-server and redis-tools packages (make deps-test)")
}
