//! The Bmp decode path: what `ingest` does before resampling, on bytes made to start as Bmp does.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use userphoto::Format;

mod common;

fuzz_target!(|data: &[u8]| {
    common::decode_as(Format::Bmp, data);
});
