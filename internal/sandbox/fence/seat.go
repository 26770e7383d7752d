package fence

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A seat is the part of a fence that is slow to make, made before any
// sandbox asks for one: a user id, a network namespace with its loopback
// up, on cgroup v1 a control group, and an OS thread of the platform that
// already sits inside the namespace and the group. The sandbox's processes
// are forked from that thread, so they start inside without any move.
//
// Why: on cgroup v1 a process can only join a group by moving into it (v2
// forks straight into it with CLONE_INTO_CGROUP), and a move takes the
// kernel's cgroup_threadgroup_rwsem for writing, which waits for an RCU
// grace period: 0.1 ms when idle, 4-24 ms while other sandboxes' groups
// are being removed. A seat pays that once, in the background.
//
// The thread never leaves: when the seat is done its goroutine returns
// while still locked to it, and the Go runtime ends the thread, which
// leaves its namespace and groups as it dies (no move). Linux sends a
// process's parent-death signal when the thread that forked it ends, so
// ending the thread also kills every process the seat started.
type seat struct {
	name string   // its group's name until a sandbox adopts it
	uid  int      // the user id its sandbox runs as
	ns   *os.File // its network namespace, held open for Fence.Dial
	cg   group    // cgroup v1: its group, made ahead; v2: nil

	jobs chan func()   // run on the thread; closed to end it
	gone chan struct{} // closed when the thread's goroutine has returned
	once sync.Once
}

// seatSeq numbers the seats of this process, for their groups' names.
var seatSeq atomic.Int64

// seatPrefix starts the group name of every seat not yet adopted:
// "seat-<platform pid>-<n>".
const seatPrefix = "seat-"

// newSeatName returns a name for a seat's group no other seat has had.
func newSeatName() string {
	return seatPrefix + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(seatSeq.Add(1), 10)
}

// seatLimits hold a seat's group until a sandbox adopts it and sets its
// own: nothing runs in it but the seat's thread.
var seatLimits = Limits{MemoryBytes: 16 << 20, MilliCPU: 1000, Pids: 4, DiskBytes: 1 << 20}

// newSeat makes a seat. On error nothing of it is left.
func (h *Host) newSeat() (*seat, error) {
	uid, err := h.takeUID()
	if err != nil {
		return nil, err
	}
	s := &seat{
		name: newSeatName(),
		uid:  uid,
		jobs: make(chan func()),
		gone: make(chan struct{}),
	}
	ready := make(chan error, 1)
	go s.run(h, ready)
	if err := <-ready; err != nil {
		if cerr := s.close(h); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, fmt.Errorf("make a fence ahead: %w", err)
	}
	return s, nil
}

// run is the seat's thread: it enters the seat's namespace and group, says
// so on ready, and runs jobs until they are closed.
func (s *seat) run(h *Host, ready chan<- error) {
	// Never unlocked: returning while locked ends the thread, which takes
	// it out of the sandbox's namespace and groups (see seat).
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// The main thread is never ended by Go (it is parked instead), so
		// it cannot be a seat's: hold it until another goroutine has a
		// thread of its own (it cannot get this one while it is held),
		// then give it back untouched.
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(locked)
			s.run(h, ready)
		}()
		<-locked
		runtime.UnlockOSThread()
		return
	}
	defer close(s.gone)
	if err := s.enter(h); err != nil {
		ready <- err
		return
	}
	ready <- nil
	for job := range s.jobs {
		job()
	}
}

// enter moves the calling thread (the seat's, locked) into a new network
// namespace and, on cgroup v1, into a new group.
func (s *seat) enter(h *Host) error {
	if err := s.freshNetNS(); err != nil {
		return err
	}
	if !h.cg.threadsJoin() {
		return nil
	}
	var err error
	if s.cg, err = h.cg.create(s.name, seatLimits); err != nil {
		return err
	}
	return s.cg.joinThread()
}

// freshNetNS moves the calling thread (the seat's) into a new network
// namespace with its loopback up, and holds it open as s.ns in place of
// the last one, which the kernel removes once nothing else holds it.
func (s *seat) freshNetNS() error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("unshare the network namespace: %w", err)
	}
	if err := loopbackUp(); err != nil {
		return err
	}
	ns, err := os.Open(threadNSPath())
	if err != nil {
		return fmt.Errorf("open the sandbox's network namespace: %w", err)
	}
	if s.ns != nil {
		s.ns.Close()
	}
	s.ns = ns
	return nil
}

// do runs f on the seat's thread and returns its error.
func (s *seat) do(f func() error) error {
	var err error
	done := make(chan struct{})
	s.jobs <- func() { defer close(done); err = f() }
	<-done
	return err
}

// end ends the seat's thread, killing every process it started (their
// parent-death signal), and waits for its goroutine to return. The thread
// itself may take a moment longer to leave its group.
func (s *seat) end() {
	s.once.Do(func() { close(s.jobs) })
	<-s.gone
}

// close ends the seat's thread and removes what it holds: its group (if
// no sandbox adopted it), its namespace and its user id.
func (s *seat) close(h *Host) error {
	s.end()
	var err error
	if s.cg != nil {
		err = s.cg.remove()
		s.cg = nil
	}
	if s.ns != nil {
		s.ns.Close()
		s.ns = nil
	}
	if s.uid >= 0 {
		h.releaseUID(s.uid)
		s.uid = -1
	}
	return err
}

// DefaultSeats is how many fences a Host keeps made ahead (Options.Seats).
const DefaultSeats = 4

// minIdleSeats is how many seats given back by closed fences are kept at
// least, whatever Options.Seats: a class that stops together starts
// together again without making a single one.
const minIdleSeats = 64

// seats are a Host's fences made ahead, topped up by one goroutine and
// given back by closed fences.
type seats struct {
	sweep   sync.Once
	mu      sync.Mutex
	ready   []*seat
	started bool
	closed  bool
	wake    chan struct{} // one taken: top up
	stop    chan struct{} // closed by Host.Close
	done    chan struct{} // closed when the top-up goroutine returns
}

// takeSeat returns a seat made ahead, or makes one now when none is
// ready, and asks for the pool to be topped up.
func (h *Host) takeSeat() (*seat, error) {
	p := &h.seats
	p.sweep.Do(h.sweepSeats)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("the fence host is closed")
	}
	if !p.started && h.opts.Seats > 0 {
		p.started = true
		p.wake = make(chan struct{}, 1)
		p.stop = make(chan struct{})
		p.done = make(chan struct{})
		go h.topUp()
	}
	var s *seat
	if n := len(p.ready); n > 0 {
		s, p.ready = p.ready[n-1], p.ready[:n-1]
	}
	if p.started {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	p.mu.Unlock()
	if s != nil {
		return s, nil
	}
	return h.newSeat()
}

// topUp keeps Options.Seats seats ready until the Host is closed.
func (h *Host) topUp() {
	p := &h.seats
	defer close(p.done)
	for {
		for {
			p.mu.Lock()
			short := !p.closed && len(p.ready) < h.opts.Seats
			p.mu.Unlock()
			if !short {
				break
			}
			s, err := h.newSeat()
			p.mu.Lock()
			if err == nil && !p.closed {
				// At the front: seats given back are taken first.
				p.ready = append([]*seat{s}, p.ready...)
				s = nil
			}
			p.mu.Unlock()
			if s != nil { // closed meanwhile
				_ = s.close(h)
			}
			if err != nil {
				// New makes its own and reports the error; retry later.
				select {
				case <-p.stop:
					return
				case <-time.After(time.Second):
				}
			}
		}
		select {
		case <-p.stop:
			return
		case <-p.wake:
		}
	}
}

// giveBack returns the seat of a closed fence, emptied and in a fresh
// network namespace, to the ready ones, where it is the next taken; past
// max(Options.Seats, minIdleSeats) ready, with Options.Seats < 0, or once
// the Host is closed, the seat is closed.
func (h *Host) giveBack(s *seat) error {
	p := &h.seats
	p.mu.Lock()
	keep := !p.closed && h.opts.Seats > 0 && len(p.ready) < max(h.opts.Seats, minIdleSeats)
	if keep {
		p.ready = append(p.ready, s)
	}
	p.mu.Unlock()
	if keep {
		return nil
	}
	return s.close(h)
}

// sweepSeats removes the groups of seats whose platform process is gone
// (a platform that died leaves its seats' groups, empty).
func (h *Host) sweepSeats() {
	for _, name := range h.cg.children() {
		rest, ok := strings.CutPrefix(name, seatPrefix)
		if !ok {
			continue
		}
		pid, _, _ := strings.Cut(rest, "-")
		n, err := strconv.Atoi(pid)
		if err != nil || n == os.Getpid() {
			continue
		}
		if _, err := os.Stat("/proc/" + pid); err == nil {
			continue // another platform's, alive
		}
		_ = h.cg.open(name).remove()
	}
}

// Close removes the fences made ahead and stops making more. Fences in use
// are the caller's to close. A Host that made none has nothing to close.
func (h *Host) Close() error {
	p := &h.seats
	p.mu.Lock()
	p.closed = true
	ready := p.ready
	p.ready = nil
	started := p.started
	p.mu.Unlock()
	if started {
		close(p.stop)
		<-p.done
	}
	var errs []error
	for _, s := range ready {
		if err := s.close(h); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove the fences made ahead: %w", err)
	}
	return nil
}
