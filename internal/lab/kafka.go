package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/opslab/opslab/internal/console/kafkacli"
	"github.com/opslab/opslab/internal/sandbox"
)

// execKafka runs one Kafka tool line against the learner's broker and
// returns what the tool prints.
func (s *Service) execKafka(ctx context.Context, inst sandbox.Instance, line string) string {
	if strings.TrimSpace(line) == "" {
		return ""
	}
	cmd, err := kafkacli.Parse(line)
	if err != nil {
		return withNewline(err.Error())
	}
	var b strings.Builder
	w := kafkacli.NewCappedWriter(&b, kafkacli.MaxOutput)
	err = kafkacli.Run(ctx, kafkacli.Broker{Seeds: inst.Kafka.Seeds}, cmd, w)
	out := b.String()
	switch {
	case err == nil:
	case isTimeout(err):
		out += timeoutText(s.cfg.ExecTimeout)
	default:
		out += withNewline(err.Error())
	}
	return out
}

// runKafkaLines runs setup or solution lines, stopping at the first error.
func runKafkaLines(ctx context.Context, inst sandbox.Instance, lines []string) error {
	b := kafkacli.Broker{Seeds: inst.Kafka.Seeds}
	for i, line := range lines {
		cmd, err := kafkacli.Parse(line)
		if err != nil {
			return fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
		if err := kafkacli.Run(ctx, b, cmd, discard{}); err != nil {
			return fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
	}
	return nil
}

// probeKafka answers a kafka probe: describe topic T, describe group G,
// list topics, list groups.
func probeKafka(ctx context.Context, inst sandbox.Instance, probe string) (any, error) {
	b := kafkacli.Broker{Seeds: inst.Kafka.Seeds}
	f := strings.Fields(probe)
	switch {
	case len(f) == 3 && f[0] == "describe" && f[1] == "topic":
		return kafkacli.DescribeTopic(ctx, b, f[2])
	case len(f) == 3 && f[0] == "describe" && f[1] == "group":
		return kafkacli.DescribeGroup(ctx, b, f[2])
	case len(f) == 2 && f[0] == "list" && f[1] == "topics":
		return kafkacli.ListTopics(ctx, b)
	case len(f) == 2 && f[0] == "list" && f[1] == "groups":
		return kafkacli.ListGroups(ctx, b)
	}
	return nil, errors.New("unknown kafka probe " + probe)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func withNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
