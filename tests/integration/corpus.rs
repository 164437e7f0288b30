//! Every file of the corpus's photos/, orientation/ and formats/ ingests with the sizes its
//! upright dimensions call for, or is rejected for the reason MANIFEST.tsv gives.

use crate::common;

use std::path::Path;

use common::{corpus, decode_rendition, manifest_dir, read, sides, spec_sides, Entry};
use userphoto::{ingest, ErrorKind, Options};

/// Files the library rejects, with the kind and why.
const KNOWN_REJECTIONS: [(&str, ErrorKind, &str); 5] = [
    (
        "jpeg_12bit_sof1_srgb2014_149x227.jpg",
        ErrorKind::Unsupported,
        "12-bit",
    ),
    (
        "jpeg_arithmetic_sof9_227x149.jpg",
        ErrorKind::Unsupported,
        "arithmetic",
    ),
    (
        "png_size_32x32_rgb16_too_small.png",
        ErrorKind::TooSmall,
        "48",
    ),
    ("tiff_size_199x47_too_small.tiff", ErrorKind::TooSmall, "48"),
    (
        "tiff_g3fax_bilevel_2464x3248.tif",
        ErrorKind::Unsupported,
        "CCITT Group 3 fax compression",
    ),
];

/// The format name the manifest uses for what the library recognised.
fn manifest_format(format: userphoto::Format) -> &'static [&'static str] {
    match format {
        userphoto::Format::Jpeg => &["JPEG", "MPO"],
        userphoto::Format::Png => &["PNG"],
        userphoto::Format::Gif => &["GIF"],
        userphoto::Format::WebP => &["WEBP"],
        userphoto::Format::Bmp => &["BMP"],
        userphoto::Format::Tiff => &["TIFF"],
        _ => &[],
    }
}

fn check_entry(corpus: &Path, entry: &Entry) -> Result<String, String> {
    let name = entry.name();
    let bytes = read(corpus, &entry.path);
    let result = ingest(&bytes, &Options::default());
    let known = KNOWN_REJECTIONS.iter().find(|(n, _, _)| *n == name);
    match (result, known) {
        (Err(e), Some((_, kind, words))) => {
            let message = e.to_string();
            if e.kind() == *kind && message.contains(words) {
                Ok(format!("rejected as listed: {}: {message}", e.kind()))
            } else {
                Err(format!(
                    "expected {kind} ({words}), got {}: {message}",
                    e.kind()
                ))
            }
        }
        (Err(e), None) => Err(format!("rejected: {}: {e}", e.kind())),
        (Ok(_), Some((_, kind, _))) => Err(format!(
            "ingested, but is listed as a known {kind} rejection: update KNOWN_REJECTIONS"
        )),
        (Ok(set), None) => {
            let source = set.source();
            if !manifest_format(source.format)
                .iter()
                .any(|f| entry.format.starts_with(f))
            {
                return Err(format!(
                    "read as {}, manifest says {}",
                    source.format, entry.format
                ));
            }
            let (w, h) = entry.upright().ok_or("the manifest gives no size")?;
            if (u64::from(source.width), u64::from(source.height)) != (w, h) {
                return Err(format!(
                    "upright size {}x{}, manifest says {w}x{h}",
                    source.width, source.height
                ));
            }
            let want = spec_sides(source.width.min(source.height));
            if sides(&set) != want {
                return Err(format!("sizes {:?}, want {want:?}", sides(&set)));
            }
            for rendition in &set {
                decode_rendition(rendition.bytes(), rendition.size().side());
            }
            Ok(format!(
                "{}x{} -> {} sizes",
                source.width,
                source.height,
                set.len()
            ))
        }
    }
}

fn check_dir(dir: &str) {
    let Some(corpus) = corpus() else { return };
    let entries = manifest_dir(&corpus, dir);
    let on_disk = std::fs::read_dir(corpus.join(dir)).unwrap().count();
    assert_eq!(on_disk, entries.len(), "{dir}/ and MANIFEST.tsv disagree");
    let mut failures = Vec::new();
    for entry in &entries {
        match check_entry(&corpus, entry) {
            Ok(outcome) => println!("{}: {outcome}", entry.path),
            Err(why) => failures.push(format!("{}: {why}", entry.path)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} files:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn photos() {
    check_dir("photos");
}

#[test]
fn orientation() {
    check_dir("orientation");
}

#[test]
fn formats() {
    check_dir("formats");
}

/// The manifest's boundary files: exactly 48 gives one size, 720x504 stops at 504, 49x500
/// gives only 48.
#[test]
fn boundary_files() {
    let Some(corpus) = corpus() else { return };
    for (name, want) in [
        ("formats/png_size_48x48_palette_trns_min.png", &[48][..]),
        ("formats/jpeg_size_49x500_just_above_min.jpg", &[48]),
        (
            "formats/png_size_720x504_palette.png",
            &[48, 64, 96, 120, 240, 360, 432, 504],
        ),
        (
            "photos/photo_nikon_e950_800x600.jpg",
            &[48, 64, 96, 120, 240, 360, 432, 504],
        ),
    ] {
        let set = common::ingest_ok(&read(&corpus, name));
        assert_eq!(sides(&set), want, "{name}");
    }
}

/// The lossless JPEG (SOF3, 16-bit grey) decodes, its samples brought to 8 bits in proportion
/// to their 16-bit range: the rendition's mean level is that of jpeg-decoder's samples, scaled.
#[test]
fn a_lossless_jpeg_decodes_in_proportion() {
    let Some(corpus) = corpus() else { return };
    let bytes = read(&corpus, "formats/jpeg_lossless_sof3_16bit_256x256.jpg");
    let set = ingest(&bytes, &Options::default()).expect("a lossless JPEG");
    assert_eq!(sides(&set), spec_sides(256));
    let mut decoder = jpeg_decoder::Decoder::new(bytes.as_slice());
    let samples = decoder.decode().expect("jpeg-decoder");
    let values: Vec<f64> = samples
        .chunks_exact(2)
        .map(|pair| f64::from(u16::from_ne_bytes([pair[0], pair[1]])) * 255.0 / 65535.0)
        .collect();
    let expected = values.iter().sum::<f64>() / values.len() as f64;
    let rendition = decode_rendition(set.get(userphoto::PhotoSize::S240).unwrap().bytes(), 240);
    let luma: Vec<f64> = rendition.pixels().map(|p| f64::from(p.0[1])).collect();
    let mean = luma.iter().sum::<f64>() / luma.len() as f64;
    assert!(
        (mean - expected).abs() < 1.0,
        "mean level {mean}, samples scaled {expected}"
    );
}
