//! SPEC §5: limits are checked from the header before pixel memory is allocated. This binary
//! holds a single test so that the process's peak memory (VmHWM) is its own: ingesting files
//! that declare (and, for the corpus bombs, genuinely hold) hundreds of megapixels must leave
//! the peak where it was.

#[path = "integration/common/mod.rs"]
mod common;

use std::io::Write as _;

use image::ImageFormat;
use userphoto::{ingest, ErrorKind, Options};

/// The peak resident memory of this process, in KiB (Linux only).
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `jpeg` with its frame header declaring `width` x `height`.
fn jpeg_declaring(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

#[test]
fn declared_dimensions_are_rejected_before_allocating() {
    let Some(before) = peak_kib() else {
        // Straight to stderr, which the test harness does not capture.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: no /proc/self/status on this system"
        );
        return;
    };
    let picture = common::synth::photo_like(64, 64);
    let jpeg = common::synth::jpeg(&picture, 80);
    let bmp = common::synth::encode(&picture, ImageFormat::Bmp);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        // 16000x16000 fits the side limit but is 256 MP: a decoder that trusted it would
        // allocate 768 MB of RGB before finding the data missing.
        (
            "jpeg 16000x16000".into(),
            jpeg_declaring(&jpeg, 16000, 16000),
        ),
        (
            "jpeg 60000x60000".into(),
            jpeg_declaring(&jpeg, 60000, 60000),
        ),
    ];
    let mut big_bmp = bmp.clone();
    big_bmp[18..22].copy_from_slice(&16000i32.to_le_bytes());
    big_bmp[22..26].copy_from_slice(&16000i32.to_le_bytes());
    files.push(("bmp 16000x16000".into(), big_bmp));
    if let Some(corpus) = common::corpus() {
        for name in [
            // A genuinely decodable 280-megapixel greyscale JPEG in 1.1 MB.
            "hostile/bomb_jpeg_20000x14000_valid_gray_1mb.jpg",
            // A genuinely decodable 4.29-gigapixel 1-bit PNG in 510 KB.
            "hostile/bomb_png_65536x65536_1bit_palette_valid.png",
            "hostile/bomb_jpeg_65535x65535_186_bytes.jpg",
            "hostile/bomb_gif_65535x66601_44_bytes.gif",
            "hostile/bomb_bmp_6x2147483647.bmp",
        ] {
            files.push((name.into(), common::read(&corpus, name)));
        }
    }
    for (name, bytes) in &files {
        let kind = ingest(bytes, &Options::default())
            .map(|_| ())
            .expect_err(name)
            .kind();
        assert_eq!(kind, ErrorKind::DimensionsTooLarge, "{name}");
    }
    let after = peak_kib().expect("VmHWM was readable before");
    let grown_mib = after.saturating_sub(before) / 1024;
    println!("peak memory grew by {grown_mib} MiB ({before} KiB -> {after} KiB)");
    assert!(
        grown_mib < 64,
        "peak memory grew by {grown_mib} MiB while rejecting {} oversized files",
        files.len()
    );
}
