//! The planar decoder against jpeg-decoder (and libjpeg-turbo, with the `turbojpeg` feature)
//! at every scale: where both accept a file, their planes must agree to within the rounding of
//! their inverse DCTs (`userphoto::bench_support::differential`).
#![no_main]
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// Frames with a side over this are skipped: 256 by default, `USERPHOTO_FUZZ_MAX_SIDE` to
/// change it (a campaign on small frames runs several times as many inputs a second, each
/// still decoded at every scale; the coding is the same at any frame size).
fn max_side() -> u32 {
    static MAX_SIDE: OnceLock<u32> = OnceLock::new();
    *MAX_SIDE.get_or_init(|| {
        std::env::var("USERPHOTO_FUZZ_MAX_SIDE")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(256)
    })
}

fuzz_target!(|data: &[u8]| {
    if let Err(why) = userphoto::bench_support::differential(data, max_side()) {
        panic!("the decoders disagree: {why}");
    }
});
