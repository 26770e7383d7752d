package facts

import (
	"strings"
	"testing"
)

// TestExtractForms checks each form of stated default the package comment
// promises, and that look-alikes are not read as defaults.
func TestExtractForms(t *testing.T) {
	src := strings.Join([]string{
		"- **`maxclients`** (default 10000) caps connections.",           // 1
		"`maxmemory-clients` (new in 7.0, default 0, off) caps clients.", // 2
		"`broker.session.timeout.ms` (9 s by default) fences a broker.",  // 3
		"`save` defaults to `3600 1 300 100 60 10000` in 7.0.",           // 4
		"With `dynamic-hz yes` (the default), the rate rises.",           // 5
		"`retention.ms` defaults to seven days.",                         // 6: prose, not compared
		"",
		"| Setting | Scope | Default |", // 8
		"| --- | --- | --- |",
		"| `acks`, `enable.idempotence` | producer | `all`, `true` |",                 // 10
		"| `segment.bytes` / `segment.ms` | topic | 1 GiB / 7 days |",                 // 11
		"| `log.retention.hours` (or `log.retention.ms`) | broker | `168` (7 days) |", // 12
		"| `process.roles` | node | none |",                                           // 13
		"",
		"| Type | Thresholds (Redis 7 defaults) |", // 15
		"| --- | --- |",
		"| Hash | `hash-max-listpack-entries 512` |", // 17
		"",
		"```bash",
		"redis-cli CONFIG GET `maxmemory` # inside a code block: ignored",
		"```",
		"Look at `mem_fragmentation_ratio`, `NOT_ENOUGH_REPLICAS`, `NotLeaderOrFollowerException`, `UnderReplicatedPartitions`, `records-lag-max` and `kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions`.", // 22
	}, "\n")
	got := map[string]string{}
	kinds := map[string]Kind{}
	for _, f := range Extract("x.md", src) {
		if f.HasDefault {
			got[f.Name] = f.Default
		}
		if f.Kind != Setting {
			kinds[f.Name] = f.Kind
		}
		if f.Line >= 19 && f.Line <= 21 {
			t.Errorf("fact from inside a code block: %v", f)
		}
	}
	want := map[string]string{
		"maxclients":                "10000",
		"maxmemory-clients":         "0",
		"broker.session.timeout.ms": "9 s",
		"save":                      "3600 1 300 100 60 10000",
		"dynamic-hz":                "yes",
		"acks":                      "all",
		"enable.idempotence":        "true",
		"segment.bytes":             "1 GiB",
		"segment.ms":                "7 days",
		"log.retention.hours":       "168",
		"hash-max-listpack-entries": "512",
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("default of %s = %q, want %q", name, got[name], v)
		}
	}
	for _, name := range []string{"retention.ms", "log.retention.ms", "process.roles"} {
		if v, ok := got[name]; ok {
			t.Errorf("%s got default %q, want none", name, v)
		}
	}
	wantKinds := map[string]Kind{
		"mem_fragmentation_ratio":      InfoField,
		"NOT_ENOUGH_REPLICAS":          UpperName,
		"NotLeaderOrFollowerException": Exception,
		"UnderReplicatedPartitions":    CamelName,
		"records-lag-max":              KebabMetric,
		"kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions": MBean,
	}
	for name, k := range wantKinds {
		if kinds[name] != k {
			t.Errorf("kind of %s = %q, want %q", name, kinds[name], k)
		}
	}
}

// TestExtractMoreForms checks the "its default" clause form and the two
// forms read from code blocks.
func TestExtractMoreForms(t *testing.T) {
	src := strings.Join([]string{
		"Put `zset-max-listpack-entries` back to its default, `128`.",
		"Then `busy-reply-threshold` goes back to its default of 5000 ms.",
		"`maxmemory` caps memory. Its default, `0`, means no limit.",
		"It runs `hz` times per second (default 10).",
		"The I/O pool (`num.io.threads`, default 8) and (`replica.lag.time.max.ms`, 30 s by default).",
		"Segments roll at `segment.bytes` (1 GiB by default; at least 1 MiB) or `segment.ms` (a topic setting, 7 days by default).",
		"A topic's retention (`retention.ms`, seven days by default) matters.",
		"```",
		"redis-cli CONFIG GET appendonly          # no by default",
		"maxmemory-policy noeviction   # the default",
		"maxmemory 2gb                 # a production value",
		"```",
	}, "\n")
	got := map[string]string{}
	for _, f := range Extract("x.md", src) {
		if f.HasDefault {
			got[f.Name] = f.Default
		}
	}
	want := map[string]string{
		"zset-max-listpack-entries": "128",
		"busy-reply-threshold":      "5000",
		"appendonly":                "no",
		"maxmemory-policy":          "noeviction",
		"hz":                        "10",
		"num.io.threads":            "8",
		"replica.lag.time.max.ms":   "30 s",
		"segment.bytes":             "1 GiB",
		"segment.ms":                "7 days",
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("default of %s = %q, want %q", name, got[name], v)
		}
	}
	for _, name := range []string{"maxmemory", "retention.ms"} {
		if v, ok := got[name]; ok {
			t.Errorf("%s got default %q from another sentence, prose or a comment that is not a default", name, v)
		}
	}
}

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"repl-backlog-size", "1mb", "1048576"},
		{"auto-aof-rewrite-min-size", "64mb", "67108864"},
		{"segment.bytes", "1 GiB", "1073741824"},
		{"segment.ms", "7 days", "604800000"},
		{"log.retention.hours", "7 days", "168"},
		{"broker.session.timeout.ms", "9 s", "9000"},
		{"appendonly", "no", "false"},
		{"unclean.leader.election.enable", "off", "false"},
		{"save", "3600 1  300 100 60 10000", "3600 1 300 100 60 10000"},
		{"max.compaction.lag.ms", "9223372036854775807", "9223372036854775807"},
		{"bootstrap.controllers", `""`, ""},
		{"metrics.recording.level", "INFO", "info"},
	} {
		if got := Normalize(c.name, c.in); got != c.want {
			t.Errorf("Normalize(%s, %q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}
