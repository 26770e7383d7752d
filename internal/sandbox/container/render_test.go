package container

import (
	"os"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

// TestRedisConfigUnchanged checks that the driver's redis.conf and
// Sentinel config files are byte for byte what the driver rendered before
// it used redisnode's renderer (the golden files of redisnode's testdata,
// captured from this driver at 816a780). It needs no engine.
func TestRedisConfigUnchanged(t *testing.T) {
	c := func(u string) sandbox.Credentials { return sandbox.Credentials{User: u, Password: "pw-" + u} }
	a := redisnode.Accounts{Admin: c("admin"), Learner: c("learner"), Client: c("client"), Replication: c("replication"), Sentinel: c("sentinel")}
	inst := sandbox.Instance{Spec: sandbox.Spec{ID: "redis-7-abc", Kind: sandbox.KindRedis, Owner: 7, Lesson: lessonKey("x"), MaxMemoryBytes: 100<<20 + 7}}
	inst.Redis = sandbox.RedisAccess{Admin: a.Admin, Learner: a.Learner, Client: a.Client}
	rep := sandbox.Spec{ID: "redis-replica-7-abc", Kind: sandbox.KindRedisReplica, Owner: 7, Lesson: lessonKey("x")}
	sen := sandbox.Spec{ID: "redis-sentinel-7-abc", Kind: sandbox.KindRedisSentinel, Owner: 7, Lesson: lessonKey("x")}
	cl := sandbox.Spec{ID: "redis-cluster-7-abc", Kind: sandbox.KindRedisCluster, Owner: 7, Lesson: lessonKey("x"), MaxMemoryBytes: 32 << 20}
	for file, got := range map[string]string{
		"container-single.conf":           redisConfig(inst),
		"container-replica-primary.conf":  dataNodeConfig(rep, sandbox.RolePrimary, 41000, 41000, a),
		"container-replica-replica.conf":  dataNodeConfig(rep, sandbox.RoleReplica, 41001, 41000, a),
		"container-sentinel-replica.conf": dataNodeConfig(sen, sandbox.RoleReplica, 6380, 6379, a),
		"container-sentinel.conf":         sentinelConfig(26380, 6379, a),
		"container-cluster-primary.conf":  dataNodeConfig(cl, sandbox.RolePrimary, 6379, 0, a),
		"container-cluster-replica.conf":  dataNodeConfig(cl, sandbox.RoleReplica, 6384, 6379, a),
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
