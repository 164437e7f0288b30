//! `ingest` on arbitrary bytes, with the options drawn from the first three bytes.
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;
use userphoto::{Background, Limits, Options};

fuzz_target!(|data: &[u8]| {
    let [quality, background, limits, photo @ ..] = data else {
        return;
    };
    let limits = match limits % 4 {
        // Small ceilings reach the limit checks of every format; the largest keeps a run of
        // inputs fast while still decoding every size.
        0 => Limits {
            max_pixels: 1 << 16,
            max_side: 512,
            ..Limits::default()
        },
        1 => Limits {
            max_input_bytes: 4096,
            max_pixels: 1 << 20,
            ..Limits::default()
        },
        2 => Limits {
            max_pixels: 1 << 20,
            max_side: 2048,
            ..Limits::default()
        },
        _ => Limits {
            max_pixels: 4 << 20,
            ..Limits::default()
        },
    };
    let options = Options {
        quality: *quality,
        background: Background::rgb(*background, background.wrapping_mul(7), !*background),
        limits,
    };
    let _ = userphoto::ingest(photo, &options);
});
