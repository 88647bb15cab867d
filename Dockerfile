# Multi-stage build of both Humbol binaries. Used by docker-compose.yml.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --locked -p scim-api -p admin-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 humbol
COPY --from=build /src/target/release/scim-api /src/target/release/admin-api /usr/local/bin/
USER humbol
