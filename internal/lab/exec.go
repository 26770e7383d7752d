package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/console"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
)

// MaxCommandBytes bounds one console line.
const MaxCommandBytes = 16 << 10

// MaxOutputBytes bounds one command's output; the rest is cut with a
// "… truncated" line.
const MaxOutputBytes = 64 << 10

// Executed is the answer to Exec.
type Executed struct {
	// Output is what redis-cli, the Kafka tool or psql prints, refusals
	// and errors included ("(error) …", "ERROR:  …").
	Output string `json:"output"`
	// Notice tells the learner about their sandbox (started, restarted).
	Notice string `json:"notice,omitempty"`
	// Checks is the exercise's live verdict after the command.
	Checks *check.Report `json:"checks,omitempty"`
	// Prompt is, in a Redis sandbox, redis-cli's prompt for the console's
	// connection to the requested node after the command: the database
	// after SELECT and (TX) inside MULTI, as "127.0.0.1:6379[1](TX)> "
	// (the node's name instead of the address in a multi-node sandbox).
	// In a Postgres sandbox, psql's prompt for the learner's role in its
	// database: "appdb=> ".
	Prompt string `json:"prompt,omitempty"`
}

// Exec runs one console command in the learner's sandbox of the exercise's
// kind, then runs the exercise's checks quietly so the task list ticks
// live. A refused or failing command is an output, not an error; errors
// are for a malformed request, a rate limit or a sandbox that cannot run.
func (s *Service) Exec(ctx context.Context, t Target, line string) (*Executed, error) {
	return s.ExecNode(ctx, t, "", line)
}

// ExecNode is Exec on the sandbox's node called node ("" for the default
// node: the primary, the first broker). A line starting with "@name "
// runs on node name instead, as setup and solution lines do. An unknown
// node in the argument is an EINVALID error; one typed in the line is an
// output, as a typo is.
func (s *Service) ExecNode(ctx context.Context, t Target, node, line string) (*Executed, error) {
	if len(line) > MaxCommandBytes {
		return nil, opslab.Errorf(opslab.ETOOLARGE, "A command may be at most %d bytes.", MaxCommandBytes)
	}
	if !utf8.ValidString(line) {
		return nil, opslab.Errorf(opslab.EINVALID, "The command is not valid UTF-8 text.")
	}
	kind, err := t.kind()
	if err != nil {
		return nil, err
	}
	if node != "" && !kind.HasNode(node) {
		return nil, opslab.Errorf(opslab.EINVALID, "This %s sandbox has no node %q: use one of %s.", kind, node, nodeNames(kind))
	}
	promptNode := node
	// The line is read once, here; an unknown "@name" it types is an
	// output below (as a typo is), its other errors the language's.
	cmd, perr := console.ParseOn(kind, console.Live, node, line)
	if cmd.Node != "" {
		node = cmd.Node
	}
	if errors.Is(perr, console.ErrNoNode) {
		perr = nil // inst.Node(node) fails below
	}
	if ok, wait := s.limiter.allow(t.UserID); !ok {
		return nil, &RateLimitError{Err: opslab.Errorf(opslab.ERATELIMIT, "Too many commands: slow down a little."), RetryAfter: wait}
	}
	inst, fresh, err := s.prepare(ctx, t)
	if err != nil {
		return nil, err
	}
	if key, err := t.serialKey(); err == nil {
		kept := line
		if node != "" && cmd.Node == "" {
			kept = "@" + node + " " + line
		}
		s.recent.add(key, s.cfg.Now(), kept)
	}
	res := &Executed{}
	if fresh {
		res.Notice = "Started a sandbox for this exercise."
		if inst.Restarts > 0 {
			res.Notice = deadNotice
		}
	}
	_ = s.cfg.Sandboxes.Touch(t.UserID, t.sandboxLesson(), inst.Spec.Kind)

	start := time.Now()
	ectx, cancel := context.WithTimeout(ctx, s.cfg.ExecTimeout)
	defer cancel()
	var refused bool
	n, ok := inst.Node(node)
	// A stack's nodes run servers of different families: the node's
	// decides how the line runs.
	fam := inst.Spec.Kind.NodeFamily(n.Name)
	switch {
	case !ok:
		res.Output = fmt.Sprintf("(error) ERR this sandbox has no node '%s' (its nodes: %s)\n", node, nodeNames(inst.Spec.Kind))
		refused = true
	case fam == sandbox.KindRedis:
		var err error
		res.Output, refused, err = s.execRedis(ectx, inst, n, cmd.Redis, perr)
		switch {
		case errors.Is(err, errLost):
			// The server may have just died: once the manager sees it, it
			// starts a fresh one, and the command runs there.
			if fresh, ok := s.replaceDead(ectx, t, inst); ok {
				inst = fresh
				n, _ = inst.Node(node)
				res.Output, refused, _ = s.execRedis(ectx, inst, n, cmd.Redis, perr)
				res.Notice = deadNotice
			}
		case errors.Is(err, errTimedOut) && redisStuck(ctx, inst, n):
			// Busy past the timeout with a script that cannot be killed:
			// it would answer nothing else, so a fresh sandbox replaces it.
			// The command is not run again there: it would hang again.
			fresh, err := s.replaceStuck(ctx, t, inst)
			if err != nil {
				return nil, err
			}
			inst = fresh
			res.Notice = stuckNotice(s.cfg.ExecTimeout)
		}
	case fam == sandbox.KindKafka && errors.Is(perr, console.ErrEmpty):
	case fam == sandbox.KindKafka && perr != nil:
		// What the tool (or systemctl) prints for a line it refuses.
		res.Output = withNewline(perr.Error())
	case fam == sandbox.KindKafka && cmd.Service != nil:
		// A service stops or starts for longer than a command runs: it
		// has its own bound (serviceTimeout).
		res.Output, _ = s.execService(ctx, inst, n, *cmd.Service)
	case fam == sandbox.KindKafka:
		var timedOut bool
		res.Output, timedOut = s.execKafka(ectx, n, cmd.Kafka)
		if timedOut && s.kafkaStuck(ctx, inst, n) {
			fresh, err := s.replaceStuck(ctx, t, inst)
			if err != nil {
				return nil, err
			}
			inst = fresh
			if tt := timeoutText(s.cfg.ExecTimeout); !strings.HasSuffix(res.Output, tt) {
				res.Output = withNewline(res.Output) + tt
			}
			res.Notice = brokerStuckNotice(s.cfg.ExecTimeout)
		}
	case fam == sandbox.KindPostgres && errors.Is(perr, console.ErrEmpty):
	case fam == sandbox.KindPostgres && perr != nil:
		res.Output = withNewline(perr.Error())
	case fam == sandbox.KindPostgres:
		var lost bool
		res.Output, refused, lost = s.execPostgres(ectx, inst, cmd.Text)
		if lost {
			// The server may have just died: as for Redis, the line runs
			// again in the fresh sandbox the manager starts in its place.
			if fresh, ok := s.replaceDead(ectx, t, inst); ok {
				inst = fresh
				res.Output, refused, _ = s.execPostgres(ectx, inst, cmd.Text)
				res.Notice = deadNotice
			}
		}
	default:
		return nil, fmt.Errorf("exec: unknown sandbox kind %q", inst.Spec.Kind)
	}
	s.metrics.exec(string(inst.Spec.Kind), time.Since(start), refused)
	if pn, ok := inst.Node(promptNode); ok {
		switch inst.Spec.Kind.NodeFamily(pn.Name) {
		case sandbox.KindRedis:
			res.Prompt = s.redisPrompt(inst, pn)
		case sandbox.KindPostgres:
			res.Prompt = psqlPrompt
		}
	}

	if strings.TrimSpace(cmd.Text) != "" && len(t.Exercise.Checks) > 0 {
		rep := s.runChecks(ctx, t, inst)
		res.Checks = &rep
		s.recordLive(ctx, t, rep)
	}
	return res, nil
}

// nodeNames lists kind's node names for a sentence: "primary, replica-1".
func nodeNames(kind sandbox.Kind) string {
	var names []string
	for _, n := range kind.Nodes() {
		names = append(names, n.Name)
	}
	return strings.Join(names, ", ")
}

// RateLimitError is a 429 with the time after which to retry.
type RateLimitError struct {
	Err        *opslab.Error
	RetryAfter time.Duration
}

// Error returns the learner's sentence.
func (e *RateLimitError) Error() string { return e.Err.Error() }

// Unwrap exposes the *opslab.Error.
func (e *RateLimitError) Unwrap() error { return e.Err }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least 1.
func (e *RateLimitError) RetryAfterSeconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}

// capOutput cuts output over MaxOutputBytes at a rune boundary and adds
// the truncation line.
func capOutput(s string) string {
	if len(s) <= MaxOutputBytes {
		return s
	}
	cut := MaxOutputBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "\n… truncated (output over 64 KB)\n"
}

// timeoutText is what a command that ran out of time prints.
func timeoutText(d time.Duration) string {
	return fmt.Sprintf("(error) the command did not finish within %s and was stopped\n", d)
}

func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded)
}

// deadNotice tells the learner that their sandbox had died and that the
// command ran in a fresh one.
const deadNotice = "Your previous sandbox had stopped, so this command ran in a fresh one: anything you made before is gone."

// stuckNotice tells the learner that their Redis sandbox stayed busy for
// longer than a command may run (d) and was replaced.
func stuckNotice(d time.Duration) string {
	return fmt.Sprintf("Your sandbox was busy for over %s (a script or command that never ended), so it was replaced by a fresh one: anything you made before is gone.", d)
}

// brokerStuckNotice tells the learner that their Kafka broker stopped
// answering for longer than a command may run (d) and that the sandbox
// was replaced.
func brokerStuckNotice(d time.Duration) string {
	return fmt.Sprintf("Your sandbox's broker stopped answering for over %s, so the sandbox was replaced by a fresh one: anything you made before is gone.", d)
}

// replaceDead waits briefly for the manager to notice that the learner's
// sandbox old died, and returns the fresh one it started (with the
// exercise's setup run), or the one a concurrent command already put in
// its place. ok is false if old still looks alive.
func (s *Service) replaceDead(ctx context.Context, t Target, old sandbox.Instance) (sandbox.Instance, bool) {
	for i := 0; i < 25 && ctx.Err() == nil; i++ {
		inst, fresh, err := s.acquire(ctx, t)
		if err != nil {
			return sandbox.Instance{}, false
		}
		if fresh {
			if err := s.setup(ctx, t, inst); err != nil {
				return sandbox.Instance{}, false
			}
			return inst, true
		}
		if inst.Spec.ID != old.Spec.ID {
			return inst, true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return sandbox.Instance{}, false
}

// replaceStuck replaces old, the learner's sandbox that stayed busy past
// the console's timeout, with a fresh one set up for the exercise, and
// returns it. If a concurrent command already replaced old, the sandbox in
// its place is returned as it is (its replacer runs the setup): a stuck
// sandbox is replaced once. Errors are those of acquire: a sandbox that
// cannot start, or a setup that failed.
func (s *Service) replaceStuck(ctx context.Context, t Target, old sandbox.Instance) (sandbox.Instance, error) {
	kind := old.Spec.Kind
	begin := time.Now()
	inst, fresh, err := s.cfg.Sandboxes.Replace(ctx, t.UserID, t.sandboxLesson(), kind, old.Spec.ID)
	if err != nil {
		return sandbox.Instance{}, s.sandboxError(fmt.Sprintf("replace stuck %s sandbox %s", kind, old.Spec.ID), kind, err)
	}
	s.redis.forgetSandbox(old.Spec.ID)
	if !fresh {
		return inst, nil
	}
	s.log.Warn("replaced a stuck sandbox", "user", t.UserID, "lesson", t.sandboxLesson(), "old", old.Spec.ID, "new", inst.Spec.ID)
	s.metrics.start(string(kind), inst.Driver, time.Since(begin))
	if err := s.setup(ctx, t, inst); err != nil {
		return sandbox.Instance{}, err
	}
	return inst, nil
}

// sandboxError maps the manager's error of op on a sandbox of kind: a cap
// reached, a platform shutting down, or sandboxes this server cannot run
// (a machine that cannot fence, a missing program: the operator's to fix,
// so the reason goes to the log) is an *UnavailableError with a sentence
// for the learner; anything else is wrapped with op.
func (s *Service) sandboxError(op string, kind sandbox.Kind, err error) error {
	var ce *sandbox.CapacityError
	switch {
	case errors.As(err, &ce):
		return &UnavailableError{Err: opslab.Errorf(opslab.EUNAVAILABLE, "%s", ce.Message), RetryAfter: ce.RetryAfter}
	case errors.Is(err, sandbox.ErrClosed):
		return &UnavailableError{Err: opslab.Errorf(opslab.EUNAVAILABLE, "The platform is restarting. Try again in a few seconds."), RetryAfter: 5 * time.Second}
	case errors.Is(err, sandbox.ErrUnsupported):
		s.log.Error("sandbox cannot start", "kind", kind, "err", err)
		return &UnavailableError{Err: opslab.Errorf(opslab.EUNAVAILABLE,
			"This server cannot start %s sandboxes right now; its operator has been told why in the server's log.", kind.Title()), RetryAfter: time.Minute}
	}
	return fmt.Errorf("%s: %w", op, err)
}
