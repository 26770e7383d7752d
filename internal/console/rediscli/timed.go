package rediscli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/resp"
)

// infoField returns the integer value of the first "name:" in an INFO
// text, as redis-cli finds it: by substring, so "bgsave_in_progress" also
// matches "rdb_bgsave_in_progress". Missing fields are 0.
func infoField(info, name string) int64 {
	i := strings.Index(info, name+":")
	if i < 0 {
		return 0
	}
	return atoi(info[i+len(name)+1:])
}

// infoKeys sums the keys of every "dbN:keys=..." line.
func infoKeys(info string) int64 {
	var n int64
	for _, line := range strings.Split(info, "\n") {
		if strings.HasPrefix(line, "db") {
			if _, rest, ok := strings.Cut(line, ":keys="); ok {
				n += atoi(rest)
			}
		}
	}
	return n
}

// humanBytes is redis-cli's short form of a byte count: 900B, 1.47M.
func humanBytes(n int64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1<<20:
		return fmt.Sprintf("%.2fK", f/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.2fM", f/(1<<20))
	case n < 1<<40:
		return fmt.Sprintf("%.2fG", f/(1<<30))
	case n < 1<<50:
		return fmt.Sprintf("%.2fT", f/(1<<40))
	}
	return fmt.Sprintf("%.2fP", f/(1<<50))
}

// runStat is --stat: a row of INFO figures per interval (1 s unless -i),
// with the two header lines before the first row and every 20 rows;
// bounded to Limits.StatRows rows.
func runStat(ctx context.Context, inv *Invocation, env *Env, b *strings.Builder) error {
	interval := time.Second
	if inv.HasInterval && inv.Interval > 0 {
		interval = inv.Interval
	}
	var prev int64 = -1
	for row := 0; ; row++ {
		if row == env.Limits.StatRows {
			b.WriteString(boundedLine(fmt.Sprintf("%d rows", row)))
			return nil
		}
		v, err := env.Do(ctx, "INFO")
		if err != nil {
			return err
		}
		if v.Kind == resp.Error {
			fmt.Fprintf(b, "ERROR: %s\n", v.Str)
			return nil
		}
		info := v.Str
		if row%20 == 0 {
			b.WriteString("------- data ------ --------------------- load -------------------- - child -\n")
			b.WriteString("keys       mem      clients blocked requests            connections          \n")
		}
		reqs := infoField(info, "total_commands_processed")
		if prev < 0 {
			prev = reqs
		}
		fmt.Fprintf(b, "%-11s", strconv.FormatInt(infoKeys(info), 10))
		fmt.Fprintf(b, "%-9s", humanBytes(infoField(info, "used_memory")))
		fmt.Fprintf(b, "%-8s", strconv.FormatInt(infoField(info, "connected_clients"), 10))
		fmt.Fprintf(b, "%-8s", strconv.FormatInt(infoField(info, "blocked_clients"), 10))
		fmt.Fprintf(b, "%-20s", fmt.Sprintf("%d (+%d)", reqs, reqs-prev))
		fmt.Fprintf(b, "%-12s", strconv.FormatInt(infoField(info, "total_connections_received"), 10))
		prev = reqs
		child := infoField(info, "bgsave_in_progress") | infoField(info, "aof_rewrite_in_progress")<<1 | infoField(info, "loading")<<2
		switch child {
		case 1:
			b.WriteString("SAVE")
		case 2:
			b.WriteString("AOF")
		case 3:
			b.WriteString("SAVE+AOF")
		case 4:
			b.WriteString("LOAD")
		}
		b.WriteByte('\n')
		if row+1 < env.Limits.StatRows {
			if err := env.sleep(ctx, interval); err != nil {
				return err
			}
		}
	}
}

// latencySampleEvery is how often --latency sends PING.
const latencySampleEvery = 10 * time.Millisecond

// latencyStats are the figures of one --latency line, in whole
// milliseconds as redis-cli measures them.
type latencyStats struct {
	min, max, total, count int64
}

func (s *latencyStats) add(ms int64) {
	if s.count == 0 || ms < s.min {
		s.min = ms
	}
	if ms > s.max {
		s.max = ms
	}
	s.total += ms
	s.count++
}

func (s *latencyStats) avg() float64 {
	if s.count == 0 {
		return 0
	}
	return float64(s.total) / float64(s.count)
}

// line is the terminal's line: "min: 0, max: 1, avg: 0.06 (97 samples)".
func (s *latencyStats) line() string {
	return fmt.Sprintf("min: %d, max: %d, avg: %.2f (%d samples)", s.min, s.max, s.avg(), s.count)
}

// runLatency is --latency and --latency-history: PING every 10 ms and
// keep min, max and average round trips. On a terminal redis-cli redraws
// one line until Ctrl-C; the console samples for 1 s (or -i, at most
// Limits.MaxTime) and prints the line as it last stood, then a line saying
// it stopped. With --raw, as redis-cli without a
// terminal, it prints "min max avg count" once. --latency-history ends a
// line every interval (15 s unless -i) with " -- N seconds range"; the
// console shortens intervals so Limits.HistoryRows of them fit in
// Limits.MaxTime.
func runLatency(ctx context.Context, inv *Invocation, env *Env, b *strings.Builder) error {
	lim := env.Limits
	if inv.Mode == ModeLatency {
		span := time.Second // what redis-cli samples when not on a terminal
		if inv.HasInterval && inv.Interval > 0 {
			span = inv.Interval
		}
		span = min(span, lim.MaxTime)
		s, err := sampleLatency(ctx, env, span)
		if err != nil {
			return err
		}
		if inv.Raw {
			fmt.Fprintf(b, "%d %d %.2f %d\n", s.min, s.max, s.avg(), s.count)
			return nil
		}
		b.WriteString(s.line() + "\n")
		b.WriteString(boundedLine(fmt.Sprintf("sampling for %s", span)))
		return nil
	}
	every := 15 * time.Second
	if inv.HasInterval && inv.Interval > 0 {
		every = inv.Interval
	}
	every = min(every, lim.MaxTime/time.Duration(max(lim.HistoryRows, 1)))
	for row := 0; row < lim.HistoryRows; row++ {
		start := env.now()
		s, err := sampleLatency(ctx, env, every)
		if err != nil {
			return err
		}
		fmt.Fprintf(b, "%s -- %.2f seconds range\n", s.line(), env.now().Sub(start).Seconds())
	}
	b.WriteString(boundedLine(fmt.Sprintf("%d lines of %s", lim.HistoryRows, every)))
	return nil
}

// sampleLatency PINGs every 10 ms for span. Replies are not looked at (an
// error is a round trip too, as for redis-cli).
func sampleLatency(ctx context.Context, env *Env, span time.Duration) (latencyStats, error) {
	var s latencyStats
	start := env.now()
	for {
		t0 := env.now()
		if _, err := env.Do(ctx, "PING"); err != nil {
			return s, err
		}
		s.add(env.now().Sub(t0).Milliseconds())
		if env.now().Sub(start) >= span {
			return s, nil
		}
		if err := env.sleep(ctx, latencySampleEvery); err != nil {
			return s, err
		}
	}
}
