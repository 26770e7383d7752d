package kafkacli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Tool names of the transaction tools.
const (
	// ToolTransactions is Apache Kafka's kafka-transactions.
	ToolTransactions = "kafka-transactions"
	// ToolDrill is the platform's own drill tool: it simulates
	// application failures that no Apache Kafka tool produces, for
	// exercise setups. It is not a Kafka tool.
	ToolDrill = "opslab-drill"
)

// Subcommands of kafka-transactions, and of opslab-drill.
const (
	TxnList              = "list"
	TxnDescribe          = "describe"
	TxnDescribeProducers = "describe-producers"
	TxnAbort             = "abort"
	TxnFindHanging       = "find-hanging"
	DrillAbandonTxn      = "abandon-transaction"
	DrillRestart         = "restart-producer"
)

// txnCommands are kafka-transactions' subcommands in the order its usage
// lists them.
var txnCommands = []string{TxnList, TxnDescribe, TxnDescribeProducers, TxnAbort, TxnFindHanging}

// TxnCommand holds the options of a kafka-transactions line. Pointers
// are nil for options not given.
type TxnCommand struct {
	Sub              string // one of the Txn* constants
	Topic            string
	Partition        *int32
	StartOffset      *int64
	ProducerID       *int64
	ProducerEpoch    *int16
	CoordinatorEpoch *int32
	TransactionalID  string
	DurationFilter   *int64
	BrokerID         *int32
	MaxTxnTimeoutMin int // find-hanging --max-transaction-timeout, minutes

}

// transactionsSpec is kafka-transactions, whose parser is argparse4j:
// the options of every subcommand are accepted anywhere on the line.
var transactionsSpec = toolSpec{
	tool: ToolTransactions,
	options: adminToolOptions(
		[]string{"topic=", "partition=", "start-offset=", "producer-id=",
			"producer-epoch=", "coordinator-epoch=", "transactional-id=", "duration-filter=",
			"broker-id=", "max-transaction-timeout=", "help", "version"},
		nil,
	),
	unknown:    argparseUnknown,
	missingArg: argparseMissingArg,
	badNumber:  argparseBadNumber,
}

// init adds the tool of this file to the registry.
func init() {
	register(&tool{spec: &transactionsSpec, newCommand: func(c Call, _ stdin) toolCommand { return &TransactionsCommand{Call: c} }})
}

const argparseProg = "kafka-transactions.sh"

// argparseUnknown is argparse4j's message for an option it does not know.
func argparseUnknown(name string) string {
	return fmt.Sprintf("%s: error: unrecognized arguments: '--%s'", argparseProg, name)
}

// argparseMissingArg is argparse4j's message for an option without its
// value.
func argparseMissingArg(name string) string {
	return fmt.Sprintf("%s: error: argument --%s: expected one argument", argparseProg, name)
}

// argparseBadNumber is argparse4j's message for a value that is not a
// number of the option's type.
func argparseBadNumber(value, name string) string {
	return fmt.Sprintf("%s: error: argument --%s: could not convert '%s' to Integer (For input string: \"%s\")", argparseProg, name, value, value)
}

// TransactionsCommand is a kafka-transactions line: one subcommand, also
// its Action, with its options.
type TransactionsCommand struct {
	Call
	Txn *TxnCommand
}

// parse checks kafka-transactions options the way its argparse4j parser
// does: one subcommand, its own options only, its required ones given.
func (cmd *TransactionsCommand) parse(s scanned) error {
	op := ToolTransactions
	fail := func(text string) error { return usageError(op, text) }
	if len(s.bare) == 0 {
		return fail(argparseProg + ": error: too few arguments")
	}
	sub := s.bare[0]
	if !slices.Contains(txnCommands, sub) {
		quoted := make([]string, len(txnCommands))
		for i, c := range txnCommands {
			quoted[i] = "'" + c + "'"
		}
		return fail(fmt.Sprintf("%s: error: argument COMMAND: invalid choice: '%s' (choose from %s)", argparseProg, sub, strings.Join(quoted, ", ")))
	}
	if len(s.bare) > 1 {
		return fail(fmt.Sprintf("%s: error: unrecognized arguments: '%s'", argparseProg, strings.Join(s.bare[1:], " ")))
	}
	allowed := map[string][]string{
		TxnList:              {"duration-filter"},
		TxnDescribe:          {"transactional-id"},
		TxnDescribeProducers: {"broker-id", "topic", "partition"},
		TxnAbort:             {"topic", "partition", "start-offset", "producer-id", "producer-epoch", "coordinator-epoch"},
		TxnFindHanging:       {"broker-id", "max-transaction-timeout", "topic", "partition"},
	}[sub]
	for name := range s.values {
		if name == "bootstrap-server" || slices.Contains(allowed, name) {
			continue
		}
		return fail(argparseUnknown(name))
	}
	t := &TxnCommand{Sub: sub, Topic: s.first("topic"), TransactionalID: s.first("transactional-id"), MaxTxnTimeoutMin: 15}
	cmd.Action = sub
	cmd.Txn = t
	if err := txnNumbers(s, t, fail); err != nil {
		return err
	}
	required := map[string][]string{
		TxnDescribe:          {"transactional-id"},
		TxnDescribeProducers: {"topic", "partition"},
		TxnAbort:             {"topic", "partition"},
	}[sub]
	for _, name := range required {
		if !s.has(name) {
			return fail(fmt.Sprintf("%s: error: argument --%s is required", argparseProg, name))
		}
	}
	return nil
}

// txnNumbers reads the numeric options of kafka-transactions into t.
func txnNumbers(s scanned, t *TxnCommand, fail func(string) error) error {
	for _, name := range []string{"partition", "broker-id", "coordinator-epoch", "max-transaction-timeout"} {
		if !s.has(name) {
			continue
		}
		n, ok := parseInt32(s.first(name))
		if !ok {
			return fail(argparseBadNumber(s.first(name), name))
		}
		v := int32(n)
		switch name {
		case "partition":
			t.Partition = &v
		case "broker-id":
			t.BrokerID = &v
		case "coordinator-epoch":
			t.CoordinatorEpoch = &v
		case "max-transaction-timeout":
			t.MaxTxnTimeoutMin = n
		}
	}
	for _, name := range []string{"start-offset", "producer-id", "duration-filter"} {
		if !s.has(name) {
			continue
		}
		n, ok := parseInt64(s.first(name))
		if !ok {
			return fail(strings.Replace(argparseBadNumber(s.first(name), name), "to Integer", "to Long", 1))
		}
		switch name {
		case "start-offset":
			t.StartOffset = &n
		case "producer-id":
			t.ProducerID = &n
		case "duration-filter":
			t.DurationFilter = &n
		}
	}
	if s.has("producer-epoch") {
		n, err := strconv.ParseInt(s.first("producer-epoch"), 10, 16)
		if err != nil {
			return fail(strings.Replace(argparseBadNumber(s.first("producer-epoch"), "producer-epoch"), "to Integer", "to Short", 1))
		}
		e := int16(n)
		t.ProducerEpoch = &e
	}
	return nil
}

// txnError is how kafka-transactions reports a failed call: its message,
// the exception's message, and the hint it always adds.
func txnError(op, message string, err error) *Error {
	return &Error{Op: op, Text: message + ": " + javaMessage(err) + ". Enable debug logging for additional detail.", Err: err}
}

// javaMessage words a Kafka error the way the Java exception's
// getMessage does: the error's description.
func javaMessage(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Description
	}
	return err.Error()
}

// prettyTable renders rows the way ToolsUtils.prettyPrintTable does:
// every column padded to its widest value and followed by a tab.
func prettyTable(headers []string, rows [][]string) string {
	widths := make([]int, len(headers))
	for i, h := range headers {
		widths[i] = len(h)
	}
	for _, r := range rows {
		for i, v := range r {
			widths[i] = max(widths[i], len(v))
		}
	}
	var b strings.Builder
	for _, r := range append([][]string{headers}, rows...) {
		for i, v := range r {
			fmt.Fprintf(&b, "%-*s\t", widths[i], v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// run executes a parsed kafka-transactions command.
func (cmd *TransactionsCommand) run(ctx context.Context, b Broker, out io.Writer) error {
	op := ToolTransactions + " " + cmd.Action
	adm, err := b.connectAdmin(op, plainText)
	if err != nil {
		return err
	}
	defer adm.Close()
	t := cmd.Txn
	var text string
	switch t.Sub {
	case TxnList:
		text, err = listTransactions(ctx, adm, t)
	case TxnDescribe:
		text, err = describeTransaction(ctx, adm, t)
	case TxnDescribeProducers:
		text, err = describeProducers(ctx, adm, t)
	case TxnAbort:
		err = abortTransaction(ctx, adm, t)
	case TxnFindHanging:
		text, err = findHanging(ctx, adm, t)
	}
	if err != nil {
		return toolFailure(op, err, func(err error) string { return err.Error() })
	}
	_, err = io.WriteString(out, text)
	return err
}

func listTransactions(ctx context.Context, adm *kadm.Client, t *TxnCommand) (string, error) {
	listed, err := adm.ListTransactions(ctx, nil, nil)
	if err != nil {
		return "", txnError("list", "Failed to list transactions", err)
	}
	var described kadm.DescribedTransactions
	if t.DurationFilter != nil && *t.DurationFilter >= 0 && len(listed) > 0 {
		if described, err = adm.DescribeTransactions(ctx, listed.TransactionalIDs()...); err != nil {
			return "", txnError("list", "Failed to list transactions", err)
		}
	}
	now := time.Now().UnixMilli()
	var rows [][]string
	for _, l := range listed.Sorted() {
		if described != nil {
			// The broker filters on duration; kfake's filter is
			// applied here from the transaction's start time.
			d, ok := described[l.TxnID]
			if !ok || d.StartTimestamp < 0 || now-d.StartTimestamp < *t.DurationFilter {
				continue
			}
		}
		rows = append(rows, []string{l.TxnID, strconv.Itoa(int(l.Coordinator)), strconv.FormatInt(l.ProducerID, 10), l.State})
	}
	return prettyTable([]string{"TransactionalId", "Coordinator", "ProducerId", "TransactionState"}, rows), nil
}

func describeTransaction(ctx context.Context, adm *kadm.Client, t *TxnCommand) (string, error) {
	msg := "Failed to describe transaction state of transactional-id `" + t.TransactionalID + "`"
	ds, err := adm.DescribeTransactions(ctx, t.TransactionalID)
	if err != nil {
		return "", txnError("describe", msg, err)
	}
	d, ok := ds[t.TransactionalID]
	if !ok {
		return "", txnError("describe", msg, kerr.TransactionalIDNotFound)
	}
	if d.Err != nil {
		return "", txnError("describe", msg, d.Err)
	}
	start, duration := "None", "None"
	if d.StartTimestamp >= 0 {
		start = strconv.FormatInt(d.StartTimestamp, 10)
		duration = strconv.FormatInt(time.Now().UnixMilli()-d.StartTimestamp, 10)
	}
	var parts []string
	for _, tp := range d.Topics.Sorted() {
		for _, p := range tp.Partitions {
			parts = append(parts, fmt.Sprintf("%s-%d", tp.Topic, p))
		}
	}
	row := []string{strconv.Itoa(int(d.Coordinator)), t.TransactionalID, strconv.FormatInt(d.ProducerID, 10),
		strconv.Itoa(int(d.ProducerEpoch)), d.State, strconv.Itoa(int(d.TimeoutMillis)), start, duration, strings.Join(parts, ",")}
	return prettyTable([]string{"CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
		"TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs", "TopicPartitions"}, [][]string{row}), nil
}

// openProducer is one producer with a transaction open on a partition,
// as DescribeProducers reports it.
type openProducer struct {
	kadm.DescribedProducer
	open bool // false: the partition's last stable offset has passed its transaction
}

// partitionProducers describes the producers of one partition. kfake
// keeps reporting a transaction whose partition got its marker through
// WriteTxnMarkers (kafka-transactions abort) until the coordinator ends
// it; a real partition leader forgets it at the marker. The last stable
// offset tells them apart: a transaction that starts below it is over.
func partitionProducers(ctx context.Context, adm *kadm.Client, topic string, partition int32) ([]openProducer, error) {
	ts := kadm.TopicsSet{}
	ts.Add(topic, partition)
	described, err := adm.DescribeProducers(ctx, ts)
	if err != nil {
		return nil, err
	}
	dp, ok := described[topic].Partitions[partition]
	if !ok {
		return nil, kerr.UnknownTopicOrPartition
	}
	if dp.Err != nil {
		return nil, dp.Err
	}
	lso, err := lastStableOffsets(ctx, adm, topic)
	if err != nil {
		return nil, err
	}
	var out []openProducer
	for _, p := range dp.ActiveProducers.Sorted() {
		open := p.CurrentTxnStartOffset >= 0 && p.CurrentTxnStartOffset >= lso[partition]
		out = append(out, openProducer{DescribedProducer: p, open: open})
	}
	return out, nil
}

// lastStableOffsets returns each partition's last stable offset: the
// offset a read_committed consumer can read up to.
func lastStableOffsets(ctx context.Context, adm *kadm.Client, topic string) (map[int32]int64, error) {
	listed, err := adm.ListCommittedOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list last stable offsets: %w", err)
	}
	out := map[int32]int64{}
	for p, o := range listed[topic] {
		if o.Err != nil {
			return nil, o.Err
		}
		out[p] = o.Offset
	}
	return out, nil
}

func describeProducers(ctx context.Context, adm *kadm.Client, t *TxnCommand) (string, error) {
	clause := "leader"
	if t.BrokerID != nil {
		clause = fmt.Sprintf("broker %d", *t.BrokerID)
	}
	producers, err := partitionProducers(ctx, adm, t.Topic, *t.Partition)
	if err != nil {
		return "", txnError("describe-producers", fmt.Sprintf("Failed to describe producers for partition %s-%d on %s", t.Topic, *t.Partition, clause), err)
	}
	var rows [][]string
	for _, p := range producers {
		start := "None"
		if p.open {
			start = strconv.FormatInt(p.CurrentTxnStartOffset, 10)
		}
		rows = append(rows, []string{strconv.FormatInt(p.ProducerID, 10), strconv.Itoa(int(p.ProducerEpoch)),
			strconv.Itoa(int(p.CoordinatorEpoch)), strconv.Itoa(int(p.LastSequence)), strconv.FormatInt(p.LastTimestamp, 10), start})
	}
	return prettyTable([]string{"ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp", "CurrentTransactionStartOffset"}, rows), nil
}

func abortTransaction(ctx context.Context, adm *kadm.Client, t *TxnCommand) error {
	op := ToolTransactions + " abort"
	tp := fmt.Sprintf("%s-%d", t.Topic, *t.Partition)
	var pid int64
	var epoch int16
	var coordEpoch int32
	switch {
	case t.StartOffset != nil:
		producers, err := partitionProducers(ctx, adm, t.Topic, *t.Partition)
		if err != nil {
			return txnError(op, "Failed to validate producer state for partition "+tp, err)
		}
		found := false
		for _, p := range producers {
			if p.open && p.CurrentTxnStartOffset == *t.StartOffset {
				pid, epoch, coordEpoch, found = p.ProducerID, p.ProducerEpoch, max(p.CoordinatorEpoch, 0), true
				break
			}
		}
		if !found {
			return &Error{Op: op, Text: fmt.Sprintf("Could not find any open transactions starting at offset %d on partition %s", *t.StartOffset, tp)}
		}
	case t.ProducerID != nil:
		if t.ProducerEpoch == nil {
			return &Error{Op: op, Text: "Missing required argument --producer-epoch"}
		}
		if t.CoordinatorEpoch == nil {
			return &Error{Op: op, Text: "Missing required argument --coordinator-epoch"}
		}
		pid, epoch, coordEpoch = *t.ProducerID, *t.ProducerEpoch, max(*t.CoordinatorEpoch, 0)
	default:
		return &Error{Op: op, Text: "The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)"}
	}
	ts := kadm.TopicsSet{}
	ts.Add(t.Topic, *t.Partition)
	spec := fmt.Sprintf("AbortTransactionSpec(topicPartition=%s, producerId=%d, producerEpoch=%d, coordinatorEpoch=%d)", tp, pid, epoch, coordEpoch)
	resps, err := adm.WriteTxnMarkers(ctx, kadm.TxnMarkers{ProducerID: pid, ProducerEpoch: epoch, CoordinatorEpoch: coordEpoch, Topics: ts})
	if err != nil {
		return txnError(op, "Failed to abort transaction "+spec, err)
	}
	var markerErr error
	resps.EachPartition(func(p kadm.TxnMarkersPartitionResponse) {
		if p.Err != nil && markerErr == nil {
			markerErr = p.Err
		}
	})
	if markerErr != nil {
		return txnError(op, "Failed to abort transaction "+spec, markerErr)
	}
	return nil
}

func findHanging(ctx context.Context, adm *kadm.Client, t *TxnCommand) (string, error) {
	op := ToolTransactions + " find-hanging"
	if t.Topic == "" && t.BrokerID == nil {
		return "", &Error{Op: op, Text: "The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search"}
	}
	if t.Partition != nil && t.Topic == "" {
		return "", &Error{Op: op, Text: "The --partition argument requires --topic to be provided"}
	}
	var topics []string
	if t.Topic != "" {
		topics = []string{t.Topic}
	} else {
		all, err := adm.ListTopics(ctx)
		if err != nil {
			return "", err
		}
		topics = all.Names()
	}
	meta, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return "", err
	}
	type candidate struct {
		topic     string
		partition int32
		p         kadm.DescribedProducer
	}
	maxAge := int64(t.MaxTxnTimeoutMin) * 60000
	now := time.Now().UnixMilli()
	var cands []candidate
	for _, topic := range topics {
		d, ok := meta[topic]
		if !ok || d.Err != nil {
			return "", txnError(op, "Failed to describe topic "+topic, kerr.UnknownTopicOrPartition)
		}
		for _, pd := range d.Partitions.Sorted() {
			if t.Partition != nil && pd.Partition != *t.Partition {
				continue
			}
			if t.BrokerID != nil && pd.Leader != *t.BrokerID {
				continue
			}
			producers, err := partitionProducers(ctx, adm, topic, pd.Partition)
			if err != nil {
				return "", txnError(op, fmt.Sprintf("Failed to describe producers for partition %s-%d", topic, pd.Partition), err)
			}
			for _, p := range producers {
				// Only transactions older than the largest timeout
				// can be hanging; younger ones may still complete.
				if p.open && now-p.LastTimestamp >= maxAge {
					cands = append(cands, candidate{topic, pd.Partition, p.DescribedProducer})
				}
			}
		}
	}
	var rows [][]string
	if len(cands) > 0 {
		listed, err := adm.ListTransactions(ctx, nil, nil)
		if err != nil {
			return "", txnError(op, "Failed to list transactions", err)
		}
		byPID := map[int64]string{}
		for _, l := range listed {
			byPID[l.ProducerID] = l.TxnID
		}
		var ids []string
		for _, id := range byPID {
			ids = append(ids, id)
		}
		described := kadm.DescribedTransactions{}
		if len(ids) > 0 {
			if described, err = adm.DescribeTransactions(ctx, ids...); err != nil {
				return "", txnError(op, "Failed to describe transactions", err)
			}
		}
		for _, c := range cands {
			if id, ok := byPID[c.p.ProducerID]; ok {
				if d, ok := described[id]; ok && d.Err == nil {
					if parts, ok := d.Topics[c.topic]; ok {
						if _, ok := parts[c.partition]; ok {
							continue // the coordinator will still write its marker
						}
					}
				}
			}
			rows = append(rows, []string{c.topic, strconv.Itoa(int(c.partition)), strconv.FormatInt(c.p.ProducerID, 10),
				strconv.Itoa(int(c.p.ProducerEpoch)), strconv.Itoa(int(c.p.CoordinatorEpoch)), strconv.FormatInt(c.p.CurrentTxnStartOffset, 10),
				strconv.FormatInt(c.p.LastTimestamp, 10), strconv.FormatInt((now-c.p.LastTimestamp)/60000, 10)})
		}
	}
	return prettyTable([]string{"Topic", "Partition", "ProducerId", "ProducerEpoch", "CoordinatorEpoch", "StartOffset", "LastTimestamp", "Duration(min)"}, rows), nil
}

// describeTopicTxnsAndACLs adds to the describe topic probe's value:
//
//   - "unstable_offsets" (int): the sum over partitions of the log-end
//     offset minus the last stable offset, the offsets a read_committed
//     consumer cannot read yet because a transaction is open;
//   - "acl.<principal>" (list of strings, sorted) for every principal
//     with an ACL that applies to the topic (literal name, the wildcard
//     *, or a matching prefix): "ALLOW READ LITERAL:orders",
//     "DENY WRITE PREFIXED:tenant-a.", with " host=H" for a host other
//     than *.
func describeTopicTxnsAndACLs(ctx context.Context, b Broker, adm *kadm.Client, topic string, ends kadm.ListedOffsets, out map[string]any) error {
	lso, err := lastStableOffsets(ctx, adm, topic)
	if err != nil {
		return err
	}
	unstable := int64(0)
	for p, stable := range lso {
		if e, ok := ends.Lookup(topic, p); ok && e.Err == nil && e.Offset > stable {
			unstable += e.Offset - stable
		}
	}
	out["unstable_offsets"] = int(unstable)
	cl, err := b.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	acls, err := topicACLs(ctx, cl, topic)
	switch {
	case errors.Is(err, kerr.SecurityDisabled):
		// A broker without an authorizer (Apache Kafka's default) holds
		// no ACLs at all; kfake answers with an empty list instead.
		acls = nil
	case err != nil:
		return err
	}
	for principal, entries := range acls {
		out["acl."+principal] = entries
	}
	return nil
}
