//! Encoding a rendition as a baseline JPEG with no metadata.

use crate::error::Error;

/// The largest side encoded with full-resolution chroma (4:4:4); larger sides use 4:2:0, with
/// the chroma subsampled by [`chroma::ycbcr_420`](crate::chroma::ycbcr_420).
///
/// At 48–120 pixels a face's colour edges span few pixels, and halving the chroma costs far
/// more than it saves: on the corpus, 4:4:4 halves the median DSSIM of these sizes (12-MP
/// photo at 120x120: 0.0027 with 4:2:0, 0.0008 with 4:4:4) for little more bytes, since the
/// large sizes dominate the set. At 240 the sharpened 4:2:0 is already better than any peer
/// (0.0011, against 0.0012 for the best), and 4:4:4 there cost 1.7 % of the set's bytes, which
/// the sharpened chroma of the large sizes needs. See BENCHMARKS.md.
const FULL_CHROMA_MAX_SIDE: u32 = 120;

/// Encodes packed RGB8 `pixels` of `side` x `side` as a JPEG: 4:4:4 chroma up to
/// [`FULL_CHROMA_MAX_SIDE`] and 4:2:0 above (subsampled here, see [`crate::chroma`]),
/// optimised Huffman tables, a JFIF header and nothing else (no EXIF, XMP, ICC or comment).
/// Builds with the `turbojpeg` feature encode with libjpeg-turbo, the others with
/// jpeg-encoder.
pub(crate) fn encode_jpeg(pixels: &[u8], side: u32, quality: u8) -> Result<Vec<u8>, Error> {
    let full_chroma = side <= FULL_CHROMA_MAX_SIDE;
    #[cfg(feature = "turbojpeg")]
    let encoded = crate::jpeg_turbo::encode(pixels, side, quality, full_chroma)
        .map_err(|e| Box::new(e) as BoxedError);
    #[cfg(not(feature = "turbojpeg"))]
    let encoded = with_jpeg_encoder(pixels, side, quality, full_chroma)
        .map_err(|e| Box::new(e) as BoxedError);
    encoded.map_err(|source| Error::Encode { side, source })
}

type BoxedError = crate::error::Cause;

#[cfg(not(feature = "turbojpeg"))]
fn with_jpeg_encoder(
    pixels: &[u8],
    side: u32,
    quality: u8,
    full_chroma: bool,
) -> Result<Vec<u8>, jpeg_encoder::EncodingError> {
    use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};

    let dimension = u16::try_from(side).expect("rendition sides are at most 648");
    // Bounded: `pixels` is one rendition, at most 648 x 648 x 3 bytes.
    #[allow(clippy::disallowed_methods)]
    let mut out = Vec::with_capacity(pixels.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_optimized_huffman_tables(true);
    if full_chroma {
        encoder.set_sampling_factor(SamplingFactor::R_4_4_4);
        encoder.encode(pixels, dimension, dimension, ColorType::Rgb)?;
        return Ok(out);
    }
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    let planes = crate::chroma::ycbcr_420(pixels, side as usize);
    encoder.encode_image(Ycbcr420 {
        planes: &planes,
        side: dimension,
    })?;
    Ok(out)
}

/// The planes of [`chroma::ycbcr_420`](crate::chroma::ycbcr_420) as jpeg-encoder takes an
/// image: row by row at full resolution, from which it subsamples chroma itself. Each chroma
/// sample is given over its whole 2x2 block, so that its average is that sample.
#[cfg(not(feature = "turbojpeg"))]
struct Ycbcr420<'a> {
    planes: &'a crate::chroma::Planes,
    side: u16,
}

#[cfg(not(feature = "turbojpeg"))]
impl jpeg_encoder::ImageBuffer for Ycbcr420<'_> {
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
        let (side, half) = (usize::from(self.side), self.planes.half);
        let row = usize::from(row);
        buffers[0].extend_from_slice(&self.planes.y[row * side..(row + 1) * side]);
        let chroma = (row / 2) * half;
        for (plane, buffer) in [&self.planes.cb, &self.planes.cr]
            .into_iter()
            .zip(&mut buffers[1..3])
        {
            let samples = &plane[chroma..chroma + half];
            buffer.extend((0..side).map(|column| samples[column / 2]));
        }
    }
}
