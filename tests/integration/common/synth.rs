//! Synthetic inputs: a photo-like picture, JPEG encoding, and hand-made EXIF segments.
//!
//! Shared by the integration tests and by `examples/make_testdata.rs`, which writes the
//! committed files of `testdata/` with it.

use image::{Rgb, RgbImage};

/// A synthetic, photo-like picture of `width` x `height`: smooth gradients (sky-like at the
/// top, warmer lower down), soft-edged shapes and some fine texture. Nothing in it is
/// symmetric, so every rotation or mirror of it is easy to tell apart.
pub fn photo_like(width: u32, height: u32) -> RgbImage {
    let (w, h) = (f64::from(width), f64::from(height));
    let short = w.min(h);
    RgbImage::from_fn(width, height, |x, y| {
        let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        let (u, v) = (px / w, py / h);
        // Background: a sky gradient fading into a warm ground below the horizon.
        let horizon = 0.55 + 0.05 * (u * 6.0).sin();
        let mut rgb = if v < horizon {
            let t = v / horizon;
            [
                70.0 + 90.0 * t,
                120.0 + 70.0 * t,
                210.0 - 30.0 * t + 20.0 * u,
            ]
        } else {
            let t = (v - horizon) / (1.0 - horizon);
            [
                150.0 - 60.0 * t + 40.0 * u,
                110.0 - 40.0 * t,
                60.0 - 20.0 * t,
            ]
        };
        // Fine texture in the ground, like grass.
        if v >= horizon {
            let grain = ((px * 0.9).sin() * (py * 1.3).cos()) * 12.0;
            rgb[1] += grain;
        }
        // A sun: a soft yellow disk, up and to the left of the centre.
        let (cx, cy, r) = (0.32 * w, 0.3 * h, 0.11 * short);
        let d = ((px - cx).powi(2) + (py - cy).powi(2)).sqrt();
        let sun = ((r - d) / 3.0).clamp(0.0, 1.0);
        rgb = mix(rgb, [250.0, 220.0, 60.0], sun);
        // A dark house: a rectangle down and to the right, with a red roof on its left half.
        let (left, right) = (0.58 * w, 0.8 * w);
        let (top, bottom) = (0.58 * h, 0.8 * h);
        if px >= left && px < right && py >= top && py < bottom {
            rgb = [40.0, 45.0, 90.0];
            if px < (left + right) / 2.0 && py < top + 0.06 * h {
                rgb = [200.0, 30.0, 30.0];
            }
        }
        // A green tree: a triangle on the left.
        let (apex_x, apex_y, base_y) = (0.2 * w, 0.5 * h, 0.78 * h);
        if py >= apex_y && py < base_y {
            let half = (py - apex_y) / (base_y - apex_y) * 0.08 * w;
            if (px - apex_x).abs() < half {
                rgb = [20.0, 110.0, 40.0];
            }
        }
        Rgb(rgb.map(|c| c.round().clamp(0.0, 255.0) as u8))
    })
}

fn mix(a: [f64; 3], b: [f64; 3], t: f64) -> [f64; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

/// Encodes `image` as a baseline JPEG with jpeg-encoder (4:4:4, so edges stay crisp).
pub fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    jpeg_with(image, quality, false, None)
}

/// Encodes `image` as a progressive JPEG with jpeg-encoder.
pub fn progressive_jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    jpeg_with(image, quality, true, None)
}

/// Encodes `image` as a baseline 4:2:0 JPEG with a restart marker every `interval` MCUs, as
/// many cameras write them (the layout `ingest` crops and splits before decoding).
pub fn jpeg_with_restarts(image: &RgbImage, quality: u8, interval: u16) -> Vec<u8> {
    jpeg_with(image, quality, false, Some(interval))
}

/// Encodes `image` with jpeg-encoder: 4:4:4 without restart markers, or 4:2:0 with a marker
/// every `restart_interval` MCUs.
fn jpeg_with(
    image: &RgbImage,
    quality: u8,
    progressive: bool,
    restart_interval: Option<u16>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_progressive(progressive);
    match restart_interval {
        Some(interval) => {
            encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
            encoder.set_restart_interval(interval);
        }
        None => encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_4_4),
    }
    encoder
        .encode(
            image.as_raw(),
            u16::try_from(image.width()).expect("test images fit a JPEG"),
            u16::try_from(image.height()).expect("test images fit a JPEG"),
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encoding a test image");
    out
}

/// Encodes `image` in one of the formats the image crate writes (PNG, GIF, WebP lossless, BMP,
/// TIFF, JPEG).
pub fn encode(image: &RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, format)
        .expect("encoding a test image");
    out.into_inner()
}

/// One IFD entry: tag, type, count and the 4-byte value field (big-endian TIFF).
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    value: [u8; 4],
}

const SHORT: u16 = 3;
const LONG: u16 = 4;
const ASCII: u16 = 2;
const BYTE: u16 = 1;

fn short(tag: u16, value: u16) -> Entry {
    let v = value.to_be_bytes();
    Entry {
        tag,
        kind: SHORT,
        count: 1,
        value: [v[0], v[1], 0, 0],
    }
}

/// Writes one big-endian IFD at `offset` (from the TIFF header); `next` is the next IFD's
/// offset. Entries must be sorted by tag.
fn ifd(entries: &[Entry], next: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
    for e in entries {
        out.extend_from_slice(&e.tag.to_be_bytes());
        out.extend_from_slice(&e.kind.to_be_bytes());
        out.extend_from_slice(&e.count.to_be_bytes());
        out.extend_from_slice(&e.value);
    }
    out.extend_from_slice(&next.to_be_bytes());
    out
}

/// The payload of an APP1 Exif segment (`"Exif\0\0"` and a big-endian TIFF structure) whose
/// IFD0 holds only the Orientation tag (0x0112) with `orientation`.
pub fn exif_orientation(orientation: u16) -> Vec<u8> {
    let mut out = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    out.extend(ifd(&[short(0x0112, orientation)], 0));
    out
}

/// The payload of an APP1 Exif segment with a camera make (`"SecretCam"`), an orientation and a
/// GPS IFD (latitude reference `N`, version 2.2): the kind of metadata that must never reach
/// a rendition.
pub fn exif_with_gps(orientation: u16) -> Vec<u8> {
    // IFD0 at 8: 3 entries -> 2 + 3 * 12 + 4 = 42 bytes, then "SecretCam\0" (10 bytes) at 50,
    // then the GPS IFD at 60.
    let make_at = 8 + 2 + 3 * 12 + 4;
    let gps_at = make_at + 10;
    let ifd0 = ifd(
        &[
            Entry {
                tag: 0x010F,
                kind: ASCII,
                count: 10,
                value: (make_at as u32).to_be_bytes(),
            },
            short(0x0112, orientation),
            Entry {
                tag: 0x8825,
                kind: LONG,
                count: 1,
                value: (gps_at as u32).to_be_bytes(),
            },
        ],
        0,
    );
    let gps = ifd(
        &[
            Entry {
                tag: 0x0000,
                kind: BYTE,
                count: 4,
                value: [2, 2, 0, 0],
            },
            Entry {
                tag: 0x0001,
                kind: ASCII,
                count: 2,
                value: [b'N', 0, 0, 0],
            },
        ],
        0,
    );
    let mut out = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    out.extend(ifd0);
    out.extend_from_slice(b"SecretCam\0");
    out.extend(gps);
    out
}

/// The payload of an APP1 XMP segment.
pub fn xmp_packet() -> Vec<u8> {
    let mut out = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    out.extend_from_slice(
        br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="51,30.0N"/></rdf:RDF></x:xmpmeta>"#,
    );
    out
}

/// `jpeg` with a segment `marker` (0xE1 for APP1, 0xFE for COM, …) holding `payload` inserted
/// right after SOI, where cameras put their EXIF.
pub fn insert_segment(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "not a JPEG");
    let length = u16::try_from(payload.len() + 2).expect("segment payload under 64 KiB");
    let mut out = Vec::new();
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// `jpeg` tagged with EXIF `orientation` (an APP1 Exif segment right after SOI).
pub fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    insert_segment(jpeg, 0xE1, &exif_orientation(orientation))
}

/// Where the upright pixel `(x, y)` of an image shown with EXIF `orientation` lies in the
/// stored pixels, written from the EXIF definition of the tag (which stored row and column
/// become the visual top and left), independently of the library. `upright` is the upright
/// `(width, height)`.
pub fn stored_pixel(orientation: u16, x: u32, y: u32, upright: (u32, u32)) -> (u32, u32) {
    let (w, h) = upright;
    match orientation {
        1 => (x, y),
        2 => (w - 1 - x, y),
        3 => (w - 1 - x, h - 1 - y),
        4 => (x, h - 1 - y),
        // Stored row 0 is the visual left column, stored column 0 the visual top row.
        5 => (y, x),
        // Stored row 0 is the visual right column, stored column 0 the visual top row.
        6 => (y, w - 1 - x),
        // Stored row 0 is the visual right column, stored column 0 the visual bottom row.
        7 => (h - 1 - y, w - 1 - x),
        // Stored row 0 is the visual left column, stored column 0 the visual bottom row.
        8 => (h - 1 - y, x),
        other => panic!("EXIF orientation {other} is not 1-8"),
    }
}

/// Whether EXIF `orientation` swaps width and height when shown.
pub fn swaps(orientation: u16) -> bool {
    (5..=8).contains(&orientation)
}

/// How `stored` looks when shown with EXIF `orientation`.
pub fn upright(stored: &RgbImage, orientation: u16) -> RgbImage {
    let (sw, sh) = stored.dimensions();
    let (w, h) = if swaps(orientation) {
        (sh, sw)
    } else {
        (sw, sh)
    };
    RgbImage::from_fn(w, h, |x, y| {
        let (sx, sy) = stored_pixel(orientation, x, y, (w, h));
        *stored.get_pixel(sx, sy)
    })
}

/// The stored pixels that, shown with EXIF `orientation`, look like `upright`.
pub fn stored_for(upright: &RgbImage, orientation: u16) -> RgbImage {
    let (w, h) = upright.dimensions();
    let (sw, sh) = if swaps(orientation) { (h, w) } else { (w, h) };
    let mut stored = RgbImage::new(sw, sh);
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = stored_pixel(orientation, x, y, (w, h));
            stored.put_pixel(sx, sy, *upright.get_pixel(x, y));
        }
    }
    stored
}
