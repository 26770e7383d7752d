# opslab: multi-stage build. The runtime image carries redis-server, which
# the default (process) sandbox driver starts per learner, and opslab-relay,
# which the container driver (--sandbox container, with the engine's socket
# mounted and DOCKER_HOST set; see docs/containers.md) mounts into Kafka
# sandbox containers. The container driver bind-mounts sandbox directories
# from --data, so with it the data directory must have the same path on
# the host and in this container.
# Build: docker build -t opslab .   Run: docker run -p 8080:8080 -v opslab-data:/data opslab

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/opslab ./cmd/opslab \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/opslab-relay ./cmd/opslab-relay

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin opslab \
 && mkdir -p /data && chown opslab:opslab /data
COPY --from=build /out/opslab /out/opslab-relay /usr/local/bin/
USER opslab
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/opslab"]
CMD ["serve", "--addr", "0.0.0.0:8080", "--data", "/data"]
