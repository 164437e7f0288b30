//! Encoding a rendition as a baseline JPEG with no metadata.

use crate::error::Error;
use crate::raster::{Pixels, Ycc};

/// The largest side encoded with full-resolution chroma (4:4:4); larger sides use 4:2:0, the
/// chroma subsampled by [`chroma::ycbcr_420`](crate::chroma::ycbcr_420) from packed RGB, or
/// resampled straight to that resolution from a JPEG's own planes (see
/// [`chroma_subsampling`]).
///
/// At 48–120 pixels a face's colour edges span few pixels, and halving the chroma costs far
/// more than it saves: on the corpus, 4:4:4 halves the median DSSIM of these sizes (12-MP
/// photo at 120x120: 0.0027 with 4:2:0, 0.0008 with 4:4:4) for little more bytes, since the
/// large sizes dominate the set. At 240 the sharpened 4:2:0 is already better than any peer
/// (0.0011, against 0.0012 for the best), and 4:4:4 there cost 1.7 % of the set's bytes, which
/// the sharpened chroma of the large sizes needs. See BENCHMARKS.md.
const FULL_CHROMA_MAX_SIDE: u32 = 120;

/// How many pixels of a rendition of `side` each chroma sample spans, across and down: 1 up
/// to [`FULL_CHROMA_MAX_SIDE`], 2 above.
pub(crate) fn chroma_subsampling(side: u32) -> u32 {
    if side <= FULL_CHROMA_MAX_SIDE {
        1
    } else {
        2
    }
}

/// Encodes a square rendition as a JPEG with optimised Huffman tables, a JFIF header and
/// nothing else (no EXIF, XMP, ICC or comment). Packed sRGB RGB8 gets 4:4:4 chroma up to
/// [`FULL_CHROMA_MAX_SIDE`] and 4:2:0 above (subsampled here, see [`crate::chroma`]); planes
/// are encoded as they are, and must be 4:4:4 or 4:2:0. Builds with the `turbojpeg` feature
/// encode with libjpeg-turbo, the others with jpeg-encoder.
pub(crate) fn encode_jpeg(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, Error> {
    let (side, _) = pixels.size();
    let encoded = match pixels {
        Pixels::Packed(raster) if chroma_subsampling(side) == 1 => {
            encode_rgb(&raster.data, side, quality)
        }
        Pixels::Packed(raster) => {
            encode_ycc(&crate::chroma::ycbcr_420(&raster.data, side), quality)
        }
        Pixels::Planar(ycc) => encode_ycc(ycc, quality),
    };
    encoded.map_err(|source| Error::Encode { side, source })
}

type BoxedError = crate::error::Cause;

/// Packed RGB8 with full-resolution chroma.
fn encode_rgb(pixels: &[u8], side: u32, quality: u8) -> Result<Vec<u8>, BoxedError> {
    #[cfg(feature = "turbojpeg")]
    let encoded = crate::jpeg_turbo::encode_rgb(pixels, side, quality);
    #[cfg(not(feature = "turbojpeg"))]
    let encoded = with_jpeg_encoder(pixels, side, quality);
    encoded.map_err(|e| Box::new(e) as BoxedError)
}

/// Square planes, 4:4:4 or 4:2:0.
fn encode_ycc(ycc: &Ycc, quality: u8) -> Result<Vec<u8>, BoxedError> {
    let half = match ycc.subsampling {
        (1, 1) => false,
        (2, 2) => true,
        (across, down) => {
            return Err(format!("chroma subsampled {across}x{down}, not 1x1 or 2x2").into())
        }
    };
    if ycc.width != ycc.height || !ycc.is_consistent() {
        return Err(format!(
            "planes of {}x{} are not a whole square rendition",
            ycc.width, ycc.height
        )
        .into());
    }
    #[cfg(feature = "turbojpeg")]
    let encoded = crate::jpeg_turbo::encode_ycc(ycc, quality, half);
    #[cfg(not(feature = "turbojpeg"))]
    let encoded = ycc_with_jpeg_encoder(ycc, quality, half);
    encoded.map_err(|e| Box::new(e) as BoxedError)
}

#[cfg(not(feature = "turbojpeg"))]
fn with_jpeg_encoder(
    pixels: &[u8],
    side: u32,
    quality: u8,
) -> Result<Vec<u8>, jpeg_encoder::EncodingError> {
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

    let dimension = u16::try_from(side).expect("rendition sides are at most 648");
    // Bounded: `pixels` is one rendition, at most 648 x 648 x 3 bytes.
    #[allow(clippy::disallowed_methods)]
    let mut out = Vec::with_capacity(pixels.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_optimized_huffman_tables(true);
    encoder.set_sampling_factor(SamplingFactor::R_4_4_4);
    encoder.encode(pixels, dimension, dimension, ColorType::Rgb)?;
    Ok(out)
}

#[cfg(not(feature = "turbojpeg"))]
fn ycc_with_jpeg_encoder(
    ycc: &Ycc,
    quality: u8,
    half: bool,
) -> Result<Vec<u8>, jpeg_encoder::EncodingError> {
    use jpeg_encoder::{ChromaSubsamplingMethod, Encoder, SamplingFactor};

    let side = u16::try_from(ycc.width).expect("rendition sides are at most 648");
    // Bounded: one rendition, at most 648 x 648 x 3 bytes.
    #[allow(clippy::disallowed_methods)]
    let mut out = Vec::with_capacity(ycc.y.len() * 3 / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_optimized_huffman_tables(true);
    if half {
        encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
        // Each chroma sample is given over its whole block (see `YccRows`), so the block's
        // top-left pixel is the sample: averaging the four would give the same, slower.
        encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Nearest);
    } else {
        encoder.set_sampling_factor(SamplingFactor::R_4_4_4);
    }
    encoder.encode_image(YccRows { ycc, side })?;
    Ok(out)
}

/// [`Ycc`] planes as jpeg-encoder takes an image: row by row at full resolution, from which
/// it subsamples chroma itself. Each chroma sample is given over its whole block, so that
/// whichever pixel of the block it takes (or their average) is that sample.
#[cfg(not(feature = "turbojpeg"))]
struct YccRows<'a> {
    ycc: &'a Ycc,
    side: u16,
}

#[cfg(not(feature = "turbojpeg"))]
impl jpeg_encoder::ImageBuffer for YccRows<'_> {
    fn get_jpeg_color_type(&self) -> jpeg_encoder::JpegColorType {
        jpeg_encoder::JpegColorType::Ycbcr
    }

    fn width(&self) -> u16 {
        self.side
    }

    fn height(&self) -> u16 {
        self.side
    }

    fn fill_buffers(&self, row: u16, buffers: &mut [Vec<u8>; 4]) {
        let side = usize::from(self.side);
        let (across, down) = (
            self.ycc.subsampling.0 as usize,
            self.ycc.subsampling.1 as usize,
        );
        let chroma_width = self.ycc.chroma_width() as usize;
        let row = usize::from(row);
        buffers[0].extend_from_slice(&self.ycc.y[row * side..(row + 1) * side]);
        let chroma = 2 * (row / down) * chroma_width;
        let samples = &self.ycc.cbcr[chroma..chroma + 2 * chroma_width];
        // Renditions subsample by 1 or 2 (see `encode_ycc`): a shift, not a division.
        let shift = across.trailing_zeros();
        for (component, buffer) in buffers[1..3].iter_mut().enumerate() {
            buffer.extend((0..side).map(|column| samples[2 * (column >> shift) + component]));
        }
    }
}
