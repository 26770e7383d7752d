// Package console holds the command languages learners type: redis-cli's
// (package rediscli) and Apache Kafka's tools' (package kafkacli). This
// file joins them for the content loader, which must reject a setup or
// solution line that would not parse.
package console

import (
	"fmt"

	"github.com/opslab/opslab/internal/console/kafkacli"
	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/console/servicectl"
	"github.com/opslab/opslab/internal/course"
)

// CheckCommand reports whether line parses as a command of the sandbox
// kind: it implements course.CommandChecker.
func CheckCommand(kind, line string) error {
	switch kind {
	case course.SandboxRedis:
		args, err := rediscli.ParseLine(line)
		if err != nil {
			return err
		}
		if len(args) == 0 {
			return fmt.Errorf("empty command")
		}
		return nil
	case course.SandboxKafka:
		if servicectl.Is(line) {
			_, err := servicectl.Parse(line)
			return err
		}
		_, err := kafkacli.Parse(line)
		return err
	}
	return fmt.Errorf("unknown sandbox kind %q", kind)
}
