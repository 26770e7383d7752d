package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
)

const lintUsage = `usage: opslab lint [--strict] [DIR ...]

Reports every problem of the courses in each DIR (a folder of course
folders, or one course folder with its course.yaml; --content DIR is one
more), or of the built-in course when none is given, as path:line: message.
Warnings read path:line: warning: message. Exit status: 0 no problems,
1 problems (or warnings with --strict), 2 a bad command line or a DIR that
is not a directory.

`

// runLint loads the content and prints every problem as path:line: message
// and every warning as path:line: warning: message. It exits 1 when there
// is any problem (or, with --strict, any warning).
func runLint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	content := fs.String("content", "", "lint the courses of `DIR` too (as an argument does)")
	strict := fs.Bool("strict", false, "exit 1 on warnings too, not only on problems")
	dirs, err := parseCommandLine(fs, lintUsage, args)
	if err != nil {
		return err
	}
	dirs, err = contentDirs(fs, lintUsage, *content, dirs)
	if err != nil {
		return err
	}
	cat, empty, err := loadContents(dirs, markdown.New())
	if err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	for _, p := range report(cat) {
		fmt.Fprintln(stdout, p.String())
	}
	for _, d := range empty {
		fmt.Fprintf(stderr, "lint: %s: no course found: a course is a folder with a course.yaml; give one, or a folder of them\n", d)
	}
	lessons, exercises := 0, 0
	for _, c := range cat.Courses {
		lessons += len(c.Lessons)
		exercises += c.ExerciseCount()
	}
	warnings := ""
	if n := len(cat.Warnings); n > 0 {
		warnings = fmt.Sprintf(", %d %s", n, plural(n, "warning", "warnings"))
	}
	switch {
	case len(cat.Problems) > 0:
		fmt.Fprintf(stderr, "%d problems%s (%d courses, %d valid lessons, %d exercises)\n", len(cat.Problems), warnings, len(cat.Courses), lessons, exercises)
		return exitError(1)
	case len(empty) > 0:
		return exitError(1)
	case len(cat.Courses) == 0:
		fmt.Fprintln(stderr, "no course found: a course is a folder with a course.yaml")
		return exitError(1)
	}
	fmt.Fprintf(stderr, "ok: %d courses, %d lessons, %d exercises, no problems%s\n", len(cat.Courses), lessons, exercises, warnings)
	if *strict && len(cat.Warnings) > 0 {
		fmt.Fprintln(stderr, "lint: --strict: warnings fail")
		return exitError(1)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// report returns the problems and warnings of cat in one list, ordered by
// path and line, each warning's message starting with "warning: ".
func report(cat *course.Catalog) course.Problems {
	out := append(course.Problems(nil), cat.Problems...)
	for _, w := range cat.Warnings {
		w.Message = "warning: " + w.Message
		out = append(out, w)
	}
	out.Sort()
	return out
}

// parseCommandLine parses the flags of fs wherever they are among args
// (`lint DIR --strict` as well as `lint --strict DIR`) and returns the
// other arguments; after "--" every argument is one of those. A flag fs
// does not know prints the usage and fails with status 2; -h and --help
// print it and end the command with status 0.
func parseCommandLine(fs *flag.FlagSet, usage string, args []string) ([]string, error) {
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	var rest []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitError(0)
		}
		if err != nil {
			return nil, exitError(2)
		}
		left := fs.Args()
		if n := len(args) - len(left); n > 0 && args[n-1] == "--" {
			return append(rest, left...), nil
		}
		if len(left) == 0 {
			return rest, nil
		}
		rest, args = append(rest, left[0]), left[1:]
	}
}

// contentDirs returns the content folders of a command line: --content's
// and the arguments, each once; none means the built-in course. One that
// is not a directory prints why and the usage's first line, and fails with
// status 2.
func contentDirs(fs *flag.FlagSet, usage, flagDir string, args []string) ([]string, error) {
	var dirs []string
	if flagDir != "" {
		dirs = append(dirs, flagDir)
	}
	dirs = append(dirs, args...)
	var out []string
	seen := map[string]bool{}
	for _, d := range dirs {
		st, err := os.Stat(d)
		var why string
		switch {
		case errors.Is(err, os.ErrNotExist):
			why = "no such directory"
		case err != nil:
			why = err.Error()
		case !st.IsDir():
			why = "not a directory: give a folder of course folders, or a course folder"
		}
		if why != "" {
			first, _, _ := strings.Cut(usage, "\n")
			fmt.Fprintf(fs.Output(), "opslab %s: %s: %s\n%s\n", fs.Name(), d, why, first)
			return nil, exitError(2)
		}
		key := filepath.Clean(d)
		if abs, err := filepath.Abs(d); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	return out, nil
}

// loadContents loads each content folder (the built-in course when there
// is none) into one catalog. With several folders, each problem's path
// starts with its folder as given; with one, paths are inside it, as
// --content has always printed them. empty lists the folders in which no
// course was found.
func loadContents(dirs []string, md *markdown.Renderer) (cat *course.Catalog, empty []string, err error) {
	if len(dirs) <= 1 {
		dir := ""
		if len(dirs) == 1 {
			dir = dirs[0]
		}
		cat, err := loadContent(dir, md)
		if err != nil {
			return nil, nil, err
		}
		if dir != "" && len(cat.Courses) == 0 && len(cat.Problems) == 0 {
			empty = append(empty, dir)
		}
		return cat, empty, nil
	}
	all := &course.Catalog{}
	prefix := func(d string, ps course.Problems) course.Problems {
		out := make(course.Problems, len(ps))
		for i, p := range ps {
			p.Path = path.Join(filepath.ToSlash(d), p.Path)
			out[i] = p
		}
		return out
	}
	for _, d := range dirs {
		cat, err := loadContent(d, md)
		if err != nil {
			return nil, nil, err
		}
		if len(cat.Courses) == 0 && len(cat.Problems) == 0 {
			empty = append(empty, d)
		}
		all.Courses = append(all.Courses, cat.Courses...)
		all.Problems = append(all.Problems, prefix(d, cat.Problems)...)
		all.Warnings = append(all.Warnings, prefix(d, cat.Warnings)...)
	}
	all.Problems.Sort()
	all.Warnings.Sort()
	return all, empty, nil
}
