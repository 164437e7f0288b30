//! The committed example inputs of `testdata/` (used by the README's first command) are what
//! `examples/make_testdata.rs` makes, and behave as the README says.

use crate::common;

// The generator brings its own copy of `common::synth`, as the example cannot see `common`.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "../../examples/make_testdata.rs"]
mod make_testdata;

use std::path::Path;

use common::{decode_jpeg, decode_rendition, jpeg_segments, psnr, reference, synth};
use userphoto::{ingest, ErrorKind, Options};

fn testdata(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `cargo run --example make_testdata`",
            path.display()
        )
    })
}

#[test]
fn portrait_is_a_small_sideways_phone_style_jpeg() {
    let bytes = testdata("portrait.jpg");
    assert!(bytes.len() < 100 * 1024, "{} bytes", bytes.len());
    // Stored landscape, 800x600, with EXIF orientation 6 in an APP1 segment.
    let stored = decode_jpeg(&bytes);
    assert_eq!(stored.dimensions(), (800, 600));
    let exif = jpeg_segments(&bytes)
        .into_iter()
        .find(|(m, p)| *m == 0xE1 && p.starts_with(b"Exif\0\0"))
        .expect("an EXIF segment")
        .1;
    assert_eq!(exif, synth::exif_with_gps(6));

    // The pixels are the generator's (not byte-for-byte: encoders may round differently).
    let drawn = synth::stored_for(
        &synth::photo_like(make_testdata::PORTRAIT.0, make_testdata::PORTRAIT.1),
        6,
    );
    let score = psnr(&stored, &drawn);
    assert!(
        score > 30.0,
        "testdata/portrait.jpg is {score:.1} dB from the generator's picture"
    );
}

#[test]
fn portrait_gives_upright_sizes_48_to_504() {
    let set = common::ingest_ok(&testdata("portrait.jpg"));
    assert_eq!((set.source().width, set.source().height), (600, 800));
    assert_eq!(common::sides(&set), [48, 64, 96, 120, 240, 360, 432, 504]);
    let upright = synth::photo_like(600, 800);
    for rendition in &set {
        let side = rendition.size().side();
        let output = decode_rendition(rendition.bytes(), side);
        let score = psnr(&output, &reference(&upright, side));
        assert!(
            score > 26.0,
            "{side}: {score:.1} dB from the upright picture"
        );
    }
}

#[test]
fn broken_is_a_truncated_portrait_rejected_as_corrupt() {
    let broken = testdata("broken.jpg");
    let portrait = testdata("portrait.jpg");
    assert_eq!(broken.len(), make_testdata::BROKEN_LENGTH);
    assert!(portrait.starts_with(&broken));
    let error = ingest(&broken, &Options::default())
        .map(|_| ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Corrupt, "{error}");
}

#[test]
fn the_generator_still_makes_the_committed_portrait() {
    let made = make_testdata::portrait_jpeg();
    let committed = testdata("portrait.jpg");
    let score = psnr(&decode_jpeg(&made), &decode_jpeg(&committed));
    assert!(score > 40.0, "regenerate testdata: {score:.1} dB apart");
}
