// Package kafkacli reproduces the Apache Kafka 4.x operator tools a learner
// types into the console of a kafka sandbox: kafka-topics, kafka-configs,
// kafka-console-producer, kafka-console-consumer and kafka-consumer-groups.
//
// Parse turns a console line into a Command without any I/O, so the linter
// can use it; Run executes a Command against the learner's broker through
// franz-go and prints what the real tool prints. The probe helpers
// (DescribeTopic, DescribeGroup, ListTopics, ListGroups) give exercise
// checks the values the exercise format promises.
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
