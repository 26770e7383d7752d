package rediscli

import (
	"errors"
	"fmt"
)

// ErrUnsupportedOption is wrapped by ParseLine's error when a line starts
// with "redis-cli" followed by an option the console does not accept.
var ErrUnsupportedOption = errors.New("redis-cli option not supported in this console")

// ParseLine tokenizes a console line with Tokenize and returns the command
// to send. Learners often paste whole shell commands, so a first argument
// of exactly "redis-cli" is dropped, together with the connection options
// that may follow it and that have no meaning here, because the console is
// already connected to the learner's own server:
//
//	-h host, -p port, -s socket, -u uri, -a password,
//	--user name, --pass password, --no-auth-warning, --no-raw
//
// Stripping stops at the first argument that does not start with '-'. Any
// other option (for example -n 2, which would silently change the database,
// or --raw, which would change the output) and an option missing its value
// make ParseLine fail with an error wrapping ErrUnsupportedOption. Errors
// from Tokenize are returned unchanged. A line that is blank, or that is
// only "redis-cli" and options, gives no arguments and no error.
func ParseLine(line string) ([]string, error) {
	args, err := Tokenize(line)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 || args[0] != "redis-cli" {
		return args, nil
	}
	args = args[1:]
	for len(args) > 0 && len(args[0]) > 0 && args[0][0] == '-' {
		opt := args[0]
		switch opt {
		case "--no-auth-warning", "--no-raw":
			args = args[1:]
		case "-h", "-p", "-s", "-u", "-a", "--user", "--pass":
			if len(args) < 2 {
				return nil, fmt.Errorf("%w: %s needs a value", ErrUnsupportedOption, opt)
			}
			args = args[2:]
		default:
			return nil, fmt.Errorf("%w: %s", ErrUnsupportedOption, opt)
		}
	}
	return args, nil
}
