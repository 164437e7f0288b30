//! JPEG pixels from libjpeg-turbo, for builds with the `turbojpeg` feature.
//!
//! libjpeg-turbo's Huffman decoding and scaled inverse DCT are faster than jpeg-decoder's, and
//! its SIMD encoder faster than jpeg-encoder's; decoding a large photo and encoding its sizes
//! are most of an ingest. Everything else stays as in the default build: the header is read,
//! and every limit checked, by [`decode`](crate::decode) before this runs; CMYK files (whose
//! Adobe conventions jpeg-decoder handles) still go to jpeg-decoder, and so does any file
//! libjpeg-turbo reports a problem with, even a warning, so that damaged files get the same
//! answer from both builds.

use turbojpeg::{
    Compressor, Decompressor, Image, PixelFormat, ScalingFactor, Subsamp, YuvPlanesImage,
};

use crate::options::Limits;
use crate::raster::{Channels, Raster};

/// Decodes `bytes` at `eighths`/8 of full scale in the DCT domain into a raster of
/// `channels` (gray or RGB), whose size must be `expected` (the scaled size the header
/// declares, already checked against the limits). `None` for anything libjpeg-turbo reports,
/// even a warning, and for other channels: the caller then decodes with jpeg-decoder, which
/// gives the error, if any.
pub(crate) fn decode_scaled(
    bytes: &[u8],
    eighths: u32,
    channels: Channels,
    expected: (u32, u32),
) -> Option<Raster> {
    let format = match channels {
        Channels::Gray => PixelFormat::GRAY,
        Channels::Rgb => PixelFormat::RGB,
        _ => return None,
    };
    let mut decompressor = Decompressor::new().ok()?;
    // The scan count was checked before; this stops libjpeg-turbo itself all the same.
    decompressor.set_scan_limit(Limits::MAX_JPEG_SCANS).ok()?;
    let scale = ScalingFactor::new(eighths as usize, 8);
    decompressor.set_scaling_factor(scale).ok()?;
    let header = decompressor.read_header(bytes).ok()?.scaled(scale);
    let (width, height) = (header.width, header.height);
    if (u32::try_from(width).ok()?, u32::try_from(height).ok()?) != expected {
        return None;
    }
    // Bounded: `expected` lies within the pixel limit, checked from the header.
    let pitch = width * channels.count();
    let mut pixels = vec![0u8; pitch * height];
    let image = Image {
        pixels: pixels.as_mut_slice(),
        width,
        pitch,
        height,
        format,
    };
    decompressor.decompress(bytes, image).ok()?;
    Some(Raster {
        width: expected.0,
        height: expected.1,
        channels,
        data: pixels,
    })
}

/// Encodes packed RGB8 `pixels` of `side` x `side` as a baseline JPEG with optimised Huffman
/// tables and a JFIF header only, with full-resolution chroma when `full_chroma`, else 4:2:0
/// subsampled by [`chroma::ycbcr_420`](crate::chroma::ycbcr_420).
pub(crate) fn encode(
    pixels: &[u8],
    side: u32,
    quality: u8,
    full_chroma: bool,
) -> Result<Vec<u8>, turbojpeg::Error> {
    let mut compressor = Compressor::new()?;
    compressor.set_quality(i32::from(quality))?;
    compressor.set_optimize(true)?;
    let side = side as usize;
    if !full_chroma {
        let planes = crate::chroma::ycbcr_420(pixels, side);
        return compressor.compress_yuv_planes_to_vec(&YuvPlanesImage {
            y_plane: &planes.y,
            u_plane: &planes.cb,
            v_plane: &planes.cr,
            width: side,
            height: side,
            y_stride: side,
            u_stride: planes.half,
            v_stride: planes.half,
            subsamp: Subsamp::Sub2x2,
        });
    }
    compressor.set_subsamp(Subsamp::None)?;
    compressor.compress_to_vec(Image {
        pixels,
        width: side,
        pitch: side * 3,
        height: side,
        format: PixelFormat::RGB,
    })
}
