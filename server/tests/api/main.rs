//! The server's integration tests, in one binary (one binary per file took most of a clean
//! build). Run one group with, for example, `cargo test -p userphoto-server --test api routes::`.
//! The `s3::` tests run against a real S3-compatible server when `server/tests/s3.sh` starts
//! one, and say they were skipped otherwise.

mod common;

mod authorization;
mod cli;
mod consistency;
mod graph;
mod originals;
mod rerender;
mod routes;
mod s3;
