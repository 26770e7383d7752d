package process

import (
	"context"
	"os"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
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

// launchSentinel writes node i's Sentinel config (0600, in the sandbox's
// directory: a Sentinel must be able to rewrite its config) and runs it.
func (d *Driver) launchSentinel(ctx context.Context, b *box, i, port, primaryPort int, a redisnode.Accounts, access sandbox.RedisAccess) (*child, error) {
	dir := b.fence.Dir()
	path := nodeFile(dir, i, ".conf")
	if err := os.WriteFile(path, []byte(sentinelConfig(dir, i, port, primaryPort, a, access)), 0o600); err != nil {
		return nil, err
	}
	if err := b.fence.Own(path); err != nil {
		return nil, err
	}
	return d.launchNode(ctx, b, i, []string{path, "--sentinel"}, "", access)
}

// sentinelConfig returns the config of Sentinel node i in dir, listening
// on port and access's socket, monitoring the primary at primaryPort, with
// the sandbox's accounts a.
func sentinelConfig(dir string, i, port, primaryPort int, a redisnode.Accounts, access sandbox.RedisAccess) string {
	return redisnode.SentinelConfig(redisnode.Sentinel{
		Port:        port,
		Socket:      access.Endpoint.Address,
		Dir:         dir,
		LogFile:     nodeFile(dir, i, ".log"),
		HostProcess: true,
		PrimaryPort: primaryPort,
		Accounts:    a,
	}).File() + redisnode.NodeUserLines(sandbox.KindRedisSentinel, sandbox.RoleSentinel, a)
}
