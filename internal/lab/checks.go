package lab

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
)

// Check runs the exercise's checks against the learner's sandbox and
// records the attempt; a pass is the learner's progress. It is refused
// with a *RateLimitError past the learner's allowance of checks, runs in
// its turn on the sandbox (never against one a reset is replacing), and
// a check of the same exercise already under way is shared, not repeated.
func (s *Service) Check(ctx context.Context, t Target) (*check.Report, error) {
	if ok, wait := s.checks.allow(t.UserID); !ok {
		return nil, &RateLimitError{Err: opslab.Errorf(opslab.ERATELIMIT,
			"Too many checks: wait %d seconds, then check again.", retrySeconds(wait)), RetryAfter: wait}
	}
	key, err := t.serialKey()
	if err != nil {
		return nil, err
	}
	v, err := s.serial.do(ctx, key, "check\x00"+t.Exercise.ID, func(ctx context.Context) (any, error) {
		return s.check(ctx, t)
	})
	if rep, ok := v.(*check.Report); ok && rep != nil && err == nil {
		return rep, nil
	}
	return nil, err
}

// check is Check once the caller has its turn on the sandbox.
func (s *Service) check(ctx context.Context, t Target) (*check.Report, error) {
	inst, fresh, err := s.acquire(ctx, t)
	if err != nil {
		return nil, err
	}
	if fresh {
		// A check on a sandbox that was never set up (or had died) judges
		// the exercise's starting state, as the learner would find it.
		if err := s.setup(ctx, t, inst); err != nil {
			return nil, err
		}
	}
	_ = s.cfg.Sandboxes.Touch(t.UserID, t.sandboxLesson(), inst.Spec.Kind)
	rep := s.runChecks(ctx, t, inst)
	var commands []string
	if !rep.Passed {
		if key, err := t.serialKey(); err == nil {
			commands = s.commandsBefore(ctx, key, inst)
		}
	}
	if err := s.recordWith(ctx, t, rep, opslab.AttemptCheck, commands); err != nil {
		return nil, err
	}
	s.live.changed(liveKey{t.UserID, t.key()}, verdict(rep))
	return &rep, nil
}

// runChecks runs the checks with the platform's own access to the sandbox.
func (s *Service) runChecks(ctx context.Context, t Target, inst sandbox.Instance) check.Report {
	p := &prober{sandboxes: s.cfg.Sandboxes, inst: inst}
	defer p.close()
	rep := check.Run(ctx, t.Exercise.Checks, p, checkTimeout(s.cfg.CheckTimeout, t.Exercise.Checks))
	s.metrics.check(string(inst.Spec.Kind), rep.Duration, rep.Passed)
	return rep
}

// ShellProbeTime is what a check run may take beyond the CheckTimeout for
// each distinct shell probe among its checks: a script may start a JVM
// (Kafka's tools), which takes seconds on a loaded server.
const ShellProbeTime = 10 * time.Second

// checkTimeout bounds a run of checks: base, plus ShellProbeTime for each
// distinct shell probe (check.Run runs each once).
func checkTimeout(base time.Duration, checks []course.Check) time.Duration {
	seen := map[course.Probe]bool{}
	for _, c := range checks {
		if c.Probe.Kind == course.ProbeShell && !seen[c.Probe] {
			seen[c.Probe] = true
			base += ShellProbeTime
		}
	}
	return base
}

// recordLive records a live check only when its verdict differs from the
// learner's last one for the exercise, so that typing commands does not
// flood the attempt history; a pass is always kept.
func (s *Service) recordLive(ctx context.Context, t Target, rep check.Report) {
	if !s.live.changed(liveKey{t.UserID, t.key()}, verdict(rep)) {
		return
	}
	if err := s.record(ctx, t, rep, opslab.AttemptLive); err != nil {
		s.log.Error("record live check", "user", t.UserID, "exercise", t.Exercise.ID, "err", err)
	}
}

func (s *Service) record(ctx context.Context, t Target, rep check.Report, kind opslab.AttemptKind) error {
	return s.recordWith(ctx, t, rep, kind, nil)
}

// recordWith records the attempt with the commands run before it.
func (s *Service) recordWith(ctx context.Context, t Target, rep check.Report, kind opslab.AttemptKind, commands []string) error {
	if s.cfg.Attempts == nil {
		return nil
	}
	a := opslab.Attempt{
		UserID: t.UserID, Course: t.Course.Slug, Lesson: t.Lesson.Slug, Exercise: t.Exercise.ID,
		ContentHash: t.Exercise.Hash, Passed: rep.Passed, Kind: kind, FailedChecks: []string{}, Commands: commands,
	}
	for _, i := range rep.Failed() {
		a.FailedChecks = append(a.FailedChecks, fmt.Sprintf("%d: %s", i+1, rep.Checks[i].Message))
	}
	if _, err := s.cfg.Attempts.RecordAttempt(ctx, a); err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	return nil
}

// verdict summarises a report as the pass/fail of each check.
func verdict(rep check.Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		if c.Passed {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// prober answers probes with the platform's admin access: one Redis
// connection per node for the whole run.
type prober struct {
	sandboxes *sandbox.Manager
	inst      sandbox.Instance
	conns     map[string]*resp.Conn // by node name
	pgConns   map[string]*pgx.Conn  // by node name
}

// Probe answers pr on its node: the one its `node:` names, or else the
// sandbox's first node of the probe's family (a stack's "redis" for a
// redis probe, "db" for a postgres one).
func (p *prober) Probe(ctx context.Context, pr course.Probe) (any, error) {
	kind := p.inst.Spec.Kind
	name := pr.Node
	fam := sandbox.Kind(pr.Kind)
	isServer := fam == sandbox.KindRedis || fam == sandbox.KindKafka || fam == sandbox.KindPostgres
	if name == "" && isServer {
		name = kind.FamilyNode(fam)
	}
	node, ok := p.inst.Node(name)
	if !ok {
		return nil, fmt.Errorf("this %s sandbox has no node %q", kind, name)
	}
	if isServer && kind.NodeFamily(node.Name) != fam {
		return nil, fmt.Errorf("node %s of this %s sandbox runs no %s server", node.Name, kind, fam.Title())
	}
	switch pr.Kind {
	case course.ProbeShell:
		return p.shell(ctx, pr.Command)
	case course.ProbeFile:
		return p.file(ctx, pr.Command)
	case course.SandboxRedis:
		return p.redis(ctx, node, pr.Command)
	case course.SandboxPostgres:
		return p.postgres(ctx, node, pr.Command)
	case course.SandboxKafka:
		seeds := p.inst.Kafka.Seeds
		if pr.Node != "" {
			seeds = node.Kafka.Seeds
		}
		return probeKafka(ctx, seeds, pr.Command)
	}
	return nil, fmt.Errorf("unknown probe kind %q", pr.Kind)
}

func (p *prober) redis(ctx context.Context, node sandbox.Node, line string) (any, error) {
	args, err := rediscli.ParseLine(line)
	if err != nil || len(args) == 0 {
		return nil, fmt.Errorf("cannot parse the probe %q", line)
	}
	conn := p.conns[node.Name]
	if conn == nil {
		conn, err = dialRedis(ctx, node.Redis.Endpoint, p.inst.Redis.Admin)
		if err != nil {
			return nil, err
		}
		if p.conns == nil {
			p.conns = map[string]*resp.Conn{}
		}
		p.conns[node.Name] = conn
	}
	v, err := conn.Do(ctx, args...)
	if err != nil {
		conn.Close()
		delete(p.conns, node.Name)
		return nil, err
	}
	if v.Kind == resp.Error {
		return nil, errors.New(v.Str)
	}
	return v.Any(), nil
}

// shell runs the probe's command in a fresh workstation beside the
// sandbox: {stdout, stderr, exit}.
func (p *prober) shell(ctx context.Context, script string) (any, error) {
	res, err := p.sandboxes.RunShell(ctx, p.inst, script)
	if err != nil {
		return nil, err
	}
	return map[string]any{"stdout": res.Stdout, "stderr": res.Stderr, "exit": res.Exit}, nil
}

// maxProbedFile bounds what a file probe reads of a file.
const maxProbedFile = 128 << 10

// file reads a file of the learner's workstation, as the learner, through
// a script: {exists, content, lines, bytes}; a path is relative to the
// home folder unless absolute. content holds at most maxProbedFile bytes;
// bytes is the file's whole size.
func (p *prober) file(ctx context.Context, path string) (any, error) {
	script := `f=` + shellQuote(strings.TrimPrefix(path, "~/")) + `
if [ ! -f "$f" ]; then exit 3; fi
stat -c %s -- "$f"
head -c ` + strconv.Itoa(maxProbedFile) + ` -- "$f"`
	res, err := p.sandboxes.RunShell(ctx, p.inst, script)
	if err != nil {
		return nil, err
	}
	switch res.Exit {
	case 3:
		return map[string]any{"exists": false, "content": "", "lines": 0, "bytes": 0}, nil
	case 0:
	default:
		return nil, fmt.Errorf("cannot read %s: %s", path, strings.TrimSpace(res.Stderr))
	}
	size, content, _ := strings.Cut(res.Stdout, "\n")
	n, err := strconv.Atoi(size)
	if err != nil {
		return nil, fmt.Errorf("cannot read the size of %s", path)
	}
	lines := strings.Count(content, "\n")
	if content != "" && !strings.HasSuffix(content, "\n") {
		lines++
	}
	return map[string]any{"exists": true, "content": content, "lines": lines, "bytes": n}, nil
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (p *prober) close() {
	for _, c := range p.conns {
		c.Close()
	}
	for _, c := range p.pgConns {
		_ = c.Close(context.Background())
	}
}

// runLines runs setup, solution or wrong lines in order: workstation
// lines ("$ command") with bash beside the sandbox, as the learner (a
// status other than 0 is an error, with what it printed on stderr), the
// others in the sandbox's console language, as the platform (SQL lines of
// a postgres sandbox as the learner's role: runPostgresLines).
func (s *Service) runLines(ctx context.Context, inst sandbox.Instance, lines []string) error {
	var batch []string
	family := inst.Spec.Kind.Family()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var err error
		switch family {
		case sandbox.KindRedis:
			err = runRedisLines(ctx, inst, batch)
		case sandbox.KindKafka:
			err = s.runKafkaLines(ctx, inst, batch)
		case sandbox.KindPostgres:
			err = runPostgresLines(ctx, inst, batch)
		}
		batch = nil
		return err
	}
	for _, line := range lines {
		script, ok := course.ShellLine(line)
		if !ok {
			// A stack's lines go to servers of different families: each
			// run of one family's lines is a batch.
			name, _ := course.SplitNodeLine(line)
			fam := inst.Spec.Kind.NodeFamily(name)
			if fam == "" {
				fam = inst.Spec.Kind.Family() // an unknown node: its language's error
			}
			if fam != family {
				if err := flush(); err != nil {
					return err
				}
				family = fam
			}
			batch = append(batch, line)
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		res, err := s.cfg.Sandboxes.RunShell(ctx, inst, script)
		if err != nil {
			return fmt.Errorf("%s: %w", line, err)
		}
		if res.Exit != 0 {
			return fmt.Errorf("%s: exit %d: %s", line, res.Exit, strings.TrimSpace(res.Stderr))
		}
	}
	return flush()
}

// setup runs the exercise's setup lines on the sandbox as the platform.
func (s *Service) setup(ctx context.Context, t Target, inst sandbox.Instance) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SetupTimeout)
	defer cancel()
	if err := s.runLines(ctx, inst, t.Exercise.Setup); err != nil {
		s.log.Error("exercise setup failed", "course", t.Course.Slug, "lesson", t.Lesson.Slug, "exercise", t.Exercise.ID, "err", err)
		return &opslab.Error{Code: opslab.EINTERNAL, Message: "This exercise's setup failed, so it cannot start: please tell your instructor (" + err.Error() + ")."}
	}
	return nil
}

// ApplySolution runs the exercise's reference solution in the sandbox: for
// `opslab test` and instructors, never for a learner's "Show solution".
func (s *Service) ApplySolution(ctx context.Context, t Target) error {
	inst, _, err := s.acquire(ctx, t)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SetupTimeout)
	defer cancel()
	if err := s.runLines(ctx, inst, t.Exercise.Solution); err != nil {
		return fmt.Errorf("apply solution: %w", err)
	}
	return nil
}
