// Command opslab-archdiagram draws the rooms of opslab from the code: every
// package of the module and the module's packages each one imports (test
// files left out), as a Mermaid flowchart read from `go list -json ./...`.
//
//	go run ./cmd/opslab-archdiagram                         # print the diagram
//	go run ./cmd/opslab-archdiagram -w docs/architecture.md # rewrite it in place
//
// With -w the diagram replaces what stands between the lines
// "<!-- archdiagram:begin -->" and "<!-- archdiagram:end -->" of the file;
// the rest of the file is left as it is. TestArchitectureDiagramUpToDate
// fails when docs/architecture.md no longer shows the code.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// The lines that frame the generated diagram in a Markdown file.
const (
	beginMarker = "<!-- archdiagram:begin -->"
	endMarker   = "<!-- archdiagram:end -->"
)

func main() {
	write := flag.String("w", "", "rewrite the diagram between the archdiagram markers of this Markdown `file` instead of printing it")
	dir := flag.String("C", ".", "run go list in this `dir`ectory (inside the module)")
	flag.Parse()
	if err := run(*dir, *write, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "opslab-archdiagram:", err)
		os.Exit(1)
	}
}

// run draws the diagram of the module around dir and prints it to out, or,
// when file is not empty, writes it between the markers of file.
func run(dir, file string, out io.Writer) error {
	pkgs, err := listPackages(dir)
	if err != nil {
		return err
	}
	diagram := mermaid(pkgs)
	if file == "" {
		_, err := io.WriteString(out, diagram)
		return err
	}
	old, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	updated, err := replaceBetweenMarkers(string(old), diagram)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if updated == string(old) {
		return nil
	}
	if err := os.WriteFile(file, []byte(updated), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// pkg is one package of the module: its path relative to the module root
// ("internal/lab", "." for the root) and the module packages it imports,
// in the same form, sorted.
type pkg struct {
	Path    string
	Imports []string
}

// listPackages runs `go list -json ./...` in dir and returns the module's
// packages sorted by path. It fails when go list does, or when any package
// cannot be loaded, since a diagram of broken code would mislead.
func listPackages(dir string) ([]pkg, error) {
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Module,Error", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	type listed struct {
		ImportPath string
		Imports    []string
		Module     *struct{ Path string }
		Error      *struct{ Err string }
	}
	var all []listed
	dec := json.NewDecoder(bytes.NewReader(stdout))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: decode: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("go list: package %s: %s", p.ImportPath, p.Error.Err)
		}
		all = append(all, p)
	}
	if len(all) == 0 || all[0].Module == nil {
		return nil, errors.New("go list: no packages of a module found")
	}
	module := all[0].Module.Path
	rel := func(path string) (string, bool) {
		if path == module {
			return ".", true
		}
		r, ok := strings.CutPrefix(path, module+"/")
		return r, ok
	}
	var pkgs []pkg
	for _, p := range all {
		path, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		q := pkg{Path: path}
		for _, imp := range p.Imports {
			if r, ok := rel(imp); ok {
				q.Imports = append(q.Imports, r)
			}
		}
		sort.Strings(q.Imports)
		pkgs = append(pkgs, q)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Path < pkgs[j].Path })
	return pkgs, nil
}

// group names the box a package is drawn in: commands, test helpers, the
// embedded files, or the internal packages.
func group(path string) string {
	last := path[strings.LastIndex(path, "/")+1:]
	switch {
	case strings.HasPrefix(path, "cmd/") || strings.HasPrefix(path, "bench/"):
		return "commands"
	case strings.HasSuffix(last, "test") || last == "testkit":
		return "test helpers"
	case strings.HasPrefix(path, "internal/"):
		return "internal"
	default:
		return "embedded files"
	}
}

// nodeID turns a name into a Mermaid node id: letters and digits stay,
// every other character becomes an escape that starts with an underscore
// ("/" is "_s", "-" is "_d", "_" is "_u", "." is "_p"), so distinct names
// always give distinct ids.
func nodeID(name string) string {
	var b strings.Builder
	b.WriteString("p_")
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '/':
			b.WriteString("_s")
		case r == '-':
			b.WriteString("_d")
		case r == '_':
			b.WriteString("_u")
		case r == '.':
			b.WriteString("_p")
		default:
			fmt.Fprintf(&b, "_x%x_", r)
		}
	}
	return b.String()
}

// mermaid renders the packages as a fenced Mermaid flowchart: one box per
// group, one node per package, one arrow per import. The output depends
// only on pkgs, so the same code always draws the same text.
func mermaid(pkgs []pkg) string {
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart LR\n")
	order := []string{"commands", "internal", "embedded files", "test helpers"}
	members := map[string][]string{}
	for _, p := range pkgs {
		g := group(p.Path)
		members[g] = append(members[g], p.Path)
	}
	for _, g := range order {
		if len(members[g]) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  subgraph g_%s[\"%s\"]\n", strings.ReplaceAll(g, " ", "_"), g)
		for _, path := range members[g] {
			label := strings.TrimPrefix(path, "internal/")
			fmt.Fprintf(&b, "    %s[\"%s\"]\n", nodeID(path), label)
		}
		b.WriteString("  end\n")
	}
	for _, p := range pkgs {
		for _, imp := range p.Imports {
			fmt.Fprintf(&b, "  %s --> %s\n", nodeID(p.Path), nodeID(imp))
		}
	}
	b.WriteString("```\n")
	return b.String()
}

// replaceBetweenMarkers returns doc with the lines between the begin and
// end markers replaced by body (the markers themselves stay). It fails when
// the markers are missing, repeated or out of order.
func replaceBetweenMarkers(doc, body string) (string, error) {
	if strings.Count(doc, beginMarker) != 1 || strings.Count(doc, endMarker) != 1 {
		return "", fmt.Errorf("want exactly one %q line and one %q line", beginMarker, endMarker)
	}
	begin := strings.Index(doc, beginMarker) + len(beginMarker)
	end := strings.Index(doc, endMarker)
	if end < begin {
		return "", fmt.Errorf("%q comes before %q", endMarker, beginMarker)
	}
	return doc[:begin] + "\n" + body + doc[end:], nil
}
