// Package sandbox holds the domain of learner sandboxes: what a sandbox is
// (Kind, Spec, Instance), the Driver contract that starts and stops one, the
// policy a learner's Redis commands must pass, and the Manager that owns
// every sandbox's lifecycle. It imports no driver; drivers import it.
package sandbox

import "fmt"

// Kind is the kind of server a sandbox runs.
type Kind string

// The kinds of sandbox the platform offers.
const (
	KindRedis Kind = "redis"
	KindKafka Kind = "kafka"
)

// Kinds lists every valid Kind, in a stable order.
func Kinds() []Kind { return []Kind{KindRedis, KindKafka} }

// ParseKind returns the Kind named s, or an error wrapping ErrInvalid.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if !k.Valid() {
		return "", fmt.Errorf("%w: unknown sandbox kind %q (use redis or kafka)", ErrInvalid, s)
	}
	return k, nil
}

// Valid reports whether k is one of the kinds listed by Kinds.
func (k Kind) Valid() bool { return k == KindRedis || k == KindKafka }

// String returns the kind's name.
func (k Kind) String() string { return string(k) }

// Title returns the kind's name as shown to people: "Redis" or "Kafka".
func (k Kind) Title() string {
	switch k {
	case KindRedis:
		return "Redis"
	case KindKafka:
		return "Kafka"
	}
	return string(k)
}
