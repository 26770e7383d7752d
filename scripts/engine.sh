#!/usr/bin/env bash
# Makes a Docker-compatible container engine reachable for the container
# sandbox driver, and the sandbox images present in it.
#
#   1. If DOCKER_HOST (or our own Podman socket) answers, use it.
#   2. Otherwise install Podman and runc from Debian when missing and start
#      Podman's Docker-compatible API service with deploy/podman/containers.conf.
#   3. Build the local sandbox images when absent (scripts/build-images.sh).
#
# Its last line is `export DOCKER_HOST=...`; the same settings are written to
# bin/engine.env for the Makefile. Usage: scripts/engine.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${OPSLAB_ENGINE_DIR:-/tmp/opslab-engine}
sock="$state/podman.sock"
export CONTAINERS_CONF="$root/deploy/podman/containers.conf"

say() { echo "engine: $*" >&2; }

# ping HOST prints nothing and succeeds if the engine at HOST answers /_ping.
ping() {
  local host=$1
  case "$host" in
    unix://*) curl -fsS --max-time 3 --unix-socket "${host#unix://}" http://engine/_ping >/dev/null 2>&1 ;;
    tcp://*)  curl -fsS --max-time 3 "http://${host#tcp://}/_ping" >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

"$root/scripts/ensure-packages.sh" curl >&2

# A service started from a folder since removed (an old clone) cannot run
# containers any more (conmon: "Failed to get working directory"): stop it,
# and start a fresh one below.
if [ -f "$state/podman.pid" ]; then
  old=$(cat "$state/podman.pid")
  if [ -d "/proc/$old" ] && readlink "/proc/$old/cwd" | grep -q '(deleted)$'; then
    say "the Podman service $old runs in a removed folder: restarting it"
    kill "$old" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -d "/proc/$old" ] || break; sleep 0.1; done
    rm -f "$sock"
  fi
fi

host=""
if [ -n "${DOCKER_HOST:-}" ] && ping "$DOCKER_HOST"; then
  host=$DOCKER_HOST
  say "using the engine at DOCKER_HOST=$host"
elif [ -z "${DOCKER_HOST:-}" ] && [ -S /var/run/docker.sock ] && ping unix:///var/run/docker.sock; then
  host=unix:///var/run/docker.sock
  say "using the Docker engine at $host"
elif ping "unix://$sock"; then
  host="unix://$sock"
  say "using the Podman service already running at $host"
else
  "$root/scripts/ensure-packages.sh" podman runc >&2
  mkdir -p "$state"
  rm -f "$sock"
  say "starting Podman's Docker-compatible service on $sock (log: $state/podman.log)"
  # From /, so that removing the folder make ran in never breaks it.
  (cd / && exec nohup setsid podman system service --time=0 "unix://$sock" >"$state/podman.log" 2>&1 </dev/null) &
  echo $! >"$state/podman.pid"
  for _ in $(seq 1 100); do
    ping "unix://$sock" && break
    sleep 0.1
  done
  if ! ping "unix://$sock"; then
    say "the Podman service did not answer; its log says:"
    tail -n 20 "$state/podman.log" >&2
    exit 1
  fi
  host="unix://$sock"
fi

DOCKER_HOST=$host "$root/scripts/build-images.sh" ${OPSLAB_IMAGES:-} >&2

mkdir -p "$root/bin"
{
  echo "export DOCKER_HOST=$host"
  echo "export CONTAINERS_CONF=$CONTAINERS_CONF"
  grep '^export OPSLAB_' "$state/images.env" 2>/dev/null || true
} >"$root/bin/engine.env"
grep '^export OPSLAB_' "$root/bin/engine.env" || true
echo "export DOCKER_HOST=$host"
