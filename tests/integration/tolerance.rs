//! Files the reference decoders (libjpeg, Pillow) read though they bend their format's rules,
//! which stricter decoders refuse or misread: they decode, to the picture they hold.

use crate::common;

use common::synth;
use userphoto::{ingest, Options, PhotoSet};

/// `jpeg` with `segment` (marker and all) inserted before its EOI.
fn before_eoi(jpeg: &[u8], segment: &[u8]) -> Vec<u8> {
    let eoi = jpeg.len() - 2;
    assert_eq!(&jpeg[eoi..], &[0xFF, 0xD9]);
    [&jpeg[..eoi], segment, &jpeg[eoi..]].concat()
}

fn etags(set: &PhotoSet) -> Vec<String> {
    set.iter().map(|r| r.etag().to_string()).collect()
}

/// The mean absolute difference between two renditions' decoded pixels.
fn mean_difference(a: &[u8], b: &[u8], side: u32) -> f64 {
    let (a, b) = (
        common::decode_rendition(a, side),
        common::decode_rendition(b, side),
    );
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// A DNL segment after the scan of a frame that declares its height changes nothing, as
/// libjpeg reads it: the renditions are those of the file without it, whatever height it gives,
/// in both builds.
#[test]
fn a_dnl_after_a_frame_with_a_height_is_ignored() {
    let picture = synth::photo_like(320, 240);
    for jpeg in [
        synth::jpeg(&picture, 88),
        synth::jpeg_with_restarts(&picture, 88, 4),
    ] {
        let plain = ingest(&jpeg, &Options::default()).expect("the plain file");
        let with_dnl = before_eoi(&jpeg, &[0xFF, 0xDC, 0, 4, 0, 240]);
        let set = ingest(&with_dnl, &Options::default()).expect("a DNL repeating the height");
        assert_eq!(etags(&set), etags(&plain));
        let other = before_eoi(&jpeg, &[0xFF, 0xDC, 0, 4, 0, 200]);
        let set = ingest(&other, &Options::default()).expect("a DNL giving another height");
        assert_eq!(etags(&set), etags(&plain));
    }
}

/// A zero in a quantisation table (which JPEG does not allow, and jpeg-decoder refuses) is
/// read as the smallest step: a progressive file with one decodes to its picture.
#[test]
fn a_zero_quantisation_step_decodes() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/progressive_422.jpg");
    let jpeg = std::fs::read(path).expect("testdata");
    let dqt = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xDB])
        .expect("a DQT segment");
    assert_eq!(jpeg[dqt + 4] >> 4, 0, "8-bit entries");
    // The luma table's highest frequency.
    let mut zeroed = jpeg.clone();
    zeroed[dqt + 5 + 63] = 0;
    let plain = ingest(&jpeg, &Options::default()).expect("the plain file");
    let set = ingest(&zeroed, &Options::default()).expect("a zero step");
    assert_eq!(set.len(), plain.len());
    for (ours, theirs) in set.iter().zip(&plain) {
        let side = ours.size().side();
        let difference = mean_difference(ours.bytes(), theirs.bytes(), side);
        assert!(difference < 1.0, "{side}: off by {difference} on average");
    }
}

/// A BMP whose pixel offset points back into its own colour table (Pillow's test suite has
/// `pal8_offset.bmp`, a hex-edited `pal8.bmp`) has its pixels right after the table, where
/// Pillow reads them; one whose last row lacks its padding (`mmap_error.bmp`: both at once)
/// lacks no pixel. Their renditions are those of the file put right, not of the palette read
/// as pixels; a file short of a pixel is still refused.
#[test]
fn bmp_offsets_and_padding_pillow_reads_past() {
    use image::{ExtendedColorType, ImageEncoder};

    // 94 pixels of 8 bits: rows of 96 bytes, 2 of them padding.
    let (width, height) = (94, 80);
    let grey = image::DynamicImage::from(synth::photo_like(width, height)).into_luma8();
    let mut bmp = Vec::new();
    image::codecs::bmp::BmpEncoder::new(&mut bmp)
        .write_image(grey.as_raw(), width, height, ExtendedColorType::L8)
        .expect("an 8-bit palette BMP");
    let offset = |bmp: &[u8]| u32::from_le_bytes(bmp[10..14].try_into().unwrap());
    // File header, 40-byte info header, 256 palette entries of 4 bytes, then the rows.
    assert_eq!(
        offset(&bmp),
        14 + 40 + 256 * 4,
        "the encoder's layout changed"
    );
    assert_eq!(
        bmp.len(),
        14 + 40 + 256 * 4 + 96 * 80,
        "the encoder's layout changed"
    );
    let plain = ingest(&bmp, &Options::default()).expect("the plain file");
    let misplaced = |bmp: &[u8], at: u32| {
        let mut copy = bmp.to_vec();
        copy[10..14].copy_from_slice(&at.to_le_bytes());
        copy
    };
    let unpadded = |bmp: &[u8], missing: usize| bmp[..bmp.len() - missing].to_vec();
    for (what, file) in [
        ("offset at the palette", misplaced(&bmp, 14 + 40)),
        (
            "offset inside the palette",
            misplaced(&bmp, 14 + 40 + 100 * 4),
        ),
        (
            "offset a byte early",
            misplaced(&bmp, 14 + 40 + 256 * 4 - 1),
        ),
        ("a byte of padding missing", unpadded(&bmp, 1)),
        ("the padding missing", unpadded(&bmp, 2)),
        ("both", unpadded(&misplaced(&bmp, 14 + 40), 1)),
    ] {
        let set = ingest(&file, &Options::default()).expect(what);
        assert_eq!(etags(&set), etags(&plain), "{what}");
    }
    let error = ingest(&unpadded(&bmp, 3), &Options::default()).expect_err("a pixel missing");
    assert_eq!(error.kind(), userphoto::ErrorKind::Corrupt);
}
