package kafkacli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Broker is the learner's Kafka cluster that every command runs against,
// whatever --bootstrap-server says: the console connects to Seeds and to
// the brokers their metadata names, never to an address typed on the
// command line.
type Broker struct {
	// Seeds are the host:port addresses to bootstrap from.
	Seeds []string
	// Limits fence the sandbox: the most topics, partitions and bytes
	// the console lets a learner create. The zero value means the
	// defaults (see Limits).
	Limits Limits
}

// client opens a franz-go client to the broker with the extra options.
func (b Broker) client(extra ...kgo.Opt) (*kgo.Client, error) {
	if len(b.Seeds) == 0 {
		return nil, errors.New("kafkacli: broker has no seed addresses")
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(b.Seeds...),
		kgo.ClientID("opslab-console"),
	}, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("open kafka client: %w", err)
	}
	return cl, nil
}

// admin opens an admin client to the broker; closing it closes the
// underlying client.
func (b Broker) admin() (*kadm.Client, error) {
	cl, err := b.client()
	if err != nil {
		return nil, err
	}
	return kadm.NewClient(cl), nil
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
	if _, ok := out.(*CappedWriter); !ok {
		out = NewCappedWriter(out, MaxOutput)
	}
	switch cmd.Action {
	case ActionHelp:
		return printHelp(cmd.Tool, out)
	case ActionVersion:
		_, err := fmt.Fprintln(out, ToolVersion)
		return err
	}
	switch cmd.Tool {
	case ToolTopics:
		return runTopics(ctx, b, cmd, out)
	case ToolConfigs:
		return runConfigs(ctx, b, cmd, out)
	case ToolProducer:
		return runProducer(ctx, b, cmd, out)
	case ToolConsumer:
		return runConsumer(ctx, b, cmd, out)
	case ToolGroups:
		return runGroups(ctx, b, cmd, out)
	case ToolACLs:
		return runACLs(ctx, b, cmd, out)
	case ToolTransactions:
		return runTransactions(ctx, b, cmd, out)
	case ToolDrill:
		return runDrill(ctx, b, cmd, out)
	}
	return &Error{Op: "run", Text: fmt.Sprintf("%s: command not found", cmd.Tool), Err: ErrUsage}
}

// printHelp prints the options this console accepts for a tool.
func printHelp(tool string, out io.Writer) error {
	var spec *toolSpec
	for _, s := range []*toolSpec{&topicsSpec, &configsSpec, &producerSpec, &consumerSpec, &groupsSpec, &aclsSpec, &transactionsSpec, &drillSpec} {
		if s.tool == tool {
			spec = s
		}
	}
	if spec == nil {
		return &Error{Op: "help", Text: tool + ": command not found", Err: ErrUsage}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Options of %s in this console:\n", tool)
	for _, o := range spec.options {
		if !o.supported || o.hidden {
			continue
		}
		if o.takesArg {
			fmt.Fprintf(&b, "  --%s <value>\n", o.name)
		} else {
			fmt.Fprintf(&b, "  --%s\n", o.name)
		}
	}
	b.WriteString(spec.helpNote)
	_, err := io.WriteString(out, b.String())
	return err
}

// ctxError returns ctx's error worded for op, or nil when ctx is not done.
func ctxError(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return &Error{Op: op, Text: fmt.Sprintf("%s: interrupted: %v", op, err), Err: err}
	}
	return nil
}
