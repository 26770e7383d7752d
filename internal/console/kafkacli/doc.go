// Package kafkacli reproduces the Apache Kafka 4.x operator tools a learner
// types into the console of a kafka sandbox: kafka-topics, kafka-configs,
// kafka-console-producer, kafka-console-consumer, kafka-consumer-groups,
// kafka-acls and kafka-transactions, and the platform's own opslab-drill.
//
// The tools form a registry (registry.go): each tool's file registers its
// options, the way it words option errors, and its own command type
// (TopicsCommand, ConfigsCommand, ...) with that tool's options, its parse
// and its run. Parse finds the tool by name, scans the line once for it,
// answers --help and --version for every tool, and hands the scanned
// options to the tool's parse. Parse does no I/O, so the linter can use
// it; Run executes a Command against the learner's broker through franz-go
// and prints what the real tool prints. The openings every tool shares
// are helpers: toolOptions and adminToolOptions (--bootstrap-server,
// --command-config), Broker.connect and connectAdmin, toolFailure.
//
// The probe helpers (DescribeTopic, DescribeGroup, ListTopics, ListGroups,
// TopicReplicas) give exercise checks the values the exercise format
// promises.
//
// Run connects only to the broker's seeds and the brokers they advertise,
// whatever --bootstrap-server says. It refuses, in Kafka's wording, any
// command that would take the sandbox over its Limits (topics, partitions,
// record size, bytes held).
//
// Output and error wording follow the Apache Kafka 4.1 tools, checked
// against the real tools running next to a real broker. Where this package
// knowingly differs, DIFFERENCES.md in this folder says how and why.
package kafkacli
