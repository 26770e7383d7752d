package rediscli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Mode is what a redis-cli invocation does: run a command (ModeCommand,
// the default) or one of redis-cli's special modes.
type Mode int

// The modes the console runs. When several are given, the first in this
// list that redis-cli itself would pick wins (latency before bigkeys
// before memkeys before hotkeys before stat before scan).
const (
	ModeCommand Mode = iota
	ModeLatency
	ModeLatencyHistory
	ModeBigKeys
	ModeMemKeys
	ModeHotKeys
	ModeStat
	ModeScan
)

// Invocation is a console line read the way redis-cli reads its command
// line: the options after a leading "redis-cli" and the command after them.
// A line that does not start with "redis-cli" is a plain command typed at
// the prompt: CLI is false and only Args is set.
type Invocation struct {
	// Args is the command to send; empty for a mode or a bare "redis-cli".
	Args []string
	// CLI reports that the line started with "redis-cli".
	CLI bool
	// Raw is --raw (the last of --raw and --no-raw wins; the console's
	// default is --no-raw, as on a terminal).
	Raw bool
	// DB is -n's database; HasDB reports that -n was given.
	DB    int
	HasDB bool
	// Repeat is -r's count (negative: forever); 0 when -r was not given.
	Repeat    int64
	HasRepeat bool
	// Interval is -i's pause, and HasInterval reports that -i was given.
	Interval    time.Duration
	HasInterval bool
	// Mode is the special mode, ModeCommand when none.
	Mode Mode
	// Pattern is --pattern's glob ("*" by default); Count is --count's
	// SCAN COUNT (0: the server's default).
	Pattern string
	Count   int
	// MemkeysSamples is --memkeys-samples (0: MEMORY USAGE's default).
	MemkeysSamples int
}

// OwnConnection reports whether the invocation runs as a separate
// redis-cli process would, on a connection of its own: a special mode, a
// database chosen with -n or a repeated command. Other lines run on the
// console's session connection, so SELECT and MULTI carry over.
func (inv *Invocation) OwnConnection() bool {
	return inv.Mode != ModeCommand || inv.HasDB || inv.HasRepeat
}

// UnrecognizedOption is redis-cli's message (and exit) for an option it
// does not know or one missing its value.
func unrecognized(opt string) error {
	return &OptionError{Msg: fmt.Sprintf("Unrecognized option or bad number of args for: '%s'", opt)}
}

// OptionError is a command line redis-cli refuses; Msg is the line it
// prints (without the newline).
type OptionError struct{ Msg string }

func (e *OptionError) Error() string { return e.Msg }

// connectionOptions take a value and have no meaning in the console, which
// is already connected and signed in to the learner's own server.
var connectionOptions = map[string]bool{
	"-h": true, "-p": true, "-s": true, "-u": true, "-a": true, "--user": true, "--pass": true,
}

// unsupportedOptions are real redis-cli 7.0 options the console does not
// emulate: refused with ErrUnsupportedOption rather than redis-cli's
// "Unrecognized option", since the real tool has them.
var unsupportedOptions = map[string]bool{
	"-2": true, "-3": true, "-x": true, "-X": true, "-d": true, "-D": true, "-c": true, "-e": true,
	"--tls": true, "--sni": true, "--cacert": true, "--cacertdir": true, "--insecure": true,
	"--cert": true, "--key": true, "--tls-ciphers": true, "--tls-ciphersuites": true,
	"--askpass": true, "--quoted-input": true, "--csv": true, "--json": true, "--quoted-json": true,
	"--show-pushes": true, "--latency-dist": true, "--lru-test": true, "--replica": true, "--slave": true,
	"--rdb": true, "--functions-rdb": true, "--pipe": true, "--pipe-timeout": true,
	"--quoted-pattern": true, "--intrinsic-latency": true, "--eval": true, "--ldb": true,
	"--ldb-sync-mode": true, "--cluster": true, "--verbose": true, "--help": true, "--version": true, "-v": true,
}

// ParseInvocation tokenizes line with Tokenize and reads it as redis-cli
// reads its command line when the first argument is exactly "redis-cli";
// otherwise the line is a plain command (Invocation.Args). Options are
// read up to the first argument that does not start with '-':
//
//	-h -p -s -u -a --user --pass VALUE, --no-auth-warning   ignored
//	--raw, --no-raw, -n DB, -r COUNT, -i SECONDS
//	--bigkeys, --memkeys, --memkeys-samples N, --hotkeys, --scan,
//	--pattern GLOB, --count N, --stat, --latency, --latency-history
//
// Numbers are read as redis-cli reads them (leading digits, else 0). An
// option redis-cli does not know, or one missing its value, is an
// *OptionError carrying redis-cli's own message; a real option that the
// console does not emulate (--csv, -c, --pipe, ...) wraps
// ErrUnsupportedOption. Errors from Tokenize are returned unchanged.
func ParseInvocation(line string) (*Invocation, error) {
	args, err := Tokenize(line)
	if err != nil {
		return nil, err
	}
	inv := &Invocation{Pattern: "*"}
	if len(args) == 0 || args[0] != "redis-cli" {
		inv.Args = args
		return inv, nil
	}
	inv.CLI = true
	args = args[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		opt := args[0]
		last := len(args) == 1
		value := func() string { v := args[1]; args = args[1:]; return v }
		switch {
		case connectionOptions[opt] && !last:
			value()
		case opt == "--no-auth-warning":
		case opt == "--raw":
			inv.Raw = true
		case opt == "--no-raw":
			inv.Raw = false
		case opt == "-n" && !last:
			inv.DB, inv.HasDB = int(atoi(value())), true
		case opt == "-r" && !last:
			inv.Repeat, inv.HasRepeat = atoi(value()), true
		case opt == "-i" && !last:
			secs, _ := strconv.ParseFloat(leadingFloat(value()), 64)
			inv.Interval, inv.HasInterval = time.Duration(secs*float64(time.Second)), true
		case opt == "--bigkeys":
			inv.setMode(ModeBigKeys)
		case opt == "--memkeys":
			inv.setMode(ModeMemKeys)
		case opt == "--memkeys-samples" && !last:
			inv.setMode(ModeMemKeys)
			inv.MemkeysSamples = int(atoi(value()))
		case opt == "--hotkeys":
			inv.setMode(ModeHotKeys)
		case opt == "--scan":
			inv.setMode(ModeScan)
		case opt == "--stat":
			inv.setMode(ModeStat)
		case opt == "--latency":
			inv.setMode(ModeLatency)
		case opt == "--latency-history":
			inv.setMode(ModeLatencyHistory)
		case opt == "--pattern" && !last:
			inv.Pattern = value()
		case opt == "--count" && !last:
			inv.Count = int(atoi(value()))
		case unsupportedOptions[opt]:
			return nil, fmt.Errorf("%w: %s", ErrUnsupportedOption, opt)
		default:
			return nil, unrecognized(opt)
		}
		args = args[1:]
	}
	inv.Args = args
	return inv, nil
}

// setMode records mode unless one redis-cli ranks first is already set.
func (inv *Invocation) setMode(m Mode) {
	if inv.Mode == ModeCommand || m < inv.Mode {
		inv.Mode = m
	}
}

// atoi reads s like C's atoi: optional blanks and sign, then the leading
// digits; 0 when there are none.
func atoi(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.ParseInt(s[:end], 10, 64)
	return n
}

// leadingFloat returns the longest prefix of s that reads as a decimal
// number, as C's strtod would take it ("0.1s" gives "0.1").
func leadingFloat(s string) string {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	for end := len(s); end > 0; end-- {
		if _, err := strconv.ParseFloat(s[:end], 64); err == nil {
			return s[:end]
		}
	}
	return "0"
}
