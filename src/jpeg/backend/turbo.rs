//! libjpeg-turbo as the backend, for builds with the `turbojpeg` feature.
//!
//! libjpeg-turbo's Huffman decoding and scaled inverse DCT are faster than jpeg-decoder's;
//! decoding a large photo is most of an ingest. Renditions are written by our own writer, as in
//! the default build: libjpeg-turbo has no trellis quantisation, and without it its files are a
//! tenth larger for the same DSSIM (BENCHMARKS.md). Everything else stays as in the default
//! build: the header is read, and every limit checked, by the pipeline before this runs;
//! baseline colour photos go to their planes with the planar decoder first (faster than
//! libjpeg-turbo's own decode to planes, and the same in both builds); CMYK files (whose
//! Adobe conventions jpeg-decoder handles) still go to jpeg-decoder, and so does any file
//! libjpeg-turbo reports a problem with, even a warning, so that damaged files get the same
//! answer from both builds.

use turbojpeg::{DecompressHeader, Decompressor, Image, PixelFormat, ScalingFactor};

use super::{Backend, Packed};

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
