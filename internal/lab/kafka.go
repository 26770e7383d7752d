package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opslab/opslab/internal/console"
	"github.com/opslab/opslab/internal/console/kafkacli"
	"github.com/opslab/opslab/internal/sandbox"
)

// execKafka runs one Kafka tool invocation, cmd, against the learner's
// broker (the node's: on a cluster, the broker the command bootstraps
// from) and returns
// what the tool prints. timedOut reports that the command ran until ctx's
// deadline, whether it failed for it (its output then ends in
// timeoutText) or stopped there as a console consumer does, which prints
// its summary: either way the caller checks whether the broker is stuck.
func (s *Service) execKafka(ctx context.Context, node sandbox.Node, cmd kafkacli.Command) (out string, timedOut bool) {
	var b strings.Builder
	w := kafkacli.NewCappedWriter(&b, kafkacli.MaxOutput)
	err := kafkacli.Run(ctx, kafkacli.Broker{Seeds: node.Kafka.Seeds}, cmd, w)
	out = b.String()
	switch {
	case err == nil:
	case isTimeout(err):
		out += timeoutText(s.cfg.ExecTimeout)
	default:
		out += withNewline(err.Error())
	}
	return out, isTimeout(err) || errors.Is(ctx.Err(), context.DeadlineExceeded)
}

// kafkaProbeTimeout bounds the metadata request of kafkaStuck.
const kafkaProbeTimeout = 2 * time.Second

// kafkaStuck reports whether node's broker in inst, on which a console
// command just ran out of time, is stuck: it should run but does not
// answer a metadata request within kafkaProbeTimeout. A broker the learner
// stopped (systemctl stop, on drivers that control nodes) is down on
// purpose, not stuck. Any answer counts, even one naming no controller, so
// that a cluster that lost its quorum in a drill is not taken for stuck.
// A ctx that ends while probing makes it report false.
func (s *Service) kafkaStuck(ctx context.Context, inst sandbox.Instance, node sandbox.Node) bool {
	mgr := s.cfg.Sandboxes
	if mgr.Capabilities(inst.Spec.Kind).ControlsNodes {
		if up, err := mgr.NodeRunning(ctx, inst, node.Name); err == nil && !up {
			return false
		}
	}
	err := kafkaAnswers(ctx, node.Kafka.Seeds)
	if err != nil {
		s.log.Warn("kafka broker did not answer after a console timeout", "sandbox", inst.Spec.ID, "node", node.Name, "err", err)
	}
	return err != nil && ctx.Err() == nil
}

// kafkaAnswers sends one metadata request to the brokers at seeds, without
// retries, and returns nil when one answered within kafkaProbeTimeout.
func kafkaAnswers(ctx context.Context, seeds []string) error {
	ctx, cancel := context.WithTimeout(ctx, kafkaProbeTimeout)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ClientID("opslab-platform"),
		kgo.RequestRetries(0), kgo.DialTimeout(kafkaProbeTimeout))
	if err != nil {
		return fmt.Errorf("probe kafka broker: %w", err)
	}
	defer cl.Close()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{} // brokers only, not every topic
	if _, err := req.RequestWith(ctx, cl); err != nil {
		return fmt.Errorf("probe kafka broker: %w", err)
	}
	return nil
}

// runKafkaLines runs setup or solution lines, stopping at the first error.
// A line "@broker-1 command" bootstraps from that broker; a systemctl line
// acts on that broker's service.
func (s *Service) runKafkaLines(ctx context.Context, inst sandbox.Instance, lines []string) error {
	for i, line := range lines {
		if waited, err := waitLine(ctx, line); waited || err != nil {
			if err != nil {
				return fmt.Errorf("line %d %q: %w", i+1, line, err)
			}
			continue
		}
		cmd, err := console.Parse(inst.Spec.Kind, console.Script, line)
		if err != nil {
			return scriptLineError(i, line, inst, cmd, err)
		}
		node, _ := inst.Node(cmd.Node)
		if cmd.Service != nil {
			if out, err := s.execService(ctx, inst, node, *cmd.Service); err != nil {
				return fmt.Errorf("line %d %q: %s", i+1, line, strings.TrimSpace(out))
			}
			continue
		}
		if err := kafkacli.Run(ctx, kafkacli.Broker{Seeds: node.Kafka.Seeds}, cmd.Kafka, discard{}); err != nil {
			return fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
	}
	return nil
}

// probeKafka answers a kafka probe: describe topic T, describe group G,
// list topics, list groups. Seeds are the brokers to ask.
func probeKafka(ctx context.Context, seeds []string, probe string) (any, error) {
	b := kafkacli.Broker{Seeds: seeds}
	f := strings.Fields(probe)
	switch {
	case len(f) == 3 && f[0] == "describe" && f[1] == "topic":
		out, err := kafkacli.DescribeTopic(ctx, b, f[2])
		if err != nil {
			return nil, err
		}
		// Leaders, replicas and ISR, for replication lessons.
		reps, err := kafkacli.TopicReplicas(ctx, b, f[2])
		if err != nil {
			return nil, err
		}
		for k, v := range reps {
			out[k] = v
		}
		return out, nil
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
