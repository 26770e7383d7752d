package rediscli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/resp"
)

// Env is what Run needs from the console: a way to run one command as the
// learner (every command a mode sends goes through Do, so a mode can do
// only what the learner could type), a clock, and the console's bounds.
type Env struct {
	// Do runs one command; an error is a broken connection or an expired
	// ctx, never a reply (a refusal is a resp.Error value).
	Do func(ctx context.Context, args ...string) (resp.Value, error)
	// Now and Sleep default to the real clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Limits bound the modes that redis-cli runs until Ctrl-C.
	Limits Limits
}

// Limits bound repeated and sampling modes in the console. A mode that
// reaches one stops and prints one line saying so (see boundedLine).
type Limits struct {
	MaxRepeat   int64         // -r runs
	MaxTime     time.Duration // -r/-i, --stat, --latency and --latency-history
	StatRows    int           // --stat rows
	HistoryRows int           // --latency-history lines
	MaxOutput   int           // --scan, --bigkeys ... stop once past it
}

// DefaultLimits are the console's bounds.
var DefaultLimits = Limits{MaxRepeat: 100, MaxTime: 3 * time.Second, StatRows: 3, HistoryRows: 3, MaxOutput: 64 << 10}

// boundedLine is the line that ends a mode the console stopped early.
func boundedLine(what string) string {
	return fmt.Sprintf("(the console stopped after %s; redis-cli would go on until done or Ctrl-C)\n", what)
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Env) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run carries out inv as redis-cli 7.0 would on a terminal and returns
// what it prints, stdout and stderr in the order they appear. It does not
// track prompt state: see Session. The error is Do's, with what was
// printed so far.
func Run(ctx context.Context, inv *Invocation, env Env) (string, error) {
	if env.Limits == (Limits{}) {
		env.Limits = DefaultLimits
	}
	var b strings.Builder
	if inv.HasDB && inv.DB != 0 {
		v, err := env.Do(ctx, "SELECT", strconv.Itoa(inv.DB))
		if err != nil {
			return b.String(), err
		}
		if v.Kind == resp.Error {
			fmt.Fprintf(&b, "SELECT %d failed: %s\n", inv.DB, v.Str)
		}
	}
	var err error
	switch inv.Mode {
	case ModeLatency, ModeLatencyHistory:
		err = runLatency(ctx, inv, &env, &b)
	case ModeBigKeys, ModeMemKeys:
		err = runBigKeys(ctx, inv, &env, &b)
	case ModeHotKeys:
		err = runHotKeys(ctx, inv, &env, &b)
	case ModeStat:
		err = runStat(ctx, inv, &env, &b)
	case ModeScan:
		err = runScan(ctx, inv, &env, &b)
	default:
		err = runCommand(ctx, inv, &env, &b)
	}
	return b.String(), err
}

// FormatFor renders the reply v to args as redis-cli does with (raw) or
// without (--no-raw) --raw. With --raw a newline follows the reply, except
// for the commands it always prints raw (INFO, CLIENT LIST, ...: see
// FormatReply), which print the same either way.
func FormatFor(args []string, v resp.Value, raw bool) string {
	if raw && !printsRaw(args) {
		return FormatRaw(v) + "\n"
	}
	return FormatReply(args, v)
}

// runCommand runs inv.Args once, or -r times with -i pauses, bounded.
func runCommand(ctx context.Context, inv *Invocation, env *Env, b *strings.Builder) error {
	if len(inv.Args) == 0 {
		return nil
	}
	runs := int64(1)
	if inv.HasRepeat {
		runs = inv.Repeat
	}
	lim := env.Limits
	start := env.now()
	for i := int64(0); runs < 0 || i < runs; i++ {
		if i == lim.MaxRepeat {
			return bounded(b, runs, i, lim)
		}
		v, err := env.Do(ctx, inv.Args...)
		if err != nil {
			return err
		}
		b.WriteString(FormatFor(inv.Args, v, inv.Raw))
		if runs >= 0 && i+1 == runs {
			break
		}
		if inv.Interval > 0 {
			if env.now().Sub(start)+inv.Interval > lim.MaxTime {
				return bounded(b, runs, i+1, lim)
			}
			if err := env.sleep(ctx, inv.Interval); err != nil {
				return err
			}
		}
	}
	return nil
}

func bounded(b *strings.Builder, runs, done int64, lim Limits) error {
	what := fmt.Sprintf("%d runs", done)
	if runs > 0 {
		what = fmt.Sprintf("%d of %d runs", done, runs)
	}
	b.WriteString(boundedLine(fmt.Sprintf("%s (at most %d runs and %s)", what, lim.MaxRepeat, lim.MaxTime)))
	return nil
}

// scanArgs is the SCAN command for cursor with the invocation's pattern
// and count.
func scanArgs(inv *Invocation, cursor string) []string {
	args := []string{"SCAN", cursor}
	if inv.Pattern != "" && inv.Pattern != "*" {
		args = append(args, "MATCH", inv.Pattern)
	}
	if inv.Count > 0 {
		args = append(args, "COUNT", strconv.Itoa(inv.Count))
	}
	return args
}

// scanStep runs one SCAN and returns the next cursor and the keys, or
// ok false after printing redis-cli's "SCAN error" line.
func scanStep(ctx context.Context, inv *Invocation, env *Env, b *strings.Builder, cursor string) (next string, keys []string, ok bool, err error) {
	v, err := env.Do(ctx, scanArgs(inv, cursor)...)
	if err != nil {
		return "", nil, false, err
	}
	if v.Kind == resp.Error {
		fmt.Fprintf(b, "SCAN error: %s\n", v.Str)
		return "", nil, false, nil
	}
	if v.Kind != resp.Array || len(v.Elems) != 2 {
		b.WriteString("SCAN error: unexpected reply\n")
		return "", nil, false, nil
	}
	for _, k := range v.Elems[1].Elems {
		keys = append(keys, k.Str)
	}
	return v.Elems[0].Str, keys, true, nil
}

// errModeEnded is returned by a batch of sampleKeyspace that printed why
// the mode ends there, as redis-cli does, with no summary.
var errModeEnded = errors.New("mode ended")

// sampleKeyspace walks the keyspace with SCAN for --bigkeys, --memkeys and
// --hotkeys, calling each with every batch of keys, pausing -i after every
// 100 SCANs and stopping early once the output passes its cap. ok is
// false when SCAN failed or each returned errModeEnded (why is printed):
// no summary follows.
func sampleKeyspace(ctx context.Context, inv *Invocation, env *Env, b *strings.Builder, each func(keys []string) error) (ok bool, err error) {
	cursor := "0"
	for loops := 0; ; loops++ {
		if inv.Interval > 0 && loops > 0 && loops%100 == 0 {
			if err := env.sleep(ctx, inv.Interval); err != nil {
				return false, err
			}
		}
		next, keys, ok, err := scanStep(ctx, inv, env, b, cursor)
		if err != nil || !ok {
			return false, err
		}
		if err := each(keys); errors.Is(err, errModeEnded) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		if next == "0" || next == "" || b.Len() > env.Limits.MaxOutput {
			return true, nil
		}
		cursor = next
	}
}

// runScan is --scan: every key SCAN returns, one a line, quoted unless
// --raw; -i pauses after each SCAN.
func runScan(ctx context.Context, inv *Invocation, env *Env, b *strings.Builder) error {
	cursor := "0"
	for {
		next, keys, ok, err := scanStep(ctx, inv, env, b, cursor)
		if err != nil || !ok {
			return err
		}
		for _, k := range keys {
			if inv.Raw {
				b.WriteString(k)
			} else {
				writeQuoted(b, k)
			}
			b.WriteByte('\n')
		}
		if next == "0" || next == "" {
			return nil
		}
		if b.Len() > env.Limits.MaxOutput {
			return nil
		}
		cursor = next
		if err := env.sleep(ctx, inv.Interval); err != nil {
			return err
		}
	}
}

// keyType is one type's totals in --bigkeys and --memkeys.
type keyType struct {
	name, sizeCmd, unit string
	count, total        uint64
	biggest             uint64
	biggestKey          string
	found               bool
}

// builtinTypes are the types redis-cli knows, in the order it registers
// them, with the command that sizes them and the unit.
var builtinTypes = []keyType{
	{name: "string", sizeCmd: "STRLEN", unit: "bytes"},
	{name: "list", sizeCmd: "LLEN", unit: "items"},
	{name: "set", sizeCmd: "SCARD", unit: "members"},
	{name: "hash", sizeCmd: "HLEN", unit: "fields"},
	{name: "zset", sizeCmd: "ZCARD", unit: "members"},
	{name: "stream", sizeCmd: "XLEN", unit: "entries"},
}

func keysHeader(what string) string {
	return "\n# Scanning the entire keyspace to find " + what + " as well as\n" +
		"# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n" +
		"# per 100 SCAN commands (not usually needed).\n\n"
}

// dbSize runs DBSIZE, printing redis-cli's line when it fails.
func dbSize(ctx context.Context, env *Env, b *strings.Builder) (int64, bool, error) {
	v, err := env.Do(ctx, "DBSIZE")
	if err != nil {
		return 0, false, err
	}
	if v.Kind != resp.Integer {
		fmt.Fprintf(b, "Couldn't determine DBSIZE: %s\n", v.Str)
		return 0, false, nil
	}
	return v.Int, true, nil
}

func percent(done uint64, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return 100 * float64(done) / float64(total)
}

// runBigKeys is --bigkeys (sizes by element count) and --memkeys (by
// MEMORY USAGE).
func runBigKeys(ctx context.Context, inv *Invocation, env *Env, b *strings.Builder) error {
	mem := inv.Mode == ModeMemKeys
	total, ok, err := dbSize(ctx, env, b)
	if err != nil || !ok {
		return err
	}
	b.WriteString(keysHeader("biggest keys"))
	types := make([]keyType, len(builtinTypes))
	copy(types, builtinTypes)
	table := newTypeTable()
	for i, t := range types {
		if mem {
			types[i].unit = "bytes"
		}
		table.add(t.name, i)
	}
	var sampled, totalLen uint64
	ok, err = sampleKeyspace(ctx, inv, env, b, func(keys []string) error {
		pct := percent(sampled, total)
		kinds := make([]int, len(keys))
		for i, k := range keys {
			v, err := env.Do(ctx, "TYPE", k)
			if err != nil {
				return err
			}
			if v.Kind == resp.Error {
				fmt.Fprintf(b, "TYPE returned an error: %s\n", v.Str)
				return errModeEnded
			}
			idx, found := table.find(v.Str)
			switch {
			case found:
				kinds[i] = idx
			case v.Str == "none":
				kinds[i] = -1
			default: // a module's type: counted, sized only by --memkeys
				unit := "units"
				if mem {
					unit = "bytes"
				}
				types = append(types, keyType{name: v.Str, unit: unit})
				table.add(v.Str, len(types)-1)
				kinds[i] = len(types) - 1
			}
		}
		sizes := make([]uint64, len(keys))
		for i, k := range keys {
			if kinds[i] < 0 {
				continue
			}
			t := types[kinds[i]]
			cmd := []string{t.sizeCmd, k}
			name := t.sizeCmd
			if mem {
				cmd, name = []string{"MEMORY", "USAGE", k}, "MEMORY USAGE"
				if inv.MemkeysSamples > 0 {
					cmd = append(cmd, "SAMPLES", strconv.Itoa(inv.MemkeysSamples))
				}
			} else if t.sizeCmd == "" {
				continue
			}
			v, err := env.Do(ctx, cmd...)
			if err != nil {
				return err
			}
			if v.Kind != resp.Integer {
				fmt.Fprintf(b, "Warning:  %s on '%s' failed (may have changed type)\n", name, k)
				continue
			}
			sizes[i] = uint64(v.Int)
		}
		for i, k := range keys {
			if kinds[i] < 0 {
				continue
			}
			t := &types[kinds[i]]
			totalLen += uint64(len(k))
			sampled++
			if sizes[i] > t.biggest {
				fmt.Fprintf(b, "[%05.2f%%] Biggest %-6s found so far '%s' with %d %s\n", pct, t.name, quoted(k), sizes[i], t.unit)
				t.biggest, t.biggestKey, t.found = sizes[i], k, true
			}
			t.count++
			t.total += sizes[i]
		}
		return nil
	})
	if err != nil || !ok {
		return err
	}
	b.WriteString("\n-------- summary -------\n\n")
	fmt.Fprintf(b, "Sampled %d keys in the keyspace!\n", sampled)
	avgLen := 0.0
	if sampled > 0 {
		avgLen = float64(totalLen) / float64(sampled)
	}
	fmt.Fprintf(b, "Total key length in bytes is %d (avg len %.2f)\n\n", totalLen, avgLen)
	order := table.order()
	for _, i := range order {
		if t := types[i]; t.found {
			fmt.Fprintf(b, "Biggest %6s found '%s' has %d %s\n", t.name, quoted(t.biggestKey), t.biggest, t.unit)
		}
	}
	b.WriteByte('\n')
	for _, i := range order {
		t := types[i]
		avg := 0.0
		if t.count > 0 {
			avg = float64(t.total) / float64(t.count)
		}
		keyPct := 0.0
		if sampled > 0 {
			keyPct = 100 * float64(t.count) / float64(sampled)
		}
		fmt.Fprintf(b, "%d %ss with %d %s (%05.2f%% of keys, avg size %.2f)\n", t.count, t.name, t.total, t.unit, keyPct, avg)
	}
	return nil
}

// quoted is s as redis-cli shows a bulk string, in double quotes.
func quoted(s string) string {
	var b strings.Builder
	writeQuoted(&b, s)
	return b.String()
}

// hotSlots is how many of the hottest keys --hotkeys keeps.
const hotSlots = 16

// runHotKeys is --hotkeys: OBJECT FREQ of every key, keeping the 16
// hottest (which needs an LFU maxmemory-policy; otherwise the server's
// error is printed).
func runHotKeys(ctx context.Context, inv *Invocation, env *Env, b *strings.Builder) error {
	total, ok, err := dbSize(ctx, env, b)
	if err != nil || !ok {
		return err
	}
	b.WriteString(keysHeader("hot keys"))
	var counters [hotSlots]uint64
	var names [hotSlots]string
	var sampled uint64
	ok, err = sampleKeyspace(ctx, inv, env, b, func(keys []string) error {
		pct := percent(sampled, total)
		freqs := make([]uint64, len(keys))
		for i, k := range keys {
			v, err := env.Do(ctx, "OBJECT", "FREQ", k)
			if err != nil {
				return err
			}
			if v.Kind == resp.Error {
				fmt.Fprintf(b, "Error: %s\n", v.Str)
				return errModeEnded
			}
			freqs[i] = uint64(v.Int)
		}
		for i, k := range keys {
			sampled++
			// The slots are kept in ascending order; a key hotter than
			// the coolest takes the highest slot it beats, pushing the
			// cooler ones down and the coolest out.
			pos := 0
			for pos < hotSlots && freqs[i] > counters[pos] {
				pos++
			}
			if pos == 0 {
				continue
			}
			pos--
			if pos > 0 && counters[pos] != 0 {
				copy(counters[:pos], counters[1:pos+1])
				copy(names[:pos], names[1:pos+1])
			}
			counters[pos], names[pos] = freqs[i], k
			fmt.Fprintf(b, "[%05.2f%%] Hot key '%s' found so far with counter %d\n", pct, quoted(k), freqs[i])
		}
		return nil
	})
	if err != nil || !ok {
		return err
	}
	b.WriteString("\n-------- summary -------\n\n")
	fmt.Fprintf(b, "Sampled %d keys in the keyspace!\n", sampled)
	for i := hotSlots - 1; i >= 0; i-- {
		if counters[i] > 0 {
			fmt.Fprintf(b, "hot key found with counter: %d\tkeyname: %s\n", counters[i], quoted(names[i]))
		}
	}
	return nil
}
