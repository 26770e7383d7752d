package kafkacli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// consumerSpec is kafka-console-consumer: its options as Kafka 4.1
// defines them.
var consumerSpec = toolSpec{
	tool: ToolConsumer,
	options: toolOptions(
		[]string{"topic=", "group=", "from-beginning", "max-messages=",
			"timeout-ms=", "property=", "consumer-property=", "partition=", "offset=",
			"skip-message-on-error", "isolation-level=", "help", "version"},
		[]string{"include=", "formatter=", "formatter-config=", "key-deserializer=",
			"value-deserializer=", "consumer.config=", "enable-systest-events"},
	),
	unknown:    joptUnknown,
	missingArg: joptMissingArg,
	badNumber:  consumerBadNumber,
}

// init adds the tool of this file to the registry.
func init() {
	register(&tool{spec: &consumerSpec, newCommand: func(c Call, _ stdin) toolCommand {
		return &ConsumerCommand{Call: c, MaxMessages: -1, Partition: -1}
	}})
}

// consumerBadNumber is kafka-console-consumer's failure on a number it
// cannot parse, which escapes its main method.
func consumerBadNumber(value, name string) string {
	return `Exception in thread "main" joptsimple.OptionArgumentConversionException: ` + joptBadNumber(value, name)
}

// ConsumerCommand is a kafka-console-consumer line: what to read from
// Topic and how to print it.
type ConsumerCommand struct {
	Call
	Topic         string     // --topic
	Groups        []string   // --group (or group.id of --consumer-property); at most one
	Properties    []KeyValue // --property, in order
	FromBeginning bool       // --from-beginning
	MaxMessages   int        // --max-messages; -1 when not given
	TimeoutMs     int        // --timeout-ms; 0 when not given
	Partition     int        // --partition; -1 when not given
	Offset        string     // --offset; "" when not given
	// IsolationLevel is --isolation-level: "" (the default,
	// read_uncommitted), "read_committed" or "read_uncommitted".
	IsolationLevel string
}

// parse checks kafka-console-consumer options in the order
// ConsoleConsumerOptions does.
func (cmd *ConsumerCommand) parse(s scanned) error {
	op := ToolConsumer
	fail := func(text string) error { return usageError(op, text) }
	cmd.Action = ActionConsume
	for _, name := range []string{"max-messages", "timeout-ms", "partition"} {
		if !s.has(name) {
			continue
		}
		n, ok := parseInt32(s.first(name))
		if !ok {
			return fail(consumerBadNumber(s.first(name), name))
		}
		switch name {
		case "max-messages":
			cmd.MaxMessages = n
		case "timeout-ms":
			cmd.TimeoutMs = n
		case "partition":
			cmd.Partition = n
		}
	}
	if !s.has("topic") {
		return fail("Exactly one of --include/--topic is required. ")
	}
	cmd.Topic = s.first("topic")
	cmd.FromBeginning = s.has("from-beginning")
	if s.has("partition") {
		if cmd.FromBeginning && s.has("offset") {
			return fail("Options from-beginning and offset cannot be specified together.")
		}
	} else if s.has("offset") {
		return fail("The partition is required when offset is specified.")
	}
	if s.has("offset") {
		cmd.Offset = s.first("offset")
		switch strings.ToLower(cmd.Offset) {
		case "earliest", "latest":
		default:
			if n, ok := parseInt64(cmd.Offset); !ok || n < 0 {
				return fail(fmt.Sprintf("The provided offset value '%s' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.", cmd.Offset))
			}
		}
	}
	var groups []string
	if s.has("group") {
		groups = append(groups, s.first("group"))
	}
	if id, ok := property(parseProperties(s.all("consumer-property")), "group.id"); ok && (len(groups) == 0 || groups[0] != id) {
		groups = append(groups, id)
	}
	if len(groups) > 1 {
		return fail(fmt.Sprintf("The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: '%s'", strings.Join(groups, "', '")))
	}
	if len(groups) > 0 && s.has("partition") {
		return fail("Options group and partition cannot be specified together.")
	}
	cmd.Groups = groups
	cmd.Properties = parseProperties(s.all("property"))
	if level, ok := property(parseProperties(s.all("consumer-property")), "isolation.level"); ok {
		cmd.IsolationLevel = level
	}
	if s.has("isolation-level") {
		cmd.IsolationLevel = s.first("isolation-level")
	}
	switch cmd.IsolationLevel {
	case "", "read_committed", "read_uncommitted":
	default:
		return fail(fmt.Sprintf(`Exception in thread "main" org.apache.kafka.common.config.ConfigException: Invalid value %s for configuration isolation.level: String must be one of: read_committed, read_uncommitted`, cmd.IsolationLevel))
	}
	return nil
}

// recordFormatter renders records the way Kafka's DefaultMessageFormatter
// does with the --property settings it understands.
type recordFormatter struct {
	timestamp, partition, offset, headers, key, value bool
	keySep, lineSep, headersSep, null                 string
}

// newRecordFormatter reads the formatter properties.
func newRecordFormatter(props []KeyValue) recordFormatter {
	str := func(name, def string) string {
		if v, ok := property(props, name); ok {
			return v
		}
		return def
	}
	return recordFormatter{
		timestamp:  boolProperty(props, "print.timestamp", false),
		partition:  boolProperty(props, "print.partition", false),
		offset:     boolProperty(props, "print.offset", false),
		headers:    boolProperty(props, "print.headers", false),
		key:        boolProperty(props, "print.key", false),
		value:      boolProperty(props, "print.value", true),
		keySep:     str("key.separator", "\t"),
		lineSep:    str("line.separator", "\n"),
		headersSep: str("headers.separator", ","),
		null:       str("null.literal", "null"),
	}
}

// format renders one record, its fields in the formatter's order, each
// followed by the column separator when another field follows.
func (f recordFormatter) format(r *kgo.Record) string {
	var b strings.Builder
	type field struct {
		on   bool
		text func() string
	}
	bytesOrNull := func(p []byte) string {
		if p == nil {
			return f.null
		}
		return string(p)
	}
	fields := []field{
		{f.timestamp, func() string {
			kind := "CreateTime"
			if r.Attrs.TimestampType() == 1 {
				kind = "LogAppendTime"
			}
			return kind + ":" + strconv.FormatInt(r.Timestamp.UnixMilli(), 10)
		}},
		{f.partition, func() string { return "Partition:" + strconv.Itoa(int(r.Partition)) }},
		{f.offset, func() string { return "Offset:" + strconv.FormatInt(r.Offset, 10) }},
		{f.headers, func() string {
			if len(r.Headers) == 0 {
				return "NO_HEADERS"
			}
			parts := make([]string, len(r.Headers))
			for i, h := range r.Headers {
				parts[i] = h.Key + ":" + bytesOrNull(h.Value)
			}
			return strings.Join(parts, f.headersSep)
		}},
		{f.key, func() string { return bytesOrNull(r.Key) }},
	}
	for i, fl := range fields {
		if !fl.on {
			continue
		}
		b.WriteString(fl.text())
		more := f.value
		for _, later := range fields[i+1:] {
			more = more || later.on
		}
		if more {
			b.WriteString(f.keySep)
		} else {
			b.WriteString(f.lineSep)
		}
	}
	if f.value {
		b.WriteString(bytesOrNull(r.Value))
		b.WriteString(f.lineSep)
	}
	return b.String()
}

// assignment tracks the partitions a group consumer holds, as the group
// hands them out and takes them back.
type assignment struct {
	mu    sync.Mutex
	parts map[int32]bool
}

// assigned records partitions the group handed out.
func (a *assignment) assigned(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ps := range m {
		for _, p := range ps {
			a.parts[p] = true
		}
	}
}

// revoked forgets partitions the group took back or that were lost.
func (a *assignment) revoked(_ context.Context, _ *kgo.Client, m map[string][]int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ps := range m {
		for _, p := range ps {
			delete(a.parts, p)
		}
	}
}

// list returns the partitions held now.
func (a *assignment) list() []int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]int32, 0, len(a.parts))
	for p := range a.parts {
		out = append(out, p)
	}
	return out
}

// run prints records of the topic until --max-messages records
// were printed, no record came for --timeout-ms, or ctx is done, then
// prints "Processed a total of N messages". With a group it joins the
// group, and on the way out commits, for every partition it holds, the
// offset after the last record it printed (or the position it started
// from), as the real tool's consumer does when it closes.
func (cmd *ConsumerCommand) run(ctx context.Context, b Broker, out io.Writer) error {
	op := ToolConsumer
	group := ""
	if len(cmd.Groups) > 0 {
		group = cmd.Groups[0]
	}
	adm, err := b.connectAdmin(op, plainText)
	if err != nil {
		return err
	}
	defer adm.Close()
	if invalidTopicName(cmd.Topic) == "" {
		if err := ensureTopic(ctx, adm, b.Limits, cmd.Topic); err != nil {
			if ctxErr := ctxError(ctx, op); ctxErr != nil {
				return ctxErr
			}
			var le *limitError
			if errors.As(err, &le) {
				// The Java consumer's poll would fail, and ConsoleConsumer
				// logs this before it exits.
				return &Error{Op: op, Text: "ERROR Error processing message, terminating consumer process: " + le.javaException(), Err: le}
			}
			return &Error{Op: op, Text: fmt.Sprintf("%s: %v", op, err), Err: err}
		}
	}

	reset := kgo.NewOffset().AtEnd()
	if cmd.FromBeginning {
		reset = kgo.NewOffset().AtStart()
	}
	// The positions a partition without a committed offset starts from,
	// taken before consuming so that records produced meanwhile count.
	var startPositions kadm.ListedOffsets
	parts := &assignment{parts: map[int32]bool{}}
	var copts []kgo.Opt
	switch {
	case cmd.Partition >= 0:
		at := reset
		switch strings.ToLower(cmd.Offset) {
		case "earliest":
			at = kgo.NewOffset().AtStart()
		case "latest", "":
		default:
			n, _ := strconv.ParseInt(cmd.Offset, 10, 64)
			at = kgo.NewOffset().At(n)
		}
		copts = append(copts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{cmd.Topic: {int32(cmd.Partition): at}}))
	case group != "":
		if cmd.FromBeginning {
			startPositions, err = adm.ListStartOffsets(ctx, cmd.Topic)
		} else {
			startPositions, err = adm.ListEndOffsets(ctx, cmd.Topic)
		}
		if err != nil {
			return &Error{Op: op, Text: fmt.Sprintf("%s: list offsets: %v", op, err), Err: err}
		}
		copts = append(copts,
			kgo.ConsumeTopics(cmd.Topic),
			kgo.ConsumeResetOffset(reset),
			kgo.ConsumerGroup(group),
			kgo.DisableAutoCommit(),
			kgo.OnPartitionsAssigned(parts.assigned),
			kgo.OnPartitionsRevoked(parts.revoked),
			kgo.OnPartitionsLost(parts.revoked),
		)
	default:
		copts = append(copts, kgo.ConsumeTopics(cmd.Topic), kgo.ConsumeResetOffset(reset))
	}
	// A short fetch wait keeps a console consumer responsive to its
	// timeout; it also gets kfake, which now and then holds a first fetch
	// for its whole wait, to answer again soon.
	copts = append(copts, kgo.FetchMaxWait(250*time.Millisecond))
	// Control records (transaction markers) are not printed, but the
	// position moves past them, as the Java consumer's does.
	copts = append(copts, kgo.KeepControlRecords())
	if cmd.IsolationLevel == "read_committed" {
		copts = append(copts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl, err := b.client(copts...)
	if err != nil {
		return &Error{Op: op, Text: err.Error(), Err: err}
	}
	defer cl.Close()

	f := newRecordFormatter(cmd.Properties)
	count := 0
	next := map[int32]int64{} // offset after the last printed record
	for cmd.MaxMessages < 0 || count < cmd.MaxMessages {
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if cmd.TimeoutMs > 0 {
			pollCtx, cancel = context.WithTimeout(ctx, time.Duration(cmd.TimeoutMs)*time.Millisecond)
		}
		want := 10000
		if cmd.MaxMessages >= 0 {
			want = cmd.MaxMessages - count
		}
		fetches := cl.PollRecords(pollCtx, want)
		done := pollCtx.Err() != nil
		cancel()
		records := fetches.Records()
		for _, r := range records {
			if r.Attrs.IsControl() {
				next[r.Partition] = r.Offset + 1
				continue
			}
			if _, err := io.WriteString(out, f.format(r)); err != nil {
				return fmt.Errorf("write record: %w", err)
			}
			count++
			next[r.Partition] = r.Offset + 1
		}
		if (done && len(records) == 0) || fetches.IsClientClosed() {
			break
		}
	}
	if group != "" {
		if err := commitConsumed(ctx, cl, adm, group, cmd.Topic, parts.list(), next, startPositions); err != nil {
			return &Error{Op: op, Text: fmt.Sprintf("%s: commit offsets of group %s: %v", op, group, err), Err: err}
		}
	}
	_, err = fmt.Fprintf(out, "Processed a total of %d messages\n", count)
	return err
}

// commitConsumed commits, for each held partition, the offset after the
// last printed record, or its starting position when it has no committed
// offset yet. It runs even when ctx is done, with a short deadline of its
// own, since the real tool commits when it is interrupted too.
func commitConsumed(ctx context.Context, cl *kgo.Client, adm *kadm.Client, group, topic string, held []int32, next map[int32]int64, start kadm.ListedOffsets) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	committed, err := adm.FetchOffsets(cctx, group)
	if err != nil {
		return fmt.Errorf("fetch committed offsets: %w", err)
	}
	offsets := map[int32]kgo.EpochOffset{}
	for _, p := range held {
		if n, ok := next[p]; ok {
			offsets[p] = kgo.EpochOffset{Epoch: -1, Offset: n}
			continue
		}
		if _, ok := committed.Lookup(topic, p); ok {
			continue
		}
		if s, ok := start.Lookup(topic, p); ok && s.Err == nil {
			offsets[p] = kgo.EpochOffset{Epoch: -1, Offset: s.Offset}
		}
	}
	if len(offsets) == 0 {
		return nil
	}
	var commitErr error
	cl.CommitOffsetsSync(cctx, map[string]map[int32]kgo.EpochOffset{topic: offsets},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			if err != nil {
				commitErr = err
				return
			}
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if e := kerr.ErrorForCode(p.ErrorCode); e != nil && commitErr == nil {
						commitErr = e
					}
				}
			}
		})
	return commitErr
}
