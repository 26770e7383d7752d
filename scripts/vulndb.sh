#!/usr/bin/env bash
# Prints the directory of a local Go vulnerability database, for
# `govulncheck -db file://DIR`, building it first if needed.
#
# The usual database host is not reachable from every machine, but the
# module proxy is, and it serves golang.org/x/vulndb: the OSV reports the
# database is made from, and the tool (cmd/indexdb) that makes it. This
# script fetches that module at VULNDB_VERSION (default: the newest the
# proxy knows), builds the database with the same module's indexdb, and
# keeps it in .cache/vulndb/<version>, so a warm machine only asks the
# proxy which version is the newest. Older versions are removed once a
# newer one is built. Offline, the newest database already built is used,
# with a warning on stderr.
#
# Progress goes to stderr; stdout holds only the directory.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}
cache="$PWD/.cache/vulndb"
mkdir -p "$cache"

version=${VULNDB_VERSION:-}
if [ -z "$version" ]; then
  if ! version=$("$go" list -m -f '{{.Version}}' golang.org/x/vulndb@latest 2>/dev/null) || [ -z "$version" ]; then
    newest=$(ls -1 "$cache" | grep -v '\.tmp' | sort | tail -1 || true)
    if [ -n "$newest" ] && [ -f "$cache/$newest/index/db.json" ]; then
      echo "vulndb: the module proxy does not answer; using the database of golang.org/x/vulndb@$newest built before" >&2
      echo "$cache/$newest"
      exit 0
    fi
    echo "vulndb: cannot resolve golang.org/x/vulndb@latest through the module proxy ($("$go" env GOPROXY)) and no database was built before" >&2
    exit 1
  fi
fi
case "$version" in
  v*) ;;
  *) echo "vulndb: VULNDB_VERSION must be a module version (v…), not '$version'" >&2; exit 1 ;;
esac

db="$cache/$version"
if [ -f "$db/index/db.json" ]; then
  echo "$db"
  exit 0
fi

echo "vulndb: building the database from golang.org/x/vulndb@$version (once per version)" >&2
src=$("$go" mod download -json "golang.org/x/vulndb@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$src" ] || [ ! -d "$src/data/osv" ]; then
  echo "vulndb: golang.org/x/vulndb@$version has no data/osv folder (downloaded to '$src')" >&2
  exit 1
fi
tmp="$db.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
"$go" run "golang.org/x/vulndb/cmd/indexdb@$version" -vulns "$src/data/osv" -out "$tmp" >&2
if [ ! -f "$tmp/index/db.json" ]; then
  echo "vulndb: indexdb wrote no index/db.json" >&2
  exit 1
fi
# Complete or absent: the rename is the only step that makes it visible.
# A run alongside may have renamed its own copy first; then keep that one.
if ! mv -T "$tmp" "$db" 2>/dev/null && [ ! -f "$db/index/db.json" ]; then
  echo "vulndb: cannot move the database into $db" >&2
  exit 1
fi
for old in "$cache"/*; do
  if [ "$old" != "$db" ] && [[ "$old" != *.tmp.* ]]; then
    rm -rf "$old"
  fi
done
echo "$db"
