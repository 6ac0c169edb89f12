# syntax=docker/dockerfile:1
#
# Capitole: multi-stage image.
#   docker build -t capitole .
#   docker run -p 8080:8080 -v capitole-data:/data capitole            # serve
#   docker run --rm -v capitole-data:/data capitole seed --demo        # one-off commands

# ---- Rust build ---------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /build

# 1. Dependencies only: the manifests and lock file, with empty crate roots, so this layer
#    is reused until a Cargo.toml or Cargo.lock changes.
COPY Cargo.toml Cargo.lock ./
COPY crates/domain/Cargo.toml crates/domain/Cargo.toml
COPY crates/persistence/Cargo.toml crates/persistence/Cargo.toml
COPY crates/services/Cargo.toml crates/services/Cargo.toml
COPY crates/api/Cargo.toml crates/api/Cargo.toml
COPY migrations/Cargo.toml migrations/Cargo.toml
RUN mkdir -p src crates/domain/src crates/persistence/src crates/services/src crates/api/src migrations/src bench \
 && echo 'fn main() {}' > src/main.rs \
 && echo 'fn main() {}' > bench/checkin_load.rs \
 && for crate in crates/domain crates/persistence crates/services crates/api migrations; do \
      : > "$crate/src/lib.rs"; \
    done \
 && cargo build --profile dist --locked \
 && rm -rf src crates/*/src migrations/src bench

# 2. The real sources. COPY keeps the files' original mtimes, which may be older than the
#    dummy build's: touch them so cargo rebuilds the workspace crates.
COPY src src
COPY crates crates
COPY third-party third-party
COPY migrations migrations
COPY bench/checkin_load.rs bench/checkin_load.rs
RUN find src crates migrations -name '*.rs' -exec touch {} + \
 && cargo build --profile dist --locked --bin capitole \
 && install -D -m 0755 target/dist/capitole /out/capitole

# ---- Runtime ------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin capitole \
 && install -d -o capitole -g capitole -m 0750 /data

COPY --from=builder /out/capitole /usr/local/bin/capitole

ENV CAPITOLE_LISTEN=0.0.0.0:8080 \
    CAPITOLE_DATABASE_URL=sqlite:///data/capitole.db?mode=rwc

USER capitole
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/capitole", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/capitole"]
CMD ["serve"]
