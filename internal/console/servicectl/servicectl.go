// Package servicectl is the console's systemctl: the few verbs an operator
// uses to stop, start and look at the Kafka service of one broker of a
// kafka-cluster sandbox ("@broker-2 systemctl stop kafka"). It parses and
// formats; the lab runs the verbs through the sandbox manager.
package servicectl

import (
	"fmt"
	"strings"
)

// Tool is the command's name.
const Tool = "systemctl"

// Unit is the one unit a broker node has.
const Unit = "kafka.service"

// Verbs.
const (
	Start    = "start"
	Stop     = "stop"
	Restart  = "restart"
	Status   = "status"
	IsActive = "is-active"
)

// Error is a refused systemctl line; its text reads as systemctl's own.
type Error string

// Error returns the text.
func (e Error) Error() string { return string(e) }

func errorf(format string, args ...any) error { return Error(fmt.Sprintf(format, args...)) }

// Command is a parsed systemctl line.
type Command struct {
	Verb string
}

// Is reports whether line is a systemctl command (valid or not): its first
// word is systemctl, or sudo followed by systemctl.
func Is(line string) bool {
	f := strings.Fields(line)
	if len(f) > 0 && f[0] == "sudo" {
		f = f[1:]
	}
	return len(f) > 0 && f[0] == Tool
}

// Parse parses a systemctl line: "systemctl VERB kafka" with VERB one of
// start, stop, restart, status and is-active, the unit written kafka or
// kafka.service, and an optional leading sudo. Its errors read as
// systemctl's own.
func Parse(line string) (Command, error) {
	f := strings.Fields(line)
	if len(f) > 0 && f[0] == "sudo" {
		f = f[1:]
	}
	if len(f) == 0 || f[0] != Tool {
		return Command{}, errorf("not a %s command", Tool)
	}
	f = f[1:]
	var args []string
	for _, a := range f {
		switch a {
		case "--no-pager", "-q", "--quiet", "--no-block":
			continue
		}
		if strings.HasPrefix(a, "-") {
			return Command{}, errorf("%s: unrecognized option '%s'", Tool, a)
		}
		args = append(args, a)
	}
	if len(args) == 0 {
		return Command{}, errorf("%s: a verb is needed: start, stop, restart, status or is-active (the console runs only those)", Tool)
	}
	verb := args[0]
	switch verb {
	case Start, Stop, Restart, Status, IsActive:
	default:
		return Command{}, errorf("Unknown command verb '%s' (the console runs start, stop, restart, status and is-active).", verb)
	}
	units := args[1:]
	if len(units) == 0 {
		return Command{}, errorf("Too few arguments: name the unit, as in `%s %s kafka`.", Tool, verb)
	}
	if len(units) > 1 {
		return Command{}, errorf("%s: one unit at a time in the console: %s", Tool, Unit)
	}
	if u := units[0]; u != "kafka" && u != Unit {
		name := u
		if !strings.Contains(name, ".") {
			name += ".service"
		}
		if verb == Status {
			return Command{}, errorf("Unit %s could not be found.", name)
		}
		return Command{}, errorf("Failed to %s %s: Unit %s not found. This node runs one service: %s.", verb, name, name, Unit)
	}
	return Command{Verb: verb}, nil
}

// StatusText is what "systemctl status kafka" prints for the broker on
// node (its node.id id), running or not.
func StatusText(node string, id int, running bool) string {
	dot, active := "○", "inactive (dead)"
	if running {
		dot, active = "●", "active (running)"
	}
	return fmt.Sprintf("%s %s - Apache Kafka broker %d (%s)\n     Active: %s\n", dot, Unit, id, node, active)
}

// IsActiveText is what "systemctl is-active kafka" prints.
func IsActiveText(running bool) string {
	if running {
		return "active\n"
	}
	return "inactive\n"
}
