//! The planar decoder against jpeg-decoder (and libjpeg-turbo, with the `turbojpeg` feature)
//! at every scale: where both accept a file, their planes must agree to within the rounding of
//! their inverse DCTs (`userphoto::bench_support::differential`).
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(why) = userphoto::bench_support::differential(data) {
        panic!("the decoders disagree: {why}");
    }
});
