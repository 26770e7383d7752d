#!/usr/bin/env bash
# Fails with a clear message unless a Go toolchain new enough is on PATH.
set -euo pipefail
need="1.25"
if ! command -v go >/dev/null; then
  echo "Go $need or newer is required (https://go.dev/dl/); 'go' is not on PATH." >&2
  exit 1
fi
have=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  echo "Go $need or newer is required; found $have." >&2
  exit 1
fi
