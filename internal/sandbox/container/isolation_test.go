package container

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

// TestNetworkIsolation probes from inside sandbox containers that nothing
// there reaches the host's services, the outside world or another
// learner's sandbox, while the sandbox's own server stays reachable.
func TestNetworkIsolation(t *testing.T) {
	d := newDriver(t, shortDir(t))
	kafka := start(t, d, sandbox.KindKafka)
	redis := start(t, d, sandbox.KindRedis)

	// A service on the host, listening on every address.
	hostPort := hostService(t)

	// probe connects from inside the container id to addr with busybox nc
	// and reports whether a connection was made.
	probe := func(id, host, port string) (bool, string) {
		out, code := execIn(t, d, id, "sh", "-c", "echo | nc -w 2 "+host+" "+port+" && echo CONNECTED")
		return code == 0 && strings.Contains(out, "CONNECTED"), out
	}

	// The positive control: inside the Kafka container, its own broker
	// answers on the container's loopback, so the probe can succeed.
	kafkaPort := kafka.Kafka.Seeds[0][strings.LastIndex(kafka.Kafka.Seeds[0], ":")+1:]
	if ok, out := probe(kafka.Spec.ID, "127.0.0.1", kafkaPort); !ok {
		t.Fatalf("the probe cannot even reach the sandbox's own broker: %s", out)
	}

	targets := []struct{ what, host, port string }{
		{"the host's service on the container's loopback", "127.0.0.1", hostPort},
		{"the outside world", "1.1.1.1", "53"},
		{"another learner's Kafka broker (host relay port)", "127.0.0.1", kafkaPort},
	}
	for _, addr := range hostAddrs(t) {
		targets = append(targets, struct{ what, host, port string }{"the host's service at " + addr, addr, hostPort})
	}
	for _, tc := range targets {
		from := kafka.Spec.ID
		if strings.Contains(tc.what, "another learner") {
			from = redis.Spec.ID // the Redis sandbox must not reach the Kafka one
		}
		if ok, out := probe(from, tc.host, tc.port); ok {
			t.Errorf("from %s, %s (%s:%s) was reachable: %s", from, tc.what, tc.host, tc.port, out)
		}
	}

	// No interface but loopback, no route at all.
	for _, inst := range []sandbox.Instance{kafka, redis} {
		ifaces, _ := execIn(t, d, inst.Spec.ID, "ls", "/sys/class/net")
		if strings.TrimSpace(ifaces) != "lo" {
			t.Errorf("%s has network interfaces %q, want only lo", inst.Spec.ID, ifaces)
		}
		routes, _ := execIn(t, d, inst.Spec.ID, "cat", "/proc/net/route")
		if lines := strings.Split(strings.TrimSpace(routes), "\n"); len(lines) > 1 {
			t.Errorf("%s has routes:\n%s", inst.Spec.ID, routes)
		}
		// Its mounted directory holds its own files only.
		files, _ := execIn(t, d, inst.Spec.ID, "ls", "-a", mountPoint)
		for _, f := range strings.Fields(files) {
			switch f {
			case ".", "..", "redis.conf", "redis.sock", "server.properties", "kafka.sock", "meta.properties", "bootstrap.checkpoint":
			default:
				t.Errorf("%s sees %s in its mounted directory", inst.Spec.ID, f)
			}
		}
	}
}

// hostAddrs returns the host's non-loopback IPv4 addresses.
func hostAddrs(t *testing.T) []string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			out = append(out, ipn.IP.String())
		}
	}
	return out
}

// TestMultiNodeIsolation probes from inside the containers of multi-node
// sandboxes: a node reaches the other nodes of its own sandbox on the
// shared loopback (the positive control), and neither the host's services,
// the outside world nor another sandbox's nodes. The nodes' ports are
// their host relays' (LoopbackTCP), so they differ between sandboxes and
// a probe of the other sandbox's port is a real one.
func TestMultiNodeIsolation(t *testing.T) {
	d := newDriver(t, shortDir(t))
	d.opts.LoopbackTCP = true
	a := start(t, d, sandbox.KindRedisCluster)
	b := start(t, d, sandbox.KindRedisReplica)

	hostPort := hostService(t)
	probe := func(inst sandbox.Instance, node, host, port string) (bool, string) {
		out, _, err := d.ExecNode(context.Background(), inst.Spec.ID, node, []string{"sh", "-c", "echo | nc -w 2 " + host + " " + port + " && echo CONNECTED"})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(out, "CONNECTED"), out
	}
	port := func(inst sandbox.Instance, node string) string {
		n, _ := inst.Node(node)
		return n.Redis.TCP.Address[strings.LastIndex(n.Redis.TCP.Address, ":")+1:]
	}

	// Positive controls: node-2 (a joined container) reaches node-1 (the
	// first) and node-6; replica-1 reaches its primary.
	for _, c := range []struct {
		inst     sandbox.Instance
		from, to string
	}{{a, "node-2", "node-1"}, {a, "node-1", "node-6"}, {b, "replica-1", "primary"}} {
		if ok, out := probe(c.inst, c.from, "127.0.0.1", port(c.inst, c.to)); !ok {
			t.Fatalf("%s cannot reach %s of its own sandbox: %s", c.from, c.to, out)
		}
	}
	type target struct{ what, host, port string }
	targets := []target{
		{"the host's service on the loopback", "127.0.0.1", hostPort},
		{"the outside world", "1.1.1.1", "53"},
		{"the other sandbox's primary", "127.0.0.1", port(b, "primary")},
		{"the other sandbox's replica", "127.0.0.1", port(b, "replica-1")},
	}
	for _, addr := range hostAddrs(t) {
		targets = append(targets, target{"the host's service at " + addr, addr, hostPort})
	}
	for _, from := range []string{"node-1", "node-4"} {
		for _, tc := range targets {
			if ok, out := probe(a, from, tc.host, tc.port); ok {
				t.Errorf("from %s, %s (%s:%s) was reachable: %s", from, tc.what, tc.host, tc.port, out)
			}
		}
	}
	for _, to := range []string{"node-1", "node-3"} {
		if ok, out := probe(b, "replica-1", "127.0.0.1", port(a, to)); ok {
			t.Errorf("from the other sandbox's replica-1, %s was reachable: %s", to, out)
		}
	}

	// Only lo, no route, its own files, in a joined container as in the first.
	for _, n := range []string{"node-1", "node-5"} {
		ifaces, _, _ := d.ExecNode(context.Background(), a.Spec.ID, n, []string{"ls", "/sys/class/net"})
		if strings.TrimSpace(ifaces) != "lo" {
			t.Errorf("%s has network interfaces %q, want only lo", n, ifaces)
		}
		routes, _, _ := d.ExecNode(context.Background(), a.Spec.ID, n, []string{"cat", "/proc/net/route"})
		if lines := strings.Split(strings.TrimSpace(routes), "\n"); len(lines) > 1 {
			t.Errorf("%s has routes:\n%s", n, routes)
		}
		files, _, _ := d.ExecNode(context.Background(), a.Spec.ID, n, []string{"ls", "-a", mountPoint})
		for _, f := range strings.Fields(files) {
			switch f {
			case ".", "..", "redis.conf", "redis.sock":
			default:
				t.Errorf("%s sees %s in its mounted directory", n, f)
			}
		}
	}
}

// hostService runs a TCP service on the host, listening on every address,
// until the test ends, and returns its port.
func hostService(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("host service\n"))
			c.Close()
		}
	}()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
