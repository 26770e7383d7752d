package kafkacli

import (
	"slices"
	"unicode/utf16"
)

// describeOrder returns the topics in the order kafka-topics --describe
// prints them when it describes several. TopicCommand asks the admin
// client for the sorted names; the client keeps one future per name in a
// java.util.HashMap of default capacity, and copies them, in that map's
// order, into a HashMap sized for the names, which TopicCommand walks.
// So the order is a HashMap's iteration order, twice (checked against
// kafka-topics.sh 4.1 by TestKafkaConformanceScripts).
func describeOrder(sorted []string) []string {
	futures := javaHashMapOrder(sorted, 16)
	return javaHashMapOrder(futures, javaTableSizeFor(len(sorted)))
}

// javaHashMapOrder returns keys, put in this order into a java.util.HashMap
// whose table starts with capacity initial, in the order the map iterates
// them: by bucket of the final table, and within a bucket in insertion
// order (a resize keeps that order). Buckets long enough to become trees
// (8 keys in one bucket) are not modelled.
func javaHashMapOrder(keys []string, initial int) []string {
	capacity := initial
	for len(keys) > capacity*3/4 {
		capacity *= 2
	}
	out := slices.Clone(keys)
	slices.SortStableFunc(out, func(a, b string) int {
		return javaBucket(a, capacity) - javaBucket(b, capacity)
	})
	return out
}

// javaTableSizeFor is HashMap.tableSizeFor: the power of two at or above
// n, at least 1; new HashMap<>(n) starts with a table of that size.
func javaTableSizeFor(n int) int {
	c := 1
	for c < n {
		c *= 2
	}
	return c
}

// javaBucket is the bucket of a String key in a HashMap table of the
// given capacity: String.hashCode over UTF-16 code units, spread by
// HashMap.hash (h ^ h>>>16).
func javaBucket(s string, capacity int) int {
	var h uint32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + uint32(u)
	}
	h ^= h >> 16
	return int(h & uint32(capacity-1))
}
