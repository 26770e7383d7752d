package redisnode_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

// The files of testdata/ are what the process and container drivers
// rendered before they shared this renderer (captured at commit 816a780
// from their own redisArgs, dataNodeArgs, launchSentinel, redisConfig,
// dataNodeConfig and sentinelConfig): each case gives the renderer the
// inputs that driver has and wants the same bytes back.

// testAccounts are the accounts of every golden file: password "pw-<user>".
func testAccounts() redisnode.Accounts {
	c := func(u string) sandbox.Credentials { return sandbox.Credentials{User: u, Password: "pw-" + u} }
	return redisnode.Accounts{Admin: c("admin"), Learner: c("learner"), Client: c("client"),
		Replication: c("replication"), Sentinel: c("sentinel")}
}

// golden returns the content of testdata/name.
func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// argvText writes a command line one quoted argument a line, as the
// golden .argv files hold it.
func argvText(args []string) string {
	var b strings.Builder
	for _, a := range args {
		b.WriteString(strconv.Quote(a) + "\n")
	}
	return b.String()
}

// The process driver: one directory per sandbox, shared by a multi-node
// sandbox's nodes; redis-server's arguments after "-" (the accounts come
// on stdin); a Sentinel's config file.
const processDir = "/srv/opslab/sandboxes/redis-7-abc"

func processServer(port int, maxMemory int64) redisnode.Server {
	return redisnode.Server{Port: port, Bind: "127.0.0.1", Socket: processDir + "/redis.sock", Dir: processDir,
		LogFile: processDir + "/redis.log", MaxMemory: maxMemory, HostProcess: true}
}

func processArgv(c redisnode.Config) string { return argvText(append([]string{"-"}, c.Args()...)) }

// The container driver: the socket in the mounted directory, data in the
// container's tmpfs, the log on stdout; everything in config files.
func containerServer(port int, bind string, maxMemory int64) redisnode.Server {
	return redisnode.Server{Port: port, Bind: bind, Socket: "/run/opslab/redis.sock", Dir: "/sandbox/data", MaxMemory: maxMemory}
}

func TestRenderMatchesDrivers(t *testing.T) {
	a := testAccounts()
	single := sandbox.RedisAccess{Admin: a.Admin, Learner: a.Learner, Client: a.Client}
	const mem64, mem100, mem32 = 64 << 20, 100<<20 + 7, 32 << 20
	sentinelDir := "/srv/opslab/sandboxes/redis-sentinel-7-abc"
	cases := []struct {
		file string
		got  string
	}{
		{"process-single-port0.argv", processArgv(redisnode.ServerConfig(processServer(0, mem64)))},
		{"process-single-port.argv", processArgv(redisnode.ServerConfig(processServer(41234, mem100)))},
		{"process-replica-primary.argv", processArgv(redisnode.DataNodeConfig(redisnode.DataNode{
			Server: processServer(6379, mem64), Files: "n0"}))},
		{"process-replica-replica.argv", processArgv(redisnode.DataNodeConfig(redisnode.DataNode{
			Server: processServer(6380, mem64), Files: "n1", ReplicaOf: 6379}))},
		{"process-cluster-node.argv", processArgv(redisnode.DataNodeConfig(redisnode.DataNode{
			Server: processServer(6383, mem32), Files: "n4", Cluster: true}))},
		{"process-sentinel.conf", redisnode.SentinelConfig(redisnode.Sentinel{
			Port: 26382, Socket: sentinelDir + "/n3.sock", Dir: sentinelDir, LogFile: sentinelDir + "/n3.log",
			HostProcess: true, PrimaryPort: 6379, Accounts: a,
		}).File() + redisnode.NodeUserLines(sandbox.KindRedisSentinel, sandbox.RoleSentinel, a)},

		{"container-single.conf", redisnode.ServerConfig(containerServer(0, "", mem100)).File() + redisnode.UserLines(single)},
		{"container-replica-primary.conf", redisnode.DataNodeConfig(redisnode.DataNode{
			Server: containerServer(41000, "127.0.0.1", mem64), Announce: true,
		}).File() + redisnode.NodeUserLines(sandbox.KindRedisReplica, sandbox.RolePrimary, a)},
		{"container-replica-replica.conf", redisnode.DataNodeConfig(redisnode.DataNode{
			Server: containerServer(41001, "127.0.0.1", mem64), Announce: true, ReplicaOf: 41000,
		}).File() + redisnode.NodeUserLines(sandbox.KindRedisReplica, sandbox.RoleReplica, a)},
		{"container-sentinel-replica.conf", redisnode.DataNodeConfig(redisnode.DataNode{
			Server: containerServer(6380, "127.0.0.1", mem64), Announce: true, ReplicaOf: 6379,
		}).File() + redisnode.NodeUserLines(sandbox.KindRedisSentinel, sandbox.RoleReplica, a)},
		{"container-cluster-primary.conf", redisnode.DataNodeConfig(redisnode.DataNode{
			Server: containerServer(6379, "127.0.0.1", mem32), Announce: true, Cluster: true,
		}).File() + redisnode.NodeUserLines(sandbox.KindRedisCluster, sandbox.RolePrimary, a)},
		{"container-cluster-replica.conf", redisnode.DataNodeConfig(redisnode.DataNode{
			Server: containerServer(6384, "127.0.0.1", mem32), Announce: true, Cluster: true,
		}).File() + redisnode.NodeUserLines(sandbox.KindRedisCluster, sandbox.RoleReplica, a)},
		{"container-sentinel.conf", redisnode.SentinelConfig(redisnode.Sentinel{
			Port: 26380, Socket: "/run/opslab/redis.sock", Dir: "/sandbox/data", Announce: true, PrimaryPort: 6379, Accounts: a,
		}).File() + redisnode.NodeUserLines(sandbox.KindRedisSentinel, sandbox.RoleSentinel, a)},

		{"users-single.conf", redisnode.UserLines(single)},
	}
	for _, k := range []sandbox.Kind{sandbox.KindRedisReplica, sandbox.KindRedisSentinel, sandbox.KindRedisCluster} {
		for _, info := range k.Nodes() {
			cases = append(cases, struct{ file, got string }{
				"users-" + string(k) + "-" + info.Role + ".conf", redisnode.NodeUserLines(k, info.Role, a)})
		}
	}
	for _, tc := range cases {
		if want := golden(t, tc.file); tc.got != want {
			t.Errorf("%s differs from what the driver rendered:\n got:\n%s\nwant:\n%s", tc.file, tc.got, want)
		}
	}
}

// TestConfigFileAndArgs pins the two spellings of one directive list: an
// empty argument is "" in a file and an empty element on the command line,
// and an argument with spaces stays one element there.
func TestConfigFileAndArgs(t *testing.T) {
	c := redisnode.Config{
		{Name: "save", Args: []string{""}},
		{Name: "shutdown-on-sigterm", Args: []string{"nosave now"}},
		{Name: "replicaof", Args: []string{"127.0.0.1", "6379"}},
	}
	if got, want := c.File(), "save \"\"\nshutdown-on-sigterm nosave now\nreplicaof 127.0.0.1 6379\n"; got != want {
		t.Errorf("File() = %q, want %q", got, want)
	}
	got := c.Args()
	want := []string{"--save", "", "--shutdown-on-sigterm", "nosave now", "--replicaof", "127.0.0.1", "6379"}
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Errorf("Args() = %q, want %q", got, want)
	}
}
