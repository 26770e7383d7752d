package servicectl

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	ok := map[string]string{
		"systemctl stop kafka":                   Stop,
		"systemctl start kafka.service":          Start,
		"sudo systemctl restart kafka":           Restart,
		"systemctl status kafka --no-pager":      Status,
		"systemctl is-active kafka":              IsActive,
		"  systemctl   status   kafka.service  ": Status,
	}
	for line, verb := range ok {
		cmd, err := Parse(line)
		if err != nil || cmd.Verb != verb {
			t.Errorf("Parse(%q) = %+v, %v; want verb %s", line, cmd, err, verb)
		}
	}
	bad := map[string]string{
		"systemctl":                    "a verb is needed",
		"systemctl stop":               "Too few arguments",
		"systemctl enable kafka":       "Unknown command verb 'enable'",
		"systemctl stop redis":         "Failed to stop redis.service: Unit redis.service not found.",
		"systemctl status zookeeper":   "Unit zookeeper.service could not be found.",
		"systemctl stop kafka redis":   "one unit at a time",
		"systemctl --force stop kafka": "unrecognized option '--force'",
		"kafka-topics --list":          "not a systemctl command",
	}
	for line, want := range bad {
		_, err := Parse(line)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error %v, want it to say %q", line, err, want)
		}
	}
}

func TestIs(t *testing.T) {
	for line, want := range map[string]bool{
		"systemctl stop kafka":      true,
		"sudo systemctl stop kafka": true,
		"systemctl":                 true,
		"kafka-topics --list":       false,
		"sudo":                      false,
		"":                          false,
	} {
		if got := Is(line); got != want {
			t.Errorf("Is(%q) = %v, want %v", line, got, want)
		}
	}
}

func TestTexts(t *testing.T) {
	if got := StatusText("broker-2", 2, false); !strings.Contains(got, "Active: inactive (dead)") || !strings.Contains(got, "broker 2 (broker-2)") {
		t.Errorf("status of a stopped broker:\n%s", got)
	}
	if got := StatusText("broker-0", 0, true); !strings.Contains(got, "Active: active (running)") {
		t.Errorf("status of a running broker:\n%s", got)
	}
	if IsActiveText(true) != "active\n" || IsActiveText(false) != "inactive\n" {
		t.Error("is-active texts")
	}
}
