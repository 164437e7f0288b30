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
    Compressor, DecompressHeader, Decompressor, Image, PixelFormat, ScalingFactor, Subsamp,
    YuvImage, YuvPlanesImage,
};

use crate::options::Limits;
use crate::raster::{Channels, Raster, Ycc};

/// A decompressor for `bytes` at `eighths`/8 of full scale, and the scaled header, when that
/// scale gives the luma size `expected` (already checked against the limits).
fn scaled_decompressor(
    bytes: &[u8],
    eighths: u32,
    expected: (u32, u32),
) -> Option<(Decompressor, DecompressHeader)> {
    let mut decompressor = Decompressor::new().ok()?;
    // The scan count was checked before; this stops libjpeg-turbo itself all the same.
    decompressor.set_scan_limit(Limits::MAX_JPEG_SCANS).ok()?;
    let scale = ScalingFactor::new(eighths as usize, 8);
    decompressor.set_scaling_factor(scale).ok()?;
    let header = decompressor.read_header(bytes).ok()?.scaled(scale);
    let size = (
        u32::try_from(header.width).ok()?,
        u32::try_from(header.height).ok()?,
    );
    (size == expected).then_some((decompressor, header))
}

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
    let (mut decompressor, header) = scaled_decompressor(bytes, eighths, expected)?;
    let (width, height) = (header.width, header.height);
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

/// Decodes the colour JPEG `bytes` at `eighths`/8 of full scale in the DCT domain into its own
/// YCbCr planes, without upsampling the chroma or converting colour; the luma plane must be
/// `expected` (as for [`decode_scaled`]). `None` for anything libjpeg-turbo reports, even a
/// warning, and for a layout of components it has no name for.
pub(crate) fn decode_scaled_ycc(bytes: &[u8], eighths: u32, expected: (u32, u32)) -> Option<Ycc> {
    let (mut decompressor, header) = scaled_decompressor(bytes, eighths, expected)?;
    let subsampling = match header.subsamp {
        Subsamp::None => (1, 1),
        Subsamp::Sub2x1 => (2, 1),
        Subsamp::Sub2x2 => (2, 2),
        Subsamp::Sub1x2 => (1, 2),
        Subsamp::Sub4x1 => (4, 1),
        Subsamp::Sub1x4 => (1, 4),
        _ => return None,
    };
    let (width, height) = (header.width, header.height);
    // libjpeg-turbo pads the luma plane to whole chroma samples: `padded` x `padded_height`,
    // then the two chroma planes, rows packed (alignment 1).
    let padded = width.next_multiple_of(subsampling.0 as usize);
    let padded_height = height.next_multiple_of(subsampling.1 as usize);
    let len = turbojpeg::yuv_pixels_len(width, 1, height, header.subsamp).ok()?;
    // Bounded: `expected` lies within the pixel limit, checked from the header; the planes
    // hold at most three samples per pixel of it.
    let mut pixels = vec![0u8; len];
    let image = YuvImage {
        pixels: pixels.as_mut_slice(),
        width,
        align: 1,
        height,
        subsamp: header.subsamp,
    };
    decompressor.decompress_to_yuv(bytes, image).ok()?;
    let chroma = (padded / subsampling.0 as usize) * (padded_height / subsampling.1 as usize);
    if len != padded * padded_height + 2 * chroma {
        return None;
    }
    let (luma, planes) = pixels.split_at(padded * padded_height);
    let (cb, cr) = planes.split_at(chroma);
    let mut cbcr = vec![0u8; 2 * chroma];
    for (pair, (&b, &r)) in cbcr.chunks_exact_mut(2).zip(cb.iter().zip(cr)) {
        pair.copy_from_slice(&[b, r]);
    }
    pixels.truncate(luma.len());
    let mut y = pixels;
    // Drop the padding column, if any, moving each row to its place, then the padding row.
    if padded != width {
        for row in 1..height {
            y.copy_within(row * padded..row * padded + width, row * width);
        }
    }
    y.truncate(width * height);
    let ycc = Ycc {
        width: expected.0,
        height: expected.1,
        subsampling,
        y,
        cbcr,
    };
    ycc.is_consistent().then_some(ycc)
}

/// Encodes packed RGB8 `pixels` of `side` x `side` as a baseline JPEG with full-resolution
/// chroma, optimised Huffman tables and a JFIF header only.
pub(crate) fn encode_rgb(
    pixels: &[u8],
    side: u32,
    quality: u8,
) -> Result<Vec<u8>, turbojpeg::Error> {
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
pub(crate) fn encode_ycc(ycc: &Ycc, quality: u8, half: bool) -> Result<Vec<u8>, turbojpeg::Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg_crop::tests::gradient;
    use jpeg_encoder::SamplingFactor;

    /// The planes, brought back to RGB with each chroma sample over its whole block and
    /// JFIF's conversion, match libjpeg-turbo's own RGB decode of the same file up to its
    /// smoother chroma upsampling: so the planes are split, unpadded and interleaved right.
    #[test]
    fn planes_are_the_pixels_of_the_rgb_decode() {
        let (width, height) = (101u16, 75u16);
        for (sampling, subsampling) in [
            (SamplingFactor::R_4_4_4, (1, 1)),
            (SamplingFactor::R_4_2_2, (2, 1)),
            (SamplingFactor::R_4_2_0, (2, 2)),
        ] {
            let jpeg = gradient(width, height, sampling);
            for eighths in [8, 3] {
                let scale = |side: u16| (u32::from(side) * eighths).div_ceil(8);
                let expected = (scale(width), scale(height));
                let ycc = decode_scaled_ycc(&jpeg, eighths, expected).expect("planes");
                let rgb = decode_scaled(&jpeg, eighths, Channels::Rgb, expected).expect("rgb");
                assert_eq!(ycc.subsampling, subsampling);
                assert!(ycc.is_consistent());
                let chroma_width = ycc.chroma_width() as usize;
                let mut worst = 0;
                for y in 0..expected.1 as usize {
                    for x in 0..expected.0 as usize {
                        let luma = f64::from(ycc.y[y * expected.0 as usize + x]);
                        let at = 2
                            * ((y / subsampling.1 as usize) * chroma_width
                                + x / subsampling.0 as usize);
                        let cb = f64::from(ycc.cbcr[at]) - 128.0;
                        let cr = f64::from(ycc.cbcr[at + 1]) - 128.0;
                        let converted = [
                            luma + 1.402 * cr,
                            luma - 0.344_136 * cb - 0.714_136 * cr,
                            luma + 1.772 * cb,
                        ];
                        let pixel = (y * expected.0 as usize + x) * 3;
                        for (c, value) in converted.iter().enumerate() {
                            let decoded = f64::from(rgb.data[pixel + c]);
                            worst = worst.max((value.clamp(0.0, 255.0) - decoded).abs() as u32);
                        }
                    }
                }
                assert!(worst <= 6, "{subsampling:?} at {eighths}/8: off by {worst}");
            }
        }
    }
}
