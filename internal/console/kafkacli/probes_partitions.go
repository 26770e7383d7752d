package kafkacli

import "strconv"

// addPartitionMessages adds "messages.<partition>" to a describe topic
// probe's value: the records each partition holds (log-end minus
// log-start offset), so that a check can prove where keyed records landed.
func addPartitionMessages(out map[string]any, perPartition map[int32]int64) {
	for p, n := range perPartition {
		out["messages."+strconv.Itoa(int(p))] = int(n)
	}
}
