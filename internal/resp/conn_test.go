package resp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/resp/resptest"
)

// do runs one command with a generous timeout and fails the test on a Go
// error.
func do(t *testing.T, c *resp.Conn, args ...string) resp.Value {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := c.Do(ctx, args...)
	if err != nil {
		t.Fatalf("Do(%q): %v", args, err)
	}
	return v
}

func TestConnReplyKinds(t *testing.T) {
	srv := resptest.StartServer(t)
	c := srv.Dial(t)

	var allBytes strings.Builder
	for b := 0; b < 256; b++ {
		allBytes.WriteByte(byte(b))
	}
	big := strings.Repeat("0123456789", 200_000) // 2 MB, many reads

	cases := []struct {
		args []string
		want resp.Value
	}{
		{[]string{"PING"}, resp.Value{Kind: resp.SimpleString, Str: "PONG"}},
		{[]string{"SET", "k", allBytes.String()}, resp.Value{Kind: resp.SimpleString, Str: "OK"}},
		{[]string{"GET", "k"}, resp.Value{Kind: resp.BulkString, Str: allBytes.String()}},
		{[]string{"SET", "big", big}, resp.Value{Kind: resp.SimpleString, Str: "OK"}},
		{[]string{"GET", "big"}, resp.Value{Kind: resp.BulkString, Str: big}},
		{[]string{"SET", "empty", ""}, resp.Value{Kind: resp.SimpleString, Str: "OK"}},
		{[]string{"GET", "empty"}, resp.Value{Kind: resp.BulkString, Str: ""}},
		{[]string{"GET", "missing"}, resp.Value{Kind: resp.Nil}},
		{[]string{"INCRBY", "n", "-42"}, resp.Value{Kind: resp.Integer, Int: -42}},
		{[]string{"NOSUCHCOMMAND"}, resp.Value{Kind: resp.Error, Str: "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: "}},
		{[]string{"GET"}, resp.Value{Kind: resp.Error, Str: "ERR wrong number of arguments for 'get' command"}},
		{[]string{"LRANGE", "missing", "0", "-1"}, resp.Value{Kind: resp.Array, Elems: []resp.Value{}}},
		{[]string{"BLPOP", "missing", "0.01"}, resp.Value{Kind: resp.NilArray}},
		{[]string{"EVAL", "return {1, 'two', {}, false, {err='bad'}, {ok='fine'}, {3}}", "0"}, resp.Value{Kind: resp.Array, Elems: []resp.Value{
			{Kind: resp.Integer, Int: 1},
			{Kind: resp.BulkString, Str: "two"},
			{Kind: resp.Array, Elems: []resp.Value{}},
			{Kind: resp.Nil},
			{Kind: resp.Error, Str: "bad"},
			{Kind: resp.SimpleString, Str: "fine"},
			{Kind: resp.Array, Elems: []resp.Value{{Kind: resp.Integer, Int: 3}}},
		}}},
	}
	for _, tc := range cases {
		got := do(t, c, tc.args...)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Do(%.40q) = %.200s, want %.200s", tc.args, got.GoString(), tc.want.GoString())
		}
	}

	// The connection stays usable after error replies.
	if got := do(t, c, "ECHO", "still here"); got.Str != "still here" {
		t.Errorf("ECHO after errors = %#v", got)
	}
}

func TestConnAnyOnRealReplies(t *testing.T) {
	srv := resptest.StartServer(t)
	c := srv.Dial(t)
	do(t, c, "HSET", "h", "f", "v")
	do(t, c, "RPUSH", "l", "a", "b")
	cases := []struct {
		args []string
		want any
	}{
		{[]string{"HGETALL", "h"}, []any{"f", "v"}},
		{[]string{"LLEN", "l"}, int64(2)},
		{[]string{"HGET", "h", "nope"}, nil},
		{[]string{"BLPOP", "nope", "0.01"}, nil},
		{[]string{"LPOP", "h"}, "WRONGTYPE Operation against a key holding the wrong kind of value"},
		{[]string{"MGET", "l", "h", "nope"}, []any{nil, nil, nil}},
		{[]string{"PING"}, "PONG"},
	}
	for _, tc := range cases {
		if got := do(t, c, tc.args...).Any(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Do(%q).Any() = %#v, want %#v", tc.args, got, tc.want)
		}
	}
}

func TestConnDeadlineExpires(t *testing.T) {
	srv := resptest.StartServer(t)
	c := srv.Dial(t)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Do(ctx, "BLPOP", "never", "0")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("BLPOP past the deadline: err = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Do returned after %v, long after the 100ms deadline", elapsed)
	}
	// The reply stream is out of step now, so the Conn must be closed.
	if _, err := c.Do(context.Background(), "PING"); !errors.Is(err, resp.ErrClosed) {
		t.Errorf("Do after a timeout: err = %v, want ErrClosed", err)
	}

	// Redialling gives a working connection again.
	c2 := srv.Dial(t)
	if got := do(t, c2, "PING"); got.Str != "PONG" {
		t.Errorf("PING on a new Conn = %#v", got)
	}
}

func TestConnCancel(t *testing.T) {
	srv := resptest.StartServer(t)
	c := srv.Dial(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.Do(ctx, "BLPOP", "never", "0")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled BLPOP: err = %v, want context.Canceled", err)
	}

	// A context that is already done fails before sending and leaves the
	// Conn open.
	c2 := srv.Dial(t)
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c2.Do(done, "PING"); !errors.Is(err, context.Canceled) {
		t.Errorf("Do with a done ctx: err = %v, want context.Canceled", err)
	}
	if got := do(t, c2, "PING"); got.Str != "PONG" {
		t.Errorf("PING after an early ctx error = %#v", got)
	}
}

func TestConnClosed(t *testing.T) {
	srv := resptest.StartServer(t)

	// Closed by us.
	c := srv.Dial(t)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.Do(context.Background(), "PING"); !errors.Is(err, resp.ErrClosed) {
		t.Errorf("Do after Close: err = %v, want ErrClosed", err)
	}

	// Closed by the server: the error is a Go error, not a Value.
	victim := srv.Dial(t)
	id := do(t, victim, "CLIENT", "ID")
	killer := srv.Dial(t)
	if got := do(t, killer, "CLIENT", "KILL", "ID", fmt.Sprint(id.Int)); got.Int != 1 {
		t.Fatalf("CLIENT KILL = %#v", got)
	}
	_, err := victim.Do(context.Background(), "PING")
	if err == nil {
		t.Fatal("Do on a connection the server closed succeeded")
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) {
		t.Logf("Do on a server-closed connection: %v", err)
	}
	if _, err := victim.Do(context.Background(), "PING"); !errors.Is(err, resp.ErrClosed) {
		t.Errorf("Do after a failed Do: err = %v, want ErrClosed", err)
	}

	// Closed by another goroutine while a command is blocked.
	blocked := srv.Dial(t)
	time.AfterFunc(50*time.Millisecond, func() { blocked.Close() })
	if _, err := blocked.Do(context.Background(), "BLPOP", "never", "0"); !errors.Is(err, resp.ErrClosed) {
		t.Errorf("Do interrupted by Close: err = %v, want ErrClosed", err)
	}
}

func TestConnReplyTooLarge(t *testing.T) {
	srv := resptest.StartServer(t)
	c := srv.Dial(t, resp.WithMaxReplyBytes(1024))
	do(t, c, "SET", "small", "x")
	do(t, c, "SET", "large", strings.Repeat("y", 4096))
	if got := do(t, c, "GET", "small"); got.Str != "x" {
		t.Errorf("GET small = %#v", got)
	}
	if _, err := c.Do(context.Background(), "GET", "large"); !errors.Is(err, resp.ErrReplyTooLarge) {
		t.Errorf("GET large: err = %v, want ErrReplyTooLarge", err)
	}
	if _, err := c.Do(context.Background(), "PING"); !errors.Is(err, resp.ErrClosed) {
		t.Errorf("Do after a too-large reply: err = %v, want ErrClosed", err)
	}
}

func TestConnConcurrentDo(t *testing.T) {
	srv := resptest.StartServer(t)
	c := srv.Dial(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				msg := fmt.Sprintf("g%d-%d", g, i)
				v, err := c.Do(context.Background(), "ECHO", msg)
				if err != nil || v.Str != msg {
					t.Errorf("ECHO %s = %#v, %v", msg, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestConnAuth(t *testing.T) {
	srv := resptest.StartServer(t)
	admin := srv.Dial(t)
	do(t, admin, "ACL", "SETUSER", "learner", "on", ">s3cret", "~*", "+@all")

	c := srv.Dial(t)
	if err := c.Auth(context.Background(), "learner", "wrong"); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Errorf("Auth with a wrong password: err = %v, want the WRONGPASS reply", err)
	}
	if err := c.Auth(context.Background(), "learner", "s3cret"); err != nil {
		t.Fatalf("Auth: %v", err)
	}
	if got := do(t, c, "ACL", "WHOAMI"); got.Str != "learner" {
		t.Errorf("ACL WHOAMI = %#v, want learner", got)
	}
	// The legacy one-argument form authenticates the default user.
	if err := c.Auth(context.Background(), "", "anything"); err == nil {
		t.Error("legacy AUTH with no password configured succeeded")
	}
}

func TestDialErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := resp.Dial(ctx, "udp", "127.0.0.1:1"); err == nil {
		t.Error("Dial over udp succeeded")
	}
	if _, err := resp.Dial(ctx, "unix", "/nonexistent/dir/r.sock"); err == nil {
		t.Error("Dial to a missing socket succeeded")
	}
	if _, err := resp.NewConn(nil).Do(ctx); err == nil {
		t.Error("Do with no arguments succeeded")
	}
}

// TestConnOverPipe checks the exact bytes Do sends and how it treats a
// peer that answers with garbage.
func TestConnOverPipe(t *testing.T) {
	client, server := net.Pipe()
	c := resp.NewConn(client)
	defer c.Close()
	go func() {
		rd := resp.NewReader(server)
		cmd, err := rd.ReadValue()
		if err != nil {
			t.Errorf("fake server read: %v", err)
			return
		}
		want := []any{"SET", "key", "a b\r\n"}
		if !reflect.DeepEqual(cmd.Any(), want) || cmd.Elems[0].Kind != resp.BulkString {
			t.Errorf("server got %#v, want bulk strings %q", cmd, want)
		}
		server.Write([]byte("%1\r\n")) // a RESP3 map, invalid in RESP2
	}()
	_, err := c.Do(context.Background(), "SET", "key", "a b\r\n")
	if !errors.Is(err, resp.ErrProtocol) {
		t.Errorf("reply of a RESP3 map: err = %v, want ErrProtocol", err)
	}
	if _, err := c.Do(context.Background(), "PING"); !errors.Is(err, resp.ErrClosed) {
		t.Errorf("Do after a protocol error: err = %v, want ErrClosed", err)
	}
}
