//! SPEC §1: which sizes a source yields, and that each rendition is exactly s x s.

use crate::common;

use common::{decode_rendition, ingest_ok, jpeg_segments, sides, synth};
use image::ImageFormat;
use userphoto::{ingest, Error, Options, PhotoSize};

/// A source of `width` x `height` in a format suited to its size (JPEG for the big ones, so
/// the test stays fast; PNG otherwise).
fn source(width: u32, height: u32) -> Vec<u8> {
    let picture = synth::photo_like(width, height);
    if u64::from(width) * u64::from(height) > 1_000_000 {
        synth::jpeg(&picture, 80)
    } else {
        synth::encode(&picture, ImageFormat::Png)
    }
}

/// Each source and the sides SPEC §1 says it yields, written out by hand.
const CASES: [(u32, u32, &[u32]); 7] = [
    (48, 48, &[48]),
    (200, 200, &[48, 64, 96, 120]),
    (504, 504, &[48, 64, 96, 120, 240, 360, 432, 504]),
    (648, 648, &[48, 64, 96, 120, 240, 360, 432, 504, 648]),
    (800, 600, &[48, 64, 96, 120, 240, 360, 432, 504]),
    (3024, 4032, &[48, 64, 96, 120, 240, 360, 432, 504, 648]),
    (4032, 3024, &[48, 64, 96, 120, 240, 360, 432, 504, 648]),
];

#[test]
fn each_source_yields_the_sizes_of_the_spec() {
    for (width, height, want) in CASES {
        let set = ingest_ok(&source(width, height));
        assert_eq!(sides(&set), want, "{width}x{height}");
        assert_eq!(set.len(), want.len());
        assert_eq!(set.largest().size().side(), *want.last().unwrap());
        assert_eq!((set.source().width, set.source().height), (width, height));
        for rendition in &set {
            let side = rendition.size().side();
            assert_eq!((rendition.width(), rendition.height()), (side, side));
            assert_eq!(rendition.content_type(), "image/jpeg");
            assert_eq!(set.get(rendition.size()), Some(rendition));
            decode_rendition(rendition.bytes(), side);
        }
        for size in PhotoSize::ALL {
            assert_eq!(
                set.get(size).is_some(),
                want.contains(&size.side()),
                "{width}x{height}: get({size})"
            );
        }
    }
}

#[test]
fn the_spec_examples_hold() {
    // "A 504x504 upload yields every size except 648."
    let set = ingest_ok(&source(504, 504));
    assert!(set.get(PhotoSize::S648).is_none());
    assert_eq!(set.len(), 8);
    // "An 800x600 photo yields 48 … 504 (usable side 600)."
    let set = ingest_ok(&source(800, 600));
    assert_eq!(set.largest().size(), PhotoSize::S504);
}

#[test]
fn a_usable_side_under_48_is_too_small() {
    for (width, height) in [(47, 47), (30, 2000), (2000, 30), (47, 600)] {
        match ingest(&source(width, height), &Options::default()) {
            Err(Error::TooSmall {
                width: w,
                height: h,
                minimum,
            }) => {
                assert_eq!((w, h, minimum), (width, height, 48), "{width}x{height}");
            }
            other => panic!("{width}x{height}: expected TooSmall, got {other:?}"),
        }
    }
}

/// Every format reaches the same sizes; a 49-pixel side yields only 48.
#[test]
fn sizes_do_not_depend_on_the_format() {
    let picture = synth::photo_like(130, 97);
    for format in [
        ImageFormat::Png,
        ImageFormat::Gif,
        ImageFormat::WebP,
        ImageFormat::Bmp,
        ImageFormat::Tiff,
        ImageFormat::Jpeg,
    ] {
        let set = ingest_ok(&synth::encode(&picture, format));
        assert_eq!(sides(&set), [48, 64, 96], "{format:?}");
        for rendition in &set {
            decode_rendition(rendition.bytes(), rendition.size().side());
        }
    }
    let set = ingest_ok(&synth::jpeg(&synth::photo_like(49, 300), 90));
    assert_eq!(sides(&set), [48]);
}

/// The sizes just around each boundary: a usable side of s - 1 stops below s, s includes it.
#[test]
fn every_boundary_is_inclusive() {
    for (i, &side) in common::SPEC_SIDES.iter().enumerate() {
        let exact = ingest_ok(&synth::jpeg(&synth::photo_like(side + 7, side), 80));
        assert_eq!(
            sides(&exact),
            common::SPEC_SIDES[..=i],
            "usable side {side}"
        );
        if i > 0 {
            let below = ingest_ok(&synth::jpeg(&synth::photo_like(side - 1, side + 9), 80));
            assert_eq!(
                sides(&below),
                common::SPEC_SIDES[..i],
                "usable side {}",
                side - 1
            );
        }
    }
}

/// A JPEG's frame header: its marker (0xC0 baseline, 0xC2 progressive) and payload.
fn frame(jpeg: &[u8]) -> (u8, Vec<u8>) {
    jpeg_segments(jpeg)
        .into_iter()
        .find(|(marker, _)| matches!(*marker, 0xC0 | 0xC2))
        .expect("a baseline or progressive frame header")
}

/// The chroma sampling of a JPEG's frame header: the (horizontal, vertical) factors of its
/// first component, 1x1 for 4:4:4 and 2x2 for 4:2:0.
fn luma_sampling(jpeg: &[u8]) -> (u8, u8) {
    // SOF payload: precision, height, width, component count, then id and factors of each.
    let factors = frame(jpeg).1[7];
    (factors >> 4, factors & 0x0F)
}

/// Renditions of 360x360 and more are progressive, the smaller ones baseline.
#[test]
fn large_sizes_are_progressive() {
    let set = ingest_ok(&source(1000, 1000));
    assert_eq!(set.len(), 9);
    for rendition in set.iter() {
        let side = rendition.width();
        let expected = if side >= 360 { 0xC2 } else { 0xC0 };
        assert_eq!(
            frame(rendition.bytes()).0,
            expected,
            "frame of the {side}x{side} rendition"
        );
    }
}

#[test]
fn small_sizes_keep_full_chroma_and_large_sizes_halve_it() {
    let set = ingest_ok(&source(1000, 1000));
    assert_eq!(set.len(), 9);
    for rendition in set.iter() {
        let side = rendition.width();
        let expected = if side <= 120 { (1, 1) } else { (2, 2) };
        assert_eq!(
            luma_sampling(rendition.bytes()),
            expected,
            "chroma sampling of the {side}x{side} rendition"
        );
        // Both decoders read it back at its size.
        decode_rendition(rendition.bytes(), side);
    }
}
