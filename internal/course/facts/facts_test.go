package facts_test

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/content"
	"github.com/opslab/opslab/internal/course/facts"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/testkit"
)

// Floors on what the checker verifies in the built-in course, so that a
// broken extractor cannot make the test pass by finding nothing. They sit
// well below today's counts (logged by the test) to leave lessons room to
// change.
var floors = map[string]int{
	"redis-setting": 250,
	"redis-default": 75,
	"kafka-setting": 300,
	"kafka-default": 65,
	"redis-info":    150,
	"kafka-upper":   15,
	"exception":     15,
	"camel-name":    60,
	"kafka-metric":  15,
}

// TestLessonFacts checks every fact of the built-in course against a real
// redis-server and the config definitions and jars of Apache Kafka 4.1.
func TestLessonFacts(t *testing.T) {
	a := authority(t)
	all, err := facts.ExtractFS(content.FS)
	if err != nil {
		t.Fatal(err)
	}
	findings, counts := facts.Check(all, a)
	t.Logf("facts extracted: %d; checked: %v", len(all), counts)
	for _, f := range findings {
		t.Errorf("%s\n\tline: %s", f, strings.TrimSpace(f.Text))
	}
	for kind, floor := range floors {
		if counts[kind] < floor {
			t.Errorf("only %d facts of kind %s checked, want at least %d: is the extractor broken?", counts[kind], kind, floor)
		}
	}
}

// TestWrongClaimIsReported changes one claim of a real lesson to a wrong
// one (a stated Redis or Kafka default, a setting's name, an INFO field, an
// error code) and expects exactly that claim to be reported, proving the
// lesson check fails on a wrong lesson. Each case edits the first lesson
// that holds its text.
func TestWrongClaimIsReported(t *testing.T) {
	a := authority(t)
	cases := []struct {
		what, old, new, name string
	}{
		{"redis default in a table", "| `maxmemory-samples` | `5` |", "| `maxmemory-samples` | `7` |", "maxmemory-samples"},
		{"redis default in prose", "`auto-aof-rewrite-min-size` (default `64mb`)", "`auto-aof-rewrite-min-size` (default `32mb`)", "auto-aof-rewrite-min-size"},
		{"kafka default in a table", "| `log.segment.bytes` | `1073741824` |", "| `log.segment.bytes` | `536870912` |", "log.segment.bytes"},
		{"kafka client default", "| `session.timeout.ms` | `45000` |", "| `session.timeout.ms` | `30000` |", "session.timeout.ms"},
		{"redis setting name", "| `maxmemory-samples` | `5` |", "| `maxmemory-sample` | `5` |", "maxmemory-sample"},
		{"redis setting name in prose", "`maxmemory-policy`", "`maxmemory-polcy`", "maxmemory-polcy"},
		{"kafka setting name", "| `log.segment.bytes` | `1073741824` |", "| `log.segment.byte` | `1073741824` |", "log.segment.byte"},
		{"redis INFO field", "`mem_fragmentation_ratio`", "`mem_fragmentation_rate`", "mem_fragmentation_rate"},
		{"kafka error code", "`NOT_ENOUGH_REPLICAS`", "`NOT_ENOUGH_REPLICA`", "NOT_ENOUGH_REPLICA"},
		{"kafka exception", "`RecordTooLargeException`", "`RecordTooBigException`", "RecordTooBigException"},
	}
	lessons, err := fs.Glob(content.FS, "*/[0-9]*.md")
	if err != nil || len(lessons) == 0 {
		t.Fatalf("no lessons in content.FS: %v", err)
	}
	for _, c := range cases {
		t.Run(c.what, func(t *testing.T) {
			var file, src string
			for _, p := range lessons {
				b, err := fs.ReadFile(content.FS, p)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(b), c.old) {
					file, src = p, string(b)
					break
				}
			}
			if file == "" {
				t.Fatalf("no lesson contains %q any more: pick another claim for this case", c.old)
			}
			before, _ := facts.Check(facts.Extract(file, src), a)
			mutated := strings.Replace(src, c.old, c.new, 1)
			after, _ := facts.Check(facts.Extract(file, mutated), a)
			var added []facts.Finding
			for _, f := range after {
				if !containsFinding(before, f) {
					added = append(added, f)
				}
			}
			if len(added) != 1 || added[0].Name != c.name || !strings.Contains(added[0].Text, c.new) {
				t.Fatalf("after changing %q to %q in %s, new findings are %v; want exactly one, for %s", c.old, c.new, file, added, c.name)
			}
			t.Logf("reported: %s", added[0])
		})
	}
}

func containsFinding(list []facts.Finding, f facts.Finding) bool {
	for _, g := range list {
		if g.Line == f.Line && g.Name == f.Name && g.Problem == f.Problem {
			return true
		}
	}
	return false
}

// kafkaCache holds what was read from Kafka (no processes stay running),
// so that each test does not run the JVMs again.
var kafkaCache struct {
	config map[string][]facts.KafkaDef
	jars   *facts.KafkaJars
}

// authority starts the real Redis servers for the test (stopped at its
// end), reads Kafka once per test binary, and reads the known names.
func authority(t *testing.T) *facts.Authority {
	t.Helper()
	testkit.Slow(t, "Apache Kafka's JVM tools and real Redis servers")
	redisServer := require(t, func() (string, error) { return exec.LookPath("redis-server") }, "redis-server is not installed (`make test` installs it)")
	home := require(t, func() (string, error) {
		if h := process.FindKafkaHome(); h != "" {
			return h, nil
		}
		return "", fmt.Errorf("no .cache/kafka-<version> and no KAFKA_HOME")
	}, "Apache Kafka's jars are missing: run `make kafka-jars` (`make test` does)")
	require(t, func() (string, error) { return exec.LookPath("java") }, "java is not installed (`make kafka-jars` installs it)")

	a := &facts.Authority{RedisNotCompared: map[string]bool{"port": true, "unixsocket": true, "dir": true}}
	dir := t.TempDir()
	// A: a server with every default (only the listener differs).
	sockA := startRedis(t, redisServer, dir, "a", "--port", "0")
	// Redis lowers maxclients below its default when the open-files limit
	// is too small, and says so in its log: then the value is not the
	// default and is not compared.
	if log, err := os.ReadFile(filepath.Join(dir, "a", "redis.log")); err == nil && strings.Contains(string(log), "maxclients") {
		t.Logf("redis-server lowered maxclients (open-files limit); its stated default is not compared")
		a.RedisNotCompared["maxclients"] = true
	}
	var err error
	if a.RedisConfig, err = facts.RedisConfig("unix", sockA); err != nil {
		t.Fatal(err)
	}
	if a.RedisMemoryStats, err = facts.RedisMemoryStats("unix", sockA); err != nil {
		t.Fatal(err)
	}
	// B: a primary with AOF on; C: its replica; D: a cluster node. Their
	// INFO shows the fields that only appear in those roles.
	portB, portD := freePort(t), freePort(t)
	sockB := startRedis(t, redisServer, dir, "b", "--port", strconv.Itoa(portB), "--appendonly", "yes")
	sockC := startRedis(t, redisServer, dir, "c", "--port", "0", "--replicaof", "127.0.0.1", strconv.Itoa(portB))
	sockD := startRedis(t, redisServer, dir, "d", "--port", strconv.Itoa(portD), "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "d-nodes.conf"))
	waitReplicaUp(t, sockC)
	a.RedisInfo = map[string]bool{}
	for _, q := range []struct {
		sock string
		cmd  []string
	}{{sockA, []string{"INFO", "everything"}}, {sockB, []string{"INFO", "everything"}}, {sockC, []string{"INFO", "everything"}}, {sockD, []string{"INFO", "everything"}}, {sockD, []string{"CLUSTER", "INFO"}}} {
		fields, err := facts.RedisInfoFields("unix", q.sock, q.cmd...)
		if err != nil {
			t.Fatal(err)
		}
		for f := range fields {
			a.RedisInfo[f] = true
		}
	}

	if kafkaCache.jars == nil {
		config, err := facts.KafkaConfigDefs(context.Background(), home)
		if err != nil {
			t.Fatal(err)
		}
		jars, err := facts.ReadKafkaJars(home)
		if err != nil {
			t.Fatal(err)
		}
		kafkaCache.config, kafkaCache.jars = config, jars
	}
	a.KafkaConfig, a.Kafka = kafkaCache.config, kafkaCache.jars
	f, err := os.Open("known_names.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if a.Known, err = facts.ReadKnown(f); err != nil {
		t.Fatal(err)
	}
	return a
}

// require returns what look finds; without it the test fails under CI
// (where `make test` provides it) and is skipped elsewhere.
func require(t *testing.T, look func() (string, error), why string) string {
	t.Helper()
	v, err := look()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v", why, err)
		}
		t.Skipf("%s: %v", why, err)
	}
	return v
}

// startRedis starts redis-server in dir with the given arguments and a
// unix socket, waits until it answers, and stops it at the end of the
// test.
func startRedis(t *testing.T, bin, dir, name string, args ...string) string {
	t.Helper()
	sock := filepath.Join(dir, name+".sock")
	work := filepath.Join(dir, name)
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--unixsocket", sock}, args...)...)
	cmd.Dir = work
	logFile, err := os.Create(filepath.Join(work, "redis.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server %s: %v", name, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := facts.RedisInfoFields("unix", sock, "INFO", "server"); err == nil {
			return sock
		} else if time.Now().After(deadline) {
			t.Fatalf("redis-server %s does not answer: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReplicaUp waits (a few seconds at most) until the replica has synced,
// so its INFO shows the fields of a live link.
func waitReplicaUp(t *testing.T, sock string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		fields, err := facts.RedisInfoFields("unix", sock, "INFO", "replication")
		if err == nil && fields["master_last_io_seconds_ago"] {
			if link, _ := redisInfoValue(sock, "master_link_status"); link == "up" {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the replica did not sync with its primary within 10s")
}

func redisInfoValue(sock, field string) (string, error) {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("INFO replication\r\n"))
	buf := make([]byte, 8192)
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _ := conn.Read(buf)
	for _, line := range strings.Split(string(buf[:n]), "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s not in INFO replication", field)
}

func freePort(t *testing.T) int {
	t.Helper()
	return testkit.FreePort(t)
}
