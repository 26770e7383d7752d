package process_test

import (
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

// BenchmarkStartStack measures Start of a fenced stack sandbox (kfake
// broker): one fence, then PostgreSQL, redis-server and kfake started at
// once, returning when all three answer. Its baseline in the same run is
// BenchmarkStartPostgres, the slowest of the three alone. The postgres
// template is made before the timing; stops are not timed (benchStarts).
func BenchmarkStartStack(b *testing.B) { benchStarts(b, sandbox.KindStack) }
