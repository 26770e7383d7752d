package kafkacli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// producerSpec is kafka-console-producer. Its records are the lines of
// its standard input (ProducerCommand.Input, from the lines typed after the
// command, a pipe or a here-document); --message is the console's
// shortcut for one such line, never taught: the real tool lacks it.
var producerSpec = toolSpec{
	tool: ToolProducer,
	options: hide(toolOptions(
		[]string{"topic=", "message=", "property=", "producer-property=",
			"sync", "request-required-acks=", "timeout=", "batch-size=", "help", "version"},
		[]string{"compression-codec", "line-reader=", "reader-config=", "producer.config=",
			"max-block-ms=", "max-memory-bytes=", "max-partition-memory-bytes=",
			"message-send-max-retries=", "metadata-expiry-ms=", "request-timeout-ms=",
			"retry-backoff-ms=", "socket-buffer-size="},
	), "message"),
	helpNote: "The records are the lines of standard input, one per line: type them after\n" +
		"the command and end with Ctrl-D, or pipe them in (echo \"a\" | kafka-console-producer ...),\n" +
		"or give a here-document (kafka-console-producer ... <<EOF, the lines, then EOF).\n",
	unknown:    joptUnknown,
	missingArg: joptMissingArg,
	badNumber:  joptBadNumber,
}

// init adds the tool of this file to the registry.
func init() {
	register(&tool{spec: &producerSpec, readsInput: true, newCommand: func(c Call, in stdin) toolCommand {
		return &ProducerCommand{Call: c, Input: in.lines, InputGiven: in.given}
	}})
}

// hide marks the named options hidden.
func hide(options []option, names ...string) []option {
	for i := range options {
		if slices.Contains(names, options[i].name) {
			options[i].hidden = true
		}
	}
	return options
}

// ProducerCommand is a kafka-console-producer line: the records to send
// to Topic.
type ProducerCommand struct {
	Call
	Topic string // --topic
	// Messages is --message, one record each: the console's shortcut,
	// sent before the Input lines.
	Messages []string
	// Input is what the producer reads from standard input, one record
	// per line: the lines typed after the command, piped in from echo or
	// printf, or a here-document (stdin.go). InputGiven reports that the
	// entry gave input in one of those forms, even an empty one.
	Input      []string
	InputGiven bool
	Properties []KeyValue // --property, in order
}

// parse checks kafka-console-producer options.
func (cmd *ProducerCommand) parse(s scanned) error {
	op := ToolProducer
	cmd.Action = ActionProduce
	if !s.has("topic") {
		return usageError(op, missingRequired("topic"))
	}
	if len(s.bare) > 0 {
		return usageError(op, fmt.Sprintf("kafka-console-producer: unexpected argument '%s': the records are the lines after the command (or piped in: echo \"record\" | kafka-console-producer …)", s.bare[0]))
	}
	if !s.has("message") && !cmd.InputGiven {
		return usageError(op, "kafka-console-producer: type the records on the lines after the command, one per line, and end them with a line holding only . (or Ctrl-D); or pipe them in: echo \"record\" | kafka-console-producer --bootstrap-server localhost:9092 --topic "+s.first("topic"))
	}
	// --request-required-acks is a string option in Kafka's tool, handed
	// to the producer's acks config, which takes all, -1, 0 or 1.
	if acks := s.first("request-required-acks"); s.has("request-required-acks") && !slices.Contains([]string{"all", "-1", "0", "1"}, acks) {
		return usageError(op, fmt.Sprintf("org.apache.kafka.common.config.ConfigException: Invalid value %s for configuration acks: String must be one of: all, -1, 0, 1", acks))
	}
	for _, name := range []string{"timeout", "batch-size"} {
		if s.has(name) {
			if _, ok := parseInt32(s.first(name)); !ok {
				return usageError(op, joptBadNumber(s.first(name), name))
			}
		}
	}
	cmd.Topic = s.first("topic")
	cmd.Messages = s.all("message")
	cmd.Properties = parseProperties(s.all("property"))
	return nil
}

// lineRecord turns one input line into a record the way the console
// producer's default line reader does with the given properties; line
// counts from 1.
func lineRecord(topic, text string, line int, props []KeyValue) (*kgo.Record, error) {
	r := &kgo.Record{Topic: topic, Value: []byte(text)}
	if !boolProperty(props, "parse.key", false) {
		return r, nil
	}
	sep, ok := property(props, "key.separator")
	if !ok {
		sep = "\t"
	}
	key, value, found := strings.Cut(text, sep)
	if !found || sep == "" {
		if boolProperty(props, "ignore.error", false) {
			return r, nil
		}
		return nil, fmt.Errorf("org.apache.kafka.common.KafkaException: No key separator found on line number %d: '%s'", line, text)
	}
	r.Key, r.Value = []byte(key), []byte(value)
	return r, nil
}

// run sends each --message and then each input line as one
// record, in order, and prints nothing on success, as the real tool does
// with piped input. A topic that
// does not exist is created with one partition first, as a default broker
// (auto.create.topics.enable=true, num.partitions=1) does.
func (cmd *ProducerCommand) run(ctx context.Context, b Broker, out io.Writer) error {
	op := ToolProducer
	var records []*kgo.Record
	var lineErr error
	for i, m := range append(slices.Clip(cmd.Messages), cmd.Input...) {
		r, err := lineRecord(cmd.Topic, m, i+1, cmd.Properties)
		if err != nil {
			lineErr = err
			break
		}
		records = append(records, r)
	}
	if len(records) > 0 {
		if err := produce(ctx, b, cmd.Topic, records); err != nil {
			return err
		}
	}
	if lineErr != nil {
		return &Error{Op: op, Text: lineErr.Error(), Err: ErrUsage}
	}
	return nil
}

// produce checks the records against the sandbox's limits, makes sure the
// topic exists and sends the records synchronously. A refusal sends
// nothing and creates nothing.
func produce(ctx context.Context, b Broker, topic string, records []*kgo.Record) error {
	op := ToolProducer
	lim := b.Limits.withDefaults()
	sendError := func(r *kgo.Record, exception string, cause error) error {
		key := "null"
		if r.Key != nil {
			key = fmt.Sprintf("%d bytes", len(r.Key))
		}
		return &Error{Op: op, Err: cause, Text: fmt.Sprintf(
			"ERROR Error when sending message to topic %s with key: %s, value: %d bytes with error: %s",
			topic, key, len(r.Value), exception)}
	}
	if msg := invalidTopicName(topic); msg != "" {
		return sendError(records[0], fmt.Sprintf("org.apache.kafka.common.errors.InvalidTopicException: Invalid topics: [%s]", topic), nil)
	}
	if r, le := lim.checkRecordSizes(records); le != nil {
		return sendError(r, le.javaException(), le)
	}
	cl, err := b.client(kgo.ProducerLinger(0), producerBatchMaxBytes(lim))
	if err != nil {
		return &Error{Op: op, Text: err.Error(), Err: err}
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	r, le, err := lim.checkTotalBytes(ctx, adm, records)
	if le != nil {
		return sendError(r, le.javaException(), le)
	}
	if err == nil {
		err = ensureTopic(ctx, adm, lim, topic)
	}
	if errors.As(err, &le) {
		return sendError(records[0], le.javaException(), le)
	}
	if err != nil {
		if ctxErr := ctxError(ctx, op); ctxErr != nil {
			return ctxErr
		}
		return &Error{Op: op, Text: fmt.Sprintf("%s: %v", op, err), Err: err}
	}
	results := cl.ProduceSync(ctx, records...)
	for _, res := range results {
		if res.Err != nil {
			if ctxErr := ctxError(ctx, op); ctxErr != nil {
				return ctxErr
			}
			return sendError(res.Record, exceptionName(res.Err), res.Err)
		}
	}
	return nil
}

// producerBatchMaxBytes lets the client send every record that passes
// lim.MaxRecordBytes: at least a default topic's max.message.bytes
// (1048588), as the Java producer sends what passes max.request.size.
// franz-go's own default, 1000012, would refuse records the Java tool
// sends.
func producerBatchMaxBytes(lim Limits) kgo.Opt {
	const topicDefault, clientMax = 1048588, 100 << 20 // max.message.bytes; kgo's BrokerMaxWriteBytes
	return kgo.ProducerBatchMaxBytes(int32(min(max(lim.MaxRecordBytes, topicDefault), clientMax)))
}

// ensureTopic creates topic with one partition when it does not exist,
// standing in for a default broker's auto topic creation. A topic that
// would take the sandbox over lim is not created: the error is then a
// *limitError.
func ensureTopic(ctx context.Context, adm *kadm.Client, lim Limits, topic string) error {
	topics, err := adm.ListTopicsWithInternal(ctx, topic)
	if err != nil {
		return fmt.Errorf("look up topic %s: %w", topic, err)
	}
	if d, ok := topics[topic]; ok && d.Err == nil {
		return nil
	}
	all, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	if le := lim.checkNewTopic(all, 1); le != nil {
		return le
	}
	_, err = adm.CreateTopic(ctx, 1, 1, nil, topic)
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("auto-create topic %s: %w", topic, err)
	}
	return nil
}

// exceptionName renders a Kafka error the way a Java client's exception
// prints: its class name and message.
func exceptionName(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		class := javaExceptionClass(ke.Message)
		if ke == kerr.MessageTooLarge {
			class = "RecordTooLargeException" // Kafka's Errors.MESSAGE_TOO_LARGE
		}
		return "org.apache.kafka.common.errors." + class + ": " + ke.Description
	}
	return err.Error()
}

// javaExceptionClass turns an error code name such as
// RECORD_LIST_TOO_LARGE into the Java exception class name Kafka uses
// for it, RecordListTooLargeException.
func javaExceptionClass(code string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.ToLower(code), "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	b.WriteString("Exception")
	return b.String()
}
