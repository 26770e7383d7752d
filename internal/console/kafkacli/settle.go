package kafkacli

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// settleTimeout bounds how long a command waits for its change to show in
// the broker's metadata.
const settleTimeout = 10 * time.Second

// awaitTopics waits, at most settleTimeout, until the broker's metadata
// shows every topic of names with a leader for each partition (present) or
// none of them (!present). A real broker answers CreateTopics and
// DeleteTopics before its metadata cache has caught up, so a describe, a
// produce or a re-create right after would see the old state; kfake is
// always caught up. Waiting here makes the next command of a setup, a
// solution or a learner see what the last one did, on either. It gives up
// silently: the change was accepted, only not yet visible.
func awaitTopics(ctx context.Context, adm *kadm.Client, present bool, partitions int, names ...string) {
	if len(names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	delay := 10 * time.Millisecond
	for {
		if topicsSettled(ctx, adm, present, partitions, names) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// topicsSettled reports whether metadata shows names as awaitTopics wants;
// partitions, when positive, is the partition count each must have.
func topicsSettled(ctx context.Context, adm *kadm.Client, present bool, partitions int, names []string) bool {
	topics, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return false
	}
	for _, name := range names {
		d, ok := topics[name]
		exists := ok && d.Err == nil
		if exists != present {
			return false
		}
		if !present {
			continue
		}
		if partitions > 0 && len(d.Partitions) != partitions {
			return false
		}
		for _, p := range d.Partitions {
			if p.Err != nil || p.Leader < 0 {
				return false
			}
		}
	}
	return true
}
