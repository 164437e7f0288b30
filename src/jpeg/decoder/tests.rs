//! The planar decoder against jpeg-decoder, and on what it declines.

use super::*;
use crate::jpeg::markers::{APP14, SOF0, SOS};
use crate::jpeg::testing::{gradient, photo};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use std::io::Write as _;

const LAYOUTS: [(SamplingFactor, (u32, u32)); 4] = [
    (SamplingFactor::R_4_4_4, (1, 1)),
    (SamplingFactor::R_4_2_2, (2, 1)),
    (SamplingFactor::R_4_2_0, (2, 2)),
    (SamplingFactor::R_4_4_0, (1, 2)),
];

fn scaled(side: u16, eighths: u32) -> u32 {
    (u32::from(side) * eighths).div_ceil(8)
}

/// jpeg-decoder's RGB decode of `jpeg` at `eighths` (1, 2, 4 or 8) of full scale.
fn reference(jpeg: &[u8], eighths: u32) -> Vec<u8> {
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    decoder.read_info().expect("header");
    let info = decoder.info().expect("info");
    let scale = |side: u16| u16::try_from(scaled(side, eighths)).expect("u16");
    decoder
        .scale(scale(info.width), scale(info.height))
        .expect("scale");
    decoder.decode().expect("decode")
}

/// The largest and the mean difference between two images' samples.
fn difference(ours: &[f64], theirs: &[u8]) -> (f64, f64) {
    assert_eq!(ours.len(), theirs.len());
    let differences = ours
        .iter()
        .zip(theirs)
        .map(|(a, &b)| (a - f64::from(b)).abs());
    let (worst, sum) = differences.fold((0f64, 0f64), |(w, s), d| (w.max(d), s + d));
    (worst, sum / ours.len() as f64)
}

/// At the scales jpeg-decoder also decodes to, the luma plane is the luma of its pixels,
/// and the planes brought back to RGB are its pixels up to its smoother chroma upsampling
/// (closely where there is none): so the entropy decoding, the dequantisation, the inverse
/// DCT at each scale and the plane layout are right. jpeg-decoder truncates the levels
/// at 1/8 where this rounds them, which accounts for about half a level.
#[test]
fn planes_are_the_pixels_jpeg_decoder_gives() {
    for (sampling, subsampling) in LAYOUTS {
        let jpeg = gradient(101, 75, sampling);
        assert_jpeg_decoder_agrees(&jpeg, subsampling, &format!("{subsampling:?}"), 1);
    }
}

/// At 8/8, 4/8, 2/8 and 1/8, `jpeg` decodes to planes of the `subsampling` expected whose
/// luma is the luma of jpeg-decoder's pixels, and, down to `chroma_from` eighths, whose
/// chroma samples are the mean chroma of the pixels they cover. jpeg-decoder's chroma
/// upsampling interpolates between samples, which keeps those means on smooth colour but
/// not on texture a few samples across (as a picture scaled to 2/8 has).
fn assert_jpeg_decoder_agrees(jpeg: &[u8], subsampling: (u32, u32), name: &str, chroma_from: u32) {
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    decoder.read_info().expect("header");
    let info = decoder.info().expect("info");
    for eighths in [8, 4, 2, 1] {
        let expected = (scaled(info.width, eighths), scaled(info.height, eighths));
        let ycc = decode_planes(jpeg, eighths, expected)
            .unwrap_or_else(|why| panic!("{name} at {eighths}/8: no planes: {why}"));
        assert_eq!((ycc.width, ycc.height), expected);
        assert_eq!(ycc.subsampling, subsampling);
        assert!(ycc.is_consistent());
        let theirs = reference(jpeg, eighths);
        // JFIF's conversion of jpeg-decoder's pixels back to YCbCr.
        let ycbcr: Vec<[f64; 3]> = theirs
            .chunks_exact(3)
            .map(|p| {
                let [r, g, b] = [p[0], p[1], p[2]].map(f64::from);
                [
                    0.299 * r + 0.587 * g + 0.114 * b,
                    128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b,
                    128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b,
                ]
            })
            .collect();
        let at = format!("{name} at {eighths}/8");
        let luma: Vec<f64> = ycbcr.iter().map(|p| p[0]).collect();
        // Colours outside RGB, which jpeg-decoder's pixels clip, move single pixels by a
        // few levels: the mean says how close the planes are.
        let (worst, mean) = difference(&luma, &ycc.y);
        assert!(
            worst <= 8.0 && mean <= 1.0,
            "{at}: luma off by {worst}, {mean}"
        );
        if eighths < chroma_from {
            continue;
        }
        // Each chroma sample against the mean of the chroma over the pixels it covers.
        let (width, height) = (expected.0 as usize, expected.1 as usize);
        let (across, down) = (subsampling.0 as usize, subsampling.1 as usize);
        let mut means = Vec::new();
        for cy in 0..ycc.chroma_height() as usize {
            for cx in 0..ycc.chroma_width() as usize {
                let mut sum = [0f64; 2];
                let mut count = 0f64;
                for y in cy * down..((cy + 1) * down).min(height) {
                    for x in cx * across..((cx + 1) * across).min(width) {
                        let pixel = ycbcr[y * width + x];
                        sum = [sum[0] + pixel[1], sum[1] + pixel[2]];
                        count += 1.0;
                    }
                }
                means.extend(sum.map(|s| s / count));
            }
        }
        let (worst, mean) = difference(&means, &ycc.cbcr);
        assert!(
            worst <= 6.0 && mean <= 1.5,
            "{at}: chroma off by {worst}, {mean}"
        );
    }
}

/// Progressive files made by libjpeg (its default script: DC and AC bands, each first sent
/// short of its last bits, then refined; one with restart markers every three blocks),
/// of a size that leaves partial blocks and MCUs, decode as jpeg-decoder decodes them.
#[test]
fn progressive_files_are_the_pixels_jpeg_decoder_gives() {
    let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    for (name, subsampling) in [
        ("progressive_420_restarts.jpg", (2, 2)),
        ("progressive_422.jpg", (2, 1)),
    ] {
        let jpeg = std::fs::read(testdata.join(name)).expect("testdata");
        assert_jpeg_decoder_agrees(&jpeg, subsampling, name, 4);
    }
}

/// The same picture coded progressively (bands, no refinement: jpeg-encoder's way) and in
/// one scan holds the same coefficients: the planes are identical, at every scale.
#[test]
fn progressive_and_sequential_give_the_same_planes() {
    let sequential = photo(150, 100, 0, false);
    let progressive = photo(150, 100, 0, true);
    for eighths in 1..=8 {
        let expected = (scaled(150, eighths), scaled(100, eighths));
        let one = decode_planes(&sequential, eighths, expected).expect("sequential");
        let other = decode_planes(&progressive, eighths, expected).expect("progressive");
        assert!(one == other, "{eighths}/8");
    }
}

/// At every eighth, including those jpeg-decoder has no scale for, each pixel is close
/// to the mean of the full-scale pixels it covers: the n-point transforms keep the level
/// and scale the picture, not just its size.
#[test]
fn every_eighth_is_the_full_decode_averaged() {
    let (width, height) = (96u16, 64u16);
    let jpeg = gradient(width, height, SamplingFactor::R_4_4_4);
    let full = decode_planes(&jpeg, 8, (96, 64)).expect("full scale");
    for eighths in 1..=7u32 {
        let expected = (scaled(width, eighths), scaled(height, eighths));
        let ycc = decode_planes(&jpeg, eighths, expected).expect("planes");
        assert!(ycc.is_consistent());
        // Each 8x8 block becomes n x n: compare block by block, where the sizes match.
        let n = eighths as usize;
        let mut worst = 0f64;
        for block_y in 0..8 {
            for block_x in 0..12 {
                let mean = |plane: &[u8], stride: usize, side: usize, step: usize| {
                    let mut sum = 0f64;
                    for y in 0..side {
                        for x in 0..side {
                            let at = (block_y * side + y) * stride + block_x * side + x;
                            sum += f64::from(plane[at * step]);
                        }
                    }
                    sum / (side * side) as f64
                };
                let ours = mean(&ycc.y, ycc.width as usize, n, 1);
                let theirs = mean(&full.y, 96, 8, 1);
                worst = worst.max((ours - theirs).abs());
                let ours = mean(&ycc.cbcr, ycc.width as usize, n, 2);
                let theirs = mean(&full.cbcr, 96, 8, 2);
                worst = worst.max((ours - theirs).abs());
            }
        }
        assert!(worst <= 1.0, "{eighths}/8: block means off by {worst}");
    }
}

/// Restart markers only cut the coding into intervals: the planes are the same with them.
#[test]
fn restart_markers_change_nothing() {
    let plain = photo(200, 120, 0, false);
    let restarted = photo(200, 120, 3, false);
    assert_ne!(plain, restarted);
    for eighths in [3, 8] {
        let expected = (scaled(200, eighths), scaled(120, eighths));
        let one = decode_planes(&plain, eighths, expected).expect("plain");
        let other = decode_planes(&restarted, eighths, expected).expect("restarted");
        assert!(one == other, "{eighths}/8");
    }
}

/// `jpeg` with `segment` (marker and all) inserted after its SOI.
fn with_segment(jpeg: &[u8], segment: &[u8]) -> Vec<u8> {
    [&jpeg[..2], segment, &jpeg[2..]].concat()
}

/// Every layout and every flaw this decoder leaves to jpeg-decoder gives `None`.
#[test]
fn refuses_what_it_does_not_handle() {
    let jpeg = photo(64, 48, 2, false);
    let size = (24, 18);
    let layout = |bytes: &[u8], eighths: u32, size: (u32, u32)| {
        matches!(
            decode_planes(bytes, eighths, size),
            Err(Declined::Layout(_))
        )
    };
    let damaged = |bytes: &[u8], eighths: u32, size: (u32, u32)| {
        matches!(
            decode_planes(bytes, eighths, size),
            Err(Declined::Damaged(_))
        )
    };
    assert!(decode_planes(&jpeg, 3, size).is_ok());
    // Sizes and scales other than the file's.
    assert!(damaged(&jpeg, 3, (24, 19)));
    assert!(layout(&jpeg, 0, (0, 0)));
    assert!(layout(&jpeg, 9, (72, 54)));
    // Grey.
    let mut grey = Vec::new();
    Encoder::new(&mut grey, 90)
        .encode(&[128; 64 * 48], 64, 48, ColorType::Luma)
        .expect("grey");
    assert!(layout(&grey, 3, size));
    // Adobe's flag for RGB stored as it is; YCbCr is fine.
    let adobe = |transform: u8| {
        let mut segment = vec![0xFF, APP14, 0, 14];
        segment.extend_from_slice(b"Adobe\0\x64\0\0\0\0");
        segment.push(transform);
        with_segment(&jpeg, &segment)
    };
    assert!(layout(&adobe(0), 3, size));
    assert!(decode_planes(&adobe(1), 3, size).is_ok());
    // Arithmetic-coding conditioning, which only arithmetic files carry.
    let dac = with_segment(&jpeg, &[0xFF, 0xCC, 0, 4, 0x01, 0x10]);
    assert!(layout(&dac, 3, size));
    // A restart marker out of sequence.
    let sos = jpeg
        .windows(2)
        .position(|w| w == [0xFF, SOS])
        .expect("a scan");
    let data_at = sos + 2 + usize::from(u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]));
    let rst = data_at
        + jpeg[data_at..]
            .windows(2)
            .position(|w| w[0] == 0xFF && crate::jpeg::markers::is_rst(w[1]))
            .expect("a restart marker");
    let mut swapped = jpeg.clone();
    swapped[rst + 1] = 0xD5;
    assert!(damaged(&swapped, 3, size));
    // Bytes left over before a marker, and before the end of the image.
    let extra = [&jpeg[..rst], &[0x55], &jpeg[rst..]].concat();
    assert!(damaged(&extra, 3, size));
    let eoi = jpeg.len() - 2;
    let extra = [&jpeg[..eoi], &[0x12, 0x34], &jpeg[eoi..]].concat();
    assert!(damaged(&extra, 3, size));
    // A frame declared far larger than its data.
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, SOF0])
        .expect("a frame");
    let mut larger = jpeg.clone();
    larger[sof + 5..sof + 9].copy_from_slice(&[0x0B, 0xB8, 0x0F, 0xA0]); // 4000 x 3000
    assert!(damaged(&larger, 1, (500, 375)));
    // Cut short anywhere: damage, not a layout.
    for end in 0..jpeg.len() - 1 {
        assert!(damaged(&jpeg[..end], 3, size), "{end}");
    }
}

/// Damage anywhere never panics, and what still decodes has the planes its size says:
/// in a sequential file with restart markers and in a progressive one with refinements.
#[test]
fn damage_never_panics() {
    let progressive = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/progressive_420_restarts.jpg");
    let files: [(Vec<u8>, (u32, u32)); 2] = [
        (photo(80, 64, 3, false), (80, 64)),
        (std::fs::read(progressive).expect("testdata"), (131, 97)),
    ];
    for (jpeg, size) in files {
        let smaller = ((size.0 * 3).div_ceil(8), (size.1 * 3).div_ceil(8));
        for at in 2..jpeg.len() {
            for flip in [0x01, 0x80, 0xFF] {
                let mut damaged = jpeg.clone();
                damaged[at] ^= flip;
                if let Ok(ycc) = decode_planes(&damaged, 8, size) {
                    assert!(ycc.is_consistent());
                }
                let _ = decode_planes(&damaged, 3, smaller);
            }
        }
    }
}

/// A progressive file whose scans come out of order (a band refined before it was first
/// sent, a band of AC coefficients before the DC pass) is refused.
#[test]
fn refuses_a_progression_out_of_order() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/progressive_422.jpg");
    let jpeg = std::fs::read(path).expect("testdata");
    let size = (131, 97);
    assert!(decode_planes(&jpeg, 8, size).is_ok());
    let scans: Vec<usize> = jpeg
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == &[0xFF, SOS])
        .map(|(at, _)| at)
        .collect();
    // The second scan is the first AC band of luma: sent as a refinement instead.
    let second = scans[1];
    let bits_at = second + 4 + 1 + 2 * usize::from(jpeg[second + 4]) + 2;
    assert_eq!(jpeg[bits_at], 0x02);
    let mut refined_first = jpeg.clone();
    refined_first[bits_at] = 0x32;
    assert_eq!(
        decode_planes(&refined_first, 8, size),
        Err(Declined::Damaged("a progression out of order"))
    );
    // Without the DC scan (the first, header and data), the AC bands come before any DC.
    let data_at =
        scans[0] + 2 + usize::from(u16::from_be_bytes([jpeg[scans[0] + 2], jpeg[scans[0] + 3]]));
    let first_end = data_at
        + jpeg[data_at..]
            .windows(2)
            .position(|w| w[0] == 0xFF && w[1] != 0 && !(0xD0..=0xD7).contains(&w[1]))
            .expect("the next marker");
    let without_dc = [&jpeg[..scans[0]], &jpeg[first_end..]].concat();
    assert_eq!(
        decode_planes(&without_dc, 8, size),
        Err(Declined::Damaged("a progression out of order"))
    );
}

/// The corpus's colour JPEGs, photos from cameras, phones and editors and progressive
/// files from libjpeg, all decode to planes (the layouts this decoder is for), and at 1/8
/// scale their luma is jpeg-decoder's.
#[test]
fn corpus_photos_decode_to_planes() {
    let corpus = std::env::var_os("USERPHOTO_CORPUS").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        std::path::PathBuf::from,
    );
    let (Ok(photos), Ok(formats)) = (
        std::fs::read_dir(corpus.join("photos")),
        std::fs::read_dir(corpus.join("formats")),
    ) else {
        // Straight to stderr, which the test harness does not capture.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {} is not there (set USERPHOTO_CORPUS)",
            corpus.display()
        );
        return;
    };
    let (mut decoded, mut progressive) = (0, 0);
    for entry in photos.chain(formats) {
        let path = entry.expect("entry").path();
        let jpeg = std::fs::read(&path).expect("read");
        let mut decoder = jpeg_decoder::Decoder::new(jpeg.as_slice());
        let Ok(info) = decoder.read_info().map(|()| decoder.info().expect("info")) else {
            continue;
        };
        let coded = match info.coding_process {
            jpeg_decoder::CodingProcess::DctSequential => true,
            jpeg_decoder::CodingProcess::DctProgressive => {
                progressive += 1;
                true
            }
            jpeg_decoder::CodingProcess::Lossless => false,
        };
        if !coded || info.pixel_format != jpeg_decoder::PixelFormat::RGB24 {
            continue;
        }
        let expected = (scaled(info.width, 1), scaled(info.height, 1));
        let planes = decode_planes(&jpeg, 1, expected);
        // RGB stored as it is (jpegli's XYB files name their components R, G, B) is
        // not YCbCr, and not for this decoder.
        let sof = jpeg
            .windows(2)
            .position(|w| w[0] == 0xFF && (0xC0..=0xC2).contains(&w[1]));
        let ids = sof.map(|at| [jpeg[at + 10], jpeg[at + 13], jpeg[at + 16]]);
        if ids == Some(*b"RGB") {
            assert!(
                matches!(planes, Err(Declined::Layout(_))),
                "{}",
                path.display()
            );
            continue;
        }
        let ycc = planes
            .unwrap_or_else(|why| panic!("{} did not decode to planes: {why}", path.display()));
        // Luma against the luma of jpeg-decoder's pixels (chroma there is upsampled by
        // interpolation, which at 1/8 of a small picture moves colours a long way).
        let luma: Vec<f64> = reference(&jpeg, 1)
            .chunks_exact(3)
            .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
            .collect();
        let (_, mean) = difference(&luma, &ycc.y);
        assert!(
            mean <= 1.0,
            "{}: luma off by {mean} on average",
            path.display()
        );
        decoded += 1;
    }
    assert!(decoded >= 5, "only {decoded} colour JPEGs");
    assert!(progressive >= 2, "only {progressive} progressive JPEGs");
}
