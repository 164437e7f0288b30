//! The library's integration tests, in one binary: linked one binary per file, they took most
//! of a clean `cargo test`'s build. Run one group with, for example,
//! `cargo test --test integration regressions::`. `tests/memory.rs` stays a binary of its own,
//! as it measures its own process's peak memory.

mod common;

mod bad_input;
mod bombs;
mod colour;
mod corpus;
mod crop;
mod determinism;
mod orientation;
mod pipeline_version;
mod placeholder;
mod privacy;
mod properties;
mod regressions;
mod sizes;
mod testdata;
mod tiff;
mod tolerance;
