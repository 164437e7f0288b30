//! Pictures and JPEGs the codec's tests share.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use crate::geometry::Rect;

/// A smooth picture (colour changing by a level or two per pixel), as a JPEG with the given
/// chroma subsampling.
pub(crate) fn gradient(width: u16, height: u16, sampling: SamplingFactor) -> Vec<u8> {
    let pixels: Vec<u8> = (0..u32::from(height))
        .flat_map(|y| (0..u32::from(width)).flat_map(move |x| [(2 * x) as u8, (3 * y) as u8, 100]))
        .collect();
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, 95);
    encoder.set_sampling_factor(sampling);
    encoder
        .encode(&pixels, width, height, ColorType::Rgb)
        .expect("encoding the gradient");
    out
}

/// A `width` x `height` RGB JPEG of smooth gradients and some detail, 4:2:0, with a
/// restart marker every `interval` MCUs (none when 0).
pub(crate) fn photo(width: u16, height: u16, interval: u16, progressive: bool) -> Vec<u8> {
    let mut pixels = Vec::new();
    for y in 0..u32::from(height) {
        for x in 0..u32::from(width) {
            let detail = ((x * 7 + y * 13) % 31) as u8;
            pixels.extend_from_slice(&[
                (x * 255 / u32::from(width)) as u8 ^ detail,
                (y * 255 / u32::from(height)) as u8,
                ((x + y) % 256) as u8,
            ]);
        }
    }
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, 90);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    if interval > 0 {
        encoder.set_restart_interval(interval);
    }
    encoder.set_progressive(progressive);
    encoder
        .encode(&pixels, width, height, ColorType::Rgb)
        .unwrap();
    out
}

pub(crate) fn square(left: f64, top: f64, side: f64) -> Rect {
    Rect {
        left,
        top,
        width: side,
        height: side,
    }
}
