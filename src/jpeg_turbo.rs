//! JPEG pixels from libjpeg-turbo, for builds with the `turbojpeg` feature.
//!
//! libjpeg-turbo's Huffman decoding and scaled inverse DCT are faster than jpeg-decoder's, and
//! its SIMD encoder faster than jpeg-encoder's; decoding a large photo and encoding its sizes
//! are most of an ingest. Everything else stays as in the default build: the header is read,
//! and every limit checked, by [`decode`](crate::decode) before this runs; CMYK files (whose
//! Adobe conventions jpeg-decoder handles) still go to jpeg-decoder, and so does any file
//! libjpeg-turbo reports a problem with, even a warning, so that damaged files get the same
//! answer from both builds.

use turbojpeg::{Compressor, Decompressor, Image, PixelFormat, ScalingFactor, Subsamp};

use crate::error::Error;
use crate::options::Limits;
use crate::raster::{Channels, Raster};
use crate::sniff::Format;

/// Decodes `bytes` at `eighths`/8 of full scale in the DCT domain, giving a raster of
/// `channels`, which must be gray or RGB; `expected` is the scaled width and height the
/// header declares (already checked against the limits).
pub(crate) fn decode_scaled(
    bytes: &[u8],
    eighths: u32,
    channels: Channels,
    expected: (u32, u32),
) -> Result<Raster, Error> {
    let fail = |e: turbojpeg::Error| Error::corrupt(Format::Jpeg, e.to_string());
    let format = match channels {
        Channels::Gray => PixelFormat::GRAY,
        Channels::Rgb => PixelFormat::RGB,
        _ => unreachable!("only gray and RGB JPEGs are decoded with libjpeg-turbo"),
    };
    let mut decompressor = Decompressor::new().map_err(fail)?;
    // The scan count was checked before; this stops libjpeg-turbo itself all the same.
    decompressor
        .set_scan_limit(Limits::MAX_JPEG_SCANS)
        .map_err(fail)?;
    let scale = ScalingFactor::new(eighths as usize, 8);
    decompressor.set_scaling_factor(scale).map_err(fail)?;
    let header = decompressor.read_header(bytes).map_err(fail)?.scaled(scale);
    let (width, height) = (header.width, header.height);
    if (u32::try_from(width), u32::try_from(height)) != (Ok(expected.0), Ok(expected.1)) {
        return Err(Error::corrupt(
            Format::Jpeg,
            format!(
                "libjpeg-turbo reads a {width}x{height} frame, not the {}x{} expected",
                expected.0, expected.1
            ),
        ));
    }
    // Bounded: `expected` lies within the pixel limit, checked from the header.
    let pitch = width * channels.count();
    let mut pixels = vec![0u8; pitch * height];
    decompressor
        .decompress(
            bytes,
            Image {
                pixels: pixels.as_mut_slice(),
                width,
                pitch,
                height,
                format,
            },
        )
        .map_err(fail)?;
    Ok(Raster {
        width: expected.0,
        height: expected.1,
        channels,
        data: pixels,
    })
}

/// Encodes packed RGB8 `pixels` of `side` x `side` as a baseline JPEG with optimised Huffman
/// tables and a JFIF header only, with full-resolution chroma when `full_chroma`, else 4:2:0.
pub(crate) fn encode(
    pixels: &[u8],
    side: u32,
    quality: u8,
    full_chroma: bool,
) -> Result<Vec<u8>, turbojpeg::Error> {
    let mut compressor = Compressor::new()?;
    compressor.set_quality(i32::from(quality))?;
    compressor.set_subsamp(if full_chroma {
        Subsamp::None
    } else {
        Subsamp::Sub2x2
    })?;
    compressor.set_optimize(true)?;
    let side = side as usize;
    compressor.compress_to_vec(Image {
        pixels,
        width: side,
        pitch: side * 3,
        height: side,
        format: PixelFormat::RGB,
    })
}
