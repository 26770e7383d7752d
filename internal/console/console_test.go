package console_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/opslab/opslab/internal/console"
	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/kinds"
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

// TestParse: the front door splits off the node, refuses a node the kind
// lacks, and gives exactly one language's command for the kind's family;
// a Redis line is read as redis-cli reads it live and strictly in scripts.
func TestParse(t *testing.T) {
	c, err := console.Parse(kinds.RedisReplica, console.Script, "@replica-1 INFO replication")
	if err != nil || c.Node != "replica-1" || c.Redis == nil || !slices.Equal(c.Redis.Args, []string{"INFO", "replication"}) || c.Kafka != nil || c.Service != nil {
		t.Fatalf("redis line: %+v, %v", c, err)
	}
	c, err = console.Parse(kinds.KafkaCluster, console.Script, "@broker-2 systemctl stop kafka")
	if err != nil || c.Node != "broker-2" || c.Service == nil || c.Service.Verb != "stop" || c.Kafka != nil || c.Redis != nil {
		t.Fatalf("systemctl line: %+v, %v", c, err)
	}
	c, err = console.Parse(kinds.Kafka, console.Live, "kafka-topics --list")
	if err != nil || c.Node != "" || c.Kafka == nil || c.Service != nil || c.Redis != nil {
		t.Fatalf("kafka line: %+v, %v", c, err)
	}
	c, err = console.Parse(kinds.Redis, console.Live, "@replica-1 PING")
	if !errors.Is(err, console.ErrNoNode) || c.Node != "replica-1" || c.Text != "PING" {
		t.Fatalf("unknown node: %+v, %v", c, err)
	}
	c, err = console.Parse(kinds.Redis, console.Live, "redis-cli -n 2 GET k")
	if err != nil || c.Redis == nil || !c.Redis.HasDB || c.Redis.DB != 2 {
		t.Fatalf("live -n: %+v, %v", c, err)
	}
	if _, err := console.Parse(kinds.Redis, console.Script, "redis-cli -n 2 GET k"); !errors.Is(err, rediscli.ErrUnsupportedOption) {
		t.Fatalf("script -n: %v", err)
	}
	for _, m := range []console.Mode{console.Live, console.Script} {
		if _, err := console.Parse(kinds.RedisCluster, m, "@node-2   "); !errors.Is(err, console.ErrEmpty) {
			t.Errorf("mode %d: blank line: %v", m, err)
		}
	}
	if _, err := console.Parse(kinds.Redis, console.Script, "redis-cli -h x"); !errors.Is(err, console.ErrEmpty) {
		t.Errorf("script line of options only: %v", err)
	}
	// A bare "@" names no node: the console runs the line as typed, a
	// script line without it.
	if c, err := console.Parse(kinds.Redis, console.Live, "@ GET k"); err != nil || !slices.Equal(c.Redis.Args, []string{"@", "GET", "k"}) {
		t.Errorf("live bare @: %+v, %v", c, err)
	}
	if c, err := console.Parse(kinds.Redis, console.Script, "@ GET k"); err != nil || !slices.Equal(c.Redis.Args, []string{"GET", "k"}) {
		t.Errorf("script bare @: %+v, %v", c, err)
	}
	if _, err := console.Parse("mongo", console.Live, "db.find()"); !errors.Is(err, console.ErrKind) {
		t.Errorf("unknown kind: %v", err)
	}
}
