package process_test

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opslab/opslab/bench/benchkit"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
)

// BenchmarkStartPostgres measures Start of a fenced postgres sandbox: the
// fence, the copy of the template data directory, the server's start and
// the first sign-in that sets the sandbox's passwords. The template is
// made before the timing. Stops are not timed. It reports the median and
// 95th percentile (p50-ms, p95-ms).
func BenchmarkStartPostgres(b *testing.B) { benchStarts(b, sandbox.KindPostgres) }

// benchStarts times Start of fenced sandboxes of kind, one after another,
// after a first start and stop that is not timed (it makes the postgres
// template); stops are not timed. It reports the median and 95th
// percentile (p50-ms, p95-ms).
func benchStarts(b *testing.B, kind sandbox.Kind) {
	d := mustDriver(b, process.Options{})
	ctx := context.Background()
	warm := spec(kind)
	if _, err := d.Start(ctx, warm); err != nil {
		b.Fatal(err)
	}
	if err := d.Stop(ctx, warm.ID); err != nil {
		b.Fatal(err)
	}
	var times []time.Duration
	for b.Loop() {
		s := spec(kind)
		t0 := time.Now()
		if _, err := d.Start(ctx, s); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t0))
		b.StopTimer()
		if err := d.Stop(ctx, s.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	reportQuantiles(b, times)
}

// BenchmarkPostgresBarePgCtl is the baseline of BenchmarkStartPostgres: a
// bare `pg_ctl start -w` of a copy of the same template data directory,
// unfenced, as user nobody, with the same caps in its postgresql.conf.
// Only pg_ctl is timed (not the copy, not the stop).
func BenchmarkPostgresBarePgCtl(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("runs pg_ctl as user nobody: needs root")
	}
	scratch := scratchDir(b)
	d := mustDriver(b, process.Options{Dir: scratch})
	ctx := context.Background()
	warm := spec(sandbox.KindPostgres) // makes the template
	if _, err := d.Start(ctx, warm); err != nil {
		b.Fatal(err)
	}
	if err := d.Stop(ctx, warm.ID); err != nil {
		b.Fatal(err)
	}
	template := filepath.Join(scratch, "pgtemplate")
	pgCtl := filepath.Join(filepath.Dir(findPostgres(b)), "pg_ctl")
	const nobody = 65534
	run := func(args ...string) {
		cmd := exec.Command(pgCtl, args...)
		cmd.Env = []string{"LC_ALL=C"}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("pg_ctl %v: %v: %s", args, err, out)
		}
	}
	var times []time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		dir := filepath.Join(scratch, "bare")
		data := filepath.Join(dir, "pgdata")
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		if out, err := exec.Command("cp", "-a", template, data).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v: %s", err, out)
		}
		conf := strings.Join([]string{"listen_addresses = ''", "unix_socket_directories = '" + dir + "'",
			"max_connections = 20", "shared_buffers = 16MB", "fsync = off", "dynamic_shared_memory_type = mmap", ""}, "\n")
		if err := os.WriteFile(filepath.Join(data, "postgresql.conf"), []byte(conf), 0o600); err != nil {
			b.Fatal(err)
		}
		if err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, nobody, nobody)
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		run("start", "-w", "-s", "-D", data, "-l", filepath.Join(dir, "log"))
		times = append(times, time.Since(t0))
		b.StopTimer()
		run("stop", "-s", "-m", "immediate", "-D", data)
		b.StartTimer()
	}
	reportQuantiles(b, times)
}

// findPostgres returns the newest /usr/lib/postgresql/<version>/bin/postgres.
func findPostgres(tb testing.TB) string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(matches) == 0 {
		tb.Skip("PostgreSQL is not installed")
	}
	version := func(path string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
		return v
	}
	slices.SortFunc(matches, func(a, b string) int { return version(a) - version(b) })
	return matches[len(matches)-1]
}

// reportQuantiles reports the median and 95th percentile of times in
// milliseconds.
func reportQuantiles(b *testing.B, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	slices.Sort(times)
	at := func(q float64) float64 {
		return float64(times[int(q*float64(len(times)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
}

// BenchmarkPostgresIdleMemory starts idle postgres sandboxes (each after
// one learner session that created a table and left) and reports what one
// takes: pss-MiB, the proportional set size of its server's processes
// (shared pages split between them and the other sandboxes' servers), and
// tmpfs-MiB, its folder's used size (the data directory: tmpfs pages are
// memory, counted in the sandbox's cgroup).
func BenchmarkPostgresIdleMemory(b *testing.B) {
	d := mustDriver(b, process.Options{})
	ctx := context.Background()
	var pss, disk int64
	n := 0
	for b.Loop() {
		s := spec(sandbox.KindPostgres)
		inst, err := d.Start(ctx, s)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = d.Stop(ctx, s.ID) })
		c := pgConnect(b, inst, inst.Postgres.Learner, "appdb")
		if err := pgExec(c, "CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g"); err != nil {
			b.Fatal(err)
		}
		c.Close(ctx)
		time.Sleep(200 * time.Millisecond) // the backend's exit
		for _, pid := range postgresPIDs(inst.Dir) {
			pss += benchkit.PSS(pid)
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(inst.Dir, &st); err != nil {
			b.Fatal(err)
		}
		disk += int64(st.Blocks-st.Bfree) * st.Bsize
		n++
	}
	b.ReportMetric(float64(pss)/float64(n)/(1<<20), "pss-MiB")
	b.ReportMetric(float64(disk)/float64(n)/(1<<20), "tmpfs-MiB")
}
