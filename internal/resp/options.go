package resp

// DefaultMaxReplyBytes is the reply size cap used when WithMaxReplyBytes is
// not given: 64 MiB.
const DefaultMaxReplyBytes = 64 << 20

// MaxDepth is how deeply arrays may nest inside one reply. Deeper replies
// are rejected with ErrReplyTooLarge so a hostile peer cannot exhaust the
// goroutine stack.
const MaxDepth = 1000

// valueOverhead is what each decoded value is charged against the reply
// size cap on top of the bytes it occupies on the wire. It is roughly the
// in-memory size of a Value, so a reply made of many tiny elements is
// capped by the memory it needs rather than by its short encoding.
const valueOverhead = 64

// Option adjusts a Conn or Reader when it is created.
type Option func(*config)

// config holds the settings that Options change.
type config struct {
	maxReplyBytes int64
}

// WithMaxReplyBytes caps the size of a single reply at n bytes, counted as
// the bytes the reply occupies on the wire plus 64 bytes for every value
// in it (a bulk string, an integer, an array, each array element, ...).
// A reply over the cap fails with ErrReplyTooLarge before it is buffered.
// Values of n below 1 select DefaultMaxReplyBytes.
func WithMaxReplyBytes(n int64) Option {
	return func(c *config) {
		c.maxReplyBytes = n
	}
}

// newConfig applies opts on top of the defaults.
func newConfig(opts []Option) config {
	c := config{maxReplyBytes: DefaultMaxReplyBytes}
	for _, opt := range opts {
		opt(&c)
	}
	if c.maxReplyBytes < 1 {
		c.maxReplyBytes = DefaultMaxReplyBytes
	}
	return c
}
