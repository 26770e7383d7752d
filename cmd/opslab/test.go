package main

import (
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
)

// testJob is one exercise to test, with its result.
type testJob struct {
	course *course.Course
	lesson *course.Lesson
	ex     *course.Exercise
	owner  int64
	runs   []lab.Verdict
}

func (j *testJob) name() string { return j.course.Slug + "/" + j.lesson.Slug + "/" + j.ex.ID }

// ok reports whether every run passed.
func (j *testJob) ok() bool {
	for _, v := range j.runs {
		if !v.OK {
			return false
		}
	}
	return len(j.runs) > 0
}

const testUsage = `usage: opslab test [flags] [DIR ...]

Tests every exercise of the courses in each DIR (a folder of course
folders, or one course folder with its course.yaml; --content DIR is one
more), or of the built-in course when none is given: on a fresh sandbox,
its checks must fail after the setup and pass after the solution, and
each counter-example (wrong:) must leave a check failing. Exit
status: 0 every exercise passed and no content problem, 1 otherwise, 2 a
bad command line or a DIR that is not a directory.

`

// runTest tests every exercise: fresh sandbox, setup, checks must fail,
// solution, checks must pass; then each counter-example on a fresh
// sandbox, setup, its lines, checks must not all pass; --runs times each,
// to catch flaky ones.
func runTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	content := fs.String("content", "", "test the courses of `DIR` too (as an argument does)")
	only := fs.String("lesson", "", "test only the lesson with this `SLUG`")
	jobs := fs.Int("j", runtime.NumCPU(), "exercises tested at once")
	runs := fs.Int("runs", 2, "times each exercise is tested (a flaky exercise fails)")
	junit := fs.String("junit", "", "write JUnit XML to `FILE`")
	var driver driverFlags
	driver.register(fs)
	dirs, err := parseCommandLine(fs, testUsage, args)
	if err != nil {
		return err
	}
	dirs, err = contentDirs(fs, testUsage, *content, dirs)
	if err != nil {
		return err
	}
	if err := driver.check("test"); err != nil {
		return err
	}
	if *jobs < 1 || *runs < 1 {
		return fmt.Errorf("test: -j and --runs must be at least 1")
	}
	cat, empty, err := loadContents(dirs, markdown.New())
	if err != nil {
		return fmt.Errorf("test: %w", err)
	}
	for _, p := range report(cat) {
		fmt.Fprintln(stdout, p.String())
	}
	for _, d := range empty {
		fmt.Fprintf(stderr, "test: %s: no course found: a course is a folder with a course.yaml; give one, or a folder of them\n", d)
	}
	if len(empty) > 0 {
		return exitError(1)
	}
	var all []*testJob
	for _, c := range cat.Courses {
		for _, l := range c.Lessons {
			if *only != "" && l.Slug != *only {
				continue
			}
			for _, e := range l.Exercises {
				all = append(all, &testJob{course: c, lesson: l, ex: e, owner: int64(len(all) + 1)})
			}
		}
	}
	if len(all) == 0 && len(cat.Problems) == 0 {
		fmt.Fprintln(stderr, "test: no exercise to test")
		return exitError(1)
	}

	scratch, err := os.MkdirTemp("", "opslab-test-")
	if err != nil {
		return fmt.Errorf("test: %w", err)
	}
	defer os.RemoveAll(scratch)
	drv, err := driver.newDriver(ctx, "test", scratch, false)
	if err != nil {
		return err
	}
	if problems := fenceProblems(drv); len(problems) > 0 {
		return fmt.Errorf("test: sandboxes cannot be fenced on this machine (or pass --unfenced, for a machine only you use):\n%s", fence.Summary(problems))
	}
	all, skipped := splitSupported(all, drv)
	for _, j := range skipped {
		fmt.Fprintf(stdout, "- %s: skipped: %s\n", j.name(), j.why)
	}
	mgr, err := sandbox.NewManager(drv, nil, sandbox.Config{MaxPerKind: map[sandbox.Kind]int{
		// The caps count servers: room for -j of the largest kinds at once.
		sandbox.KindRedis: (*jobs + 1) * sandbox.KindRedisCluster.Weight(sandbox.KindRedis),
		sandbox.KindKafka: (*jobs + 1) * sandbox.KindKafkaCluster.Weight(sandbox.KindKafka),
	}, Warm: driver.warm()})
	if err != nil {
		return fmt.Errorf("test: %w", err)
	}
	defer mgr.StopAll(context.Background())
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go mgr.Run(runCtx) // fills the warm pool
	svc, err := lab.New(lab.Config{Sandboxes: mgr, Logger: discardLogger()})
	if err != nil {
		return fmt.Errorf("test: %w", err)
	}

	start := time.Now()
	progress := newProgressLine(stderr, len(all))
	work := make(chan *testJob)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := 0; i < *jobs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				for r := 0; r < *runs && ctx.Err() == nil; r++ {
					t := lab.Target{UserID: j.owner, Course: j.course, Lesson: j.lesson, Exercise: j.ex}
					j.runs = append(j.runs, svc.SelfTest(ctx, t))
				}
				mu.Lock()
				progress.clear()
				printJob(stdout, j)
				progress.done()
				mu.Unlock()
			}
		}()
	}
	for _, j := range all {
		work <- j
	}
	close(work)
	wg.Wait()
	progress.clear()

	failed := 0
	for _, j := range all {
		if !j.ok() {
			failed++
		}
	}
	skipNote := ""
	if len(skipped) > 0 {
		skipNote = fmt.Sprintf(", %d skipped", len(skipped))
	}
	wrongNote := ""
	if n := countWrong(all); n > 0 {
		wrongNote = fmt.Sprintf(", %d counter-examples", n)
	}
	fmt.Fprintf(stdout, "%d exercises%s, %d passed, %d failed%s, %d content problems (%s, %d runs each)\n",
		len(all), wrongNote, len(all)-failed, failed, skipNote, len(cat.Problems), time.Since(start).Round(time.Millisecond), *runs)
	if *junit != "" {
		if err := writeJUnit(*junit, all, skipped, time.Since(start)); err != nil {
			return fmt.Errorf("test: %w", err)
		}
	}
	if failed > 0 || len(cat.Problems) > 0 || ctx.Err() != nil {
		return exitError(1)
	}
	return nil
}

// countWrong is the number of counter-examples of the jobs' exercises.
func countWrong(jobs []*testJob) int {
	n := 0
	for _, j := range jobs {
		n += len(j.ex.Wrong)
	}
	return n
}

// rejectedNote says how many counter-examples the checks rejected, as in
// "2 counter-examples rejected"; "" for an exercise without any.
func rejectedNote(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "1 counter-example rejected"
	}
	return fmt.Sprintf("%d counter-examples rejected", n)
}

// printJob prints one line: ✓ or ✗, the exercise, its time, how many
// counter-examples the checks rejected, and what went wrong.
func printJob(w io.Writer, j *testJob) {
	var total time.Duration
	problem := ""
	failed := 0
	for _, v := range j.runs {
		total += v.Duration
		if !v.OK {
			failed++
			if problem == "" {
				problem = v.Problem
			}
		}
	}
	avg := total / time.Duration(max(1, len(j.runs)))
	if j.ok() {
		note := ""
		if r := rejectedNote(len(j.ex.Wrong)); r != "" {
			note = ", " + r
		}
		fmt.Fprintf(w, "✓ %s (%s%s)\n", j.name(), avg.Round(time.Millisecond), note)
		return
	}
	if failed < len(j.runs) {
		problem = fmt.Sprintf("flaky: %d of %d runs failed: %s", failed, len(j.runs), problem)
	}
	fmt.Fprintf(w, "✗ %s (%s): %s\n", j.name(), avg.Round(time.Millisecond), problem)
}

// progressLine is a live "n/total" counter on a terminal, nothing elsewhere.
type progressLine struct {
	w          io.Writer
	tty        bool
	n, total   int
	lastLength int
}

func newProgressLine(w io.Writer, total int) *progressLine {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	p := &progressLine{w: w, tty: tty, total: total}
	p.draw()
	return p
}

func (p *progressLine) done() { p.n++; p.draw() }

func (p *progressLine) draw() {
	if p.tty {
		s := fmt.Sprintf("testing %d/%d exercises…", p.n, p.total)
		p.lastLength = len(s)
		fmt.Fprint(p.w, "\r"+s)
	}
}

func (p *progressLine) clear() {
	if p.tty && p.lastLength > 0 {
		fmt.Fprintf(p.w, "\r%*s\r", p.lastLength, "")
	}
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	// SystemOut says how many counter-examples were rejected.
	SystemOut string `xml:"system-out,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes the results as JUnit XML, atomically.
func writeJUnit(path string, jobs []*testJob, skipped []skippedJob, took time.Duration) error {
	s := junitSuite{Name: "opslab exercises", Tests: len(jobs) + len(skipped), Skipped: len(skipped), Time: took.Seconds()}
	for _, j := range jobs {
		var total time.Duration
		for _, v := range j.runs {
			total += v.Duration
		}
		c := junitCase{Name: j.ex.ID, ClassName: j.course.Slug + "." + j.lesson.Slug, Time: total.Seconds()}
		if !j.ok() {
			s.Failures++
			msg := ""
			for _, v := range j.runs {
				if !v.OK {
					msg = v.Problem
					break
				}
			}
			c.Failure = &junitFailure{Message: msg, Text: fmt.Sprintf("%s:%d: %s", j.lesson.Path, j.ex.Line, msg)}
		} else if r := rejectedNote(len(j.ex.Wrong)); r != "" {
			c.SystemOut = fmt.Sprintf("%s in each of %d runs", r, len(j.runs))
		}
		s.Cases = append(s.Cases, c)
	}
	for _, j := range skipped {
		s.Cases = append(s.Cases, junitCase{Name: j.ex.ID, ClassName: j.course.Slug + "." + j.lesson.Slug, Skipped: &junitSkipped{Message: j.why}})
	}
	b, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append([]byte(xml.Header), append(b, '\n')...), 0o644); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	return os.Rename(tmp, path)
}

// splitSupported returns the jobs drv can run, and those it cannot, each
// with the reason: a sandbox kind the driver does not run, or a
// requirement it cannot meet (real Kafka, where the driver runs kfake), as
// the driver's Capabilities say.
func splitSupported(all []*testJob, drv sandbox.Driver) (run []*testJob, skipped []skippedJob) {
	for _, j := range all {
		k := sandbox.Kind(j.ex.Sandbox)
		c := drv.Capabilities(k)
		switch {
		case !c.Runs:
			skipped = append(skipped, skippedJob{j, fmt.Sprintf("the %s driver does not run %s sandboxes", drv.Name(), j.ex.Sandbox)})
		case j.ex.Needs(course.RequireRealKafka) && !c.RealKafka:
			where := "--sandbox container"
			if k.OneBroker() {
				// The process driver's --kafka apache runs its one broker.
				where = "--kafka apache or --sandbox container"
			}
			skipped = append(skipped, skippedJob{j, fmt.Sprintf("it needs real Apache Kafka, and the %s driver runs %s sandboxes on kfake (it runs with %s)", drv.Name(), j.ex.Sandbox, where)})
		case j.ex.UsesWorkstation() && !c.Shell:
			skipped = append(skipped, skippedJob{j, fmt.Sprintf("it is done in the terminal, and the %s driver offers no workstation beside %s sandboxes here (the process driver, fenced, and the container driver do)", drv.Name(), j.ex.Sandbox)})
		default:
			run = append(run, j)
		}
	}
	return run, skipped
}

// skippedJob is an exercise not tested, and why.
type skippedJob struct {
	*testJob
	why string
}
