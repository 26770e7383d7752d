package lab

import (
	"fmt"
	"net"

	"github.com/opslab/opslab/internal/sandbox"
)

// connectHint is the command line that reaches the sandbox with the
// learner's own client, when the operator set a public host and the
// sandbox listens on TCP.
func (s *Service) connectHint(inst sandbox.Instance) string {
	if s.cfg.PublicHost == "" {
		return ""
	}
	switch inst.Spec.Kind.Family() {
	case sandbox.KindRedis:
		if inst.Redis.TCP.IsZero() {
			return ""
		}
		_, port, err := net.SplitHostPort(inst.Redis.TCP.Address)
		if err != nil {
			return ""
		}
		return fmt.Sprintf("redis-cli -h %s -p %s --user %s --pass %s", s.cfg.PublicHost, port,
			inst.Redis.Client.User, inst.Redis.Client.Password)
	case sandbox.KindKafka:
		if len(inst.Kafka.Seeds) == 0 {
			return ""
		}
		_, port, err := net.SplitHostPort(inst.Kafka.Seeds[0])
		if err != nil {
			return ""
		}
		return fmt.Sprintf("kcat -b %s:%s -L", s.cfg.PublicHost, port)
	}
	return ""
}
