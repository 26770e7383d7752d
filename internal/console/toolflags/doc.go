// Package toolflags holds the test that keeps the course honest about the
// real tools: every flag of a redis-cli or Apache Kafka tool invocation
// anywhere in the built-in course (prose code, tasks, hints, check
// messages, setup and solutions) must be one that the real tool's --help
// lists. The help texts are in testdata/help, captured from redis-cli 7
// and the Apache Kafka 4.1.0 scripts by testdata/capture.sh.
package toolflags
