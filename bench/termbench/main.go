// Command termbench measures the learner's terminal through the real
// binary (opslab serve, process driver, fenced as `make run` serves) and
// real WebSockets on loopback: how long from the WebSocket request to the
// first prompt (sandbox running, and cold), the echo of one keystroke, the
// memory an idle workstation costs, and many terminals opened at once. A
// baseline in the same run: a plain `bash -i` on a PTY behind the same
// terminal package and WebSocket protocol, without the workstation or the
// platform. It prints Markdown tables for docs/benchmarks.md.
//
//	make build
//	go run ./bench/termbench -bin bin/opslab -runs 60 -keys 200 -idle 10 -many 100
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"github.com/opslab/opslab/bench/benchkit"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/opslab/opslab/internal/terminal"
)

func main() {
	bin := flag.String("bin", "bin/opslab", "the opslab binary (bin/opslab-workstation beside it)")
	ex := flag.String("exercise", "caching-messaging-infrastructure/redis-data-structures-for-operators/leaderboard-listpack",
		"course/lesson/exercise of a Redis exercise")
	runs := flag.Int("runs", 60, "terminal opens to time, per case")
	keys := flag.Int("keys", 200, "keystrokes to time")
	idle := flag.Int("idle", 10, "idle workstations for the memory measurement")
	many := flag.Int("many", 100, "learners opening a terminal at once")
	driver := flag.String("sandbox", "process", "the sandbox driver: process, or container (ready and echo only: memory and many at once read the process driver's cgroups)")
	flag.Parse()

	p := strings.Split(*ex, "/")
	if len(p) != 3 {
		fail(fmt.Errorf("%q: want course/lesson/exercise", *ex))
	}
	expath := fmt.Sprintf("/api/courses/%s/lessons/%s/exercises/%s", p[0], p[1], p[2])

	base := newBaseline()
	defer base.close()
	b := &bench{bin: *bin, driver: *driver}
	running = b
	if err := b.startServer(*many); err != nil {
		fail(err)
	}
	defer b.stop()

	what := "process driver, fenced"
	if *driver == "container" {
		what = "container driver (Podman), the workstation a container of the sandbox"
	}
	fmt.Printf("Machine: %d cores, %s, %s; %s; exercise %s\n\n", runtime.NumCPU(), memTotal(), runtime.Version(), what, p[2])

	fmt.Println("## Terminal ready: WebSocket request to the first prompt")
	fmt.Println()
	fmt.Println("| what | n | p50 | p95 | max |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	var plain []time.Duration
	for i := 0; i < *runs; i++ {
		d, c := base.open(i)
		plain = append(plain, d)
		c.close()
	}
	row("baseline: `bash -i` on a PTY behind package terminal's WebSocket, no workstation, no platform", plain)
	warm, cold, again := b.opens(expath, *runs)
	row("workstation, sandbox already running (GET …/terminal)", warm)
	row("workstation, cold: sandbox not started (GET …/terminal starts it)", cold)
	row("a new shell after `exit`, in the sandbox's workstation", again)
	fmt.Println()

	fmt.Println("## Keystroke echo: one byte over the WebSocket until it comes back")
	fmt.Println()
	fmt.Println("| what | n | p50 | p95 | max |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	_, bc := base.open(-1)
	row("baseline: `bash -i` on a PTY, same protocol", echoes(bc, *keys))
	bc.close()
	row("workstation bash (readline in the learner's shell)", b.echo(expath, *keys))
	fmt.Println()
	if *driver != "process" {
		return
	}

	fmt.Println("## Memory per idle workstation")
	fmt.Println()
	b.memory(expath, *idle)
	fmt.Println()

	fmt.Printf("## %d learners open a terminal at once (sandboxes already running)\n\n", *many)
	b.many(expath, *many)
}

// prompt is how every shell here ends its prompt: the workstation's PS1 is
// '\u@\h:\w\$ ' (the learner is not root), the baseline's 'bench$ '.
var prompt = []byte("$ ")

// term is an open terminal WebSocket whose messages one goroutine reads
// (a Read cut short by its context closes a coder/websocket connection,
// so reads with a deadline go through the channel instead).
type term struct {
	c    *websocket.Conn
	msgs chan message
}

type message struct {
	typ websocket.MessageType
	p   []byte
	err error
}

func newTerm(c *websocket.Conn) *term {
	c.SetReadLimit(1 << 20)
	t := &term{c: c, msgs: make(chan message, 4096)}
	go func() {
		for {
			typ, p, err := c.Read(context.Background())
			t.msgs <- message{typ, p, err}
			if err != nil {
				return
			}
		}
	}()
	return t
}

func (t *term) write(ctx context.Context, s string) error {
	return t.c.Write(ctx, websocket.MessageBinary, []byte(s))
}

func (t *term) close() { t.c.CloseNow() }

// waitFor reads t's output until it holds want, and returns all of it.
func waitFor(ctx context.Context, t *term, want []byte) ([]byte, error) {
	var out []byte
	for !bytes.Contains(out, want) {
		var m message
		select {
		case m = <-t.msgs:
		case <-ctx.Done():
			return out, fmt.Errorf("read (got %q): %w", tail(out), ctx.Err())
		}
		if m.err != nil {
			return out, fmt.Errorf("read (got %q): %w", tail(out), m.err)
		}
		if m.typ == websocket.MessageText {
			if bytes.Contains(m.p, []byte(`"exit"`)) {
				return out, fmt.Errorf("shell ended: %s", m.p)
			}
			continue
		}
		out = append(out, m.p...)
	}
	return out, nil
}

func tail(b []byte) []byte {
	if len(b) > 200 {
		return b[len(b)-200:]
	}
	return b
}

// echoes types n single bytes into c, one at a time, and times each until
// it is echoed; every 40 it clears the line (Ctrl-U) so that the line
// never wraps.
func echoes(c *term, n int) []time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var ds []time.Duration
	for i := 0; i < n; i++ {
		if i%40 == 0 {
			if err := c.write(ctx, "\x15"); err != nil {
				fail(fmt.Errorf("ctrl-u: %w", err))
			}
			drain(c)
		}
		t0 := time.Now()
		if err := c.write(ctx, "x"); err != nil {
			fail(fmt.Errorf("keystroke: %w", err))
		}
		if _, err := waitFor(ctx, c, []byte("x")); err != nil {
			fail(fmt.Errorf("echo: %w", err))
		}
		ds = append(ds, time.Since(t0))
	}
	return ds
}

// drain reads whatever output comes within 50 ms.
func drain(t *term) {
	for {
		select {
		case m := <-t.msgs:
			if m.err != nil {
				fail(fmt.Errorf("drain: %w", m.err))
			}
		case <-time.After(50 * time.Millisecond):
			return
		}
	}
}

// baseline serves `bash -i` on a PTY through package terminal's Registry
// and WebSocket (terminal.Serve) on a loopback httptest server: the same
// pipeline as the platform's terminal, without the workstation (no
// namespaces, no fence, no forwards) and without the platform (no session,
// no sandbox lookup).
type baseline struct {
	srv *httptest.Server
	reg *terminal.Registry
}

func newBaseline() *baseline {
	b := &baseline{reg: terminal.NewRegistry(1000, terminal.Limits{})}
	home, _ := os.MkdirTemp("", "tb-home")
	st := terminal.Command(func(ctx context.Context) (*exec.Cmd, error) {
		cmd := exec.Command("/bin/bash", "--noprofile", "--norc", "-i")
		cmd.Dir = home
		cmd.Env = []string{"HOME=" + home, "TERM=xterm-256color", "LANG=C.UTF-8", "PATH=/usr/bin:/bin", "PS1=bench$ "}
		return cmd, nil
	})
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sh, err := b.reg.Open(r.Context(), r.URL.Query().Get("k"), st, terminal.DefaultSize)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		terminal.Serve(w, r, sh)
	}))
	return b
}

func (b *baseline) close() {
	b.reg.CloseAll()
	b.srv.Close()
}

// open opens a fresh shell (key i) and times the WebSocket request to its
// first prompt.
func (b *baseline) open(i int) (time.Duration, *term) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := "ws" + strings.TrimPrefix(b.srv.URL, "http") + "/?k=" + strconv.Itoa(i)
	t0 := time.Now()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		fail(fmt.Errorf("baseline dial: %w", err))
	}
	t := newTerm(c)
	if _, err := waitFor(ctx, t, prompt); err != nil {
		fail(fmt.Errorf("baseline prompt: %w", err))
	}
	d := time.Since(t0)
	if i >= 0 {
		b.reg.Close(strconv.Itoa(i))
	}
	return d, t
}

type bench struct {
	bin, url string
	driver   string // the sandbox driver: process or container
	srv      *benchkit.Server
	cmd      *exec.Cmd
	users    int
}

func (b *bench) startServer(many int) error {
	srv, err := benchkit.Serve(b.bin, "--sandbox", b.driver, "--sandbox-max-redis", strconv.Itoa(max(500, 2*many)),
		"--log-level", "error", "--signups-per-hour", "-1")
	if err != nil {
		return err
	}
	b.srv, b.url, b.cmd = srv, srv.URL, srv.Cmd
	return nil
}

func (b *bench) stop() { b.srv.Stop() }

// learner is a signed-in API client that opens terminals.
type learner struct{ *benchkit.Learner }

func (b *bench) newLearner() *learner {
	b.users++
	l, err := benchkit.NewLearner(b.url, &http.Client{}, "t", b.users)
	if err != nil {
		fail(err)
	}
	return &learner{l}
}

func (l *learner) start(expath string) {
	if st, body := l.Post(expath+"/start", ""); st != 200 {
		fail(fmt.Errorf("start: %d %s", st, body))
	}
}

// terminal opens the learner's terminal and times the WebSocket request
// to the first prompt.
func (l *learner) terminal(ctx context.Context, expath string) (time.Duration, *term, error) {
	url := "ws" + strings.TrimPrefix(l.URL, "http") + expath + "/terminal"
	t0 := time.Now()
	c, res, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPClient: l.C,
		HTTPHeader: http.Header{"Origin": {l.URL}},
	})
	if err != nil {
		st := 0
		var body []byte
		if res != nil {
			st = res.StatusCode
			if res.Body != nil {
				body, _ = io.ReadAll(res.Body)
			}
		}
		return 0, nil, fmt.Errorf("terminal: %d %s: %w", st, body, err)
	}
	t := newTerm(c)
	if _, err := waitFor(ctx, t, prompt); err != nil {
		t.close()
		return 0, nil, fmt.Errorf("terminal prompt: %w", err)
	}
	return time.Since(t0), t, nil
}

// opens times n terminal opens beside a running sandbox and n cold (the
// terminal request starts the sandbox), a new learner each, so every
// open starts a fresh workstation; and, beside each running sandbox, the
// open after the first shell was exited (a new shell in a workstation
// that exists: on the container driver, an exec into its container).
func (b *bench) opens(expath string, n int) (warm, cold, again []time.Duration) {
	for i := 0; i < 2*n; i++ {
		l := b.newLearner()
		isWarm := i%2 == 0
		if isWarm {
			l.start(expath)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		d, c, err := l.terminal(ctx, expath)
		if err != nil {
			fail(err)
		}
		if isWarm {
			warm = append(warm, d)
			if err := c.write(ctx, "exit\r"); err != nil {
				fail(err)
			}
			if _, err := waitFor(ctx, c, []byte("never printed")); err == nil || !strings.Contains(err.Error(), "shell ended") {
				fail(fmt.Errorf("exit the first shell: %v", err))
			}
			c.close()
			d, c, err = l.terminal(ctx, expath)
			if err != nil {
				fail(err)
			}
			again = append(again, d)
		} else {
			cold = append(cold, d)
		}
		cancel()
		c.close()
		l.Post(expath+"/stop", "")
	}
	return warm, cold, again
}

func (b *bench) echo(expath string, n int) []time.Duration {
	l := b.newLearner()
	l.start(expath)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, c, err := l.terminal(ctx, expath)
	if err != nil {
		fail(err)
	}
	ds := echoes(c, n)
	c.close()
	l.Post(expath+"/stop", "")
	return ds
}

// memory opens n terminals beside running sandboxes, leaves them idle and
// reports what they cost: the RSS and PSS of the workstation processes
// (its init, opslab-workstation, and bash), and the growth of the
// sandbox's control group's memory charge (memory.current) from before
// the terminal opened to after, which also counts kernel memory (the
// namespaces, the PTY, the tmpfs mounts).
func (b *bench) memory(expath string, n int) {
	type one struct {
		l      *learner
		cg     string
		before int64
		c      *term
	}
	var ones []*one
	for i := 0; i < n; i++ {
		l := b.newLearner()
		ones = append(ones, &one{l: l, cg: b.startTracked(l, expath)})
	}
	time.Sleep(2 * time.Second)
	for _, o := range ones {
		o.before = readInt(o.cg)
	}
	for _, o := range ones {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, c, err := o.l.terminal(ctx, expath)
		cancel()
		if err != nil {
			fail(err)
		}
		o.c = c
	}
	time.Sleep(3 * time.Second)
	var charge int64
	cgOK := 0
	for _, o := range ones {
		if o.cg == "" {
			continue
		}
		charge += readInt(o.cg) - o.before
		cgOK++
	}
	fmt.Println("| what | per idle workstation |")
	fmt.Println("| --- | --- |")
	procs := map[string][2]int64{}
	var rss, pss int64
	for _, comm := range []string{"opslab-workstat", "bash"} {
		for _, pid := range descendants(b.cmd.Process.Pid, comm) {
			r, p := mem(pid)
			v := procs[comm]
			v[0] += r
			v[1] += p
			procs[comm] = v
			rss += r
			pss += p
		}
	}
	for _, comm := range []string{"opslab-workstat", "bash"} {
		v := procs[comm]
		fmt.Printf("| `%s` processes: RSS / PSS | %s / %s |\n", comm, mib(v[0]/int64(n)), mib(v[1]/int64(n)))
	}
	fmt.Printf("| all workstation processes: RSS / PSS | %s / %s |\n", mib(rss/int64(n)), mib(pss/int64(n)))
	if cgOK > 0 {
		fmt.Printf("| sandbox cgroup's memory charge growth when the terminal opened (`%s`) | %s |\n", filepath.Base(ones[0].cg), mib(charge/int64(cgOK)))
	}
	fmt.Printf("\n(%d idle workstations, each beside its own Redis sandbox; measured 3 s after the prompt.)\n", n)
	for _, o := range ones {
		o.c.close()
		o.l.Post(expath+"/stop", "")
	}
}

// startTracked starts l's sandbox and returns the file of its control
// group's memory charge ("" when unknown).
func (b *bench) startTracked(l *learner, expath string) string {
	before := descendants(b.cmd.Process.Pid, "redis-server")
	l.start(expath)
	for _, p := range descendants(b.cmd.Process.Pid, "redis-server") {
		if !contains(before, p) {
			return cgroupMemory(p)
		}
	}
	return ""
}

// many starts n learners' sandboxes, then opens all their terminals at
// once and reports the prompt times, the total, the memory the terminals
// took and whether every one answers a command.
func (b *bench) many(expath string, n int) {
	ls := make([]*learner, n)
	cgs := make([]string, n)
	for i := range ls {
		ls[i] = b.newLearner()
		cgs[i] = b.startTracked(ls[i], expath)
	}
	time.Sleep(2 * time.Second)
	charge0 := make([]int64, n)
	for i, cg := range cgs {
		if cg != "" {
			charge0[i] = readInt(cg)
		}
	}
	pss0 := pss(b.cmd.Process.Pid)
	var mu sync.Mutex
	var ds []time.Duration
	errs := map[string]int{}
	conns := make([]*term, n)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	t0 := time.Now()
	for i, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, c, err := l.terminal(ctx, expath)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[short(err)]++
				return
			}
			ds = append(ds, d)
			conns[i] = c
		}()
	}
	wg.Wait()
	total := time.Since(t0)
	time.Sleep(2 * time.Second)
	var charge int64
	for i, cg := range cgs {
		if cg != "" {
			charge += readInt(cg) - charge0[i]
		}
	}
	var wpss int64
	for _, comm := range []string{"opslab-workstat", "bash"} {
		for _, pid := range descendants(b.cmd.Process.Pid, comm) {
			_, p := mem(pid)
			wpss += p
		}
	}
	serverGrowth := pss(b.cmd.Process.Pid) - pss0

	// Every open shell runs a command and its answer comes back.
	answered := 0
	for i, c := range conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			word := fmt.Sprintf("ok-%d-done", i)
			if err := c.write(ctx, "echo ok-"+strconv.Itoa(i)+"-done\n"); err != nil {
				return
			}
			// The echoed command line holds the word too (after "echo "); its
			// output is on a line of its own.
			wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
			defer wcancel()
			out, err := waitFor(wctx, c, []byte("\r"+word+"\r\n"))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[fmt.Sprintf("no answer to echo (%q)", tail(out))]++
				return
			}
			answered++
		}()
	}
	wg.Wait()

	fmt.Println("| what | value |")
	fmt.Println("| --- | --- |")
	sortD(ds)
	fmt.Printf("| prompts arrived | %d of %d |\n", len(ds), n)
	fmt.Printf("| all prompts, first request to last prompt | %s |\n", ms(total))
	fmt.Printf("| one terminal's prompt: p50 / p95 / max | %s / %s / %s |\n", q(ds, .5), q(ds, .95), q(ds, 1))
	fmt.Printf("| shells that then ran `echo` and answered | %d |\n", answered)
	fmt.Printf("| workstation processes' PSS, all | %s (%s each) |\n", mib(wpss), mib(wpss/int64(max(1, len(ds)))))
	fmt.Printf("| server's own PSS growth | %s |\n", mib(serverGrowth))
	fmt.Printf("| sandboxes' cgroup memory charge growth, all | %s |\n", mib(charge))
	if len(errs) > 0 {
		fmt.Printf("\nErrors: %v\n", errs)
	}
	for i, c := range conns {
		if c != nil {
			c.close()
		}
		ls[i].Post(expath+"/stop", "")
	}
}

func short(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// mem is a process's resident set size and proportional set size in bytes.

// descendants lists the processes under root (at any depth) whose name
// starts with comm.

// cgroupMemory is the file holding the memory charge of pid's control
// group: memory.current (cgroup v2) or memory.usage_in_bytes (cgroup v1's
// memory controller); "" when unknown.
func cgroupMemory(pid int) string {
	if pid == 0 {
		return ""
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return ""
	}
	var cands []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			cands = append(cands, filepath.Join("/sys/fs/cgroup", f[2], "memory.current"))
		case f[1] == "memory":
			cands = append(cands, filepath.Join("/sys/fs/cgroup/memory", f[2], "memory.usage_in_bytes"))
		}
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	return ""
}

func readInt(path string) int64 {
	b, _ := os.ReadFile(path)
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// running is stopped by fail, so that no server outlives the benchmark.
var running *bench

func fail(err error) {
	fmt.Fprintln(os.Stderr, "termbench:", err)
	if running != nil && running.cmd != nil && running.cmd.Process != nil {
		running.stop()
	}
	os.Exit(1)
}

// descendants lists the processes under root (at any depth) whose name
// starts with comm.
func descendants(root int, comm string) []int { return benchkit.Processes(root, comm, true) }

// The helpers shared with bench/labbench.
var (
	row      = benchkit.Row
	q        = benchkit.Quantile
	sortD    = benchkit.Sort
	ms       = benchkit.MS
	mem      = benchkit.Mem
	pss      = benchkit.PSS
	mib      = benchkit.MiB
	memTotal = benchkit.MemTotal
)
