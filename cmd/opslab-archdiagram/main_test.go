package main

import (
	"os"
	"strings"
	"testing"
)

// regenerate is the command that brings docs/architecture.md up to date.
const regenerate = "go run ./cmd/opslab-archdiagram -w docs/architecture.md"

// TestArchitectureDiagramUpToDate keeps the diagram in docs/architecture.md
// in step with the code: it draws the packages as they are now and fails
// when the document shows anything else.
func TestArchitectureDiagramUpToDate(t *testing.T) {
	pkgs, err := listPackages("../..")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := replaceBetweenMarkers(string(doc), mermaid(pkgs))
	if err != nil {
		t.Fatalf("docs/architecture.md: %v", err)
	}
	if want != string(doc) {
		t.Fatalf("the diagram in docs/architecture.md is out of date: run %s", regenerate)
	}
}

// TestArchitectureNamesEveryPackage keeps the prose of
// docs/architecture.md (outside the generated diagram) complete: every
// package of the module is named there by its path, so that a newcomer
// reads what each room holds.
func TestArchitectureNamesEveryPackage(t *testing.T) {
	pkgs, err := listPackages("../..")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	before, rest, _ := strings.Cut(string(doc), beginMarker)
	_, after, _ := strings.Cut(rest, endMarker)
	prose := before + after
	for _, p := range pkgs {
		if !strings.Contains(prose, "`"+p.Path+"`") && !strings.Contains(prose, "`"+p.Path+"/`") {
			t.Errorf("docs/architecture.md does not name `%s`: say in a line what it holds", p.Path)
		}
	}
}

// TestListPackagesSeesTheModule proves the diagram is read from the code:
// packages named by their paths in the module, with their module imports
// and none of the standard library or of other modules.
func TestListPackagesSeesTheModule(t *testing.T) {
	pkgs, err := listPackages("../..")
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]pkg{}
	for _, p := range pkgs {
		byPath[p.Path] = p
	}
	for _, p := range pkgs {
		for _, imp := range p.Imports {
			if _, ok := byPath[imp]; !ok {
				t.Errorf("%s: import %q is not a package of the module", p.Path, imp)
			}
		}
	}
	self, ok := byPath["cmd/opslab-archdiagram"]
	if !ok {
		t.Fatalf("cmd/opslab-archdiagram is missing from %d packages", len(pkgs))
	}
	if len(self.Imports) != 0 {
		t.Errorf("cmd/opslab-archdiagram imports %v, want no module packages", self.Imports)
	}
	if cmd, ok := byPath["cmd/opslab"]; !ok || len(cmd.Imports) == 0 {
		t.Errorf("cmd/opslab = %+v, want it listed with the internal packages it wires", cmd)
	}
}

func TestMermaid(t *testing.T) {
	got := mermaid([]pkg{
		{Path: "cmd/tool", Imports: []string{"internal/a", "web"}},
		{Path: "internal/a", Imports: []string{"internal/a/b_c"}},
		{Path: "internal/a/b_c"},
		{Path: "internal/a/atest", Imports: []string{"internal/a"}},
		{Path: "web"},
	})
	want := "```mermaid\n" +
		"flowchart LR\n" +
		"  subgraph g_commands[\"commands\"]\n" +
		"    p_cmd_stool[\"cmd/tool\"]\n" +
		"  end\n" +
		"  subgraph g_internal[\"internal\"]\n" +
		"    p_internal_sa[\"a\"]\n" +
		"    p_internal_sa_sb_uc[\"a/b_c\"]\n" +
		"  end\n" +
		"  subgraph g_embedded_files[\"embedded files\"]\n" +
		"    p_web[\"web\"]\n" +
		"  end\n" +
		"  subgraph g_test_helpers[\"test helpers\"]\n" +
		"    p_internal_sa_satest[\"a/atest\"]\n" +
		"  end\n" +
		"  p_cmd_stool --> p_internal_sa\n" +
		"  p_cmd_stool --> p_web\n" +
		"  p_internal_sa --> p_internal_sa_sb_uc\n" +
		"  p_internal_sa_satest --> p_internal_sa\n" +
		"```\n"
	if got != want {
		t.Errorf("mermaid:\n%s\nwant:\n%s", got, want)
	}
}

func TestNodeIDKeepsNamesApart(t *testing.T) {
	names := []string{"a/b", "a-b", "a_b", "a.b", "a_sb", "ab", "a b"}
	seen := map[string]string{}
	for _, n := range names {
		id := nodeID(n)
		if other, ok := seen[id]; ok {
			t.Errorf("%q and %q share the id %q", n, other, id)
		}
		seen[id] = n
		for _, r := range id {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
				t.Errorf("id %q of %q has %q", id, n, r)
			}
		}
	}
}

func TestReplaceBetweenMarkers(t *testing.T) {
	doc := "# Title\n\n" + beginMarker + "\nold\n" + endMarker + "\nafter\n"
	got, err := replaceBetweenMarkers(doc, "new\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# Title\n\n" + beginMarker + "\nnew\n" + endMarker + "\nafter\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range []string{
		"no markers",
		beginMarker + "\n",
		endMarker + "\n" + beginMarker + "\n",
		beginMarker + "\n" + endMarker + "\n" + beginMarker + "\n",
	} {
		if _, err := replaceBetweenMarkers(bad, "x\n"); err == nil {
			t.Errorf("%q: no error, want one", bad)
		}
	}
}
