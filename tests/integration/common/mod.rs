//! Helpers shared by the integration tests: the corpus and its manifest, decoding renditions
//! with two decoders, JPEG marker parsing, and image comparison.
#![allow(dead_code)]

pub mod bombs;
pub mod synth;
pub mod tiff;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use image::{imageops, RgbImage};
use userphoto::{ingest, Options, PhotoSet};

/// The sides SPEC §1 lists, ascending (written here from the spec, not taken from the crate).
pub const SPEC_SIDES: [u32; 9] = [48, 64, 96, 120, 240, 360, 432, 504, 648];

/// The sides a source whose usable side is `usable` must yield, per SPEC §1.
pub fn spec_sides(usable: u32) -> Vec<u32> {
    SPEC_SIDES.into_iter().filter(|&s| s <= usable).collect()
}

/// The sides of a set's renditions, in order.
pub fn sides(set: &PhotoSet) -> Vec<u32> {
    set.iter().map(|r| r.size().side()).collect()
}

/// Ingests with the default options, failing the test with the error's message.
pub fn ingest_ok(bytes: &[u8]) -> PhotoSet {
    ingest(bytes, &Options::default()).unwrap_or_else(|e| panic!("ingest failed: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The corpus

/// Where the corpus is: `USERPHOTO_CORPUS`, or `<repo root>/../shared/corpus`.
pub fn corpus_path() -> PathBuf {
    match std::env::var_os("USERPHOTO_CORPUS") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    }
}

/// The corpus directory, or `None` after printing that the test is skipped.
pub fn corpus() -> Option<PathBuf> {
    let path = corpus_path();
    if path.join("MANIFEST.tsv").is_file() {
        Some(path)
    } else {
        // Straight to stderr: the test harness hides what print! and eprint! say in a test
        // that passes, and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: corpus not found at {}",
            path.display()
        );
        None
    }
}

/// One line of the corpus's MANIFEST.tsv.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Relative to the corpus, e.g. `formats/png_gray8_camera_512x512.png`.
    pub path: String,
    /// Stored width, when the manifest gives one.
    pub width: Option<u64>,
    /// Stored height, when the manifest gives one.
    pub height: Option<u64>,
    pub format: String,
    pub notes: String,
}

impl Entry {
    /// The file name without the directory.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// The EXIF orientation the notes record (`EXIF orientation=6`), if any.
    pub fn exif_orientation(&self) -> Option<u16> {
        let at = self.notes.find("EXIF orientation=")? + "EXIF orientation=".len();
        let digits: String = self.notes[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    }

    /// The width and height the image is seen at: the stored ones, swapped when the EXIF
    /// orientation is 5–8.
    pub fn upright(&self) -> Option<(u64, u64)> {
        let (w, h) = (self.width?, self.height?);
        match self.exif_orientation() {
            Some(5..=8) => Some((h, w)),
            _ => Some((w, h)),
        }
    }
}

/// Every entry of MANIFEST.tsv.
pub fn manifest(corpus: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("reading MANIFEST.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header line").split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("MANIFEST.tsv has no {name} column"))
    };
    let (path, width, height, format, notes) = (
        column("path"),
        column("width"),
        column("height"),
        column("format"),
        column("notes"),
    );
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let field = |i: usize| fields.get(i).copied().unwrap_or("");
            Entry {
                path: field(path).to_owned(),
                width: field(width).parse().ok(),
                height: field(height).parse().ok(),
                format: field(format).to_owned(),
                notes: field(notes).to_owned(),
            }
        })
        .collect()
}

/// The entries under `dir/` (e.g. `"hostile"`).
pub fn manifest_dir(corpus: &Path, dir: &str) -> Vec<Entry> {
    let prefix = format!("{dir}/");
    let entries: Vec<Entry> = manifest(corpus)
        .into_iter()
        .filter(|e| e.path.starts_with(&prefix))
        .collect();
    assert!(!entries.is_empty(), "MANIFEST.tsv lists nothing in {dir}/");
    entries
}

/// The bytes of a corpus file.
pub fn read(corpus: &Path, path: &str) -> Vec<u8> {
    std::fs::read(corpus.join(path)).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Decoding renditions

/// Decodes a JPEG with jpeg-decoder, the decoder trusted here, into RGB.
pub fn decode_jpeg(bytes: &[u8]) -> RgbImage {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    let pixels = decoder.decode().expect("jpeg-decoder reads the rendition");
    let info = decoder.info().expect("a decoded JPEG has a frame header");
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&v| [v, v, v]).collect(),
        other => panic!("a rendition must be RGB, not {other:?}"),
    };
    RgbImage::from_raw(w, h, rgb).expect("jpeg-decoder gives width x height pixels")
}

/// Decodes a rendition with jpeg-decoder and with the image crate's decoder (zune-jpeg), checks
/// that both read it at exactly `side` x `side`, and returns jpeg-decoder's pixels.
///
/// zune-jpeg 0.5.15 (inside image 0.25.10) mis-decodes some valid 4:2:0 JPEGs with optimised
/// Huffman tables, jpeg-encoder's output among them (its pixels can be off by 100 levels on
/// average), so only its reading of the dimensions is checked, and jpeg-decoder's pixels are
/// the ones compared.
pub fn decode_rendition(bytes: &[u8], side: u32) -> RgbImage {
    let trusted = decode_jpeg(bytes);
    assert_eq!(
        trusted.dimensions(),
        (side, side),
        "jpeg-decoder reads the {side}x{side} rendition at another size"
    );
    let other = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
        .expect("the image crate reads the rendition")
        .into_rgb8();
    assert_eq!(
        other.dimensions(),
        (side, side),
        "the image crate reads the {side}x{side} rendition at another size"
    );
    let Some(reference) = decode_with_djpeg(bytes) else {
        return trusted;
    };
    assert_eq!(
        reference.dimensions(),
        (side, side),
        "djpeg reads the {side}x{side} rendition at another size"
    );
    // The decoders' inverse DCTs and chroma upsampling round differently, by a level or so.
    let apart = mean_abs_diff(&trusted, &reference);
    assert!(
        apart < 1.5,
        "djpeg and jpeg-decoder are {apart} levels apart"
    );
    trusted
}

/// Decodes a JPEG with libjpeg-turbo's `djpeg` (Debian's libjpeg-turbo-progs), as browsers'
/// libjpeg-turbo would; `None`, said once, where `djpeg` is not installed, unless
/// `USERPHOTO_REQUIRE_DJPEG` is set (as CI sets it), which makes its absence a failure.
pub fn decode_with_djpeg(bytes: &[u8]) -> Option<RgbImage> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let spawned = Command::new("djpeg")
        .args(["-ppm"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && std::env::var_os("USERPHOTO_REQUIRE_DJPEG").is_none() =>
        {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                eprintln!(
                    "djpeg is not installed (apt-get install libjpeg-turbo-progs): \
                     renditions are checked with jpeg-decoder and image only"
                )
            });
            return None;
        }
        spawned => spawned.expect("djpeg runs (apt-get install libjpeg-turbo-progs)"),
    };
    let mut stdin = child.stdin.take().expect("piped");
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("djpeg finishes");
    writer
        .join()
        .expect("writer")
        .expect("djpeg takes the file");
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "djpeg: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A binary PPM as djpeg writes it: "P6\n<width> <height>\n255\n", then the pixels.
    let mut fields = output.stdout.splitn(5, |b| b.is_ascii_whitespace());
    let mut field = || std::str::from_utf8(fields.next().expect("a PPM header")).unwrap();
    assert_eq!(field(), "P6", "djpeg writes a binary PPM");
    let (width, height) = (field().parse().unwrap(), field().parse().unwrap());
    assert_eq!(field(), "255");
    let pixels = fields.next().expect("pixels").to_vec();
    Some(RgbImage::from_raw(width, height, pixels).expect("width x height pixels"))
}

// ---------------------------------------------------------------------------------------------
// JPEG structure

/// The marker segments of a JPEG before its first scan: `(marker, payload)`, where the payload
/// excludes the length field. Panics if the structure is broken.
pub fn jpeg_segments(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "no SOI");
    let mut at = 2;
    let mut out = Vec::new();
    loop {
        assert_eq!(bytes[at], 0xFF, "expected a marker at {at}");
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        let payload = bytes[at + 4..at + 2 + length].to_vec();
        out.push((marker, payload));
        at += 2 + length;
        if marker == 0xDA {
            return out;
        }
    }
}

/// Every marker in a JPEG, scans included (markers inside entropy-coded data are found by
/// skipping stuffed bytes and restart markers).
pub fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = vec![0xD8];
    let mut at = 2;
    while at + 1 < bytes.len() {
        if bytes[at] != 0xFF {
            at += 1;
            continue;
        }
        let marker = bytes[at + 1];
        match marker {
            0x00 | 0xFF => at += 1,
            0xD0..=0xD7 => at += 2,
            0xD9 => {
                markers.push(marker);
                at += 2;
            }
            _ => {
                markers.push(marker);
                let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
                at += 2 + length;
            }
        }
    }
    markers
}

// ---------------------------------------------------------------------------------------------
// Comparing pictures

/// The centre square of `image`, resized to `side` with Lanczos3: what a rendition of an upright
/// `image` must look like, computed with the image crate rather than the library's resizer.
pub fn reference(image: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let short = w.min(h);
    let square = imageops::crop_imm(image, (w - short) / 2, (h - short) / 2, short, short);
    imageops::resize(&*square, side, side, imageops::FilterType::Lanczos3)
}

/// Mean absolute difference per channel, 0–255.
pub fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

/// Peak signal-to-noise ratio in dB (higher is closer; identical gives infinity).
pub fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    let mse = sum / a.as_raw().len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}

/// The DSSIM of two pictures (0 is identical; under 0.01 is hard to tell apart).
pub fn dssim(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let attr = dssim_core::Dssim::new();
    let prepare = |image: &RgbImage| {
        let pixels: Vec<rgb::RGB8> = image
            .pixels()
            .map(|p| rgb::RGB8::new(p[0], p[1], p[2]))
            .collect();
        attr.create_image_rgb(&pixels, image.width() as usize, image.height() as usize)
            .expect("dssim accepts the picture")
    };
    let (value, _) = attr.compare(&prepare(a), prepare(b));
    value.into()
}

/// The mean colour of the `side` x `side` square centred at `(cx, cy)`.
pub fn mean_colour(image: &RgbImage, cx: u32, cy: u32, side: u32) -> [f64; 3] {
    let half = side / 2;
    let mut sum = [0.0; 3];
    let mut n = 0.0;
    for y in cy - half..cy - half + side {
        for x in cx - half..cx - half + side {
            let p = image.get_pixel(x, y);
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
            n += 1.0;
        }
    }
    sum.map(|s| s / n)
}

/// Asserts that `colour` is within `tolerance` of `want` on every channel.
pub fn assert_colour_near(colour: [f64; 3], want: [f64; 3], tolerance: f64, what: &str) {
    let off = (0..3).any(|c| (colour[c] - want[c]).abs() > tolerance);
    assert!(
        !off,
        "{what}: got {:?}, want {want:?} ± {tolerance}",
        colour.map(|c| c.round())
    );
}

/// Writes `image` as a PNG under the target directory, for looking at a failure.
pub fn save_for_inspection(name: &str, image: &RgbImage) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("userphoto-tests");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = image.save(dir.join(format!("{name}.png")));
    }
}
