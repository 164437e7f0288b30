//! The server's integration tests, in one binary (one binary per file took most of a clean
//! build). Run one group with, for example, `cargo test -p userphoto-server --test api routes::`.
//! The `s3::` tests run against a real S3-compatible server when `server/tests/s3.sh` starts
//! one, and say they were skipped otherwise. Tokens from a real OpenID Connect provider, the
//! metrics through a Prometheus parser and the logs are tested end to end by
//! `server/tests/oidc.sh` and `server/tests/observability.sh`.

mod common;

mod authorization;
mod batch;
mod cli;
mod consistency;
mod graph;
mod groups;
mod originals;
mod rerender;
mod routes;
mod s3;
