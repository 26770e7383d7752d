package container

import (
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
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
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
	hostPort := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)

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
			case ".", "..", "redis.conf", "redis.sock", "server.properties", "kafka.sock":
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
