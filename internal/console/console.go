// Package console is the one front door of the command languages learners
// and authors type: redis-cli's (package rediscli), Apache Kafka's tools'
// (package kafkacli) and systemctl's (package servicectl). Parse chooses
// the language from the sandbox's kind and reads a line into a Command;
// the content loader, the live console, setups and solutions all read
// their lines through it, so the choice is made here only.
package console

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opslab/opslab/internal/console/kafkacli"
	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/console/servicectl"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/kinds"
)

// ErrEmpty is wrapped by Parse's error for a line with no command: blank
// after its "@node" (and, for a script line of a Redis sandbox, a line
// that is only "redis-cli" and connection options).
var ErrEmpty = errors.New("empty command")

// ErrNoNode is wrapped by Parse's error for a line whose "@name" names no
// node of the sandbox's kind.
var ErrNoNode = errors.New("no such node")

// ErrKind is wrapped by Parse's error for a kind that is not a sandbox
// kind.
var ErrKind = errors.New("unknown sandbox kind")

// Command is one parsed line: the node it runs on and exactly one of a
// Redis command, a Kafka tool invocation and a service (systemctl)
// command. A language added later (SQL) gets a field of its own.
type Command struct {
	// Node is the node the line's leading "@name" names; "" for a line
	// that names none, which runs on the kind's default node (its first).
	Node string
	// Text is the line without its "@name" (in Live mode, a line that
	// names no node, even one starting with a bare "@", as typed).
	Text string

	// Redis is the redis-cli invocation, in a Redis sandbox.
	Redis *rediscli.Invocation
	// Kafka is the Kafka tool invocation, in a Kafka sandbox.
	Kafka kafkacli.Command
	// Service is the systemctl command, in a Kafka sandbox.
	Service *servicectl.Command
}

// Mode says who wrote a line, which decides how strictly a Redis line is
// read.
type Mode int

const (
	// Live is a line a learner types in the console: a Redis line is read
	// as redis-cli reads its command line (rediscli.ParseInvocation: --raw,
	// -n, --scan, ... and redis-cli's own messages for bad options).
	Live Mode = iota
	// Script is a setup, solution or counter-example line, run by the
	// platform on its own connection: a Redis line may only drop
	// redis-cli's connection options (rediscli.ParseLine), and one with no
	// command is ErrEmpty.
	Script
)

// Parse reads line as a command of a sandbox of kind, written in mode. It
// splits off a leading "@name" (the node), refuses a node kind does not
// have (ErrNoNode), and parses the rest in the language of that node's
// family (the default node's when the line names none; see
// kinds.Kind.NodeFamily): a redis-cli line on a Redis node; a systemctl
// line (servicectl.Is) or a Kafka tool line on a Kafka node; a Postgres
// node's line is SQL or a psql meta-command, kept as Text. A blank command is ErrEmpty in
// every mode. On any error the returned Command still holds Node and Text
// as far as they were read, so that a caller can say which node a bad line
// named; the errors of the languages' parsers are returned unwrapped, with
// their own texts (what the real tools print).
func Parse(kind kinds.Kind, mode Mode, line string) (Command, error) {
	return ParseOn(kind, mode, "", line)
}

// ParseOn is Parse for a line sent to node: a line that names no node of
// its own is read in node's language ("" for the default node's). In a
// stack, where nodes speak different languages, the console's node tab
// decides this way.
func ParseOn(kind kinds.Kind, mode Mode, node, line string) (Command, error) {
	if !kind.Valid() {
		return Command{}, fmt.Errorf("%w %q", ErrKind, kind)
	}
	name, text := course.SplitNodeLine(line)
	if name == "" && mode == Live {
		// The console runs a line that names no node as typed, even one
		// starting with a bare "@".
		text = line
	}
	c := Command{Node: name, Text: text}
	if name != "" && !kind.HasNode(name) {
		return c, fmt.Errorf("%w: a %s sandbox has no node %q (its nodes: %s)", ErrNoNode, kind, name, strings.Join(kind.NodeNames(), ", "))
	}
	// A stack's nodes speak different languages: the line's node decides.
	target := name
	if target == "" {
		target = node
	}
	fam := kind.NodeFamily(target)
	if strings.TrimSpace(text) == "" && (mode == Live || fam == kinds.Redis) {
		return c, ErrEmpty
	}
	switch fam {
	case kinds.Redis:
		if mode == Live {
			inv, err := rediscli.ParseInvocation(text)
			if err != nil {
				return c, err
			}
			c.Redis = inv
			return c, nil
		}
		args, err := rediscli.ParseLine(text)
		if err != nil {
			return c, err
		}
		if len(args) == 0 {
			return c, ErrEmpty
		}
		c.Redis = &rediscli.Invocation{Args: args, Pattern: "*"}
	case kinds.Kafka:
		if servicectl.Is(text) {
			sc, err := servicectl.Parse(text)
			if err != nil {
				return c, err
			}
			c.Service = &sc
			return c, nil
		}
		kc, err := kafkacli.Parse(text)
		if err != nil {
			return c, err
		}
		c.Kafka = kc
	}
	return c, nil
}

// CheckCommand reports whether line, a setup or solution line without its
// "@node", parses as a command of the sandbox kind: it implements
// course.CommandChecker for the content loader.
func CheckCommand(kind, line string) error {
	_, err := Parse(kinds.Kind(kind), Script, line)
	return err
}
