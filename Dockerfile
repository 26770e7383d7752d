# opslab: multi-stage build. The runtime image carries redis-server, PostgreSQL and
# opslab-kfake, which the default (process) sandbox driver starts per
# learner, and opslab-relay, which the container driver (--sandbox
# container, with the engine's socket mounted and DOCKER_HOST set; see
# docs/containers.md) mounts into Kafka sandbox containers. The container
# driver bind-mounts sandbox directories from --data, so with it the data
# directory must have the same path on the host and in this container.
#
# The fence. The process driver fences every sandbox with the kernel (its
# own network namespace, cgroup, tmpfs and user id; docs/architecture.md),
# which needs the platform to run as root with CAP_SYS_ADMIN, CAP_SETUID,
# CAP_SETGID and CAP_CHOWN, a writable cgroup hierarchy and the right to
# mount a tmpfs: in a container, --privileged (or --cap-add SYS_ADMIN with
# a writable /sys/fs/cgroup and no seccomp/AppArmor profile that forbids
# unshare and mount). The sandboxes themselves run as unprivileged user ids
# (2000000000 and up), never as root. Without those rights `serve` says what
# is missing and starts no sandbox, unless run with --unfenced (a single
# trusted user only).
# Build: docker build -t opslab .
# Run:   docker run --privileged -p 8080:8080 -v opslab-data:/data opslab

FROM golang:1.26-bookworm AS build
# The image's go fetches the toolchain go.mod names (at least 1.26.10, for
# the standard library's security fixes) through the module proxy, whatever
# 1.26 release the image carries; check-go.sh fails the build otherwise.
ENV GOTOOLCHAIN=auto
WORKDIR /src
COPY go.mod go.sum ./
RUN go version && go mod download
COPY . .
ARG VERSION=dev
RUN scripts/check-go.sh \
 && CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/opslab ./cmd/opslab \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/opslab-kfake ./cmd/opslab-kfake \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/opslab-relay ./cmd/opslab-relay \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/opslab-workstation ./cmd/opslab-workstation

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server redis-tools kcat jq postgresql postgresql-client ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chmod 0700 /data
COPY --from=build /out/opslab /out/opslab-kfake /out/opslab-relay /out/opslab-workstation /usr/local/bin/
# Root, for the fence (see above); each sandbox runs as its own user.
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/opslab"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--data", "/data"]
