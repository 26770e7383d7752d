// Package benchkit holds what the benchmark programs (bench/labbench,
// bench/termbench) share: starting the real `opslab serve`, signing up
// learners over the API, quantile rows for docs/benchmarks.md, and reading
// processes' memory from /proc.
package benchkit

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a running `opslab serve` on a loopback port.
type Server struct {
	URL string    // http://127.0.0.1:PORT
	Cmd *exec.Cmd // the server's process
	Dir string    // its data folder, removed by Stop
}

// Serve starts bin as `serve --addr 127.0.0.1:0` with args and a fresh
// data folder, and returns once the server said where it listens.
func Serve(bin string, args ...string) (*Server, error) {
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	buf := make([]byte, 256)
	n, _ := out.Read(buf)
	line := string(buf[:n])
	i := strings.Index(line, "http://")
	if i < 0 {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("server did not say where it listens: %q", line)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return &Server{URL: strings.TrimSpace(line[i:]), Cmd: cmd, Dir: dir}, nil
}

// Stop stops the server (SIGTERM), waits for it and removes its data.
func (s *Server) Stop() {
	_ = s.Cmd.Process.Signal(syscall.SIGTERM)
	_ = s.Cmd.Wait()
	_ = os.RemoveAll(s.Dir)
}

// Learner is a signed-up learner's API client.
type Learner struct {
	URL string
	C   *http.Client // keeps the session cookie
}

// NewLearner signs up a learner named by prefix and n at url, with c
// (given a cookie jar if it has none).
func NewLearner(url string, c *http.Client, prefix string, n int) (*Learner, error) {
	if c.Jar == nil {
		c.Jar, _ = cookiejar.New(nil)
	}
	l := &Learner{URL: url, C: c}
	if err := SignUp(c, url, prefix, n); err != nil {
		return nil, err
	}
	return l, nil
}

// Post sends a JSON body to the path on the learner's server.
func (l *Learner) Post(path, body string) (int, []byte) { return Post(l.C, l.URL+path, body) }

// Post sends a JSON body to url with c, bounded by two minutes, and returns
// the status and the answer's body (the error's text, status 0, when the
// request fails).
func Post(c *http.Client, url, body string) (int, []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// SignUp makes a learner account named by prefix and n with c (which must
// keep cookies) and returns an error unless the server answered 201.
func SignUp(c *http.Client, url, prefix string, n int) error {
	body := fmt.Sprintf(`{"email":"%s%d-%d@bench.test","name":"B","password":"bench-password-1"}`, prefix, n, time.Now().UnixNano())
	if st, b := Post(c, url+"/api/register", body); st != 201 {
		return fmt.Errorf("sign up: %d %s", st, b)
	}
	return nil
}

// Sort sorts durations, shortest first (Quantile needs them sorted).
func Sort(ds []time.Duration) { sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] }) }

// Row prints a Markdown table row: name, count, p50, p95 and max of ds
// (which it sorts).
func Row(name string, ds []time.Duration) {
	Sort(ds)
	fmt.Printf("| %s | %d | %s | %s | %s |\n", name, len(ds), Quantile(ds, .5), Quantile(ds, .95), Quantile(ds, 1))
}

// Quantile is the p-quantile of the sorted ds in milliseconds, "-" when
// empty.
func Quantile(ds []time.Duration, p float64) string {
	if len(ds) == 0 {
		return "-"
	}
	i := int(p*float64(len(ds))+0.5) - 1
	return MS(ds[max(0, min(i, len(ds)-1))])
}

// MS formats d in milliseconds with one decimal.
func MS(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// MiB formats b bytes in MiB.
func MiB(b int64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }

// Mem is a process's resident and proportional set sizes in bytes (0 when
// it cannot be read).
func Mem(pid int) (rss, pss int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "Rss:":
			rss = kb << 10
		case "Pss:":
			pss = kb << 10
		}
	}
	return rss, pss
}

// PSS is a process's proportional set size in bytes.
func PSS(pid int) int64 { _, p := Mem(pid); return p }

// PPID is a process's parent, 0 when unknown.
func PPID(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// Processes lists the processes whose name starts with comm and whose
// parent (depth 1), or any ancestor (depth 0), is root.
func Processes(root int, comm string, anyDepth bool) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		name, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if !strings.HasPrefix(string(name), comm) {
			continue
		}
		for p := PPID(pid); p > 1; p = PPID(p) {
			if p == root {
				out = append(out, pid)
				break
			}
			if !anyDepth {
				break
			}
		}
	}
	return out
}

// MemTotal describes this machine's memory, "23.5 GiB RAM".
func MemTotal() string {
	b, _ := os.ReadFile("/proc/meminfo")
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 2 {
		return "?"
	}
	kb, _ := strconv.ParseInt(f[1], 10, 64)
	return fmt.Sprintf("%.1f GiB RAM", float64(kb)/(1<<20))
}
