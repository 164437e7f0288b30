//! Writes the example inputs kept in `testdata/`:
//!
//! - `portrait.jpg`: a synthetic, photo-like 600x800 portrait stored sideways as 800x600 with
//!   EXIF orientation 6 (as phones store portrait shots), carrying a camera make and GPS tags
//!   that the renditions must not keep. It yields the sizes 48 to 504.
//! - `broken.jpg`: the first 2 KiB of `portrait.jpg`, a truncated JPEG that is rejected with a
//!   one-line `Corrupt` error.
//!
//! Run with `cargo run --example make_testdata`; `tests/testdata.rs` checks the committed files
//! against what this generator draws.

#[allow(dead_code)]
#[path = "../tests/integration/common/synth.rs"]
mod synth;

use std::path::Path;

/// The upright size of the example portrait.
pub const PORTRAIT: (u32, u32) = (600, 800);

/// How many bytes of `portrait.jpg` `broken.jpg` keeps.
pub const BROKEN_LENGTH: usize = 2048;

/// The bytes of `portrait.jpg`.
pub fn portrait_jpeg() -> Vec<u8> {
    let upright = synth::photo_like(PORTRAIT.0, PORTRAIT.1);
    let stored = synth::stored_for(&upright, 6);
    // 4:2:0 chroma, as cameras write.
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 85);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder
        .encode(
            stored.as_raw(),
            stored.width() as u16,
            stored.height() as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encoding the example photo");
    synth::insert_segment(&jpeg, 0xE1, &synth::exif_with_gps(6))
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    std::fs::create_dir_all(&dir)?;
    let portrait = portrait_jpeg();
    std::fs::write(dir.join("portrait.jpg"), &portrait)?;
    std::fs::write(dir.join("broken.jpg"), &portrait[..BROKEN_LENGTH])?;
    println!(
        "wrote {} ({} bytes) and {} ({BROKEN_LENGTH} bytes)",
        dir.join("portrait.jpg").display(),
        portrait.len(),
        dir.join("broken.jpg").display()
    );
    Ok(())
}
