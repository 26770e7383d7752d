#!/usr/bin/env bash
# Fails with a clear message unless the Go toolchain the build would use is
# new enough. Go 1.26.10 is the first release with the standard-library
# fixes for the vulnerabilities opslab's code reaches (docs/architecture.md,
# "Dependencies"); go.mod's `toolchain` line names the one to build with,
# and the Makefile's GOTOOLCHAIN=auto makes an older installed go (1.21 or
# newer) fetch it through the module proxy. This script runs that same go.
set -euo pipefail
need="1.26.10"
if ! command -v go >/dev/null; then
  echo "Go 1.21 or newer is required to fetch the toolchain go.mod names (https://go.dev/dl/); 'go' is not on PATH." >&2
  exit 1
fi
cd "$(dirname "$0")/.."
errs=$(mktemp)
trap 'rm -f "$errs"' EXIT
if ! have=$(go env GOVERSION 2>"$errs"); then
  echo "The go command could not switch to the toolchain go.mod names ($(grep -m1 '^toolchain' go.mod || echo 'no toolchain line')):" >&2
  cat "$errs" >&2
  echo "It is fetched once through the module proxy (GOPROXY); offline, install Go $need or newer yourself." >&2
  exit 1
fi
case "$have" in
  devel*) exit 0 ;; # a development toolchain: the user knows what they build with
esac
have=${have#go}
have=${have%% *}
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  echo "Go $need or newer is required; the build would use $have (GOTOOLCHAIN=${GOTOOLCHAIN:-unset})." >&2
  echo "Run through make (it sets GOTOOLCHAIN=auto), or install a newer Go." >&2
  exit 1
fi
