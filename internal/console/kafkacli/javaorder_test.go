package kafkacli

import (
	"slices"
	"testing"
)

// The orders kafka-topics.sh 4.1 printed on a real broker for these
// topics (--describe, and a report that selected three topics).
func TestDescribeOrder(t *testing.T) {
	for _, c := range []struct{ sorted, want []string }{
		{[]string{"a", "b", "c", "conf", "orders", "strict", "zz"}, []string{"zz", "a", "b", "c", "conf", "orders", "strict"}},
		{[]string{"__consumer_offsets", "conf", "strict"}, []string{"strict", "conf", "__consumer_offsets"}},
		{[]string{"one"}, []string{"one"}},
	} {
		if got := describeOrder(c.sorted); !slices.Equal(got, c.want) {
			t.Errorf("describeOrder(%q) = %q, want %q", c.sorted, got, c.want)
		}
	}
}
