// Command labbench measures the lab through the real binary and its JSON
// API: sandbox start latency (beside a bare redis-server start), check
// latency, memory per idle sandbox, and a load of simulated learners. It
// prints Markdown tables for docs/benchmarks.md.
//
//	go build -o bin/opslab ./cmd/opslab
//	go run ./bench/labbench -bin bin/opslab -starts 100 -learners 200 -duration 60s
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/opslab/opslab/bench/benchkit"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

const (
	course = "caching-messaging-infrastructure"
	lesson = "redis-data-structures-for-operators"
)

func main() {
	bin := flag.String("bin", "bin/opslab", "the opslab binary")
	content := flag.String("content", "", "content dir (default: the built-in course)")
	redisEx := flag.String("redis-exercise", course+"/"+lesson+"/leaderboard-listpack", "course/lesson/exercise of a redis exercise")
	kafkaLesson := flag.String("kafka-lesson", "", "course/lesson/exercise of a kafka exercise (default: from -content)")
	starts := flag.Int("starts", 100, "sandbox starts to time per kind")
	checks := flag.Int("checks", 200, "check runs to time")
	idle := flag.Int("idle", 100, "idle sandboxes per kind for the memory measurement")
	learners := flag.Int("learners", 200, "simulated learners for the load run")
	duration := flag.Duration("duration", 60*time.Second, "length of the load run")
	unfenced := flag.Bool("unfenced", false, "serve with --unfenced: sandboxes without the kernel's fence, the baseline of what the fence costs")
	flag.Parse()

	b := &bench{bin: *bin, content: *content, unfenced: *unfenced}
	running = b
	if err := b.startServer(); err != nil {
		fail(err)
	}
	defer b.stop()

	fence := "fenced (network namespace, cgroup, tmpfs, own user per sandbox)"
	if *unfenced {
		fence = "UNFENCED (--unfenced), the baseline"
	}
	fmt.Printf("Machine: %d cores, %s, %s; sandboxes %s\n\n", runtime.NumCPU(), memTotal(), runtime.Version(), fence)
	redisPath := exercisePath(*redisEx)
	kafkaPath := ""
	if *kafkaLesson != "" {
		kafkaPath = exercisePath(*kafkaLesson)
	}

	fmt.Println("## Sandbox start (API call to ready)")
	fmt.Println()
	fmt.Println("| what | n | p50 | p95 | max |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	bare := bareRedisStarts(*starts)
	row("bare `redis-server` start to PING (baseline)", bare)
	row("Redis sandbox: POST …/start (new learner each)", b.starts(redisPath, *starts))
	if kafkaPath != "" {
		row("Kafka sandbox: POST …/start (new learner each)", b.starts(kafkaPath, *starts))
	}
	fmt.Println()

	fmt.Println("## Check latency")
	fmt.Println()
	fmt.Println("| what | n | p50 | p95 | max |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	row(fmt.Sprintf("POST …/check, %s", path.Base(*redisEx)), b.checks(redisPath, *checks))
	fmt.Println()

	fmt.Println("## Memory per idle sandbox")
	fmt.Println()
	b.memory(redisPath, kafkaPath, *idle)
	fmt.Println()

	fmt.Printf("## %d learners, start + exec + check for %s\n\n", *learners, *duration)
	b.load(redisPath, *learners, *duration)
}

type bench struct {
	bin, content, url string
	unfenced          bool
	srv               *benchkit.Server
	cmd               *exec.Cmd
	users             int
}

func (b *bench) startServer() error {
	args := []string{"--sandbox-max-redis", "5000", "--sandbox-max-kafka", "5000", "--log-level", "error",
		"--signups-per-hour", "-1", "--sandbox-per-learner", "3"}
	if b.content != "" {
		args = append(args, "--content", b.content)
	}
	if b.unfenced {
		args = append(args, "--unfenced")
	}
	srv, err := benchkit.Serve(b.bin, args...)
	if err != nil {
		return err
	}
	b.srv, b.url, b.cmd = srv, srv.URL, srv.Cmd
	return nil
}

func (b *bench) stop() { b.srv.Stop() }

// learner is a signed-in API client.
type learner = benchkit.Learner

func (b *bench) newLearner() *learner {
	b.users++
	l, err := benchkit.NewLearner(b.url, &http.Client{Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 4}}, "l", b.users)
	if err != nil {
		fail(err)
	}
	return l
}

func (b *bench) starts(path string, n int) []time.Duration {
	var ds []time.Duration
	for i := 0; i < n; i++ {
		l := b.newLearner()
		t0 := time.Now()
		st, body := l.Post(path+"/start", "")
		d := time.Since(t0)
		if st != 200 {
			fail(fmt.Errorf("start: %d %s", st, body))
		}
		ds = append(ds, d)
		l.Post(path+"/stop", "")
	}
	return ds
}

func (b *bench) checks(path string, n int) []time.Duration {
	l := b.newLearner()
	if st, body := l.Post(path+"/start", ""); st != 200 {
		fail(fmt.Errorf("start: %d %s", st, body))
	}
	var ds []time.Duration
	for i := 0; i < n; i++ {
		t0 := time.Now()
		st, body := l.Post(path+"/check", "")
		if st != 200 {
			fail(fmt.Errorf("check: %d %s", st, body))
		}
		ds = append(ds, time.Since(t0))
	}
	l.Post(path+"/stop", "")
	return ds
}

// memory starts n idle sandboxes per kind and reports the proportional
// set size they add: the PSS of the redis-server and opslab-kfake child
// processes, plus the growth of the platform's own PSS.
func (b *bench) memory(redisPath, kafkaPath string, n int) {
	fmt.Println("| kind | sandboxes | PSS added | per sandbox |")
	fmt.Println("| --- | --- | --- | --- |")
	base := pss(b.cmd.Process.Pid)
	var ls []*learner
	for i := 0; i < n; i++ {
		l := b.newLearner()
		if st, body := l.Post(redisPath+"/start", ""); st != 200 {
			fail(fmt.Errorf("start: %d %s", st, body))
		}
		ls = append(ls, l)
	}
	time.Sleep(2 * time.Second)
	var redisPSS int64
	for _, pid := range childPIDs(b.cmd.Process.Pid, "redis-server") {
		redisPSS += pss(pid)
	}
	redisPSS += pss(b.cmd.Process.Pid) - base
	fmt.Printf("| redis | %d | %s | %s |\n", n, mib(redisPSS), mib(redisPSS/int64(n)))
	for _, l := range ls {
		l.Post(redisPath+"/stop", "")
	}
	if kafkaPath == "" {
		return
	}
	time.Sleep(time.Second)
	base = pss(b.cmd.Process.Pid)
	ls = nil
	for i := 0; i < n; i++ {
		l := b.newLearner()
		if st, body := l.Post(kafkaPath+"/start", ""); st != 200 {
			fail(fmt.Errorf("start: %d %s", st, body))
		}
		ls = append(ls, l)
	}
	time.Sleep(2 * time.Second)
	k := pss(b.cmd.Process.Pid) - base
	for _, pid := range childPIDs(b.cmd.Process.Pid, "opslab-kfake") {
		k += pss(pid)
	}
	fmt.Printf("| kafka (kfake, an opslab-kfake child each) | %d | %s | %s |\n", n, mib(k), mib(k/int64(n)))
	for _, l := range ls {
		l.Post(kafkaPath+"/stop", "")
	}
}

func (b *bench) load(path string, n int, d time.Duration) {
	var mu sync.Mutex
	var execs, starts, checks []time.Duration
	errs := map[string]int{}
	ls := make([]*learner, n)
	for i := range ls {
		ls[i] = b.newLearner()
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Add(1)
		go func(i int, l *learner) {
			defer wg.Done()
			timed := func(dst *[]time.Duration, p, body string) {
				t0 := time.Now()
				st, _ := l.Post(p, body)
				el := time.Since(t0)
				mu.Lock()
				defer mu.Unlock()
				if st != 200 {
					errs[fmt.Sprintf("%s %d", filepath.Base(p), st)]++
					return
				}
				*dst = append(*dst, el)
			}
			timed(&starts, path+"/start", "")
			for k := 0; ctx.Err() == nil; k++ {
				timed(&execs, path+"/exec", fmt.Sprintf(`{"command":"ZADD bench:%d %d m%d"}`, i, k, k))
				time.Sleep(500 * time.Millisecond)
				if k%5 == 4 {
					timed(&checks, path+"/check", "")
				}
			}
		}(i, l)
	}
	wg.Wait()
	fmt.Println("| call | n | p50 | p95 | p99 | max |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	for _, r := range []struct {
		name string
		ds   []time.Duration
	}{{"start", starts}, {"exec (with live checks)", execs}, {"check", checks}} {
		sortD(r.ds)
		fmt.Printf("| %s | %d | %s | %s | %s | %s |\n", r.name, len(r.ds), q(r.ds, .5), q(r.ds, .95), q(r.ds, .99), q(r.ds, 1))
	}
	fmt.Printf("\nErrors: %d %v\n", sum(errs), errs)
}

// bareRedisStarts times redis-server from exec to a PING answer over its
// unix socket, polled every millisecond as the process driver does: the
// baseline the sandbox start is compared with.
func bareRedisStarts(n int) []time.Duration {
	dir, _ := os.MkdirTemp("", "bare")
	defer os.RemoveAll(dir)
	var ds []time.Duration
	for i := 0; i < n; i++ {
		sock := filepath.Join(dir, "r.sock")
		t0 := time.Now()
		cmd := exec.Command("redis-server", "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
		if err := cmd.Start(); err != nil {
			fail(err)
		}
		for !pingUnix(sock) {
			time.Sleep(time.Millisecond)
		}
		ds = append(ds, time.Since(t0))
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.Remove(sock)
	}
	return ds
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// pss is a process's proportional set size in bytes.

// childPIDs lists the server's child processes whose name starts with
// comm: redis-server, or opslab-kfake for kfake sandboxes.
func childPIDs(parent int, comm string) []int { return benchkit.Processes(parent, comm, false) }

// running is stopped by fail, so that no server outlives the benchmark.
var running *bench

func fail(err error) {
	fmt.Fprintln(os.Stderr, "labbench:", err)
	if running != nil && running.cmd != nil && running.cmd.Process != nil {
		running.stop()
	}
	os.Exit(1)
}

// pingUnix reports whether a Redis server answers PING on the socket.
func pingUnix(sock string) bool {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 7)
	n, _ := io.ReadFull(c, buf)
	return string(buf[:n]) == "+PONG\r\n"
}

// exercisePath turns course/lesson/exercise into the exercise's API path.
func exercisePath(cle string) string {
	p := strings.Split(cle, "/")
	if len(p) != 3 {
		fail(fmt.Errorf("%q: want course/lesson/exercise", cle))
	}
	return fmt.Sprintf("/api/courses/%s/lessons/%s/exercises/%s", p[0], p[1], p[2])
}

// The helpers shared with bench/termbench.
var (
	row      = benchkit.Row
	q        = benchkit.Quantile
	sortD    = benchkit.Sort
	pss      = benchkit.PSS
	mib      = benchkit.MiB
	memTotal = benchkit.MemTotal
)
