package process

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

// TestRedisConfigUnchanged checks that the driver's redis-server arguments
// and Sentinel config are byte for byte what the driver rendered before it
// used redisnode's renderer (the golden files of redisnode's testdata,
// captured from this driver at 816a780).
func TestRedisConfigUnchanged(t *testing.T) {
	c := func(u string) sandbox.Credentials { return sandbox.Credentials{User: u, Password: "pw-" + u} }
	a := redisnode.Accounts{Admin: c("admin"), Learner: c("learner"), Client: c("client"), Replication: c("replication"), Sentinel: c("sentinel")}
	argv := func(args []string) string {
		var b strings.Builder
		for _, a := range args {
			b.WriteString(strconv.Quote(a) + "\n")
		}
		return b.String()
	}
	dir := "/srv/opslab/sandboxes/redis-7-abc"
	sdir := "/srv/opslab/sandboxes/redis-sentinel-7-abc"
	for file, got := range map[string]string{
		"process-single-port0.argv":    argv(redisArgs(dir, 0, 64<<20)),
		"process-single-port.argv":     argv(redisArgs(dir, 41234, 100<<20+7)),
		"process-replica-primary.argv": argv(dataNodeArgs(dir, 0, 6379, 64<<20, 0, false)),
		"process-replica-replica.argv": argv(dataNodeArgs(dir, 1, 6380, 64<<20, 6379, false)),
		"process-cluster-node.argv":    argv(dataNodeArgs(dir, 4, 6383, 32<<20, 0, true)),
		"process-sentinel.conf":        sentinelConfig(sdir, 3, 26382, 6379, a, nodeAccess(sdir, 3, 26382, a)),
	} {
		want, err := os.ReadFile("../redisnode/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s changed:\n got:\n%s\nwant:\n%s", file, got, want)
		}
	}
}
