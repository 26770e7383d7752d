package sandbox

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// Defaults of a Manager's Config.
const (
	DefaultIdleTimeout   = 30 * time.Minute
	DefaultMaxLifetime   = 4 * time.Hour
	DefaultMaxPerLearner = 3
	DefaultMaxPerKind    = 100
	DefaultReapInterval  = 30 * time.Second
	DefaultStopTimeout   = 10 * time.Second
)

// Config tunes a Manager. A zero field takes the default named beside it.
type Config struct {
	// IdleTimeout stops a sandbox unused (see Touch) for this long.
	// Default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxLifetime stops a sandbox this long after it started, used or not.
	// Default DefaultMaxLifetime.
	MaxLifetime time.Duration
	// MaxPerLearner caps the sandboxes one learner has at once, all kinds
	// and lessons together. Default DefaultMaxPerLearner.
	MaxPerLearner int
	// MaxPerKind caps the sandboxes of each kind on this platform. A kind
	// missing from the map gets DefaultMaxPerKind. The caps of KindRedis
	// and KindKafka count servers of the whole family, each sandbox by its
	// Kind.Weight: a redis-cluster sandbox takes 6 of the KindRedis cap, a
	// redis-replica 2, a kafka-cluster 3 of the KindKafka cap. A
	// multi-node kind's own cap counts its sandboxes.
	MaxPerKind map[Kind]int
	// MaxMemoryBytes is every sandbox's memory cap (Spec.MaxMemoryBytes).
	// Default DefaultMaxMemoryBytes.
	MaxMemoryBytes int64
	// ReapInterval is how often Run looks for idle and expired sandboxes.
	// Default DefaultReapInterval.
	ReapInterval time.Duration
	// StopTimeout bounds each stop of a sandbox; stops are not cut short
	// when the caller's context is cancelled. Default DefaultStopTimeout.
	StopTimeout time.Duration
	// Warm keeps this many started sandboxes of each kind ready, so that a
	// learner's start costs about the time of claiming one (see pool.go).
	// A kind missing from the map keeps none.
	Warm map[Kind]int
	// Observer is told about starts, stops and refusals. Optional.
	Observer Observer
	// Logger receives errors of background work (the reaper, cleanup
	// after a failure). Optional: nothing is logged without one.
	Logger *slog.Logger
	// Now returns the current time; tests inject a fake clock. Default
	// time.Now. Durations reported to the Observer use the real clock.
	Now func() time.Time
}

// withDefaults returns c with zero fields set to their defaults, or an
// error wrapping ErrInvalid for a negative or unknown setting.
func (c Config) withDefaults() (Config, error) {
	durations := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"idle timeout", &c.IdleTimeout, DefaultIdleTimeout},
		{"max lifetime", &c.MaxLifetime, DefaultMaxLifetime},
		{"reap interval", &c.ReapInterval, DefaultReapInterval},
		{"stop timeout", &c.StopTimeout, DefaultStopTimeout},
	}
	for _, f := range durations {
		if *f.d < 0 {
			return c, fmt.Errorf("%w: sandbox %s must not be negative", ErrInvalid, f.name)
		}
		if *f.d == 0 {
			*f.d = f.def
		}
	}
	if c.MaxPerLearner < 0 {
		return c, fmt.Errorf("%w: sandboxes per learner must not be negative", ErrInvalid)
	}
	if c.MaxPerLearner == 0 {
		c.MaxPerLearner = DefaultMaxPerLearner
	}
	perKind := make(map[Kind]int, len(Kinds()))
	for k, n := range c.MaxPerKind {
		if !k.Valid() || n < 0 {
			return c, fmt.Errorf("%w: bad cap %d for sandbox kind %q", ErrInvalid, n, k)
		}
		perKind[k] = n
	}
	for _, k := range Kinds() {
		if perKind[k] == 0 {
			perKind[k] = DefaultMaxPerKind
		}
	}
	c.MaxPerKind = perKind
	for k, n := range c.Warm {
		if !k.Valid() || n < 0 || n > MaxWarm {
			return c, fmt.Errorf("%w: warm pool of %d for sandbox kind %q (0 to %d)", ErrInvalid, n, k, MaxWarm)
		}
	}
	if err := (Spec{ID: "x", Kind: KindRedis, Owner: 1, Lesson: opslab.LessonKey{Course: "x", Lesson: "x"}, MaxMemoryBytes: c.MaxMemoryBytes}).Validate(); err != nil {
		return c, err
	}
	if c.MaxMemoryBytes == 0 {
		c.MaxMemoryBytes = DefaultMaxMemoryBytes
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
