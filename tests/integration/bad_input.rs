//! SPEC §6: every bad upload gets a typed error that names the problem, and nothing panics:
//! the hostile corpus, every truncated prefix of valid files, and headers declaring
//! dimensions over the limits.

use crate::common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::{corpus, manifest_dir, read, synth};
use image::ImageFormat;
use userphoto::{ingest, Error, ErrorKind, Format, Limits, Options};

use ErrorKind::*;

/// Ingests `bytes`, turning a panic into a test failure that names `what`: one that crossed
/// `ingest`, or one it contained (`Internal`, a decoder's bug all the same).
fn ingest_no_panic(bytes: &[u8], options: &Options, what: &str) -> Result<(), Error> {
    match catch_unwind(AssertUnwindSafe(|| ingest(bytes, options))) {
        Ok(Err(error)) if error.kind() == Internal => panic!("{what}: a decoder panicked: {error}"),
        Ok(result) => result.map(|_| ()),
        Err(_) => panic!("{what}: ingest panicked"),
    }
}

/// What a hostile file must give.
enum Want {
    /// It must ingest, as the format and at the size the manifest gives.
    Ingest,
    /// It must ingest, or fail with one of these kinds.
    IngestOr(&'static [ErrorKind]),
    /// It must fail with one of these kinds.
    Fail(&'static [ErrorKind]),
}

/// What each hostile file must give, from MANIFEST.tsv's notes.
fn hostile_expectation(name: &str) -> Want {
    match name {
        // Files that are fine apart from a quirk: they must ingest.
        n if n.starts_with("wrong_ext_") || n.starts_with("jpeg_exif_") => Want::Ingest,
        "jpeg_extraneous_bytes_after_sos_scan_1744x2464.jpg" => Want::Ingest,
        // Good pixels with an unreadable profile: the profile is ignored.
        "png_icc_truncated_zlib_displayp3_248x248.png" => Want::Ingest,
        // A tolerant decoder shows noise where the scan data is bad; an error is fine too.
        "jpeg_corrupt_entropy_garbage_3484x2347.jpg"
        | "jpeg_corrupt_rst_markers_photo_3648x2736.jpg" => Want::IngestOr(&[Corrupt]),
        "empty_0_bytes.jpg" => Want::Fail(&[Empty]),
        n if n.starts_with("bomb_avif_")
            || n.starts_with("not_image_")
            || n.starts_with("unsupported_") =>
        {
            Want::Fail(&[UnknownFormat])
        }
        n if n.starts_with("bomb_") => Want::Fail(&[DimensionsTooLarge]),
        "bmp_bad_bitcount_30000.bmp" | "tiff_fuzz_crash_0da013.tif" => {
            Want::Fail(&[Corrupt, Unsupported])
        }
        "gif_zero_width_screen.gif" => Want::Fail(&[Corrupt, DimensionsTooLarge]),
        "gif_truncated_575x800.gif"
        | "jpeg_corrupt_header_1024_bytes.jpg"
        | "jpeg_huffman_table_overflow_1160x1068.jpg"
        | "jpeg_missing_sof_8_bytes.jpg"
        | "jpeg_soi_eoi_only_4_bytes.jpg"
        | "jpeg_truncated_10000_of_829183_bytes_2725x2225.jpg"
        | "jpeg_truncated_progressive_100x100.jpg"
        | "png_broken_80_bytes.png"
        | "png_truncated_10000_bytes_294x240.png" => Want::Fail(&[Corrupt]),
        // Damaged and too small: either problem may be noticed first.
        // 62728 pixels high is also over the side limit.
        "jpeg_fuzz_oss_36829_3x62728.jpg" => Want::Fail(&[Corrupt, TooSmall, DimensionsTooLarge]),
        "jpeg_missing_sos_8x8.jpg"
        | "png_bad_idat_crc.png"
        | "png_bad_ihdr_crc.png"
        | "png_missing_idat.png"
        | "webp_fuzz_panic_100x30.webp" => Want::Fail(&[Corrupt, TooSmall]),
        "jpeg_icc_missing_chunk_1x1.jpeg" | "png_ztxt_decompression_bomb_1x1.png" => {
            Want::Fail(&[TooSmall])
        }
        "png_bad_signature.png" => Want::Fail(&[UnknownFormat]),
        other => panic!("no expectation for hostile/{other}: add one from MANIFEST.tsv"),
    }
}

#[test]
fn every_hostile_file_gives_a_typed_error_or_ingests() {
    let Some(corpus) = corpus() else { return };
    let entries = manifest_dir(&corpus, "hostile");
    // Every file on disk is described, so none escapes the test.
    let on_disk = std::fs::read_dir(corpus.join("hostile")).unwrap().count();
    assert_eq!(on_disk, entries.len(), "hostile/ and MANIFEST.tsv disagree");
    let mut failures = Vec::new();
    for entry in &entries {
        let name = entry.name();
        let bytes = read(&corpus, &entry.path);
        let result = match catch_unwind(AssertUnwindSafe(|| ingest(&bytes, &Options::default()))) {
            Ok(result) => result,
            Err(_) => panic!("{name}: ingest panicked"),
        };
        let outcome = match &result {
            Ok(set) => format!("ok {}x{}", set.source().width, set.source().height),
            Err(e) => format!("{}: {e}", e.kind()),
        };
        println!("{name}: {outcome}");
        let ingested_as_listed = |set: &userphoto::PhotoSet| {
            let format = set.source().format.name().to_ascii_uppercase();
            let dims = (
                u64::from(set.source().width),
                u64::from(set.source().height),
            );
            entry.format.to_ascii_uppercase().starts_with(&format) && Some(dims) == entry.upright()
        };
        let fine = match (hostile_expectation(name), &result) {
            (Want::Ingest | Want::IngestOr(_), Ok(set)) => ingested_as_listed(set),
            (Want::IngestOr(kinds) | Want::Fail(kinds), Err(e)) => kinds.contains(&e.kind()),
            _ => false,
        };
        if !fine {
            failures.push(format!("{name}: {outcome}"));
        }
        if let Err(e) = &result {
            // The message says something, and names the format where one was recognised.
            let message = e.to_string();
            assert!(message.len() > 10, "{name}: message {message:?}");
        }
    }
    assert!(
        failures.is_empty(),
        "unexpected outcomes:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Truncation

/// Small valid files of every format, each large enough (72x60) to give renditions.
fn valid_files() -> Vec<(&'static str, Vec<u8>)> {
    let picture = synth::photo_like(72, 60);
    vec![
        ("jpeg", synth::jpeg(&picture, 85)),
        ("progressive jpeg", synth::progressive_jpeg(&picture, 85)),
        ("png", synth::encode(&picture, ImageFormat::Png)),
        ("gif", synth::encode(&picture, ImageFormat::Gif)),
        ("webp", synth::encode(&picture, ImageFormat::WebP)),
        ("bmp", synth::encode(&picture, ImageFormat::Bmp)),
        ("tiff", synth::encode(&picture, ImageFormat::Tiff)),
    ]
}

/// How many bytes at the end of a file only close it (JPEG's EOI, GIF's trailer, PNG's IEND):
/// a prefix missing no more than these still holds the whole picture, and may be accepted.
fn closing_bytes(name: &str) -> usize {
    match name {
        "jpeg" | "progressive jpeg" | "cmyk jpeg" => 2,
        "gif" => 1,
        "png" => 12,
        _ => 0,
    }
}

/// Every prefix gives an error (the first 64 lengths one by one, then with a stride so that
/// each file is cut at about 400 places), never a panic. Only a prefix of at least
/// `complete_at` bytes, which holds the whole picture, may be accepted, and then it must give
/// exactly the renditions of the whole file.
fn check_prefixes(name: &str, bytes: &[u8], complete_at: usize) {
    let whole = ingest(bytes, &Options::default())
        .unwrap_or_else(|e| panic!("{name}: the whole file must ingest: {e}"));
    let stride = (bytes.len() / 400).max(1);
    let lengths = (0..bytes.len().min(64)).chain((64..bytes.len()).step_by(stride));
    for len in lengths {
        let what = format!("{name} cut at {len} of {}", bytes.len());
        let cut = &bytes[..len];
        if ingest_no_panic(cut, &Options::default(), &what).is_ok() {
            assert!(len >= complete_at, "{what}: ingested");
            let set = ingest(cut, &Options::default()).unwrap();
            assert_eq!(set, whole, "{what}: ingested as a different picture");
        }
    }
}

/// Where the first frame of a GIF ends: the rest (later frames, the trailer) is not needed
/// for the picture userphoto renders.
fn gif_first_frame_end(gif: &[u8]) -> usize {
    let flags = gif[10];
    let mut at = 13
        + if flags & 0x80 != 0 {
            3 << ((flags & 7) + 1)
        } else {
            0
        };
    let skip_sub_blocks = |mut at: usize| {
        while gif[at] != 0 {
            at += 1 + usize::from(gif[at]);
        }
        at + 1
    };
    loop {
        match gif[at] {
            0x21 => at = skip_sub_blocks(at + 2),
            0x2C => {
                let local = gif[at + 9];
                at += 10;
                if local & 0x80 != 0 {
                    at += 3 << ((local & 7) + 1);
                }
                return skip_sub_blocks(at + 1);
            }
            other => panic!("unexpected GIF block {other:#04x} at {at}"),
        }
    }
}

#[test]
fn truncated_generated_files_give_errors() {
    for (name, bytes) in valid_files() {
        let complete_at = bytes.len() - closing_bytes(name);
        check_prefixes(name, &bytes, complete_at);
    }
}

#[test]
fn truncated_corpus_files_give_errors() {
    let Some(corpus) = corpus() else { return };
    for (name, path) in [
        ("webp lossy alpha", "formats/webp_lossy_alpha_200x150.webp"),
        ("jpeg", "formats/jpeg_baseline_ijg_227x149.jpg"),
        ("cmyk jpeg", "formats/jpeg_cmyk_adobe_100x100.jpg"),
        (
            "png interlaced",
            "formats/png_palette_interlaced_trns_162x150.png",
        ),
        // Animated: a cut after the first frame still holds the picture rendered.
        ("gif", "formats/gif_animated_10frames_370x285.gif"),
        ("tiff lzw", "formats/tiff_lzw_128x128.tif"),
    ] {
        let bytes = read(&corpus, path);
        let complete_at = match name {
            "gif" => gif_first_frame_end(&bytes),
            // A TIFF's strips may lie anywhere: whatever follows the last one can be cut
            // without losing the picture (the renditions must then be the same).
            "tiff lzw" => 0,
            _ => bytes.len() - closing_bytes(name),
        };
        check_prefixes(name, &bytes, complete_at);
    }
}

/// The TIFF layouts read chunk by chunk (tiles in planes, bit-reversed data, a palette, 12-bit
/// grey, JPEG strips and tiles): a chunk may lie anywhere, so a cut that spares the chunks the
/// square needs may be accepted, with the same renditions; any other gives an error.
#[test]
fn truncated_tiff_layouts_give_errors() {
    for (name, bytes) in common::tiff::examples() {
        check_prefixes(name, &bytes, 0);
    }
}

/// The same TIFF layouts with bytes overwritten, in the header and directory byte by byte and
/// in the pixel data here and there: an answer every time, never a panic.
#[test]
fn damaged_tiff_layouts_never_panic() {
    for (name, bytes) in common::tiff::examples() {
        let directory_end = 400.min(bytes.len());
        let places = (0..directory_end).chain((directory_end..bytes.len()).step_by(37));
        for at in places {
            for value in [0x00, 0xFF, bytes[at] ^ 0x55, bytes[at].wrapping_add(1)] {
                let mut damaged = bytes.clone();
                damaged[at] = value;
                let what = format!("{name} with byte {at} set to {value:#04x}");
                let _ = ingest_no_panic(&damaged, &Options::default(), &what);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dimensions over the limits, from the header

/// `jpeg` with the frame header's height and width replaced.
fn jpeg_declaring(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out
        .windows(2)
        .position(|w| w[0] == 0xFF && matches!(w[1], 0xC0 | 0xC2))
        .expect("a frame header");
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

/// A PNG chunk with its CRC.
fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(png_chunk(b"IHDR", &ihdr));
    // A tiny valid zlib stream of a few zero bytes.
    out.extend(png_chunk(b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

fn gif_declaring(width: u16, height: u16) -> Vec<u8> {
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
    out.extend_from_slice(&[0x2C, 0, 0, 0, 0]);
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&[0, 2, 2, 0x44, 0x01, 0, 0x3B]);
    out
}

fn bmp_declaring(width: i32, height: i32) -> Vec<u8> {
    let mut out = synth::encode(&synth::photo_like(64, 64), ImageFormat::Bmp);
    out[18..22].copy_from_slice(&width.to_le_bytes());
    out[22..26].copy_from_slice(&height.to_le_bytes());
    out
}

/// A WebP with an extended (VP8X) header declaring `width` x `height`, followed by a small
/// lossless image.
fn webp_declaring(width: u32, height: u32) -> Vec<u8> {
    let small = synth::encode(&synth::photo_like(64, 64), ImageFormat::WebP);
    let mut body = b"WEBPVP8X".to_vec();
    body.extend_from_slice(&10u32.to_le_bytes());
    body.extend_from_slice(&[0, 0, 0, 0]);
    body.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    body.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    body.extend_from_slice(&small[12..]);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// A little-endian, uncompressed greyscale TIFF declaring `width` x `height` with a few bytes of
/// pixel data.
fn tiff_declaring(width: u32, height: u32) -> Vec<u8> {
    let entries: [(u16, u16, u32); 9] = [
        (256, 4, width),                        // ImageWidth
        (257, 4, height),                       // ImageLength
        (258, 3, 8),                            // BitsPerSample
        (259, 3, 1),                            // Compression: none
        (262, 3, 1),                            // PhotometricInterpretation: black is zero
        (273, 4, 8 + 2 + 9 * 12 + 4),           // StripOffsets: right after the IFD
        (277, 3, 1),                            // SamplesPerPixel
        (278, 4, height),                       // RowsPerStrip
        (279, 4, width.saturating_mul(height)), // StripByteCounts
    ];
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        if kind == 3 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&[0x80; 256]);
    out
}

/// Headers declaring 60000x60000 (over 16384 per side) and 16000x16000 (256 MP, over 64 MP)
/// in every format: rejected as `DimensionsTooLarge` from the header.
#[test]
fn declared_dimensions_over_the_limits_are_rejected() {
    let jpeg = synth::jpeg(&synth::photo_like(64, 64), 80);
    let progressive = synth::progressive_jpeg(&synth::photo_like(64, 64), 80);
    for (w, h) in [
        (60000u32, 60000u32),
        (16000, 16000),
        (60000, 60),
        (60, 60000),
    ] {
        let files: Vec<(&str, Vec<u8>)> = vec![
            ("jpeg", jpeg_declaring(&jpeg, w as u16, h as u16)),
            (
                "progressive jpeg",
                jpeg_declaring(&progressive, w as u16, h as u16),
            ),
            ("png", png_declaring(w, h)),
            ("gif", gif_declaring(w as u16, h as u16)),
            ("bmp", bmp_declaring(w as i32, h as i32)),
            ("bmp top-down", bmp_declaring(w as i32, -(h as i32))),
            ("webp", webp_declaring(w, h)),
            ("tiff", tiff_declaring(w, h)),
        ];
        for (name, bytes) in files {
            let what = format!("{name} declaring {w}x{h}");
            match ingest_no_panic(&bytes, &Options::default(), &what) {
                Err(Error::DimensionsTooLarge { width, height, .. }) => {
                    assert_eq!((width, height), (u64::from(w), u64::from(h)), "{what}");
                }
                other => panic!("{what}: expected DimensionsTooLarge, got {other:?}"),
            }
        }
    }
}

/// The limits are the caller's: a genuine 2000x1500 photo is rejected under a 1-megapixel or a
/// 1024-pixel-side limit, and accepted under the defaults. The byte limit too.
#[test]
fn limits_are_configurable() {
    let picture = synth::photo_like(2000, 1500);
    let jpeg = synth::jpeg(&picture, 70);
    let png = synth::encode(&synth::photo_like(1200, 1100), ImageFormat::Png);
    for bytes in [&jpeg, &png] {
        assert!(ingest(bytes, &Options::default()).is_ok());
        for limits in [
            Limits {
                max_pixels: 1_000_000,
                ..Limits::default()
            },
            Limits {
                max_side: 1024,
                ..Limits::default()
            },
        ] {
            let options = Options {
                limits,
                ..Options::default()
            };
            let kind = ingest(bytes, &options).map(|_| ()).unwrap_err().kind();
            assert_eq!(kind, DimensionsTooLarge, "{limits:?}");
        }
        let small = Options {
            limits: Limits {
                max_input_bytes: bytes.len() as u64 - 1,
                ..Limits::default()
            },
            ..Options::default()
        };
        match ingest(bytes, &small) {
            Err(Error::TooLarge { size, limit }) => {
                assert_eq!((size, limit), (bytes.len() as u64, bytes.len() as u64 - 1));
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }
}

/// The simple cases of SPEC §6, each with its own kind, and the format named in the message.
#[test]
fn each_problem_has_its_kind() {
    let options = Options::default();
    assert_eq!(ingest(b"", &options).unwrap_err().kind(), Empty);
    for text in [
        &b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"[..],
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        b"<!DOCTYPE html><html></html>",
        b"hello, world",
        b"\0\0\0\x1cftypavif\0\0\0\0",
    ] {
        let error = ingest(text, &options).unwrap_err();
        assert_eq!(error.kind(), UnknownFormat, "{error}");
    }
    let jpeg = synth::jpeg(&synth::photo_like(100, 100), 80);
    let error = ingest(&jpeg[..jpeg.len() / 2], &options).unwrap_err();
    assert_eq!(error.kind(), Corrupt);
    assert!(error.to_string().contains("JPEG"), "{error}");
    match ingest(&jpeg[..jpeg.len() / 2], &options) {
        Err(Error::Corrupt { format, .. }) => assert_eq!(format, Format::Jpeg),
        other => panic!("{other:?}"),
    }
}
