package kafkacli

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The defaults of Limits, used for every field left at zero.
const (
	// DefaultMaxPartitionsPerTopic is the most partitions one topic may
	// have.
	DefaultMaxPartitionsPerTopic = 64
	// DefaultMaxPartitions is the most partitions all the sandbox's
	// topics may have together.
	DefaultMaxPartitions = 256
	// DefaultMaxTopics is the most topics a sandbox may have.
	DefaultMaxTopics = 100
	// DefaultMaxRecordBytes is the largest record the producing tools
	// send, measured as the Java producer measures it against
	// max.request.size; it is that setting's default, 1 MiB.
	DefaultMaxRecordBytes int64 = 1 << 20
	// DefaultMaxTotalBytes is the most record bytes a sandbox may hold:
	// the platform's default sandbox memory cap, 64 MiB.
	DefaultMaxTotalBytes int64 = 64 << 20
)

// Limits fence a learner's sandbox against partition, topic and record
// bombs typed into the console. Every command that would create topics or
// partitions, or produce records, checks them before it changes anything
// and is refused in Kafka's wording when it would go over one; a refused
// command has created and written nothing. A field that is zero (or
// negative) means its Default constant. Internal topics
// (__consumer_offsets, __transaction_state, ...) count toward none of
// them.
//
// The counts come from the broker at the time of the command, so two
// commands running at the same moment can together pass a limit by at
// most what one command may add. Clients that reach the broker directly,
// without the console, are not fenced by Limits.
type Limits struct {
	// MaxPartitionsPerTopic caps kafka-topics --create --partitions and
	// --alter --partitions.
	MaxPartitionsPerTopic int
	// MaxPartitions caps the partitions of all topics together, after a
	// create, an alter or a topic the producer or consumer creates.
	MaxPartitions int
	// MaxTopics caps the number of topics, counting the ones the console
	// producer and consumer create for a missing --topic.
	MaxTopics int
	// MaxRecordBytes is the largest record kafka-console-producer and
	// opslab-drill send, in serialized bytes as the Java producer counts
	// them; the refusal names it as max.request.size.
	MaxRecordBytes int64
	// MaxTotalBytes caps the bytes held by all partitions together, as
	// DescribeLogDirs reports them, plus the records about to be sent.
	MaxTotalBytes int64
}

// ErrLimit is wrapped by every error that refuses a command because it
// would take the sandbox over one of its Limits.
var ErrLimit = errors.New("kafkacli: sandbox limit reached")

// Exception classes of the refusals, as the Java tools print them.
const (
	policyViolationException = "org.apache.kafka.common.errors.PolicyViolationException"
	recordTooLargeException  = "org.apache.kafka.common.errors.RecordTooLargeException"
)

// withDefaults returns l with each unset field at its default.
func (l Limits) withDefaults() Limits {
	if l.MaxPartitionsPerTopic <= 0 {
		l.MaxPartitionsPerTopic = DefaultMaxPartitionsPerTopic
	}
	if l.MaxPartitions <= 0 {
		l.MaxPartitions = DefaultMaxPartitions
	}
	if l.MaxTopics <= 0 {
		l.MaxTopics = DefaultMaxTopics
	}
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultMaxTotalBytes
	}
	return l
}

// limitError is a refusal by Limits. Its text is the sentence the
// PolicyViolationException (or RecordTooLargeException) carries; each
// tool words the rest.
type limitError struct {
	exception string // the Java exception class
	msg       string
}

func (e *limitError) Error() string { return e.msg }

// Is makes a limitError match ErrLimit.
func (e *limitError) Is(target error) bool { return target == ErrLimit }

// javaException renders the refusal as the Java exception prints:
// class name and message.
func (e *limitError) javaException() string { return e.exception + ": " + e.msg }

// policyRefusal returns a PolicyViolationException refusal.
func policyRefusal(format string, args ...any) *limitError {
	return &limitError{exception: policyViolationException, msg: fmt.Sprintf(format, args...)}
}

// sandboxTopics counts the topics and partitions of the sandbox that
// Limits count, leaving out internal topics.
func sandboxTopics(all kadm.TopicDetails) (topics, partitions int) {
	for name, d := range all {
		if isInternalTopic(name, d) || d.Err != nil {
			continue
		}
		topics++
		partitions += len(d.Partitions)
	}
	return topics, partitions
}

// checkNewTopic says whether a new topic with n partitions fits in a
// sandbox that has the topics in all: nil, or the refusal.
func (l Limits) checkNewTopic(all kadm.TopicDetails, n int) *limitError {
	l = l.withDefaults()
	topics, partitions := sandboxTopics(all)
	switch {
	case n > l.MaxPartitionsPerTopic:
		return policyRefusal("Topic creation was rejected: %d partitions is over this sandbox's limit of %d partitions per topic.", n, l.MaxPartitionsPerTopic)
	case topics >= l.MaxTopics:
		return policyRefusal("Topic creation was rejected: this sandbox is at its limit of %d topics.", l.MaxTopics)
	case partitions+n > l.MaxPartitions:
		return policyRefusal("Topic creation was rejected: %d %s would bring this sandbox to %d, over its limit of %d partitions.", n, plural(n, "partition"), partitions+n, l.MaxPartitions)
	}
	return nil
}

// checkNewPartitions says whether raising each of the named topics to n
// partitions fits: nil, or the refusal.
func (l Limits) checkNewPartitions(all kadm.TopicDetails, names []string, n int) *limitError {
	l = l.withDefaults()
	if n > l.MaxPartitionsPerTopic {
		return policyRefusal("Partition creation was rejected: %d partitions is over this sandbox's limit of %d partitions per topic.", n, l.MaxPartitionsPerTopic)
	}
	added := 0
	for _, name := range names {
		added += max(n-len(all[name].Partitions), 0)
	}
	_, partitions := sandboxTopics(all)
	if partitions+added > l.MaxPartitions {
		return policyRefusal("Partition creation was rejected: %d more %s would bring this sandbox to %d, over its limit of %d partitions.", added, plural(added, "partition"), partitions+added, l.MaxPartitions)
	}
	return nil
}

// plural returns thing for one of it, else its plural.
func plural(n int, thing string) string {
	if n == 1 {
		return thing
	}
	return thing + "s"
}

// checkRecordSizes refuses the first record larger than MaxRecordBytes
// with the Java producer's RecordTooLargeException; it returns the record
// and the refusal, or nil and nil.
func (l Limits) checkRecordSizes(records []*kgo.Record) (*kgo.Record, *limitError) {
	l = l.withDefaults()
	for _, r := range records {
		if size := serializedSize(r); size > l.MaxRecordBytes {
			return r, &limitError{exception: recordTooLargeException, msg: fmt.Sprintf(
				"The message is %d bytes when serialized which is larger than %d, which is the value of the max.request.size configuration.",
				size, l.MaxRecordBytes)}
		}
	}
	return nil, nil
}

// checkTotalBytes refuses the first record that would take the bytes the
// sandbox holds over MaxTotalBytes; it returns that record and the
// refusal, nil and nil when all fit, or the error of asking the broker.
func (l Limits) checkTotalBytes(ctx context.Context, adm *kadm.Client, records []*kgo.Record) (*kgo.Record, *limitError, error) {
	l = l.withDefaults()
	held, err := sandboxBytes(ctx, adm)
	if err != nil {
		return nil, nil, err
	}
	more := int64(0)
	for _, r := range records {
		more += serializedSize(r)
		if held+more > l.MaxTotalBytes {
			return r, policyRefusal("Producing was rejected: %d more bytes would bring this sandbox to %d, over its limit of %d bytes.", more, held+more, l.MaxTotalBytes), nil
		}
	}
	return nil, nil, nil
}

// sandboxBytes returns the bytes the sandbox's partitions hold, internal
// topics left out, as DescribeLogDirs reports them: each partition counts
// once, with the size of its largest replica. A broker that does not
// answer is left out while another one answers.
func sandboxBytes(ctx context.Context, adm *kadm.Client) (int64, error) {
	dirs, err := adm.DescribeAllLogDirs(ctx, nil)
	if err != nil && len(dirs) == 0 {
		return 0, fmt.Errorf("describe log dirs: %w", err)
	}
	type tp struct {
		topic     string
		partition int32
	}
	sizes := map[tp]int64{}
	dirs.Each(func(d kadm.DescribedLogDir) {
		if d.Err != nil {
			return
		}
		d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
			if isInternalTopic(p.Topic, kadm.TopicDetail{}) {
				return
			}
			k := tp{p.Topic, p.Partition}
			sizes[k] = max(sizes[k], p.Size)
		})
	})
	total := int64(0)
	for _, s := range sizes {
		total += s
	}
	return total, nil
}

// Sizes of the record batch format (magic 2) that the Java producer adds
// to a record's key, value and headers when it checks max.request.size
// (AbstractRecords.estimateSizeInBytesUpperBound).
const (
	recordBatchOverhead = 61 // DefaultRecordBatch.RECORD_BATCH_OVERHEAD
	maxRecordOverhead   = 21 // DefaultRecord.MAX_RECORD_OVERHEAD
)

// serializedSize is the size the Java producer compares with
// max.request.size for one record: a batch holding only that record,
// counted with the largest record overhead.
func serializedSize(r *kgo.Record) int64 {
	size := int64(recordBatchOverhead + maxRecordOverhead)
	size += bytesFieldSize(r.Key) + bytesFieldSize(r.Value)
	size += varintSize(len(r.Headers))
	for _, h := range r.Headers {
		size += varintSize(len(h.Key)) + int64(len(h.Key)) + bytesFieldSize(h.Value)
	}
	return size
}

// bytesFieldSize is the size of a nullable byte field of a record: its
// varint length (-1 for null) and its bytes.
func bytesFieldSize(b []byte) int64 {
	if b == nil {
		return 1
	}
	return varintSize(len(b)) + int64(len(b))
}

// varintSize is ByteUtils.sizeOfVarint: the bytes of n zigzag-encoded as
// a varint.
func varintSize(n int) int64 {
	u := uint32(int32(n)<<1) ^ uint32(int32(n)>>31)
	size := int64(1)
	for u >= 0x80 {
		u >>= 7
		size++
	}
	return size
}
