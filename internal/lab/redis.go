package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
)

// consoleOnly lists commands that would break a one-reply-per-command
// console (RESP3, streaming modes, dropping the login): refused with a
// sentence instead.
var consoleOnly = map[string]string{
	"HELLO":      "switches the protocol, which this console does not support",
	"MONITOR":    "streams without end, which this console does not support",
	"SUBSCRIBE":  "streams messages, which this console does not support",
	"PSUBSCRIBE": "streams messages, which this console does not support",
	"SSUBSCRIBE": "streams messages, which this console does not support",
	"RESET":      "would sign the console out of its sandbox",
	"AUTH":       "would change the console's user; your sandbox is already signed in",
	"QUIT":       "would close the console's connection",
}

// lostText is what a command prints when the sandbox's connection broke
// and no fresh sandbox could take its place.
const lostText = "(error) the connection to your sandbox was lost; run the command again\n"

// errLost marks a command whose connection broke: the server may have died.
var errLost = errors.New("connection to the sandbox lost")

// execRedis runs one redis-cli line as the learner and prints the reply as
// redis-cli does. refused reports a command the sandbox policy denied;
// errLost, a broken connection (the caller checks whether the sandbox died).
func (s *Service) execRedis(ctx context.Context, inst sandbox.Instance, node sandbox.Node, line string) (out string, refused bool, err error) {
	args, err := rediscli.ParseLine(line)
	if err != nil {
		if errors.Is(err, rediscli.ErrInvalidArgs) {
			return "Invalid argument(s)\n", false, nil
		}
		return "(error) " + err.Error() + "\n", false, nil
	}
	if len(args) == 0 {
		return "", false, nil
	}
	name := strings.ToUpper(args[0])
	if why := consoleOnly[name]; why != "" {
		return fmt.Sprintf("(error) ERR %s %s\n", name, why), true, nil
	}
	send, err := inst.PrepareLearnerCommand(node, args)
	if err != nil {
		var d *sandbox.DeniedError
		if errors.As(err, &d) {
			return "(error) " + d.Reply + "\n", true, nil
		}
		return "(error) " + err.Error() + "\n", true, nil
	}
	v, err := s.redis.do(ctx, inst, node, send)
	if err != nil {
		if isTimeout(err) {
			return timeoutText(s.cfg.ExecTimeout), false, nil
		}
		s.log.Warn("redis console", "sandbox", inst.Spec.ID, "err", err)
		return lostText, false, errLost
	}
	return capOutput(rediscli.FormatReply(args, v)), false, nil
}

// redisConns keeps one learner connection per sandbox node, as redis-cli
// keeps one per session: MULTI, SELECT and CLIENT SETNAME carry over
// between commands.
type redisConns struct {
	mu        sync.Mutex
	conns     map[string]*redisConn // by sandbox id and node name (connKey)
	lastSweep time.Time
}

type redisConn struct {
	mu       sync.Mutex // one command at a time per connection
	conn     *resp.Conn
	owner    int64
	lesson   string
	lastUsed time.Time
}

// connIdle is how long an unused console connection is kept.
const connIdle = 40 * time.Minute

func newRedisConns() *redisConns { return &redisConns{conns: map[string]*redisConn{}} }

// do runs args on the sandbox's learner connection, dialling it if needed.
// A connection that fails is dropped; the next command dials again.
func (r *redisConns) do(ctx context.Context, inst sandbox.Instance, node sandbox.Node, args []string) (resp.Value, error) {
	c := r.entry(inst, node)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastUsed = time.Now()
	if c.conn == nil {
		conn, err := dialRedis(ctx, node.Redis.Endpoint, inst.Redis.Learner)
		if err != nil {
			return resp.Value{}, err
		}
		c.conn = conn
	}
	v, err := c.conn.Do(ctx, args...)
	if err != nil {
		c.conn.Close()
		c.conn = nil
	}
	return v, err
}

// entry returns the sandbox's connection slot, now and then dropping slots
// unused for connIdle (their sandboxes have been reaped by then).
func (r *redisConns) entry(inst sandbox.Instance, node sandbox.Node) *redisConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	key := connKey(inst, node)
	if now.Sub(r.lastSweep) >= time.Minute {
		r.sweep(now, key)
	}
	c, ok := r.conns[key]
	if !ok {
		c = &redisConn{owner: inst.Spec.Owner, lesson: inst.Spec.Lesson, lastUsed: now}
		r.conns[key] = c
	}
	return c
}

// connKey names the console connection to one node of a sandbox.
func connKey(inst sandbox.Instance, node sandbox.Node) string {
	return inst.Spec.ID + "/" + node.Name
}

// sweep closes and drops the connections unused for connIdle, except
// keep's; the caller holds r.mu. It runs at most once a minute, not on
// every command.
func (r *redisConns) sweep(now time.Time, keep string) {
	r.lastSweep = now
	for id, c := range r.conns {
		if id != keep && c.mu.TryLock() {
			if now.Sub(c.lastUsed) > connIdle {
				if c.conn != nil {
					c.conn.Close()
				}
				delete(r.conns, id)
			}
			c.mu.Unlock()
		}
	}
}

// forgetOwner closes the connections of a learner's sandboxes for a lesson.
func (r *redisConns) forgetOwner(owner int64, lesson string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, c := range r.conns {
		if c.owner == owner && c.lesson == lesson {
			c.mu.Lock()
			if c.conn != nil {
				c.conn.Close()
			}
			c.mu.Unlock()
			delete(r.conns, id)
		}
	}
}

// dialRedis connects to a sandbox's node at ep and signs in as who.
func dialRedis(ctx context.Context, ep sandbox.Endpoint, who sandbox.Credentials) (*resp.Conn, error) {
	conn, err := resp.Dial(ctx, ep.Network, ep.Address)
	if err != nil {
		return nil, fmt.Errorf("connect to redis sandbox: %w", err)
	}
	if err := conn.Auth(ctx, who.User, who.Password); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sign in to redis sandbox: %w", err)
	}
	return conn, nil
}

// runRedisLines runs lines as the platform (setup, solution), stopping at
// the first that fails or gets an error reply. A line "@node command" runs
// on that node; others on the default node.
func runRedisLines(ctx context.Context, inst sandbox.Instance, lines []string) error {
	conns := map[string]*resp.Conn{}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i, line := range lines {
		name, cmd := course.SplitNodeLine(line)
		node, ok := inst.Node(name)
		if !ok {
			return fmt.Errorf("line %d %q: no node %q in a %s sandbox", i+1, line, name, inst.Spec.Kind)
		}
		conn := conns[node.Name]
		if conn == nil {
			var err error
			if conn, err = dialRedis(ctx, node.Redis.Endpoint, inst.Redis.Admin); err != nil {
				return fmt.Errorf("line %d %q: %w", i+1, line, err)
			}
			conns[node.Name] = conn
		}
		cmd, err := course.ExpandAddrs(cmd, func(name string) (string, bool) {
			n, ok := inst.Node(name)
			if !ok || n.Redis.TCP.IsZero() {
				return "", false
			}
			host, port, _ := strings.Cut(n.Redis.TCP.Address, ":")
			return host + " " + port, true
		})
		if err != nil {
			return fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
		args, err := rediscli.ParseLine(cmd)
		if err != nil {
			return fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
		if len(args) == 0 {
			continue
		}
		v, err := conn.Do(ctx, args...)
		if err != nil {
			return fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
		if v.Kind == resp.Error {
			return fmt.Errorf("line %d %q: %s", i+1, line, v.Str)
		}
	}
	return nil
}
