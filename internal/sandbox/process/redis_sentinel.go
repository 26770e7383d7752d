package process

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/opslab/opslab/internal/sandbox"
)

// Ports of a multi-node Redis sandbox's nodes inside its fence, when the
// host reaches them through their sockets only (Options.LoopbackTCP off):
// data node i on firstDataPort+i (a cluster node's bus on 10000 more),
// Sentinel node i on firstSentinelPort+i. The network namespace is the
// sandbox's own, so the same ports serve every sandbox. With LoopbackTCP,
// each node takes the port of its host relay instead, so that the address
// the nodes know each other by works from the host too.
const (
	firstDataPort     = 6379
	firstSentinelPort = 26379
)

// Sentinel timings of a redis-sentinel sandbox: short, so that a learner
// watches a failover within seconds.
const (
	sentinelDownAfterMs     = 2000
	sentinelFailoverTimeout = 10000
	sentinelQuorum          = 2
)

// launchSentinel writes node i's Sentinel config (0600, in the sandbox's
// directory: a Sentinel must be able to rewrite its config) and runs it.
func (d *Driver) launchSentinel(ctx context.Context, b *box, i, port, primaryPort int, a sandbox.RedisNodeAccounts, access sandbox.RedisAccess) (*child, error) {
	dir := b.fence.Dir()
	m := sandbox.SentinelMaster
	conf := strings.Join([]string{
		"port " + strconv.Itoa(port),
		"bind 127.0.0.1",
		"protected-mode yes",
		"unixsocket " + access.Endpoint.Address,
		"unixsocketperm 700",
		"dir " + dir,
		"logfile " + nodeFile(dir, i, ".log"),
		"daemonize no",
		"set-proc-title no",
		"maxclients 128",
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d %d", m, primaryPort, sentinelQuorum),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", m, sentinelDownAfterMs),
		fmt.Sprintf("sentinel failover-timeout %s %d", m, sentinelFailoverTimeout),
		fmt.Sprintf("sentinel parallel-syncs %s 1", m),
		fmt.Sprintf("sentinel auth-user %s %s", m, a.Sentinel.User),
		fmt.Sprintf("sentinel auth-pass %s %s", m, a.Sentinel.Password),
		"sentinel sentinel-user " + a.Sentinel.User,
		"sentinel sentinel-pass " + a.Sentinel.Password,
		"sentinel deny-scripts-reconfig yes",
		"sentinel resolve-hostnames no",
		"sentinel announce-hostnames no",
		sandbox.RedisNodeUserLines(sandbox.KindRedisSentinel, sandbox.RoleSentinel, a),
	}, "\n")
	path := nodeFile(dir, i, ".conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	if err := b.fence.Own(path); err != nil {
		return nil, err
	}
	return d.launchNode(ctx, b, i, []string{path, "--sentinel"}, "", access)
}
