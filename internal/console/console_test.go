package console_test

import (
	"testing"

	"github.com/opslab/opslab/internal/console"
)

func TestCheckCommand(t *testing.T) {
	ok := [][2]string{
		{"redis", `ZADD board 1 "alice smith"`},
		{"redis", "redis-cli INFO persistence"},
		{"kafka", "kafka-topics --create --topic orders --partitions 3"},
		{"kafka", "kafka-consumer-groups --bootstrap-server b:9092 --describe --group g"},
	}
	for _, c := range ok {
		if err := console.CheckCommand(c[0], c[1]); err != nil {
			t.Errorf("%s %q: %v", c[0], c[1], err)
		}
	}
	bad := [][2]string{
		{"redis", `SET a "b`},
		{"redis", "   "},
		{"kafka", "kafka-topics --frobnicate"},
		{"kafka", "kafka-nonsense --list"},
		{"mongo", "db.find()"},
	}
	for _, c := range bad {
		if err := console.CheckCommand(c[0], c[1]); err == nil {
			t.Errorf("%s %q: no error", c[0], c[1])
		}
	}
}
