#!/usr/bin/env bash
# Runs govulncheck over opslab's code and fails if it finds a known
# vulnerability that the code can reach (in a dependency or the standard
# library of the toolchain the build uses). Run it through `make vuln`,
# which sets GOTOOLCHAIN=auto so the go.mod toolchain is the one checked.
#
# govulncheck is installed once into .cache/tools/govulncheck-<version>
# (GOVULNCHECK_VERSION, pinned in the Makefile). The database is the local
# one scripts/vulndb.sh builds from golang.org/x/vulndb through the module
# proxy, because the usual database host is not reachable from every
# machine.
#
# Exit status: 0 when nothing reachable is found, 3 when something is
# (govulncheck's own code), anything else when the check could not run.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
version=${GOVULNCHECK_VERSION:?GOVULNCHECK_VERSION is not set (the Makefile pins it)}

tools="$PWD/.cache/tools/govulncheck-$version"
bin="$tools/govulncheck"
if [ ! -x "$bin" ]; then
  echo "vuln: installing govulncheck $version into ${tools#"$PWD"/}" >&2
  tmp="$tools.tmp.$$"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp"
  GOBIN="$tmp" "$go" install "golang.org/x/vuln/cmd/govulncheck@$version"
  # A run alongside may have installed it first; then keep that one.
  if ! mv -T "$tmp" "$tools" 2>/dev/null && [ ! -x "$bin" ]; then
    echo "vuln: cannot move govulncheck into $tools" >&2
    exit 1
  fi
fi

db=$(GO="$go" scripts/vulndb.sh)
echo "vuln: $("$go" env GOVERSION), database $(basename "$db")" >&2
"$bin" -db "file://$db" ./...
