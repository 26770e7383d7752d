package kafkacli

import (
	"context"
	"errors"
	"fmt"

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

// connect opens a client for a command of op. A client that cannot be
// opened is returned as an *Error worded by text, as the tool prints a
// failure to reach the cluster.
func (b Broker) connect(op string, text func(msg string) string) (*kgo.Client, error) {
	cl, err := b.client()
	if err != nil {
		return nil, &Error{Op: op, Text: text(err.Error()), Err: err}
	}
	return cl, nil
}

// connectAdmin is connect for a command that needs only an admin client;
// closing the admin client closes the connection.
func (b Broker) connectAdmin(op string, text func(msg string) string) (*kadm.Client, error) {
	cl, err := b.connect(op, text)
	if err != nil {
		return nil, err
	}
	return kadm.NewClient(cl), nil
}

// toolFailure returns err as a tool reports it: nil stays nil, an *Error
// (already in the tool's wording) is returned as it is, and any other
// failure becomes an *Error for op worded by text.
func toolFailure(op string, err error, text func(error) string) error {
	var toolErr *Error
	if err == nil || errors.As(err, &toolErr) {
		return err
	}
	return &Error{Op: op, Text: text(err), Err: err}
}

// plainText words a failure with its own message, as the tools do for a
// failure they do not word themselves.
func plainText(msg string) string { return msg }

// ctxError returns ctx's error worded for op, or nil when ctx is not done.
func ctxError(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return &Error{Op: op, Text: fmt.Sprintf("%s: interrupted: %v", op, err), Err: err}
	}
	return nil
}
