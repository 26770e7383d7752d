package container

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/pgnode"
	"github.com/opslab/opslab/internal/sandbox/workstation"
	"github.com/opslab/opslab/internal/testkit"
)

// learnerRedis signs in to the Redis server at access as the learner and
// runs args, failing the test on an error or an error reply.
func learnerRedis(t *testing.T, access sandbox.RedisAccess, args ...string) resp.Value {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := resp.Dial(ctx, access.Endpoint.Network, access.Endpoint.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(ctx, access.Learner.User, access.Learner.Password); err != nil {
		t.Fatalf("AUTH as the learner: %v", err)
	}
	v, err := c.Do(ctx, args...)
	if err != nil || v.Kind == resp.Error {
		t.Fatalf("%s as the learner: %v %v", strings.Join(args, " "), v, err)
	}
	return v
}

// checkStackInstance checks that inst lists db, redis and broker, each
// with its own server's access, which Instance.Postgres, Redis and Kafka
// repeat.
func checkStackInstance(t *testing.T, inst sandbox.Instance) {
	t.Helper()
	var names []string
	for _, n := range inst.Nodes {
		names = append(names, n.Name)
	}
	if !slices.Equal(names, []string{"db", "redis", "broker"}) {
		t.Fatalf("nodes %v, want db, redis, broker", names)
	}
	db, cache, broker := inst.Nodes[0], inst.Nodes[1], inst.Nodes[2]
	if db.Postgres != inst.Postgres || inst.Postgres.Learner.User == "" || !db.Redis.Endpoint.IsZero() || len(db.Kafka.Seeds) != 0 {
		t.Errorf("db %+v, Instance.Postgres %+v", db, inst.Postgres)
	}
	if cache.Redis != inst.Redis || inst.Redis.Learner.User == "" || !cache.Postgres.Endpoint.IsZero() {
		t.Errorf("redis %+v, Instance.Redis %+v", cache, inst.Redis)
	}
	if !slices.Equal(broker.Kafka.Seeds, inst.Kafka.Seeds) || len(inst.Kafka.Seeds) != 1 || !strings.HasPrefix(inst.Kafka.Seeds[0], "127.0.0.1:") {
		t.Errorf("broker %+v, Instance.Kafka %+v", broker, inst.Kafka)
	}
}

// useStack uses each server of the stack inst for real: the learner's
// role makes a table in appdb and reads it, the learner's Redis account
// sets and gets a key, a record goes through the broker's topic.
func useStack(t *testing.T, inst sandbox.Instance, round string) {
	t.Helper()
	ctx := context.Background()
	c := learnerConn(t, inst)
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO orders VALUES ($1)`, round); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.QueryRow(ctx, `SELECT count(*) FROM orders WHERE id = $1`, round).Scan(&n); err != nil || n != 1 {
		t.Fatalf("appdb as the learner: %d rows, %v", n, err)
	}
	learnerRedis(t, inst.Redis, "SET", "order:"+round, "cached")
	if v := learnerRedis(t, inst.Redis, "GET", "order:"+round); v.Str != "cached" {
		t.Fatalf("GET as the learner = %+v", v)
	}
	topic := "orders-" + round
	if _, err := admin(t, inst.Kafka.Seeds).CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	produce(t, inst.Kafka.Seeds, topic, "order "+round)
	if got := consume(t, inst.Kafka.Seeds, topic); got != "order "+round {
		t.Fatalf("consumed %q from the broker", got)
	}
}

// netns returns the network namespace of the container id's process 1,
// as the host sees it.
func netns(t *testing.T, d *Driver, id string) string {
	t.Helper()
	res, err := d.cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil || res.Container.State == nil || res.Container.State.Pid == 0 {
		t.Fatalf("inspect %s: %v", id, err)
	}
	ns, err := os.Readlink("/proc/" + strconv.Itoa(res.Container.State.Pid) + "/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// TestStackContainers: a stack sandbox is three containers (PostgreSQL
// "db", Redis "redis", a real Kafka broker "broker") in one network
// namespace with no route out, each server usable as its single kind's;
// a second driver adopts it after a restart; killing one container makes
// it dead; Stop leaves nothing.
func TestStackContainers(t *testing.T) {
	d := postgresDriver(t)
	dir := filepath.Dir(d.root)
	if c := d.Capabilities(sandbox.KindStack); !c.Runs || !c.Adopts || !c.RealKafka || !c.Shell || c.ControlsNodes {
		t.Fatalf("stack capabilities %+v", c)
	}
	begin := time.Now()
	inst := start(t, d, sandbox.KindStack)
	t.Logf("stack ready in %v", time.Since(begin).Round(time.Millisecond))
	checkStackInstance(t, inst)
	useStack(t, inst, "first")
	ctx := context.Background()

	// Three containers, labelled, each of its own image and limits; the
	// two others joined to the db's network namespace.
	ctrs := nodeContainers(t, d, inst.Spec.ID)
	images := map[string]string{"db": d.opts.PostgresImage, "redis": d.opts.RedisImage, "broker": d.opts.KafkaImage}
	ids := map[string]string{}
	for i, name := range sandbox.KindStack.NodeNames() {
		if l := ctrs[name]; l == nil || l[LabelKind] != string(sandbox.KindStack) || l[LabelScope] != d.opts.Scope || l[LabelLearner] != "7" {
			t.Fatalf("node %s's container labels = %v", name, l)
		}
		res, err := d.cli.ContainerInspect(ctx, nodeContainerName(inst.Spec.ID, i, name), client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c := res.Container
		ids[name] = c.ID
		if c.Config.Image != images[name] || c.HostConfig.Memory == 0 || c.HostConfig.PidsLimit == nil || *c.HostConfig.PidsLimit == 0 || !c.HostConfig.ReadonlyRootfs {
			t.Errorf("node %s: image %s (want %s), memory %d, pids %v, read-only root %v", name, c.Config.Image, images[name], c.HostConfig.Memory, c.HostConfig.PidsLimit, c.HostConfig.ReadonlyRootfs)
		}
		want := "container:" + ids["db"]
		if i == 0 {
			want = "none"
		}
		if got := string(c.HostConfig.NetworkMode); got != want {
			t.Errorf("node %s's network mode %q, want %q", name, got, want)
		}
	}
	if a, b, c := netns(t, d, ids["db"]), netns(t, d, ids["redis"]), netns(t, d, ids["broker"]); a != b || b != c {
		t.Errorf("network namespaces: db %s, redis %s, broker %s", a, b, c)
	}

	// Inside: only lo and no route, in each container; from the cache's
	// container the broker answers on the shared loopback (the positive
	// control), and nothing of the host or the world does.
	for _, n := range []string{"db", "redis", "broker"} {
		ifaces, _, _ := d.ExecNode(ctx, inst.Spec.ID, n, []string{"ls", "/sys/class/net"})
		if strings.TrimSpace(ifaces) != "lo" {
			t.Errorf("%s has network interfaces %q, want only lo", n, ifaces)
		}
		routes, _, _ := d.ExecNode(ctx, inst.Spec.ID, n, []string{"cat", "/proc/net/route"})
		if lines := strings.Split(strings.TrimSpace(routes), "\n"); len(lines) > 1 {
			t.Errorf("%s has routes:\n%s", n, routes)
		}
	}
	// Each node's mounted folder holds its own files only: no container
	// sees another server's socket, config or secrets.
	own := map[string][]string{
		"db":     {".s.PGSQL.5432", ".s.PGSQL.5432.lock"},
		"redis":  {"redis.conf", "redis.sock"},
		"broker": {"server.properties", "kafka.sock", "meta.properties", "bootstrap.checkpoint"},
	}
	for n, names := range own {
		files, _, _ := d.ExecNode(ctx, inst.Spec.ID, n, []string{"ls", "-a", mountPoint})
		for _, f := range strings.Fields(files) {
			if f != "." && f != ".." && !slices.Contains(names, f) {
				t.Errorf("%s sees %s in its mounted folder", n, f)
			}
		}
	}
	probe := func(node, host, port string) (bool, string) {
		out, _, err := d.ExecNode(ctx, inst.Spec.ID, node, []string{"sh", "-c", "echo | nc -w 2 " + host + " " + port + " && echo CONNECTED"})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(out, "CONNECTED"), out
	}
	if ok, out := probe("redis", "127.0.0.1", portOf(inst.Kafka.Seeds[0])); !ok {
		t.Fatalf("the cache's container cannot reach its sandbox's broker: %s", out)
	}
	hostPort := hostService(t)
	targets := [][2]string{{"127.0.0.1", hostPort}, {"1.1.1.1", "53"}}
	for _, addr := range hostAddrs(t) {
		targets = append(targets, [2]string{addr, hostPort})
	}
	for _, tc := range targets {
		if ok, out := probe("redis", tc[0], tc[1]); ok {
			t.Errorf("from the stack, %s:%s was reachable: %s", tc[0], tc[1], out)
		}
	}

	// Its nodes cannot be stopped one by one.
	if err := d.StopNode(ctx, inst.Spec.ID, "broker"); !errors.Is(err, sandbox.ErrUnsupported) {
		t.Errorf("StopNode(broker) = %v, want ErrUnsupported", err)
	}
	if ls, err := d.List(ctx); err != nil || !slices.Contains(ls, inst.Spec.ID) {
		t.Errorf("List = %v, %v; want it to hold %s", ls, err, inst.Spec.ID)
	}

	// Restart: the first driver closes (relays down, containers up), a
	// second one on the same folder adopts the stack.
	d.Close()
	d2 := newDriver(t, dir)
	d2.opts.PostgresImage = d.opts.PostgresImage
	adopted, err := d2.Adopt(ctx, sandbox.Record{ID: inst.Spec.ID, Kind: inst.Spec.Kind, Owner: 7, Lesson: lessonKey("test/lesson")})
	if err != nil {
		t.Fatal(err)
	}
	checkStackInstance(t, adopted)
	if adopted.Postgres != inst.Postgres || adopted.Redis != inst.Redis || !slices.Equal(adopted.Kafka.Seeds, inst.Kafka.Seeds) {
		t.Errorf("adopted accesses differ:\n%+v\n%+v", adopted, inst)
	}
	if !d2.Alive(ctx, inst.Spec.ID) {
		t.Fatal("the adopted stack is not Alive")
	}
	useStack(t, adopted, "second")
	if got := consume(t, adopted.Kafka.Seeds, "orders-first"); got != "order first" {
		t.Errorf("after Adopt the first round's record reads %q", got)
	}

	// The cache's container dies: the whole stack is dead, though its
	// database and broker still run.
	if _, err := d2.cli.ContainerKill(ctx, ids["redis"], client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for d2.Alive(ctx, inst.Spec.ID) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if d2.Alive(ctx, inst.Spec.ID) {
		t.Error("Alive with the cache's container killed")
	}
	checkGone(t, d2, inst)
	if mounts, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mounts), inst.Dir) {
		t.Error("a mount of the sandbox's folder outlived Stop")
	}
}

// TestStackFailedStart: a stack whose broker's container cannot be made
// (no such image) fails, and leaves no container, mount, relay or file:
// its database's container, made first, and the mounted folders go too.
func TestStackFailedStart(t *testing.T) {
	d := postgresDriver(t)
	d.opts.KafkaImage = "localhost/opslab-no-such-image:0"
	s := spec(sandbox.KindStack)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	_, err := d.Start(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "node broker") {
		t.Fatalf("start = %v, want the broker's container to fail", err)
	}
	t.Logf("start: %v", err)
	if _, err := os.Stat(d.dir(s.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the folder after a failed start: %v", err)
	}
	if mounts, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mounts), d.dir(s.ID)) {
		t.Error("a mount of the sandbox's folder outlived the failed start")
	}
	if left := containersOf(t, d.cli, d.opts.Scope); len(left) != 0 {
		t.Errorf("%d containers left", len(left))
	}
	d.mu.Lock()
	n := len(d.running)
	d.mu.Unlock()
	if n != 0 {
		t.Errorf("%d sandboxes still counted as running", n)
	}
}

// TestContainerWorkstationStack: beside a stack the workstation reaches
// each server at its node's name with the real tools (psql signed in by
// ~/.pgpass and libpq's environment, redis-cli, also without -h, the
// Kafka scripts), and
// the broker's log directory is there, read-only, for kafka-dump-log.sh.
func TestContainerWorkstationStack(t *testing.T) {
	d := postgresDriver(t)
	testkit.RequireEnv(t, "make engine builds the workstation image; make build the binary",
		"OPSLAB_WORKSTATION_IMAGE", "OPSLAB_WORKSTATION_BINARY")
	d.opts.WorkstationImage = os.Getenv("OPSLAB_WORKSTATION_IMAGE")
	d.opts.WorkstationBinary = os.Getenv("OPSLAB_WORKSTATION_BINARY")
	inst := start(t, d, sandbox.KindStack)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := d.RunShell(ctx, inst, `psql -X -At -c 'select 1'
psql -X -At -c 'SELECT current_user, current_database()'
redis-cli -h redis ping
redis-cli ping
kafka-topics.sh --bootstrap-server broker:9092 --create --topic payments --partitions 1 >/dev/null 2>&1; echo "create=$?"
echo 'p-1:paid' | kcat -b broker:9092 -t payments -K: -P; echo "produce=$?"
kafka-topics.sh --bootstrap-server broker:9092 --list | grep -x payments
kafka-dump-log.sh --files `+workstation.KafkaLogDir+`/payments-0/00000000000000000000.log --print-data-log 2>&1 | grep -c 'payload: paid'
touch `+workstation.KafkaLogDir+`/payments-0/x 2>/dev/null && echo wrote || echo refused`)
	if err != nil {
		t.Fatal(err)
	}
	want := "1\n" + pgnode.Learner + "|appdb\nPONG\nPONG\ncreate=0\nproduce=0\npayments\n1\nrefused\n"
	if res.Stdout != want {
		t.Fatalf("the workstation printed\n%s(stderr %q), want\n%s", res.Stdout, res.Stderr, want)
	}
}
