package kafkacli

import (
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// Command is one console line parsed by its tool: a *TopicsCommand,
// *ConfigsCommand, *ProducerCommand, *ConsumerCommand, *GroupsCommand,
// *ACLCommand, *TransactionsCommand or *DrillCommand, each holding its own
// tool's options. A line asking for --help or --version is a Command of
// the registry itself, whatever the tool. Run executes a Command.
type Command interface {
	// Line returns what every command has: the tool, the action and the
	// arguments as typed.
	Line() Call
	// run executes the command against the broker; Run calls it with an
	// output already capped.
	run(ctx context.Context, b Broker, out io.Writer) error
}

// Call is the part of a Command every tool shares. Each tool's command
// type embeds it.
type Call struct {
	Tool   string   // one of the Tool constants
	Action string   // one of the Action constants
	Args   []string // the arguments after the tool name, as typed
}

// Line returns c itself, so that every command type embedding a Call
// satisfies Command's Line.
func (c Call) Line() Call { return c }

// toolCommand is a tool's command before its options are checked: parse
// fills it from the scanned options, or returns the usage error the real
// tool prints.
type toolCommand interface {
	Command
	parse(s scanned) error
}

// tool is one entry of the registry: a Kafka tool the console runs. Its
// spec words option errors and lists its options; newCommand returns an
// empty command of the tool for the line (only kafka-console-producer
// reads standard input, so only it looks at in).
type tool struct {
	spec       *toolSpec
	readsInput bool
	newCommand func(c Call, in stdin) toolCommand
}

// registry holds every tool by its name, filled by register from the
// tools' files.
var registry = map[string]*tool{}

// register adds a tool to the registry. It panics when the name is taken
// or when the tool lacks --help or --version, which the registry answers
// for every tool: both are programming errors found by any test.
func register(t *tool) {
	name := t.spec.tool
	if _, dup := registry[name]; dup {
		panic("kafkacli: tool registered twice: " + name)
	}
	for _, want := range []string{"help", "version"} {
		if !slices.ContainsFunc(t.spec.options, func(o option) bool { return o.name == want && o.supported }) {
			panic("kafkacli: tool " + name + " lacks --" + want)
		}
	}
	registry[name] = t
}

// notFound is the error for a word that names no registered tool.
func notFound(word string) error {
	return usageError("parse", fmt.Sprintf("%s: command not found (the kafka console runs kafka-topics, kafka-configs, kafka-console-producer, kafka-console-consumer, kafka-consumer-groups, kafka-acls and kafka-transactions)", word))
}

// Parse tokenizes a console line the way a POSIX shell splits words
// (single quotes, double quotes and backslash escapes) and parses it as
// one of the registered Kafka tools' commands. An entry of several lines,
// an echo or printf piped into the tool, or a here-document gives
// kafka-console-producer its standard input (stdin.go). The tool may be
// written with or without ".sh" and with a leading path.
// --bootstrap-server is accepted anywhere, with any value, and ignored.
//
// Parse does no I/O. Every problem it can find without a broker, from an
// unknown option to an invalid topic config value, is returned as an
// *Error wrapping ErrUsage whose text is what the real tool prints.
// --help and --version are answered here for every tool, before the
// tool checks its other options.
func Parse(entry string) (Command, error) {
	line, in, err := splitInput(entry)
	if err != nil {
		return nil, usageError("parse", err.Error())
	}
	words, err := Tokenize(line)
	if err != nil {
		return nil, usageError("parse", err.Error())
	}
	if len(words) == 0 {
		return nil, usageError("parse", "empty command line")
	}
	name := strings.TrimSuffix(path.Base(words[0]), ".sh")
	t, ok := registry[name]
	if !ok {
		return nil, notFound(words[0])
	}
	args := words[1:]
	s, err := t.spec.scan(args)
	if err != nil {
		return nil, err
	}
	if in.given && !t.readsInput {
		return nil, usageError("parse", fmt.Sprintf("%s reads no standard input: only kafka-console-producer takes lines after the command, a pipe or a here-document", name))
	}
	call := Call{Tool: name, Args: args}
	switch {
	case s.has("help"):
		call.Action = ActionHelp
		return &helpCommand{Call: call, spec: t.spec}, nil
	case s.has("version"):
		call.Action = ActionVersion
		return &versionCommand{Call: call}, nil
	}
	cmd := t.newCommand(call, in)
	if err := cmd.parse(s); err != nil {
		return nil, err
	}
	return cmd, nil
}

// Run executes cmd against the broker and writes what the Apache Kafka
// tool prints to out: its standard output and standard error in the order
// the tool writes them, so "Processed a total of N messages" comes last.
// Output beyond MaxOutput bytes is cut off with TruncatedLine (out is
// wrapped in a CappedWriter unless it already is one).
//
// A failure the tool reports is returned as an *Error whose text is the
// tool's wording; anything printed before the failure has been written to
// out. Run stops when ctx is done: the console consumer then prints its
// summary line and returns nil, as the real one does on Ctrl-C; every other
// command returns ctx's error.
func Run(ctx context.Context, b Broker, cmd Command, out io.Writer) error {
	if cmd == nil {
		return &Error{Op: "run", Text: "no command to run", Err: ErrUsage}
	}
	if _, ok := out.(*CappedWriter); !ok {
		out = NewCappedWriter(out, MaxOutput)
	}
	return cmd.run(ctx, b, out)
}

// helpCommand is any tool's --help: it lists the options this console
// accepts for the tool, without the hidden ones.
type helpCommand struct {
	Call
	spec *toolSpec
}

// run prints the tool's options and its help note; it needs no broker.
func (h *helpCommand) run(_ context.Context, _ Broker, out io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Options of %s in this console:\n", h.Tool)
	for _, o := range h.spec.options {
		if !o.supported || o.hidden {
			continue
		}
		if o.takesArg {
			fmt.Fprintf(&b, "  --%s <value>\n", o.name)
		} else {
			fmt.Fprintf(&b, "  --%s\n", o.name)
		}
	}
	b.WriteString(h.spec.helpNote)
	_, err := io.WriteString(out, b.String())
	return err
}

// versionCommand is any tool's --version: it prints ToolVersion.
type versionCommand struct{ Call }

// run prints the version line; it needs no broker.
func (v *versionCommand) run(_ context.Context, _ Broker, out io.Writer) error {
	_, err := fmt.Fprintln(out, ToolVersion)
	return err
}
