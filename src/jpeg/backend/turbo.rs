//! libjpeg-turbo as the backend, for builds with the `turbojpeg` feature.
//!
//! libjpeg-turbo's Huffman decoding and scaled inverse DCT are faster than jpeg-decoder's, and
//! its SIMD encoder is a little better than our writer at the same speed; decoding a large
//! photo and encoding its sizes are most of an ingest. Everything else stays as in the default
//! build: the header is read, and every limit checked, by the pipeline before this runs;
//! baseline colour photos go to their planes with the planar decoder first (faster than
//! libjpeg-turbo's own decode to planes, and the same in both builds); CMYK files (whose
//! Adobe conventions jpeg-decoder handles) still go to jpeg-decoder, and so does any file
//! libjpeg-turbo reports a problem with, even a warning, so that damaged files get the same
//! answer from both builds.

use turbojpeg::{
    Compressor, DecompressHeader, Decompressor, Image, PixelFormat, ScalingFactor, Subsamp,
    YuvPlanesImage,
};

use super::{Backend, EncodeError, Packed};
use crate::planes::Ycc;

/// libjpeg-turbo, through the `turbojpeg` crate.
pub(crate) struct LibjpegTurbo;

impl Backend for LibjpegTurbo {
    // libjpeg-turbo decodes progressive files faster than the planar decoder (BENCHMARKS.md).
    const PLANAR_PROGRESSIVE: bool = false;
    const PACKED_EVERY_EIGHTH: bool = true;

    fn decode_packed(
        bytes: &[u8],
        eighths: u32,
        layout: Packed,
        expected: (u32, u32),
        max_scans: u32,
    ) -> Option<Vec<u8>> {
        // Anything libjpeg-turbo reports, even a warning, gives `None`.
        let (format, channels) = match layout {
            Packed::Grey => (PixelFormat::GRAY, 1),
            Packed::Rgb => (PixelFormat::RGB, 3),
        };
        let (mut decompressor, header) = scaled_decompressor(bytes, eighths, expected, max_scans)?;
        let (width, height) = (header.width, header.height);
        // Bounded: `expected` lies within the pixel limit, checked from the header.
        let pitch = width * channels;
        let mut pixels = vec![0u8; pitch * height];
        let image = Image {
            pixels: pixels.as_mut_slice(),
            width,
            pitch,
            height,
            format,
        };
        decompressor.decompress(bytes, image).ok()?;
        Some(pixels)
    }

    fn encode_rgb(pixels: &[u8], side: u32, quality: u8) -> Option<Result<Vec<u8>, EncodeError>> {
        Some(encode_rgb(pixels, side, quality).map_err(|e| Box::new(e) as EncodeError))
    }

    fn encode_planes(ycc: &Ycc, quality: u8) -> Result<Vec<u8>, EncodeError> {
        encode_ycc(ycc, quality, ycc.subsampling.0 == 2).map_err(|e| Box::new(e) as EncodeError)
    }
}

/// A decompressor for `bytes` at `eighths`/8 of full scale, and the scaled header, when that
/// scale gives the luma size `expected` (already checked against the limits).
fn scaled_decompressor(
    bytes: &[u8],
    eighths: u32,
    expected: (u32, u32),
    max_scans: u32,
) -> Option<(Decompressor, DecompressHeader)> {
    let mut decompressor = Decompressor::new().ok()?;
    // The caller counted the scans before; this stops libjpeg-turbo itself all the same.
    decompressor.set_scan_limit(max_scans).ok()?;
    let scale = ScalingFactor::new(eighths as usize, 8);
    decompressor.set_scaling_factor(scale).ok()?;
    let header = decompressor.read_header(bytes).ok()?.scaled(scale);
    let size = (
        u32::try_from(header.width).ok()?,
        u32::try_from(header.height).ok()?,
    );
    (size == expected).then_some((decompressor, header))
}

/// Encodes packed RGB8 `pixels` of `side` x `side` as a baseline JPEG with full-resolution
/// chroma, optimised Huffman tables and a JFIF header only.
fn encode_rgb(pixels: &[u8], side: u32, quality: u8) -> Result<Vec<u8>, turbojpeg::Error> {
    let mut compressor = compressor(quality)?;
    compressor.set_subsamp(Subsamp::None)?;
    let side = side as usize;
    compressor.compress_to_vec(Image {
        pixels,
        width: side,
        pitch: side * 3,
        height: side,
        format: PixelFormat::RGB,
    })
}

/// Encodes the square planes `ycc` as they are (4:2:0 when `half`, else 4:4:4) as a baseline
/// JPEG with optimised Huffman tables and a JFIF header only.
fn encode_ycc(ycc: &Ycc, quality: u8, half: bool) -> Result<Vec<u8>, turbojpeg::Error> {
    let mut compressor = compressor(quality)?;
    let (side, chroma_side) = (ycc.width as usize, ycc.chroma_width() as usize);
    // TurboJPEG takes each chroma plane on its own. Bounded: half a rendition's samples.
    let samples = ycc.cbcr.len() / 2;
    let (mut cb, mut cr) = (vec![0u8; samples], vec![0u8; samples]);
    for ((pair, b), r) in ycc.cbcr.chunks_exact(2).zip(&mut cb).zip(&mut cr) {
        (*b, *r) = (pair[0], pair[1]);
    }
    compressor.compress_yuv_planes_to_vec(&YuvPlanesImage {
        y_plane: ycc.y.as_slice(),
        u_plane: cb.as_slice(),
        v_plane: cr.as_slice(),
        width: side,
        height: side,
        y_stride: side,
        u_stride: chroma_side,
        v_stride: chroma_side,
        subsamp: if half { Subsamp::Sub2x2 } else { Subsamp::None },
    })
}

fn compressor(quality: u8) -> Result<Compressor, turbojpeg::Error> {
    let mut compressor = Compressor::new()?;
    compressor.set_quality(i32::from(quality))?;
    compressor.set_optimize(true)?;
    Ok(compressor)
}
