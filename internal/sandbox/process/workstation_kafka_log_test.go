package process_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/testkit"
)

// TestWorkstationKafkaLog: beside a real Apache Kafka broker, the
// workstation shows the broker's log directory at process.KafkaLogDir,
// where the learner's user runs the real kafka-dump-log.sh over a segment
// and finds the record just produced; it cannot write, rename or delete
// anything there, and the broker keeps its segment as it was. The broker
// writes readable files even when the platform's umask is 077.
func TestWorkstationKafkaLog(t *testing.T) {
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	testkit.RequireTool(t, "kcat", "apt-get install kcat")
	home := requireKafkaHome(t)
	// A platform with a strict umask: the broker must still write segments
	// the learner can read, and the workstation must still let the learner
	// in. Tests of this package other than t.Parallel subtests run one at
	// a time, so this touches no other test.
	old := syscall.Umask(0o077)
	t.Cleanup(func() { syscall.Umask(old) })
	d := fencedDriver(t, process.Options{Kafka: process.KafkaApache, KafkaHome: home})
	inst := mustStart(t, d, spec(sandbox.KindKafka))
	ctx := context.Background()
	sh := func(script string) sandbox.ShellResult {
		t.Helper()
		res, err := d.RunShell(ctx, inst, script)
		if err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		return res
	}

	if res := sh(`printf 'order-42:paid-from-the-terminal\n' | kcat -b broker:9092 -P -t segments -p 0 -K:`); res.Exit != 0 {
		t.Fatalf("kcat -P in the workstation: %+v", res)
	}
	segment := process.KafkaLogDir + "/segments-0/00000000000000000000.log"
	res := sh(`kafka-dump-log.sh --files ` + segment + ` --print-data-log`)
	if res.Exit != 0 || !strings.Contains(res.Stdout, "Dumping "+segment) ||
		!strings.Contains(res.Stdout, "key: order-42 payload: paid-from-the-terminal") {
		t.Fatalf("kafka-dump-log.sh over the segment in the workstation: %+v", res)
	}

	// The learner reads by the files' modes, as another user: not the
	// broker's, and not root.
	var server syscall.Stat_t
	if err := syscall.Stat("/proc/"+strconv.Itoa(inst.PID), &server); err != nil {
		t.Fatal(err)
	}
	owner := sh(`stat -c '%u' ` + segment + `; id -u`)
	if ids := strings.Fields(owner.Stdout); len(ids) != 2 || ids[0] != strconv.Itoa(int(server.Uid)) || ids[1] == ids[0] || ids[1] == "0" {
		t.Fatalf("segment's owner and the learner's user: %q, want the broker's user %d and another, not root", owner.Stdout, server.Uid)
	}

	// Read-only: the mount says so, and every write fails.
	mount := sh(`awk '$5 == "` + process.KafkaLogDir + `" { print $6 }' /proc/self/mountinfo`)
	opts := strings.Split(strings.TrimSpace(mount.Stdout), ",")
	for _, want := range []string{"ro", "nosuid", "nodev", "noexec"} {
		if !contains(opts, want) {
			t.Fatalf("%s is mounted %q, want %s among its options", process.KafkaLogDir, mount.Stdout, want)
		}
	}
	dataDir := filepath.Join(inst.Dir, "data")
	before, err := os.ReadFile(filepath.Join(dataDir, "segments-0", "00000000000000000000.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, write := range []string{
		`touch ` + process.KafkaLogDir + `/new-file`,
		`mkdir ` + process.KafkaLogDir + `/made-by-the-learner`,
		`echo forged >> ` + segment,
		`: > ` + segment,
		`rm -f ` + segment,
		`mv ` + segment + ` ` + process.KafkaLogDir + `/segments-0/moved.log`,
		`chmod 666 ` + segment,
		`rm -rf ` + process.KafkaLogDir + `/segments-0`,
	} {
		if res := sh(write + ` 2>/dev/null`); res.Exit == 0 {
			t.Errorf("%s in the workstation succeeded", write)
		}
	}
	after, err := os.ReadFile(filepath.Join(dataDir, "segments-0", "00000000000000000000.log"))
	if err != nil {
		t.Fatalf("the segment after the learner's writes: %v", err)
	}
	if string(after) != string(before) {
		t.Fatal("the segment changed under the learner's writes")
	}
	for _, name := range []string{"new-file", "made-by-the-learner", "segments-0/moved.log"} {
		if _, err := os.Lstat(filepath.Join(dataDir, name)); err == nil {
			t.Errorf("%s appeared in the broker's log directory", name)
		}
	}
	// The broker still serves the record.
	if res := sh(`kcat -b broker:9092 -C -t segments -p 0 -o 0 -c 1 -e -f '%k=%s\n'`); res.Stdout != "order-42=paid-from-the-terminal\n" {
		t.Fatalf("the record after the learner's writes: %+v", res)
	}
}

// TestWorkstationKafkaLogKfake: beside a kfake sandbox (records in
// memory, no segments), nothing is at process.KafkaLogDir.
func TestWorkstationKafkaLogKfake(t *testing.T) {
	testkit.Slow(t, "starts a fenced sandbox and a workstation")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation and bin/opslab-kfake)", "OPSLAB_WORKSTATION_BINARY", "OPSLAB_KFAKE_BINARY")
	d := fencedDriver(t, process.Options{})
	inst := mustStart(t, d, spec(sandbox.KindKafka))
	res, err := d.RunShell(context.Background(), inst, `test -e /var/lib/kafka && echo there || echo absent`)
	if err != nil || res.Stdout != "absent\n" {
		t.Fatalf("/var/lib/kafka beside a kfake sandbox: %+v, %v; want absent", res, err)
	}
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
