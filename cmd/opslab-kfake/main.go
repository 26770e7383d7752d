// Command opslab-kfake runs the kfake Kafka cluster of one sandbox. The
// process sandbox driver starts it inside the sandbox's fence (its own
// network namespace, cgroup and user), so that whatever a learner does to
// their Kafka (a partition bomb, huge records) can exhaust only this
// process, never the platform:
//
//	opslab-kfake -ports 40001,40002,40003 -cluster-id ID -partitions 3 \
//	    -retention-bytes 67108864 -retention-every 10s
//
// Each port is a broker's, on 127.0.0.1 of the process's namespace; the
// platform reaches them through relays on the same port numbers of the
// host's loopback, which is what the brokers advertise. It prints "ready"
// once every broker listens, and stops on SIGTERM or SIGINT.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func main() {
	portList := flag.String("ports", "", "comma-separated broker ports on 127.0.0.1 (one broker per port)")
	clusterID := flag.String("cluster-id", "", "the cluster's id")
	partitions := flag.Int("partitions", 3, "partitions of a topic created without a count")
	retentionBytes := flag.Int64("retention-bytes", 64<<20, "log.retention.bytes: each partition is trimmed to this size")
	retentionEvery := flag.Duration("retention-every", 10*time.Second, "how often retention is applied")
	flag.Parse()
	if err := run(*portList, *clusterID, *partitions, *retentionBytes, *retentionEvery); err != nil {
		fmt.Fprintln(os.Stderr, "opslab-kfake:", err)
		os.Exit(1)
	}
}

func run(portList, clusterID string, partitions int, retentionBytes int64, retentionEvery time.Duration) error {
	var ports []int
	for _, p := range strings.Split(portList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("-ports: %q is not a port", p)
		}
		ports = append(ports, n)
	}
	if clusterID == "" || partitions <= 0 || retentionBytes <= 0 || retentionEvery <= 0 {
		return fmt.Errorf("-cluster-id, and positive -partitions, -retention-bytes and -retention-every, are required")
	}
	c, err := kfake.NewCluster(
		kfake.Ports(ports...),
		kfake.NumBrokers(len(ports)),
		kfake.ClusterID(clusterID),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(partitions),
		kfake.BrokerConfigs(map[string]string{"log.retention.bytes": strconv.FormatInt(retentionBytes, 10)}),
	)
	if err != nil {
		return fmt.Errorf("start kfake: %w", err)
	}
	defer c.Close()
	matchGroupTypesAsKafka(c)
	fmt.Println("ready")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return nil
		case <-t.C:
			c.ApplyRetention()
		}
	}
}

// matchGroupTypesAsKafka makes c match a ListGroups request's types filter
// as Apache Kafka's brokers do, ignoring case. Kafka's own tools send the
// GroupType names capitalised ("Classic", "Consumer"), and kfake compares
// them with its lower-case group types as given, so that
// `kafka-consumer-groups --list` and `--describe --all-groups` saw no
// group at all. The filter is lower-cased before kfake handles the request.
func matchGroupTypesAsKafka(c *kfake.Cluster) {
	c.ControlKey(int16(kmsg.ListGroups), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if r, ok := req.(*kmsg.ListGroupsRequest); ok {
			for i, t := range r.TypesFilter {
				r.TypesFilter[i] = strings.ToLower(t)
			}
		}
		return nil, nil, false // not handled: kfake answers the request
	})
}
