# syntax=docker/dockerfile:1
# One image with both Humbol binaries (scim-api, admin-api); docker-compose.yml runs it twice.
# Build: docker build -t humbol:latest .   (or `docker compose build`)

FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*

# Dependency layer: the manifests, the lock file and the build settings only, with empty stand-ins for the
# workspace's sources, so that the dependencies are compiled once and stay cached until Cargo.toml or
# Cargo.lock change (a change to Humbol's own code then rebuilds only Humbol's crates).
COPY Cargo.toml Cargo.lock rust-toolchain.toml ./
COPY .cargo .cargo
COPY crates/scim-core/Cargo.toml crates/scim-core/
COPY crates/humbol-store/Cargo.toml crates/humbol-store/
COPY crates/scim-api/Cargo.toml crates/scim-api/
COPY crates/admin-api/Cargo.toml crates/admin-api/
COPY crates/humbol/Cargo.toml crates/humbol/
COPY crates/loadgen/Cargo.toml crates/loadgen/
RUN for crate in crates/*/; do \
      mkdir -p "$crate/src" "$crate/benches" && echo 'fn main() {}' > "$crate/src/main.rs" && : > "$crate/src/lib.rs"; \
    done \
    && for bench in scim-core/benches/patch scim-core/benches/filter humbol-store/benches/lookup; do \
      echo 'fn main() {}' > "crates/$bench.rs"; \
    done \
    && cargo build --release --locked -p scim-api -p admin-api \
    && rm -rf crates

# Humbol's own code. `touch` makes the real sources newer than the stand-ins' build outputs.
COPY crates crates
COPY migrations migrations
RUN find crates migrations -type f -exec touch {} + \
    && cargo build --release --locked -p scim-api -p admin-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 humbol
COPY --from=build /src/target/release/scim-api /src/target/release/admin-api /usr/local/bin/
USER humbol
# scim-api listens on 8080, admin-api on 8081 (with HUMBOL_SCIM_BIND / HUMBOL_ADMIN_BIND = 0.0.0.0:PORT).
EXPOSE 8080 8081
ENV HUMBOL_SCIM_BIND=0.0.0.0:8080 HUMBOL_ADMIN_BIND=0.0.0.0:8081
# The health check needs no curl: the binary's `healthcheck` command GETs its own /readyz and exits 0 or 1.
# It checks the image's default service (scim-api); a container running admin-api sets
# `--health-cmd "admin-api healthcheck"` (docker-compose.yml does so for its admin-api service).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["scim-api", "healthcheck"]
CMD ["scim-api"]
