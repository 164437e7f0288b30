# syntax=docker/dockerfile:1
# The `userphoto` command in a small image, for batch jobs such as deploy/precompute-job.yaml:
#
#   docker build -t userphoto .
#   docker run --rm -v "$PWD/photos:/in:ro" -v "$PWD/sizes:/out" userphoto precompute /in /out
#
# Stage 1 builds the release binary (the registry and target folders are BuildKit caches, so
# a rebuild after a source change only compiles what changed); stage 2 is a distroless base
# (glibc, CA certificates, a non-root user) with nothing but the binary added.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p userphoto-cli --bin userphoto \
    && cp target/release/userphoto /usr/local/bin/userphoto

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/userphoto /usr/local/bin/userphoto
ENTRYPOINT ["/usr/local/bin/userphoto"]
CMD ["--help"]
