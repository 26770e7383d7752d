#!/usr/bin/env bash
# Builds the sandbox images locally, for machines that reach no image
# registry, and imports them through the Docker Engine API at DOCKER_HOST
# (Docker or Podman alike). Images already present are kept.
#
#   Redis: Debian's redis-server and the shared libraries it links.
#   Kafka: Apache Kafka's jars from Maven Central (scripts/fetch-kafka.sh)
#          on the machine's Java 17 runtime, laid out as in the official
#          apache/kafka image (/opt/kafka/bin, /opt/kafka/libs).
#   Postgres: Debian's PostgreSQL server (the newest installed major
#          version), its libraries and busybox for a shell.
#   Workstation: a learner's shell machine: bash and the usual tools,
#          redis-cli, kcat and jq from Debian's packages, and the Kafka
#          tree with its Java runtime (each kafka-*.sh also on PATH under
#          its name with and without ".sh").
#
# Writes the image names to $OPSLAB_ENGINE_DIR/images.env as
# `export OPSLAB_REDIS_IMAGE=...`, `export OPSLAB_KAFKA_IMAGE=...` and
# `export OPSLAB_WORKSTATION_IMAGE=...`, `export OPSLAB_POSTGRES_IMAGE=...`.
# Usage: DOCKER_HOST=unix:///path scripts/build-images.sh [redis] [kafka] [workstation] [postgres]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${OPSLAB_ENGINE_DIR:-/tmp/opslab-engine}
host=${DOCKER_HOST:?DOCKER_HOST must name the engine}
mkdir -p "$state"
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(redis kafka workstation postgres)

say() { echo "images: $*"; }

# api METHOD PATH [curl args...] calls the engine's API.
api() {
  local method=$1 path=$2; shift 2
  case "$host" in
    unix://*) curl -fsS --unix-socket "${host#unix://}" -X "$method" "http://engine$path" "$@" ;;
    tcp://*)  curl -fsS -X "$method" "http://${host#tcp://}$path" "$@" ;;
    *) echo "unsupported DOCKER_HOST $host" >&2; return 1 ;;
  esac
}

exists() { api GET "/images/$1/json" >/dev/null 2>&1; }

# copy_with_libs ROOTFS FILE... copies each file and every shared library
# ldd lists for it into ROOTFS, keeping their paths.
copy_with_libs() {
  local rootfs=$1; shift
  local f lib
  for f in "$@"; do
    mkdir -p "$rootfs$(dirname "$f")"
    cp -L "$f" "$rootfs$f"
    for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
      [ -e "$rootfs$lib" ] && continue
      mkdir -p "$rootfs$(dirname "$lib")"
      cp -L "$lib" "$rootfs$lib"
    done
  done
}

# import ROOTFS NAME TAG CHANGES... tars ROOTFS and imports it as NAME:TAG.
import_rootfs() {
  local rootfs=$1 name=$2 tag=$3; shift 3
  # The tag rides in repo: Podman's import ignores a separate tag parameter.
  local q="fromSrc=-&repo=$(printf %s "$name:$tag" | jq -sRr @uri)" c
  for c in "$@"; do q="$q&changes=$(printf %s "$c" | jq -sRr @uri)"; done
  tar --numeric-owner -C "$rootfs" -c . |
    api POST "/images/create?$q" -H 'Content-Type: application/x-tar' --data-binary @- >/dev/null
}

# The tag names what is in the image and the script that built it, so a
# change to either builds a fresh image.
script_hash=$(sha256sum "$0" | cut -c1-8)

"$root/scripts/ensure-packages.sh" jq busybox-static redis-server

# The workstation's Debian packages: a shell, the usual tools, the clients.
workstation_packages="bash dash coreutils grep sed mawk findutils procps less ncurses-base ncurses-bin
  bsdextrautils diffutils gzip tar file hostname libc-bin redis-tools kcat jq
  postgresql-client-15 postgresql-client-common libpq5 perl-base"
# shellcheck disable=SC2086
"$root/scripts/ensure-packages.sh" $workstation_packages

# copy_packages ROOTFS PKG... lays out Debian's merged /usr in ROOTFS and
# copies into it every file the installed packages PKG... have (links
# followed, so that /etc/alternatives resolves), without their
# documentation, and the shared libraries of every program.
copy_packages() {
  local rootfs=$1 f d; shift
  mkdir -p "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/usr/lib" "$rootfs/usr/lib64" "$rootfs/usr/local/bin"
  for d in bin sbin lib lib64; do [ -e "$rootfs/$d" ] || ln -s "usr/$d" "$rootfs/$d"; done
  dpkg -L "$@" | sort -u | grep -v -E '^/usr/share/(doc|man|info|locale|lintian|bug)/' |
    while read -r f; do if [ -f "$f" ]; then printf '%s\n' "${f#/}"; fi; done >"$rootfs.files"
  tar -C / --dereference -c -T "$rootfs.files" | tar -C "$rootfs" -x --keep-directory-symlink
  rm -f "$rootfs.files"
  for f in "$rootfs"/usr/bin/* "$rootfs"/usr/sbin/* $(find "$rootfs/usr/lib" -path '*/bin/*' -type f 2>/dev/null); do
    [ -f "$f" ] && copy_with_libs "$rootfs" "/usr/${f#"$rootfs"/usr/}" >/dev/null 2>&1 || true
  done
}

# copy_java ROOTFS copies the machine's Java runtime into ROOTFS, at the
# same path, with the system libraries it needs; prints its home.
copy_java() {
  local rootfs=$1 java_home so
  java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  mkdir -p "$rootfs$(dirname "$java_home")" "$rootfs/usr/bin"
  cp -a "$java_home" "$rootfs$java_home"
  # Debian links the JDK's configuration to /etc/java-17-openjdk and
  # elsewhere: replace each link by what it points to, or drop it.
  find "$rootfs$java_home" -type l | while read -r link; do
    target=$(readlink -f "${link#"$rootfs"}" || true)
    rm -f "$link"
    if [ -n "$target" ] && [ -f "$target" ]; then cp -L "$target" "$link"; fi
  done
  # The JDK's own libraries need these system ones.
  for so in $(find "$java_home" -name '*.so' -o -path '*/bin/java' -type f); do
    copy_with_libs "$rootfs" "$so" >/dev/null 2>&1 || true
  done
  rm -rf "$rootfs$java_home/lib/src.zip" "$rootfs$java_home/jmods" "$rootfs$java_home/man"
  ln -sf "$java_home/bin/java" "$rootfs/usr/bin/java"
  echo "$java_home"
}

busybox_tools="sh ash cat dirname basename readlink ls mkdir rm sleep env grep sed head tail cut tr wc id uname expr test nc ps"

env_file="$state/images.env"
touch "$env_file"
set_env() { grep -v "^export $1=" "$env_file" >"$env_file.new" || true; echo "export $1=$2" >>"$env_file.new"; mv "$env_file.new" "$env_file"; }

# make_image VAR NAME TAG WHAT FILL sets VAR in the images file to
# localhost/NAME:TAG, building that image first when the engine lacks it:
# FILL ROOTFS lays out the files in a fresh folder and sets the array
# `changes` (the image's ENV, USER, WORKDIR... lines); WHAT says what it
# is built from.
make_image() {
  local var=$1 name=$2 tag=$3 what=$4 fill=$5 image="localhost/$2:$3"
  if exists "$image"; then
    say "$image is present"
  else
    say "building $image from $what"
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    changes=()
    "$fill" "$rootfs"
    chmod 1777 "$rootfs/tmp"
    import_rootfs "$rootfs" "localhost/$name" "$tag" "${changes[@]}"
    rm -rf "$rootfs"; trap - EXIT
    say "built $image"
  fi
  set_env "$var" "$image"
}

# add_busybox ROOTFS DIR puts busybox and its tools (where ROOTFS has no
# program of that name) in ROOTFS/DIR: a shell and the basic tools, as the
# official images have.
add_busybox() {
  local rootfs=$1 dir=$2 tool
  mkdir -p "$rootfs$dir"
  cp /bin/busybox "$rootfs$dir/busybox"
  for tool in $busybox_tools; do [ -e "$rootfs$dir/$tool" ] || ln -sf busybox "$rootfs$dir/$tool"; done
}

# kafka_tree sets kafka_home and kafka_ver: the Kafka tree
# scripts/fetch-kafka.sh keeps in .cache.
kafka_tree() {
  (cd "$root" && scripts/fetch-kafka.sh)
  kafka_home=$(dirname "$(ls -d "$root"/.cache/kafka-*/VERSION | sort -V | head -n 1)")
  kafka_ver=$(basename "$kafka_home" | sed 's/^kafka-//')
}

# packages_hash PKG... names the installed versions of the packages, so
# that an upgraded package builds a fresh image.
packages_hash() { dpkg-query -W -f='${Package}=${Version}\n' "$@" | sha256sum | cut -c1-8; }

fill_redis() {
  local rootfs=$1
  copy_with_libs "$rootfs" /usr/bin/redis-server
  mkdir -p "$rootfs/etc" "$rootfs/data" "$rootfs/tmp" "$rootfs/run/opslab"
  add_busybox "$rootfs" /bin
  printf 'root:x:0:0:root:/root:/sbin/nologin\nredis:x:999:999:redis:/data:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nredis:x:999:\n' >"$rootfs/etc/group"
  chown 999:999 "$rootfs/data"
  changes=('ENV PATH=/usr/local/bin:/usr/bin:/bin' 'WORKDIR /data' 'USER 999:999' 'CMD ["redis-server"]')
}

fill_kafka() {
  local rootfs=$1 java_home
  mkdir -p "$rootfs/opt" "$rootfs/usr/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/var/lib/kafka/data" "$rootfs/run/opslab"
  java_home=$(copy_java "$rootfs")
  add_busybox "$rootfs" /bin
  cp -a "$kafka_home" "$rootfs/opt/kafka"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nappuser:x:1000:1000:kafka:/home/appuser:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nappuser:x:1000:\n' >"$rootfs/etc/group"
  chown 1000:1000 "$rootfs/var/lib/kafka/data"
  changes=("ENV PATH=/opt/kafka/bin:/usr/local/bin:/usr/bin:/bin" "ENV JAVA_HOME=$java_home" 'USER 1000:1000' 'WORKDIR /opt/kafka')
}

fill_workstation() {
  local rootfs=$1 java_home s n
  # shellcheck disable=SC2086
  copy_packages "$rootfs" $workstation_packages
  java_home=$(copy_java "$rootfs")
  mkdir -p "$rootfs/opt"
  cp -a "$kafka_home" "$rootfs/opt/kafka"
  # Each of Kafka's scripts under its own name, with and without ".sh".
  for s in "$rootfs"/opt/kafka/bin/*.sh; do
    n=$(basename "$s")
    printf '#!/bin/sh\nexec /opt/kafka/bin/%s "$@"\n' "$n" >"$rootfs/usr/local/bin/$n"
    cp "$rootfs/usr/local/bin/$n" "$rootfs/usr/local/bin/${n%.sh}"
    chmod 755 "$rootfs/usr/local/bin/$n" "$rootfs/usr/local/bin/${n%.sh}"
  done
  mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/home/learner" "$rootfs/run/opslab" "$rootfs/var/lib/kafka"
  # The driver binds /etc/hosts, /etc/passwd, /etc/group and
  # /etc/profile per sandbox; these are the defaults beneath.
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nlearner:x:2000:2000:learner:/home/learner:/bin/bash\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nlearner:x:2000:\n' >"$rootfs/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files\n' >"$rootfs/etc/nsswitch.conf"
  touch "$rootfs/etc/hosts" "$rootfs/etc/profile"
  changes=("ENV PATH=/usr/local/bin:/usr/bin:/bin:/opt/kafka/bin" "ENV JAVA_HOME=$java_home" 'ENV LANG=C.UTF-8' 'WORKDIR /home/learner')
}

fill_postgres() {
  local rootfs=$1
  # shellcheck disable=SC2086
  copy_packages "$rootfs" $pg_packages
  mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/run/opslab" "$rootfs/sandbox/data" "$rootfs/var/run/postgresql"
  add_busybox "$rootfs" /usr/bin
  # initdb and postgres need their user to have a name.
  printf 'root:x:0:0:root:/root:/sbin/nologin\npostgres:x:999:999:PostgreSQL:/sandbox:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\npostgres:x:999:\n' >"$rootfs/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files\n' >"$rootfs/etc/nsswitch.conf"
  changes=("ENV PATH=/usr/lib/postgresql/$pgmajor/bin:/usr/local/bin:/usr/bin:/bin" 'ENV LC_ALL=C' 'USER 999:999' 'WORKDIR /sandbox')
}

for what in "${want[@]}"; do
  case "$what" in
  redis)
    ver=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
    make_image OPSLAB_REDIS_IMAGE opslab-redis "$ver-$script_hash" "Debian's redis-server $ver" fill_redis
    ;;
  kafka)
    kafka_tree
    make_image OPSLAB_KAFKA_IMAGE opslab-kafka "$kafka_ver-$script_hash" "Apache Kafka $kafka_ver and this machine's Java runtime" fill_kafka
    ;;
  workstation)
    kafka_tree
    # shellcheck disable=SC2086
    make_image OPSLAB_WORKSTATION_IMAGE opslab-workstation "$kafka_ver-$(packages_hash $workstation_packages)-$script_hash" \
      "Debian's packages and Apache Kafka $kafka_ver" fill_workstation
    ;;
  postgres)
    "$root/scripts/ensure-packages.sh" postgresql
    pgmajor=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
    pg_packages="postgresql-$pgmajor postgresql-common tzdata"
    # shellcheck disable=SC2086
    make_image OPSLAB_POSTGRES_IMAGE opslab-postgres "$pgmajor-$(packages_hash $pg_packages)-$script_hash" \
      "Debian's PostgreSQL $pgmajor" fill_postgres
    ;;
  *) echo "unknown image $what (use redis, kafka, workstation or postgres)" >&2; exit 2 ;;
  esac
done
