// Package lab runs the exercises of a lesson for a learner: it starts (or
// reuses) their sandbox, applies an exercise's setup, runs their console
// commands, checks their work, and records what happened. It joins the
// sandbox manager, the consoles and the check engine; the HTTP adapter
// calls it and knows none of them.
package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/workstation"
	"github.com/opslab/opslab/internal/terminal"
)

// Defaults of Config.
const (
	DefaultExecTimeout  = 10 * time.Second
	DefaultCheckTimeout = check.DefaultTimeout
	DefaultSetupTimeout = 30 * time.Second
)

// Attempts records what learners did; the SQLite store implements it.
type Attempts interface {
	RecordAttempt(ctx context.Context, a opslab.Attempt) (*opslab.Attempt, error)
	RecordHintReveal(ctx context.Context, userID int64, k opslab.ExerciseKey, index int) error
	RecordSolutionReveal(ctx context.Context, userID int64, k opslab.ExerciseKey) error
}

// Config is what a Service needs.
type Config struct {
	Sandboxes *sandbox.Manager
	// Attempts records attempts, hints and reveals; nil records nothing
	// (for `opslab test`).
	Attempts Attempts
	// PublicHost, when set, is the host name learners' own clients use to
	// reach their sandboxes' loopback ports (redis-cli -h, kcat -b).
	PublicHost   string
	ExecTimeout  time.Duration
	CheckTimeout time.Duration
	SetupTimeout time.Duration
	// ExecRate and ExecBurst bound each learner's console commands (per
	// second, and in a burst). Defaults 10 and 30.
	ExecRate  float64
	ExecBurst int
	// StartRate and StartBurst bound each learner's sandbox starts and
	// resets together (per second, and in a burst). Defaults 1/3 (one
	// every 3 seconds) and 20.
	StartRate  float64
	StartBurst int
	// CheckRate and CheckBurst bound each learner's checks. Defaults 1
	// and 30.
	CheckRate  float64
	CheckBurst int
	// MaxShells bounds the learners' terminals open at once. Default
	// DefaultMaxShells.
	MaxShells int
	Metrics   *Metrics
	Logger    *slog.Logger
	// Now is the clock of the rate limits; nil means time.Now.
	Now func() time.Time
}

// Service runs exercises. It is safe for concurrent use.
type Service struct {
	cfg     Config
	redis   *redisConns
	limiter *rateLimiter // console commands
	starts  *rateLimiter // starts and resets
	checks  *rateLimiter
	serial  *serializer
	shells  *terminal.Registry // learners' terminals, by sandbox id
	recent  *recentCommands    // console commands, for failed checks

	usedMu  sync.Mutex
	used    map[string]time.Time // sandbox ids where a terminal was opened, and when (see noteShell)
	live    liveState
	metrics *Metrics
	log     *slog.Logger
}

// New returns a Service over the given sandbox manager.
func New(cfg Config) (*Service, error) {
	if cfg.Sandboxes == nil {
		return nil, errors.New("new lab service: a sandbox manager is required")
	}
	if cfg.ExecTimeout <= 0 {
		cfg.ExecTimeout = DefaultExecTimeout
	}
	if cfg.CheckTimeout <= 0 {
		cfg.CheckTimeout = DefaultCheckTimeout
	}
	if cfg.SetupTimeout <= 0 {
		cfg.SetupTimeout = DefaultSetupTimeout
	}
	if cfg.ExecRate <= 0 {
		cfg.ExecRate = 10
	}
	if cfg.ExecBurst <= 0 {
		cfg.ExecBurst = 30
	}
	if cfg.StartRate <= 0 {
		cfg.StartRate = 1.0 / 3
	}
	if cfg.StartBurst <= 0 {
		cfg.StartBurst = 20
	}
	if cfg.CheckRate <= 0 {
		cfg.CheckRate = 1
	}
	if cfg.CheckBurst <= 0 {
		cfg.CheckBurst = 30
	}
	if cfg.MaxShells <= 0 {
		cfg.MaxShells = DefaultMaxShells
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{
		cfg:     cfg,
		redis:   newRedisConns(),
		limiter: newRateLimiter(cfg.ExecRate, cfg.ExecBurst, cfg.Now),
		starts:  newRateLimiter(cfg.StartRate, cfg.StartBurst, cfg.Now),
		checks:  newRateLimiter(cfg.CheckRate, cfg.CheckBurst, cfg.Now),
		serial:  newSerializer(),
		shells:  terminal.NewRegistry(cfg.MaxShells, terminal.Limits{}),
		recent:  newRecentCommands(),
		used:    map[string]time.Time{},
		live:    liveState{last: map[liveKey]string{}},
		metrics: cfg.Metrics,
		log:     cfg.Logger,
	}, nil
}

// Target names one exercise of one lesson for one learner.
type Target struct {
	UserID   int64
	Course   *course.Course
	Lesson   *course.Lesson
	Exercise *course.Exercise
}

func (t Target) key() opslab.ExerciseKey {
	return opslab.ExerciseKey{Course: t.Course.Slug, Lesson: t.Lesson.Slug, Exercise: t.Exercise.ID}
}

// sandboxLesson is the manager's lesson key: one sandbox per learner,
// lesson and kind, across the lesson's exercises.
func (t Target) sandboxLesson() opslab.LessonKey {
	return opslab.LessonKey{Course: t.Course.Slug, Lesson: t.Lesson.Slug}
}

func (t Target) kind() (sandbox.Kind, error) {
	k, err := sandbox.ParseKind(t.Exercise.Sandbox)
	if err != nil {
		return "", opslab.Errorf(opslab.EINVALID, "This exercise needs a %q sandbox, which this platform cannot start.", t.Exercise.Sandbox)
	}
	return k, nil
}

// Started is the answer to Start.
type Started struct {
	Status string `json:"status"` // "ready"
	// Kind is the sandbox kind.
	Kind string `json:"sandbox"`
	// Fresh is true when a new sandbox was started (rather than reused).
	Fresh bool `json:"fresh"`
	// Notice tells the learner something they should know, such as that
	// their previous sandbox had died and this one is empty.
	Notice string `json:"notice,omitempty"`
	// Connect shows how to reach the sandbox with the learner's own
	// client, when the operator allows it.
	Connect string `json:"connect,omitempty"`
	// Nodes lists the nodes of a multi-node sandbox, the default first:
	// what the console's node picker offers. Absent for one server.
	Nodes []NodeView `json:"nodes,omitempty"`
}

// NodeView is one node of a sandbox as a learner sees it.
type NodeView struct {
	Name string `json:"name"`
	// Role is the node's role when the sandbox started: primary, replica,
	// sentinel or broker (a failover may have changed it since).
	Role string `json:"role"`
	// Address is the 127.0.0.1:port the nodes know each other by: what
	// REPLICAOF, CLUSTER MEET or a Sentinel reply names; in a stack, the
	// name and port its workstation reaches the node at ("db:5432").
	Address string `json:"address"`
}

// nodeViews returns what Started shows of inst's nodes. A stack's nodes
// are servers of different kinds that reach each other by name, as its
// workstation does: db:5432, redis:6379, broker:9092.
func nodeViews(inst sandbox.Instance) []NodeView {
	var out []NodeView
	for _, n := range inst.Nodes {
		addr := n.Redis.TCP.Address
		if len(n.Kafka.Seeds) > 0 {
			addr = n.Kafka.Seeds[0]
		}
		if len(inst.Spec.Kind.Families()) > 1 {
			addr = n.Name + ":" + workstation.Port(n)
		}
		out = append(out, NodeView{Name: n.Name, Role: n.Role, Address: addr})
	}
	return out
}

// Start makes (or reuses) the learner's sandbox for the exercise's kind
// and lesson, then runs the exercise's setup. It is refused with a
// *RateLimitError past the learner's allowance of starts and resets, and
// waits for other actions on the same sandbox (see serializer); a start
// of the same exercise already under way is not repeated: its result is
// returned.
func (s *Service) Start(ctx context.Context, t Target) (*Started, error) {
	if err := s.allowStart(t); err != nil {
		return nil, err
	}
	return s.startOnce(ctx, t, "start", s.start)
}

// start is Start once the caller has its turn on the sandbox.
func (s *Service) start(ctx context.Context, t Target) (*Started, error) {
	inst, fresh, err := s.acquire(ctx, t)
	if err != nil {
		return nil, err
	}
	if err := s.setup(ctx, t, inst); err != nil {
		return nil, err
	}
	st := &Started{Status: "ready", Kind: string(inst.Spec.Kind), Fresh: fresh, Connect: s.connectHint(inst), Nodes: nodeViews(inst)}
	if fresh && inst.Restarts > 0 {
		st.Notice = "Your previous sandbox had stopped, so this is a fresh one: anything you made before is gone."
	}
	return st, nil
}

// Reset stops the learner's sandbox and starts the exercise again on a
// fresh one. Like Start, it counts against the learner's starts and takes
// its turn on the sandbox; resets asked for while one of the same
// exercise is under way share its result.
func (s *Service) Reset(ctx context.Context, t Target) (*Started, error) {
	if err := s.allowStart(t); err != nil {
		return nil, err
	}
	return s.startOnce(ctx, t, "reset", func(ctx context.Context, t Target) (*Started, error) {
		if err := s.stop(ctx, t); err != nil {
			return nil, err
		}
		return s.start(ctx, t)
	})
}

// allowStart takes one of the learner's starts, or says when to retry.
func (s *Service) allowStart(t Target) error {
	if ok, wait := s.starts.allow(t.UserID); !ok {
		return &RateLimitError{Err: opslab.Errorf(opslab.ERATELIMIT,
			"Too many sandbox starts and resets: wait %d seconds, then try again.", retrySeconds(wait)), RetryAfter: wait}
	}
	return nil
}

// retrySeconds is wait in whole seconds, rounded up, at least 1.
func retrySeconds(wait time.Duration) int {
	return max(1, int((wait+time.Second-1)/time.Second))
}

// serialKey is the sandbox of t, whose actions take turns.
func (t Target) serialKey() (serialKey, error) {
	kind, err := t.kind()
	if err != nil {
		return serialKey{}, err
	}
	return serialKey{user: t.UserID, lesson: t.sandboxLesson(), kind: kind}, nil
}

// startOnce runs fn, the verb (start or reset) of t's exercise, in its
// turn on the sandbox, or shares the result of the same one under way.
func (s *Service) startOnce(ctx context.Context, t Target, verb string, fn func(context.Context, Target) (*Started, error)) (*Started, error) {
	key, err := t.serialKey()
	if err != nil {
		return nil, err
	}
	v, err := s.serial.do(ctx, key, verb+"\x00"+t.Exercise.ID, func(ctx context.Context) (any, error) {
		return fn(ctx, t)
	})
	if st, ok := v.(*Started); ok && st != nil && err == nil {
		cp := *st
		return &cp, nil
	}
	return nil, err
}

// prepared is the answer of prepare.
type prepared struct {
	inst  sandbox.Instance
	fresh bool
}

// prepare gets the learner's sandbox for t, running the exercise's setup
// on a fresh one, in its turn on the sandbox: a command or a solution run
// never lands on a sandbox a reset is replacing. Callers asking at once
// share one answer.
func (s *Service) prepare(ctx context.Context, t Target) (sandbox.Instance, bool, error) {
	key, err := t.serialKey()
	if err != nil {
		return sandbox.Instance{}, false, err
	}
	v, err := s.serial.do(ctx, key, "prepare\x00"+t.Exercise.ID, func(ctx context.Context) (any, error) {
		inst, fresh, err := s.acquire(ctx, t)
		if err != nil {
			return nil, err
		}
		if fresh {
			if err := s.setup(ctx, t, inst); err != nil {
				return nil, err
			}
		}
		return prepared{inst, fresh}, nil
	})
	if err != nil {
		return sandbox.Instance{}, false, err
	}
	p := v.(prepared)
	return p.inst, p.fresh, nil
}

// Stop tears down the learner's sandbox of the exercise's kind for the
// lesson, in its turn on the sandbox (a stop already waiting or under way
// is not repeated). Stopping one that is not running is no error.
func (s *Service) Stop(ctx context.Context, t Target) error {
	key, err := t.serialKey()
	if err != nil {
		return err
	}
	_, err = s.serial.do(ctx, key, "stop", func(ctx context.Context) (any, error) {
		return nil, s.stop(ctx, t)
	})
	return err
}

// stop is Stop once the caller has its turn on the sandbox.
func (s *Service) stop(ctx context.Context, t Target) error {
	kind, err := t.kind()
	if err != nil {
		return err
	}
	err = s.cfg.Sandboxes.Release(ctx, t.UserID, t.sandboxLesson(), kind)
	if err != nil && !errors.Is(err, sandbox.ErrNotFound) {
		return fmt.Errorf("stop sandbox: %w", err)
	}
	s.redis.forgetOwner(t.UserID, t.sandboxLesson())
	if key, err := t.serialKey(); err == nil {
		s.recent.forget(key)
	}
	return nil
}

// Available returns an EUNAVAILABLE error, with a sentence for the
// learner, when this server cannot run the exercise of t as it requires
// (course.Exercise.Requires); nil when it can.
func (s *Service) Available(t Target) error {
	if why := s.Unmet(t.Exercise); why != "" {
		return opslab.Errorf(opslab.EUNAVAILABLE, "%s", why)
	}
	return nil
}

// Unmet says why this server cannot run exercise e as it requires, or
// returns "" when it can.
func (s *Service) Unmet(e *course.Exercise) string {
	if e == nil {
		return ""
	}
	if e.Needs(course.RequireRealKafka) && !s.cfg.Sandboxes.Capabilities(sandbox.Kind(e.Sandbox)).RealKafka {
		where := "where the platform uses containers (opslab serve --sandbox container)"
		if sandbox.Kind(e.Sandbox).OneBroker() {
			where = "where the platform runs real brokers (opslab serve --kafka apache, or --sandbox container)"
		}
		return "This exercise needs real Apache Kafka brokers, and this server runs its " + e.Sandbox +
			" sandboxes on kfake, an in-process stand-in. It runs " + where + "; every other exercise works here."
	}
	if e.UsesWorkstation() && !s.cfg.Sandboxes.Capabilities(sandbox.Kind(e.Sandbox)).Shell {
		return "This exercise is done in the terminal beside the sandbox, which this server does not offer for " + e.Sandbox +
			" sandboxes (it needs the process driver with the sandbox fence); every console exercise works here."
	}
	return ""
}

// acquire gets the learner's sandbox, timing the start and mapping caps to
// EUNAVAILABLE with the manager's sentence and retry delay.
func (s *Service) acquire(ctx context.Context, t Target) (sandbox.Instance, bool, error) {
	kind, err := t.kind()
	if err != nil {
		return sandbox.Instance{}, false, err
	}
	if err := s.Available(t); err != nil {
		return sandbox.Instance{}, false, err
	}
	start := time.Now()
	inst, fresh, err := s.cfg.Sandboxes.Acquire(ctx, t.UserID, t.sandboxLesson(), kind)
	if err != nil {
		return inst, false, s.sandboxError(fmt.Sprintf("start %s sandbox", kind), kind, err)
	}
	if fresh {
		s.metrics.start(string(kind), inst.Driver, time.Since(start))
	}
	return inst, fresh, nil
}

// UnavailableError is a 503 with the time after which to retry.
type UnavailableError struct {
	Err        *opslab.Error
	RetryAfter time.Duration
}

// Error returns the learner's sentence.
func (e *UnavailableError) Error() string { return e.Err.Error() }

// Unwrap exposes the *opslab.Error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least 1.
func (e *UnavailableError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

// RevealHint records that the learner opened hint index (0-based).
func (s *Service) RevealHint(ctx context.Context, t Target, index int) error {
	if index < 0 || index >= len(t.Exercise.Hints) {
		return opslab.Errorf(opslab.ENOTFOUND, "This exercise has no hint %d.", index+1)
	}
	if s.cfg.Attempts == nil {
		return nil
	}
	return s.cfg.Attempts.RecordHintReveal(ctx, t.UserID, t.key(), index)
}

// RevealSolution records the reveal and returns the solution's lines. It
// never applies them.
func (s *Service) RevealSolution(ctx context.Context, t Target) ([]string, error) {
	if s.cfg.Attempts != nil {
		if err := s.cfg.Attempts.RecordSolutionReveal(ctx, t.UserID, t.key()); err != nil {
			return nil, err
		}
	}
	out := append([]string{}, t.Exercise.Solution...)
	return out, nil
}

// liveState remembers the last live-check verdict per learner and exercise
// so that live checks record an attempt only when the verdict changes.
type liveState struct {
	mu   sync.Mutex
	last map[liveKey]string
}

type liveKey struct {
	user int64
	opslab.ExerciseKey
}

// changed stores verdict and reports whether it differs from the last one.
func (l *liveState) changed(k liveKey, verdict string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last[k] == verdict {
		return false
	}
	if len(l.last) > 100000 {
		l.last = map[liveKey]string{}
	}
	l.last[k] = verdict
	return true
}
