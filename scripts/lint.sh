#!/usr/bin/env bash
# Lints opslab's Go code; `make lint` runs it and `make test` runs that
# first, so CI (.ci/run) fails on any of:
#   - go vet findings;
#   - a Go file gofmt would change, or cannot read (tracked files and new,
#     untracked ones that git does not ignore);
#   - staticcheck findings (staticcheck.conf).
# staticcheck is installed once into .cache/tools/staticcheck-<version>-<go>
# (STATICCHECK_VERSION, pinned in the Makefile; built by the toolchain that
# builds opslab, which it must be at least as new as), so a fresh machine
# needs only the module proxy, and later runs need nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
version=${STATICCHECK_VERSION:?STATICCHECK_VERSION is not set (the Makefile pins it)}

echo "lint: go vet" >&2
"$go" vet ./...

echo "lint: gofmt" >&2
files=()
while IFS= read -r f; do
  [ -f "$f" ] && files+=("$f")
done < <(git ls-files --cached --others --exclude-standard -- '*.go')
if [ ${#files[@]} -gt 0 ]; then
  # gofmt -l prints the files it would change; it exits non-zero (and
  # prints nothing for them) on files it cannot parse: both fail the lint.
  if ! out=$(gofmt -l "${files[@]}"); then
    echo "lint: gofmt could not read every Go file (see above)" >&2
    exit 1
  fi
  if [ -n "$out" ]; then
    echo "lint: gofmt would change (run gofmt -w on them):" >&2
    echo "$out" >&2
    exit 1
  fi
fi

tools="$PWD/.cache/tools/staticcheck-$version-$("$go" env GOVERSION)"
bin="$tools/staticcheck"
if [ ! -x "$bin" ]; then
  echo "lint: installing staticcheck $version into ${tools#"$PWD"/}" >&2
  tmp="$tools.tmp.$$"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp"
  GOBIN="$tmp" "$go" install "honnef.co/go/tools/cmd/staticcheck@$version"
  rm -rf "$tools"
  mv "$tmp" "$tools"
  trap - EXIT
fi
echo "lint: staticcheck $version" >&2
"$bin" ./...
