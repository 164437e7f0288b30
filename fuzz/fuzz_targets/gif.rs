//! The Gif decode path: `ingest` on bytes made to start as Gif does.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use userphoto::Format;

mod common;

fuzz_target!(|data: &[u8]| {
    common::ingest_as(Format::Gif, data);
});
