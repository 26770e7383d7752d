package toolchain

import (
	"go/version"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// root is the module's root, relative to this package.
const root = "../.."

// minimum returns the lowest Go release builds may use, as "go1.X.Y", read
// from scripts/check-go.sh (the one place that names it).
func minimum(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "scripts", "check-go.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^need="([0-9.]+)"$`).FindSubmatch(b)
	if m == nil {
		t.Fatal(`scripts/check-go.sh has no need="X.Y.Z" line`)
	}
	return "go" + string(m[1])
}

// goMod returns go.mod's lines, trimmed.
func goMod(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return lines
}

// TestBuiltWithFixedStandardLibrary fails when this binary's standard
// library is older than the minimum: Go 1.26.8, for one, has reachable
// vulnerabilities in net/http, crypto/tls, crypto/x509, html/template and
// os that 1.26.9 and 1.26.10 fix. `make test` builds with go.mod's
// toolchain (GOTOOLCHAIN=auto), so it passes there.
func TestBuiltWithFixedStandardLibrary(t *testing.T) {
	have, need := runtime.Version(), minimum(t)
	if !version.IsValid(version.Lang(have)) {
		t.Skipf("development toolchain %s: its standard library cannot be compared with %s", have, need)
	}
	if version.Compare(have, need) < 0 {
		t.Fatalf("built with %s; %s or newer is required (its standard library fixes vulnerabilities opslab's code reaches). Build and test through make, which sets GOTOOLCHAIN=auto, or set it yourself.", have, need)
	}
}

// TestGoModToolchainAtLeastMinimum fails when go.mod's toolchain line (the
// toolchain GOTOOLCHAIN=auto switches to) is missing or below the minimum.
func TestGoModToolchainAtLeastMinimum(t *testing.T) {
	need := minimum(t)
	for _, l := range goMod(t) {
		if tc, ok := strings.CutPrefix(l, "toolchain "); ok {
			if !version.IsValid(tc) || version.Compare(tc, need) < 0 {
				t.Fatalf("go.mod: toolchain %s, want %s or newer", tc, need)
			}
			return
		}
	}
	t.Fatalf("go.mod has no toolchain line; want toolchain %s or newer", need)
}

// TestGoModDropsReplacedModules fails when go.mod requires a module that
// was replaced because of vulnerabilities with no fixed version:
// github.com/docker/docker (GO-2026-4887, GO-2026-4883), whose maintained
// client is github.com/moby/moby/client.
func TestGoModDropsReplacedModules(t *testing.T) {
	replaced := map[string]string{
		"github.com/docker/docker": "github.com/moby/moby/client",
	}
	for _, l := range goMod(t) {
		l = strings.TrimPrefix(l, "require ")
		if f := strings.Fields(l); len(f) >= 2 {
			if use, ok := replaced[f[0]]; ok {
				t.Errorf("go.mod requires %s %s; use %s instead", f[0], f[1], use)
			}
		}
	}
}
