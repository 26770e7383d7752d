package redisnode_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

// multiInst returns an instance of kind whose data nodes listen on ports
// 7001, 7002, ... and whose Sentinels on 26001, ...
func multiInst(kind sandbox.Kind) sandbox.Instance {
	inst := sandbox.Instance{Spec: sandbox.Spec{ID: "x", Kind: kind, Owner: 1, Lesson: opslab.LessonKey{Course: "course", Lesson: "l"}}}
	inst.Redis.Learner = sandbox.Credentials{User: "learner", Password: "pw"}
	for i, info := range kind.Nodes() {
		port := "700" + string(rune('1'+i))
		if info.Role == sandbox.RoleSentinel {
			port = "2600" + string(rune('1'+i))
		}
		inst.Nodes = append(inst.Nodes, sandbox.Node{Name: info.Name, Role: info.Role,
			Redis: sandbox.RedisAccess{TCP: sandbox.Endpoint{Network: "tcp", Address: "127.0.0.1:" + port}}})
	}
	return inst
}

func TestPrepareLearnerCommandNodes(t *testing.T) {
	replica := multiInst(sandbox.KindRedisReplica)
	sentinel := multiInst(sandbox.KindRedisSentinel)
	cluster := multiInst(sandbox.KindRedisCluster)
	single := sandbox.Instance{Spec: sandbox.Spec{ID: "x", Kind: sandbox.KindRedis, Owner: 1, Lesson: opslab.LessonKey{Course: "course", Lesson: "l"}}}
	node := func(inst sandbox.Instance, name string) sandbox.Node {
		n, ok := inst.Node(name)
		if !ok {
			t.Fatalf("no node %s", name)
		}
		return n
	}
	cases := []struct {
		inst  sandbox.Instance
		node  string
		line  string
		allow bool
	}{
		// Replication only between nodes of the same sandbox.
		{replica, "replica-1", "REPLICAOF NO ONE", true},
		{replica, "primary", "replicaof 127.0.0.1 7002", true},
		{replica, "primary", "SLAVEOF localhost 7002", true},
		{replica, "replica-1", "REPLICAOF 10.0.0.1 6379", false},
		{replica, "replica-1", "REPLICAOF 127.0.0.1 6379", false},
		{replica, "replica-1", "REPLICAOF example.com 7001", false},
		{replica, "replica-1", "REPLICAOF 127.0.0.1 7001x", false},
		{replica, "replica-1", "REPLICAOF 127.0.0.1", false},
		{sentinel, "replica-1", "REPLICAOF 127.0.0.1 26004", false}, // a Sentinel is no primary
		{replica, "primary", "FAILOVER", true},
		{replica, "primary", "FAILOVER TO 127.0.0.1 7002 TIMEOUT 100", true},
		{replica, "primary", "FAILOVER TO 192.168.1.1 7002", false},
		{replica, "primary", "FAILOVER TO 127.0.0.1", false},
		// Everything else as on one server.
		{replica, "primary", "DEBUG SLEEP 1", false},
		{replica, "primary", "CONFIG SET dir /tmp", false},
		{replica, "primary", "CONFIG SET masterauth x", false},
		{replica, "primary", "CONFIG SET min-replicas-to-write 1 maxmemory-policy allkeys-lru", true},
		{replica, "primary", "CONFIG SET min-replicas-to-write 1 dir /", false},
		{replica, "primary", "MIGRATE 127.0.0.1 7002 k 0 100", false},
		// Sentinels: reading and failing over, never reconfiguring.
		{sentinel, "sentinel-1", "SENTINEL GET-MASTER-ADDR-BY-NAME mymaster", true},
		{sentinel, "sentinel-1", "sentinel replicas mymaster", true},
		{sentinel, "sentinel-2", "SENTINEL FAILOVER mymaster", true},
		{sentinel, "sentinel-1", "SENTINEL SET mymaster notification-script /tmp/x.sh", false},
		{sentinel, "sentinel-1", "SENTINEL CONFIG SET resolve-hostnames yes", false},
		{sentinel, "sentinel-1", "SENTINEL MONITOR evil 10.0.0.1 6379 1", false},
		{sentinel, "sentinel-1", "SENTINEL DEBUG", false},
		{sentinel, "sentinel-1", "SHUTDOWN", false},
		{sentinel, "sentinel-1", "INFO sentinel", true},
		// Cluster: every subcommand, MEET and MIGRATE inside the sandbox.
		{cluster, "node-1", "CLUSTER INFO", true},
		{cluster, "node-1", "CLUSTER SETSLOT 1 STABLE", true},
		{cluster, "node-1", "CLUSTER MEET 127.0.0.1 7004", true},
		{cluster, "node-1", "CLUSTER MEET 127.0.0.1 7004 17004", false},
		{cluster, "node-1", "CLUSTER MEET 10.1.1.1 7004", false},
		{cluster, "node-1", "MIGRATE 127.0.0.1 7003 foo 0 1000", true},
		{cluster, "node-1", "MIGRATE 10.0.0.9 7003 foo 0 1000", false},
		{cluster, "node-1", "REPLICAOF NO ONE", false},
		// One server: unchanged.
		{single, "", "REPLICAOF NO ONE", false},
		{single, "", "FAILOVER", false},
		{single, "", "GET k", true},
	}
	for _, c := range cases {
		args := strings.Fields(c.line)
		n := sandbox.Node{}
		if c.node != "" {
			n = node(c.inst, c.node)
		}
		_, err := redisnode.PrepareLearnerCommand(c.inst, n, args)
		if c.allow && err != nil {
			t.Errorf("%s %s: %q refused: %v", c.inst.Spec.Kind, c.node, c.line, err)
		}
		if !c.allow && !errors.Is(err, sandbox.ErrDenied) {
			t.Errorf("%s %s: %q allowed (err %v)", c.inst.Spec.Kind, c.node, c.line, err)
		}
	}
	// A MIGRATE inside the cluster signs in as the learner on the target.
	got, err := redisnode.PrepareLearnerCommand(cluster, node(cluster, "node-1"), strings.Fields("MIGRATE 127.0.0.1 7003 \"\" 0 1000 KEYS a b"))
	want := strings.Fields("MIGRATE 127.0.0.1 7003 \"\" 0 1000 AUTH2 learner pw KEYS a b")
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("MIGRATE = %q, %v; want %q", got, err, want)
	}
}

func TestACLRulesForNodes(t *testing.T) {
	learner := redisnode.LearnerACLRulesFor(sandbox.KindRedisReplica, sandbox.RolePrimary)
	if !slices.Contains(learner, "+replicaof") {
		t.Errorf("redis-replica learner rules lack +replicaof: %v", learner)
	}
	for _, kind := range []sandbox.Kind{sandbox.KindRedisReplica, sandbox.KindRedisSentinel, sandbox.KindRedisCluster} {
		for _, n := range kind.Nodes() {
			client := strings.Join(redisnode.ClientACLRulesFor(kind, n.Role), " ")
			for _, bad := range []string{"+replicaof", "+failover", "+migrate", "+config|set"} {
				if strings.Contains(client, bad) {
					t.Errorf("%s %s client rules hold %s", kind, n.Name, bad)
				}
			}
		}
	}
	if !slices.Equal(redisnode.LearnerACLRulesFor(sandbox.KindRedis, sandbox.RolePrimary), redisnode.LearnerACLRules()) {
		t.Error("a single server's learner rules changed")
	}
	if got := strings.Join(redisnode.ClientACLRulesFor(sandbox.KindRedisCluster, sandbox.RolePrimary), " "); !strings.HasSuffix(got, "-cluster|meet") {
		t.Errorf("cluster client rules: %s", got)
	}
}
