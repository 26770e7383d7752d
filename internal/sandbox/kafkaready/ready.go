// Package kafkaready tells when a freshly started Apache Kafka broker is
// ready for a learner: every driver that runs a real broker waits on it.
package kafkaready

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Ready asks the broker at seeds for cluster metadata and fails
// unless it names a broker and a controller; then it asks for a group
// coordinator, which makes the broker create __consumer_offsets: until it
// has, the first consumer-group command of a learner or a setup would fail
// with "The coordinator is not available".
func Ready(ctx context.Context, seeds []string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ClientID("opslab-platform"),
		kgo.RetryTimeout(0), kgo.RequestRetries(0), kgo.DialTimeout(500*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	if len(meta.Brokers) == 0 || meta.ControllerID < 0 {
		return errors.New("broker not ready: metadata names no broker or controller")
	}
	for {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorKey = "opslab"
		req.CoordinatorKeys = []string{"opslab"}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		code := resp.ErrorCode
		if len(resp.Coordinators) > 0 {
			code = resp.Coordinators[0].ErrorCode
		}
		if err := kerr.ErrorForCode(code); err == nil {
			return nil
		} else if !kerr.IsRetriable(err) {
			return fmt.Errorf("find a group coordinator: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no group coordinator yet: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
