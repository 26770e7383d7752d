package sandbox

import "time"

// StopReason says why the Manager stopped a sandbox.
type StopReason string

// The reasons a sandbox stops.
const (
	StopReleased  StopReason = "released"  // Release was called
	StopIdle      StopReason = "idle"      // unused for longer than the idle timeout
	StopExpired   StopReason = "expired"   // older than the max lifetime
	StopDead      StopReason = "dead"      // its server had died; a fresh one replaces it
	StopShutdown  StopReason = "shutdown"  // StopAll
	StopRecovered StopReason = "recovered" // left over by a crashed platform, removed by Recover
)

// CapScope says which cap refused a sandbox.
type CapScope string

// The caps a Manager enforces.
const (
	CapLearner CapScope = "learner" // sandboxes per learner
	CapGlobal  CapScope = "global"  // sandboxes of one kind in total
)

// Observer is told about sandbox lifecycle events, e.g. to export metrics.
// Methods are called synchronously from the goroutine doing the work, so
// they must be fast and safe for concurrent use.
type Observer interface {
	// OnStart reports a start attempt that took took; err is nil on success.
	OnStart(kind Kind, driver string, took time.Duration, err error)
	// OnStop reports a stopped sandbox that had run for lived.
	OnStop(kind Kind, driver string, reason StopReason, lived time.Duration)
	// OnRefuse reports an Acquire refused because the scope's cap is reached.
	OnRefuse(kind Kind, scope CapScope)
}

// nopObserver is the Observer used when none is configured.
type nopObserver struct{}

func (nopObserver) OnStart(Kind, string, time.Duration, error)     {}
func (nopObserver) OnStop(Kind, string, StopReason, time.Duration) {}
func (nopObserver) OnRefuse(Kind, CapScope)                        {}
