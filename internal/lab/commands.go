package lab

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
)

// timedCommand is a command a learner ran, and when.
type timedCommand struct {
	at   time.Time
	line string
}

// recentCommands keeps the last console commands of each learner's
// sandbox, for the record of a failed check (opslab.Attempt.Commands).
type recentCommands struct {
	mu  sync.Mutex
	per map[serialKey][]timedCommand
}

func newRecentCommands() *recentCommands {
	return &recentCommands{per: map[serialKey][]timedCommand{}}
}

// add keeps line as the newest command of key's sandbox.
func (r *recentCommands) add(key serialKey, at time.Time, line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := append(r.per[key], timedCommand{at: at, line: clipCommand(line)})
	if len(l) > opslab.MaxAttemptCommands {
		l = slices.Clone(l[len(l)-opslab.MaxAttemptCommands:])
	}
	r.per[key] = l
}

// forget drops key's commands (its sandbox was reset or stopped).
func (r *recentCommands) forget(key serialKey) {
	r.mu.Lock()
	delete(r.per, key)
	r.mu.Unlock()
}

func (r *recentCommands) list(key serialKey) []timedCommand {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.per[key])
}

// clipCommand cuts a command to opslab.MaxAttemptCommandBytes on a rune
// boundary and puts a multi-line command (a producer's records) on one
// line with its first line only, marked as cut.
func clipCommand(line string) string {
	line = strings.TrimSpace(line)
	if first, _, more := strings.Cut(line, "\n"); more {
		line = first + " …"
	}
	if len(line) <= opslab.MaxAttemptCommandBytes {
		return line
	}
	cut := opslab.MaxAttemptCommandBytes - len(" …")
	for cut > 0 && !utf8.RuneStart(line[cut]) {
		cut--
	}
	return line[:cut] + " …"
}

// commandsBefore returns the commands the learner ran in the console and
// in the terminal of inst, newest last, at most opslab.MaxAttemptCommands:
// the terminal's are read from its command log (sandbox.CommandLog) when
// the learner opened a terminal there, and marked "$ " as workstation
// lines are. A log that cannot be read leaves only the console's.
func (s *Service) commandsBefore(ctx context.Context, key serialKey, inst sandbox.Instance) []string {
	all := s.recent.list(key)
	if s.shellUsed(inst.Spec.ID) {
		res, err := s.cfg.Sandboxes.RunShell(ctx, inst, "tail -n "+strconv.Itoa(opslab.MaxAttemptCommands)+" ~/"+sandbox.CommandLog+" 2>/dev/null")
		if err == nil {
			for _, l := range strings.Split(res.Stdout, "\n") {
				secs, cmd, ok := strings.Cut(l, "\t")
				at, err := parseEpoch(secs)
				if !ok || err != nil || strings.TrimSpace(cmd) == "" || !utf8.ValidString(cmd) {
					continue
				}
				all = append(all, timedCommand{at: at, line: clipCommand("$ " + cmd)})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b timedCommand) int { return a.at.Compare(b.at) })
	if len(all) > opslab.MaxAttemptCommands {
		all = all[len(all)-opslab.MaxAttemptCommands:]
	}
	out := make([]string, len(all))
	for i, c := range all {
		out[i] = c.line
	}
	return out
}

// parseEpoch reads "seconds[.micro]" since the Unix epoch, as bash's
// EPOCHREALTIME gives it.
func parseEpoch(s string) (time.Time, error) {
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	var ns int64
	if frac != "" {
		frac = (frac + "000000000")[:9]
		if ns, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}, err
		}
	}
	return time.Unix(sec, ns), nil
}
