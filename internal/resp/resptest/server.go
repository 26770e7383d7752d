package resptest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/testkit"
)

// Server is a redis-server child process owned by one test.
type Server struct {
	// Socket is the path of the unix socket the server listens on.
	Socket string
	// Dir is the server's working directory, holding its log file.
	Dir string
}

// StartServer starts redis-server with no TCP port, no persistence and a
// unix socket in a fresh temporary directory, waits until it answers PING,
// and kills it when the test ends. The test is skipped (or, under CI,
// failed) when redis-server is not on PATH.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin := RequireTool(t, "redis-server")
	dir := testkit.ShortDir(t, "redis-")
	s := &Server{Socket: filepath.Join(dir, "r.sock"), Dir: dir}
	logFile := filepath.Join(dir, "redis.log")
	cmd := exec.Command(bin,
		"--port", "0",
		"--unixsocket", s.Socket,
		"--unixsocketperm", "700",
		"--save", "",
		"--appendonly", "no",
		"--dir", dir,
		"--logfile", logFile,
	)
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	if err := waitReady(s.Socket, 10*time.Second); err != nil {
		log, _ := os.ReadFile(logFile)
		t.Fatalf("redis-server did not become ready: %v\nlog:\n%s", err, log)
	}
	return s
}

// Dial opens a resp.Conn to the server and closes it when the test ends.
func (s *Server) Dial(t testing.TB, opts ...resp.Option) *resp.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := resp.Dial(ctx, "unix", s.Socket, opts...)
	if err != nil {
		t.Fatalf("dial test server: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitReady polls socket until a PING gets PONG or timeout passes.
func waitReady(socket string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var lastErr error
	for ctx.Err() == nil {
		lastErr = ping(ctx, socket)
		if lastErr == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return lastErr
}

// ping dials socket once and checks that PING is answered.
func ping(ctx context.Context, socket string) error {
	c, err := resp.Dial(ctx, "unix", socket)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Do(ctx, "PING")
	return err
}
