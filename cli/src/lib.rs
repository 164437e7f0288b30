//! The library behind the `userphoto` command.
//!
//! [`ingest`] holds the one-photo commands and the file helpers they share; [`precompute`]
//! renders every photo of a directory in parallel, incrementally and crash-safely. The
//! benchmarks call [`precompute::run`] directly, so no process is started per measurement.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ingest;
pub mod precompute;
