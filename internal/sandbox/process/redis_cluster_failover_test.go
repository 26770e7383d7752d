package process_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/redisready"
)

// A redis-cluster is ready only once every node knows which replica
// belongs to which master: a CLUSTER FAILOVER sent to node-4 as soon as
// the sandbox starts wins the other masters' votes and promotes it.
func TestRedisClusterFailoverAtOnce(t *testing.T) {
	d := mustDriver(t, process.Options{})
	s := spec(sandbox.KindRedisCluster)
	inst := mustStart(t, d, s)
	defer d.Stop(context.Background(), s.ID)
	n4 := dialRedis(t, node(t, inst, "node-4").Redis.Endpoint, inst.Redis.Learner)
	if v := n4.do("CLUSTER", "FAILOVER"); v.Kind == resp.Error {
		t.Fatalf("CLUSTER FAILOVER on node-4: %s", v.Str)
	}
	eventually(t, 8*time.Second, "node-4 promoted", func() error {
		info, err := adminInfo(node(t, inst, "node-4"), inst.Redis.Admin)
		if err != nil {
			return err
		}
		if role := redisready.InfoField(info, "role"); role != "master" {
			return errors.New("role " + role)
		}
		return nil
	})
}
