# syntax=docker/dockerfile:1
# vnfeed in a container: `docker build -t vnfeed . && docker run -p 8080:8080 vnfeed` serves
# the sample articles at http://localhost:8080/. The feed definitions and site.toml are built
# into the binary; mount your own and set VNFEED_FEEDS to replace them. The store (SQLite) is
# the volume /var/lib/vnfeed; set VNFEED_STORE=postgres://... for replicas (compose.yaml).
# See docs/deployment.md.

# --- build: the release binary, with the registry and target dir cached between builds.
FROM rust:1.95-slim-trixie AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin vnfeed \
    && install -D -m 0755 target/release/vnfeed /out/vnfeed

# --- runtime: Debian slim (the glibc the binary was built against), no compiler, no shell
# tools beyond bash, which the health check uses.
FROM debian:trixie-slim
RUN groupadd --system --gid 10001 vnfeed \
    && useradd --system --uid 10001 --gid vnfeed --home-dir /var/lib/vnfeed \
        --shell /usr/sbin/nologin vnfeed \
    && install -d -o vnfeed -g vnfeed -m 0750 /var/lib/vnfeed
COPY --from=build /out/vnfeed /usr/local/bin/vnfeed
COPY deploy/docker/healthcheck.sh /usr/local/bin/vnfeed-healthcheck
# Every address in the container, so the published port reaches it; links default to
# http://localhost:8080 (set VNFEED_BASE_URL to the public URL). JSON logs for the collector.
ENV VNFEED_ADDR=0.0.0.0:8080 \
    VNFEED_STORE=/var/lib/vnfeed/vnfeed.db \
    VNFEED_LOG_FORMAT=json
# Numeric, so a runtime that insists on a non-root user (runAsNonRoot) can verify it.
USER 10001:10001
WORKDIR /var/lib/vnfeed
VOLUME ["/var/lib/vnfeed"]
EXPOSE 8080
# /healthz answers 200 while the replica serves (also "degraded" with its database away, so
# a balancer keeps it), 503 before its first render.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/vnfeed-healthcheck"]
# vnfeed handles SIGTERM itself (finishes requests in flight, within --shutdown-grace).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/vnfeed"]
CMD ["serve"]
