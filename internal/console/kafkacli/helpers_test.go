package kafkacli_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/opslab/opslab/internal/console/kafkacli"
	"github.com/opslab/opslab/internal/testkit"
)

// newBroker starts a one-broker kfake cluster on a loopback port for the
// test and returns it as the learner's broker.
func newBroker(t *testing.T, opts ...kfake.Opt) kafkacli.Broker {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.Ports(0)}, opts...)...)
	if err != nil {
		t.Fatalf("start kfake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return kafkacli.Broker{Seeds: c.ListenAddrs()}
}

// run parses and runs one console line with a deadline and returns what
// it printed and the error it returned.
func run(t *testing.T, b kafkacli.Broker, line string) (string, error) {
	t.Helper()
	cmd, err := kafkacli.Parse(line)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	err = kafkacli.Run(ctx, b, cmd, &out)
	return out.String(), err
}

// mustRun runs a line that must succeed and returns its output.
func mustRun(t *testing.T, b kafkacli.Broker, line string) string {
	t.Helper()
	out, err := run(t, b, line)
	if err != nil {
		t.Fatalf("%s: unexpected error: %v\noutput:\n%s", line, err, out)
	}
	return out
}

// wantError runs a line that must fail with exactly the given text.
func wantError(t *testing.T, b kafkacli.Broker, line, text string) {
	t.Helper()
	_, err := run(t, b, line)
	if err == nil {
		t.Fatalf("%s: succeeded, want error %q", line, text)
	}
	var ke *kafkacli.Error
	if !errors.As(err, &ke) {
		t.Fatalf("%s: error %T %v is not a *kafkacli.Error", line, err, err)
	}
	if err.Error() != text {
		t.Fatalf("%s:\n got error %q\nwant error %q", line, err.Error(), text)
	}
}

// wantOutput fails the test unless got equals want, showing both.
func wantOutput(t *testing.T, line, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: output mismatch\n got: %q\nwant: %q", line, got, want)
	}
}

// requireKcat returns the path of kcat, skipping the test when it is
// not installed (failing it under CI, where make test installs it).
func requireKcat(t *testing.T) string {
	t.Helper()
	return testkit.RequireTool(t, "kcat", "install it (apt-get install kcat)")
}

// lines splits output into its lines, dropping the final empty one.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
