package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/console"
	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
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

// errTimedOut marks a command that ran out of time: the server may be
// stuck in a script that never ends (see redisStuck).
var errTimedOut = errors.New("command timed out")

// execRedis runs one redis-cli invocation, inv, as the learner and prints
// the reply as redis-cli does; perr, the error of reading the line
// (console.Parse), is printed as redis-cli prints it instead, and a blank
// line (console.ErrEmpty) prints nothing. A line starting with
// "redis-cli" may carry redis-cli's options and modes
// (rediscli.ParseInvocation): one that needs a
// connection of its own (a mode, -n, -r) gets a fresh one signed in as
// the learner, as a separate redis-cli process would, and every command a
// mode sends passes the same checks as a typed one. The host's file paths
// never show (rediscli.HidePaths). refused reports a command the sandbox
// policy denied; errLost, a broken connection (the caller checks whether
// the sandbox died); errTimedOut, a command that ran out of ctx's time,
// whose output is then timeoutText (the caller checks whether the sandbox
// is stuck).
func (s *Service) execRedis(ctx context.Context, inst sandbox.Instance, node sandbox.Node, inv *rediscli.Invocation, perr error) (out string, refused bool, err error) {
	if err := perr; err != nil {
		var oe *rediscli.OptionError
		switch {
		case errors.Is(err, console.ErrEmpty):
			return "", false, nil
		case errors.Is(err, rediscli.ErrInvalidArgs):
			return "Invalid argument(s)\n", false, nil
		case errors.As(err, &oe):
			return oe.Msg + "\n", false, nil
		}
		return "(error) " + err.Error() + "\n", false, nil
	}
	if inv.OwnConnection() {
		return s.execRedisOwn(ctx, inst, node, inv)
	}
	args := inv.Args
	if len(args) == 0 {
		return "", false, nil
	}
	send, denial := learnerCommand(inst, node, args)
	if denial != "" {
		return "(error) " + denial + "\n", true, nil
	}
	v, err := s.redis.do(ctx, inst, node, send)
	if err != nil {
		if isTimeout(err) {
			return timeoutText(s.cfg.ExecTimeout), false, errTimedOut
		}
		s.log.Warn("redis console", "sandbox", inst.Spec.ID, "err", err)
		return lostText, false, errLost
	}
	return capOutput(hidePaths(rediscli.FormatFor(args, v, inv.Raw), node)), false, nil
}

// learnerCommand checks args as a learner's console command on node and
// returns what to send, or the error reply (without "(error) ") that
// refuses it: the console's own refusals (consoleOnly) and the sandbox
// policy's (redisnode.PrepareLearnerCommand).
func learnerCommand(inst sandbox.Instance, node sandbox.Node, args []string) (send []string, denial string) {
	if len(args) == 0 {
		return args, ""
	}
	name := strings.ToUpper(args[0])
	if why := consoleOnly[name]; why != "" {
		return nil, fmt.Sprintf("ERR %s %s", name, why)
	}
	send, err := redisnode.PrepareLearnerCommand(inst, node, args)
	if err != nil {
		var d *sandbox.DeniedError
		if errors.As(err, &d) {
			return nil, d.Reply
		}
		return nil, err.Error()
	}
	return send, ""
}

// execRedisOwn runs an invocation that needs its own connection (see
// rediscli.Invocation.OwnConnection) on a fresh learner connection to
// node, closed afterwards. Each command it sends is checked as a typed one
// would be; a refused one gets its refusal as the reply, which the mode
// prints as redis-cli prints the server's errors.
func (s *Service) execRedisOwn(ctx context.Context, inst sandbox.Instance, node sandbox.Node, inv *rediscli.Invocation) (string, bool, error) {
	conn, err := dialRedis(ctx, node.Redis.Endpoint, inst.Redis.Learner)
	if err != nil {
		if isTimeout(err) {
			return timeoutText(s.cfg.ExecTimeout), false, errTimedOut
		}
		s.log.Warn("redis console", "sandbox", inst.Spec.ID, "err", err)
		return lostText, false, errLost
	}
	defer conn.Close()
	refused := false
	env := rediscli.Env{
		Limits: rediscli.DefaultLimits,
		Do: func(ctx context.Context, args ...string) (resp.Value, error) {
			send, denial := learnerCommand(inst, node, args)
			if denial != "" {
				refused = true
				return resp.Value{Kind: resp.Error, Str: denial}, nil
			}
			return conn.Do(ctx, send...)
		},
	}
	env.Limits.MaxOutput = MaxOutputBytes
	out, err := rediscli.Run(ctx, inv, env)
	if err != nil {
		if isTimeout(err) {
			return withNewline(out) + timeoutText(s.cfg.ExecTimeout), refused, errTimedOut
		}
		s.log.Warn("redis console", "sandbox", inst.Spec.ID, "err", err)
		return withNewline(out) + lostText, refused, errLost
	}
	return capOutput(hidePaths(out, node)), refused, nil
}

// hidePaths rewrites the host's paths in output from node (see
// rediscli.HidePaths).
func hidePaths(out string, node sandbox.Node) string {
	socket := ""
	if node.Redis.Endpoint.Network == "unix" {
		socket = node.Redis.Endpoint.Address
	}
	return rediscli.HidePaths(out, socket)
}

// consolePromptHost is the host part of the console's prompt in a
// single-server sandbox, as redis-cli shows a local server.
const consolePromptHost = "127.0.0.1:6379"

// redisPrompt is redis-cli's prompt for the console's connection to node:
// the database after SELECT and (TX) inside MULTI. A multi-node sandbox
// shows the node's name where redis-cli shows the host.
func (s *Service) redisPrompt(inst sandbox.Instance, node sandbox.Node) string {
	host := consolePromptHost
	if inst.Spec.Kind.MultiNode() {
		host = node.Name
	}
	return s.redis.session(inst, node).Prompt(host)
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
	state    rediscli.Session // what the prompt shows; reset with conn
	owner    int64
	lesson   opslab.LessonKey
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
		c.state = rediscli.Session{}
	}
	v, err := c.conn.Do(ctx, args...)
	if err != nil {
		c.conn.Close()
		c.conn = nil
		c.state = rediscli.Session{}
		return v, err
	}
	c.state.Observe(args, v)
	return v, nil
}

// session returns the prompt state of the console's connection to node
// (a fresh one's when none is open).
func (r *redisConns) session(inst sandbox.Instance, node sandbox.Node) rediscli.Session {
	c := r.entry(inst, node)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return rediscli.Session{}
	}
	return c.state
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
func (r *redisConns) forgetOwner(owner int64, lesson opslab.LessonKey) {
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

// forgetSandbox closes and drops the console connections to the nodes of
// sandbox id, once it has been replaced. A command still running on one
// of them is waited for, without holding up other learners' commands.
func (r *redisConns) forgetSandbox(id string) {
	var gone []*redisConn
	r.mu.Lock()
	for key, c := range r.conns {
		if strings.HasPrefix(key, id+"/") {
			gone = append(gone, c)
			delete(r.conns, key)
		}
	}
	r.mu.Unlock()
	for _, c := range gone {
		c.mu.Lock()
		if c.conn != nil {
			c.conn.Close()
			c.conn = nil
		}
		c.mu.Unlock()
	}
}

// redisProbeTimeout bounds each step of redisStuck: reaching the node and
// getting its PING answered, then killing a script and seeing it end.
const redisProbeTimeout = time.Second

// redisStuck reports whether node of inst, on which a console command just
// ran out of time, is stuck. It signs in as the platform's admin on a
// fresh connection and sends PING:
//
//   - PONG (or any reply but BUSY): the server is healthy, the command was
//     merely slow (a BLPOP with a long timeout); not stuck.
//   - BUSY: a script or function still runs. SCRIPT KILL, then FUNCTION
//     KILL, are tried; if one stops it and PING then answers, the node is
//     not stuck (the learner's command was stopped, their data is kept).
//     A script that already wrote (UNKILLABLE) leaves it stuck.
//   - no answer within redisProbeTimeout (a script runs and the server
//     does not reply BUSY yet: busy-reply-threshold), or no connection
//     at all: stuck.
//
// A ctx that ends while probing makes it report false: a request that went
// away is no proof of a stuck sandbox.
func redisStuck(ctx context.Context, inst sandbox.Instance, node sandbox.Node) bool {
	pctx, cancel := context.WithTimeout(ctx, redisProbeTimeout)
	defer cancel()
	conn, err := dialRedis(pctx, node.Redis.Endpoint, inst.Redis.Admin)
	if err != nil {
		return ctx.Err() == nil
	}
	defer conn.Close()
	busy, err := pingBusy(pctx, conn)
	switch {
	case err != nil:
		return ctx.Err() == nil
	case !busy:
		return false
	}
	kctx, cancel := context.WithTimeout(ctx, redisProbeTimeout)
	defer cancel()
	if !killScript(kctx, conn) {
		return ctx.Err() == nil
	}
	// The script ends at its next interrupt check, a moment after the kill.
	for {
		busy, err := pingBusy(kctx, conn)
		if err == nil && !busy {
			return false
		}
		if err != nil || kctx.Err() != nil {
			return ctx.Err() == nil
		}
		select {
		case <-kctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// pingBusy sends PING on conn and reports whether the server answered
// BUSY; err is set when it did not answer.
func pingBusy(ctx context.Context, conn *resp.Conn) (bool, error) {
	v, err := conn.Do(ctx, "PING")
	if err != nil {
		return false, fmt.Errorf("ping redis sandbox: %w", err)
	}
	return v.Kind == resp.Error && strings.HasPrefix(v.Str, "BUSY"), nil
}

// killScript asks the server to kill the running script (SCRIPT KILL) or
// function (FUNCTION KILL) and reports whether one of them agreed. A
// script that already wrote cannot be killed: both then refuse, with
// UNKILLABLE or NOTBUSY.
func killScript(ctx context.Context, conn *resp.Conn) bool {
	for _, cmd := range [][]string{{"SCRIPT", "KILL"}, {"FUNCTION", "KILL"}} {
		v, err := conn.Do(ctx, cmd...)
		if err != nil {
			return false
		}
		if v.Kind != resp.Error {
			return true
		}
	}
	return false
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

// waitLine pauses for a "# wait" line (see course.WaitLine) and reports
// that line was one; a malformed comment is an error.
func waitLine(ctx context.Context, line string) (bool, error) {
	d, ok, err := course.WaitLine(line)
	if !ok || err != nil {
		return ok, err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		return true, ctx.Err()
	}
}

// runRedisLines runs lines as the platform (setup, solution), stopping at
// the first that fails or gets an error reply. A line "@node command" runs
// on that node; others on the default node; a "# wait" line pauses. A
// {{node}} in a line stands for that node's "127.0.0.1 PORT".
func runRedisLines(ctx context.Context, inst sandbox.Instance, lines []string) error {
	conns := map[string]*resp.Conn{}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i, line := range lines {
		if waited, err := waitLine(ctx, line); waited || err != nil {
			if err != nil {
				return fmt.Errorf("line %d %q: %w", i+1, line, err)
			}
			continue
		}
		expanded, err := course.ExpandAddrs(line, func(name string) (string, bool) {
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
		cmd, err := console.Parse(inst.Spec.Kind, console.Script, expanded)
		switch {
		case errors.Is(err, console.ErrEmpty):
			continue
		case err != nil:
			return scriptLineError(i, line, inst, cmd, err)
		}
		node, _ := inst.Node(cmd.Node)
		conn := conns[node.Name]
		if conn == nil {
			if conn, err = dialRedis(ctx, node.Redis.Endpoint, inst.Redis.Admin); err != nil {
				return fmt.Errorf("line %d %q: %w", i+1, line, err)
			}
			conns[node.Name] = conn
		}
		v, err := conn.Do(ctx, cmd.Redis.Args...)
		if err != nil {
			return fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
		if v.Kind == resp.Error {
			return fmt.Errorf("line %d %q: %s", i+1, line, v.Str)
		}
	}
	return nil
}

// scriptLineError is the error of the i-th (from 0) setup or solution
// line, which console.Parse refused with err in inst's sandbox.
func scriptLineError(i int, line string, inst sandbox.Instance, cmd console.Command, err error) error {
	if errors.Is(err, console.ErrNoNode) {
		return fmt.Errorf("line %d %q: no node %q in a %s sandbox", i+1, line, cmd.Node, inst.Spec.Kind)
	}
	return fmt.Errorf("line %d %q: %w", i+1, line, err)
}
