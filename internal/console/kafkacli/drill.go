package kafkacli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// drillSpec is opslab-drill, the platform's tool for exercise setups
// that need an application failure.
var drillSpec = toolSpec{
	tool: ToolDrill,
	options: toolOptions(
		[]string{"topic=", "partition=", "transactional-id=", "message=",
			"transaction-timeout-ms=", "help", "version"},
		nil,
	),
	unknown:    func(name string) string { return "opslab-drill: unknown option --" + name },
	missingArg: func(name string) string { return "opslab-drill: option --" + name + " needs a value" },
	badNumber: func(value, name string) string {
		return fmt.Sprintf("opslab-drill: --%s %s is not a number", name, value)
	},
}

// init adds the tool of this file to the registry.
func init() {
	register(&tool{spec: &drillSpec, newCommand: func(c Call, _ stdin) toolCommand { return &DrillCommand{Call: c} }})
}

// DrillCommand is an opslab-drill line: abandon-transaction or
// restart-producer (its Action), with its options.
type DrillCommand struct {
	Call
	Topic           string   // --topic
	Partition       int32    // --partition; 0 when not given
	TransactionalID string   // --transactional-id
	Messages        []string // --message, in order
	// TimeoutMs is --transaction-timeout-ms: 900000 unless given for
	// abandon-transaction; restart-producer's producer uses 60000.
	TimeoutMs int32
}

// parse checks opslab-drill options: restart-producer needs
// --transactional-id; abandon-transaction needs a topic, a transactional
// id and at least one message.
func (cmd *DrillCommand) parse(s scanned) error {
	fail := func(text string) error { return usageError(ToolDrill, text) }
	cmd.TransactionalID = s.first("transactional-id")
	if len(s.bare) == 1 && s.bare[0] == DrillRestart {
		if cmd.TransactionalID == "" {
			return fail("opslab-drill: restart-producer needs --transactional-id")
		}
		cmd.Action = DrillRestart
		cmd.TimeoutMs = 60000
		return nil
	}
	if len(s.bare) != 1 || s.bare[0] != DrillAbandonTxn {
		return fail("opslab-drill: usage: opslab-drill abandon-transaction --topic T --transactional-id ID --message M [--message M ...] [--partition P] [--transaction-timeout-ms N], or opslab-drill restart-producer --transactional-id ID")
	}
	cmd.Action = DrillAbandonTxn
	cmd.Topic, cmd.Messages, cmd.TimeoutMs = s.first("topic"), s.all("message"), 900000
	for _, num := range []struct {
		name  string
		field *int32
	}{{"partition", &cmd.Partition}, {"transaction-timeout-ms", &cmd.TimeoutMs}} {
		if !s.has(num.name) {
			continue
		}
		n, ok := parseInt32(s.first(num.name))
		if !ok {
			return fail("opslab-drill: --partition and --transaction-timeout-ms take whole numbers")
		}
		*num.field = int32(n)
	}
	switch {
	case cmd.Topic == "":
		return fail("opslab-drill: abandon-transaction needs --topic")
	case cmd.TransactionalID == "":
		return fail("opslab-drill: abandon-transaction needs --transactional-id")
	case len(cmd.Messages) == 0:
		return fail("opslab-drill: abandon-transaction needs at least one --message")
	case cmd.TimeoutMs <= 0:
		return fail("opslab-drill: --transaction-timeout-ms must be positive")
	}
	return nil
}

// run runs opslab-drill abandon-transaction: a transactional
// producer writes the messages inside a transaction and goes away
// without committing or aborting it, as an application that crashed
// mid-transaction does. The transaction stays open until the broker
// aborts it at --transaction-timeout-ms (default 900000, the largest
// transaction.max.timeout.ms allows by default), or until someone ends it.
// Messages that would pass the sandbox's record size or bytes limits are
// refused before the transaction begins.
func (cmd *DrillCommand) run(ctx context.Context, b Broker, out io.Writer) error {
	op := ToolDrill + " " + cmd.Action
	t := cmd
	if t.Action == DrillRestart {
		return restartProducer(ctx, b, t, out)
	}
	adm, err := b.connectAdmin(op, plainText)
	if err != nil {
		return err
	}
	defer adm.Close()
	meta, err := adm.ListTopics(ctx, t.Topic)
	if err != nil {
		return &Error{Op: op, Text: err.Error(), Err: err}
	}
	d, ok := meta[t.Topic]
	if !ok || d.Err != nil {
		return &Error{Op: op, Text: fmt.Sprintf("opslab-drill: topic %s does not exist: create it first", t.Topic), Err: ErrTopicNotFound}
	}
	if _, ok := d.Partitions[t.Partition]; !ok {
		return &Error{Op: op, Text: fmt.Sprintf("opslab-drill: topic %s has no partition %d", t.Topic, t.Partition)}
	}
	records := make([]*kgo.Record, len(t.Messages))
	for i, m := range t.Messages {
		records[i] = &kgo.Record{Topic: t.Topic, Partition: t.Partition, Value: []byte(m)}
	}
	lim := b.Limits.withDefaults()
	_, le := lim.checkRecordSizes(records)
	if le == nil {
		_, le, err = lim.checkTotalBytes(ctx, adm, records)
		if err != nil {
			return &Error{Op: op, Text: "opslab-drill: " + err.Error(), Err: err}
		}
	}
	if le != nil {
		return &Error{Op: op, Text: "opslab-drill: produce: " + le.javaException(), Err: le}
	}
	cl, err := b.client(
		kgo.TransactionalID(t.TransactionalID),
		kgo.TransactionTimeout(time.Duration(t.TimeoutMs)*time.Millisecond),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		producerBatchMaxBytes(lim),
	)
	if err != nil {
		return &Error{Op: op, Text: err.Error(), Err: err}
	}
	defer cl.Close() // without EndTransaction: the transaction stays open
	if err := cl.BeginTransaction(); err != nil {
		return &Error{Op: op, Text: "opslab-drill: begin transaction: " + err.Error(), Err: err}
	}
	for _, r := range records {
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			return &Error{Op: op, Text: "opslab-drill: produce: " + javaMessage(err), Err: err}
		}
	}
	pid, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		return &Error{Op: op, Text: "opslab-drill: producer id: " + err.Error(), Err: err}
	}
	_, err = fmt.Fprintf(out, "Left a transaction open on %s-%d: transactional id %s, producer id %d, epoch %d, %d records, transaction.timeout.ms %d. The producer is gone.\n",
		t.Topic, t.Partition, t.TransactionalID, pid, epoch, len(t.Messages), t.TimeoutMs)
	return err
}

// restartProducer starts a transactional producer with the given id, as
// a restarted application instance does, and closes it: InitProducerId
// bumps the epoch, fencing the previous instance, and the coordinator
// aborts any transaction that instance left open.
func restartProducer(ctx context.Context, b Broker, t *DrillCommand, out io.Writer) error {
	op := ToolDrill + " " + DrillRestart
	cl, err := b.client(kgo.TransactionalID(t.TransactionalID), kgo.TransactionTimeout(time.Duration(t.TimeoutMs)*time.Millisecond))
	if err != nil {
		return &Error{Op: op, Text: err.Error(), Err: err}
	}
	defer cl.Close()
	pid, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		return &Error{Op: op, Text: "opslab-drill: init producer id: " + javaMessage(err), Err: err}
	}
	_, err = fmt.Fprintf(out, "Restarted the producer of transactional id %s: producer id %d, epoch %d. The previous epoch is fenced, and any transaction it left open is aborted.\n", t.TransactionalID, pid, epoch)
	return err
}
