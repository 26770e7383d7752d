package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opslab/opslab/internal/opslab"
)

// Memory limits of a sandbox, in bytes.
const (
	// DefaultMaxMemoryBytes is the memory cap of a sandbox whose Spec leaves
	// MaxMemoryBytes at zero: 64 MiB.
	DefaultMaxMemoryBytes int64 = 64 << 20
	// MinMaxMemoryBytes is the smallest memory cap a Spec may ask for: 1 MiB.
	MinMaxMemoryBytes int64 = 1 << 20
	// MaxMaxMemoryBytes is the largest memory cap a Spec may ask for: 1 GiB.
	MaxMaxMemoryBytes int64 = 1 << 30
)

// MaxIDLen is the longest sandbox id. Drivers rely on it to keep paths
// short (a unix socket path must fit in 107 bytes).
const MaxIDLen = 40

// MaxLessonLen is the longest course or lesson slug of a lesson key, in
// bytes.
const MaxLessonLen = 128

// PoolLesson is the Lesson of a warm-pool sandbox, whose Owner is 0 until
// a learner claims it. No course has this slug (slugs hold no parentheses).
var PoolLesson = opslab.LessonKey{Course: "(warm pool)"}

// Spec is what a driver needs to start one sandbox.
type Spec struct {
	// ID names the sandbox: 1 to MaxIDLen bytes of a-z, 0-9 and '-', not
	// starting with '-'. Drivers use it in file names. See NewID.
	ID string
	// Kind is the server to run.
	Kind Kind
	// Owner is the learner's user id (positive).
	Owner int64
	// Lesson is the lesson the sandbox serves: a course and a lesson slug,
	// each 1 to MaxLessonLen bytes of printable text (PoolLesson for a
	// warm sandbox).
	Lesson opslab.LessonKey
	// MaxMemoryBytes caps the server's data memory: Redis's maxmemory, the
	// retention of each Kafka partition. Zero means DefaultMaxMemoryBytes.
	MaxMemoryBytes int64
}

// Validate returns nil if s can be started, or an error wrapping ErrInvalid
// that names the first bad field.
func (s Spec) Validate() error {
	if err := ValidateID(s.ID); err != nil {
		return err
	}
	if !s.Kind.Valid() {
		return fmt.Errorf("%w: unknown sandbox kind %q", ErrInvalid, s.Kind)
	}
	if s.Owner < 0 || s.Owner == 0 && s.Lesson != PoolLesson {
		return fmt.Errorf("%w: sandbox owner must be a positive user id, got %d", ErrInvalid, s.Owner)
	}
	if s.Lesson != PoolLesson {
		if err := ValidateLesson(s.Lesson); err != nil {
			return err
		}
	}
	if m := s.MaxMemoryBytes; m != 0 && (m < MinMaxMemoryBytes || m > MaxMaxMemoryBytes) {
		return fmt.Errorf("%w: sandbox memory cap %d is outside [%d, %d] bytes", ErrInvalid, m, MinMaxMemoryBytes, MaxMaxMemoryBytes)
	}
	return nil
}

// MemoryCap returns MaxMemoryBytes, or DefaultMaxMemoryBytes when it is zero.
func (s Spec) MemoryCap() int64 {
	if s.MaxMemoryBytes == 0 {
		return DefaultMaxMemoryBytes
	}
	return s.MaxMemoryBytes
}

// ValidateID returns nil if id is a well-formed sandbox id, or an error
// wrapping ErrInvalid.
func ValidateID(id string) error {
	if id == "" || len(id) > MaxIDLen || id[0] == '-' {
		return fmt.Errorf("%w: sandbox id %q must be 1 to %d characters and not start with '-'", ErrInvalid, id, MaxIDLen)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%w: sandbox id %q may hold only a-z, 0-9 and '-'", ErrInvalid, id)
		}
	}
	return nil
}

// ValidateLesson returns nil if lesson is a usable lesson key: its course
// and lesson slugs each 1 to MaxLessonLen bytes of printable UTF-8 text.
// Otherwise it returns an error wrapping ErrInvalid.
func ValidateLesson(lesson opslab.LessonKey) error {
	for _, part := range []string{lesson.Course, lesson.Lesson} {
		if part == "" || len(part) > MaxLessonLen || !utf8.ValidString(part) {
			return fmt.Errorf("%w: a lesson key's course and lesson must each be 1 to %d bytes of UTF-8 text", ErrInvalid, MaxLessonLen)
		}
		if strings.IndexFunc(part, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			return fmt.Errorf("%w: lesson %q holds a control character", ErrInvalid, lesson.String())
		}
	}
	return nil
}

// NewID returns a fresh random sandbox id for kind and owner, such as
// "redis-42-1f2e3d4c5b6a". It always passes ValidateID for a valid kind.
func NewID(kind Kind, owner int64) string {
	var b [6]byte
	// crypto/rand.Read never fails on the platforms Go supports.
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", kind, owner, hex.EncodeToString(b[:]))
}
