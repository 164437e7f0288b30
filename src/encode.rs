//! Encoding a rendition as a baseline JPEG with no metadata.

use crate::error::Error;

/// The largest side encoded with full-resolution chroma (4:4:4); larger sides use 4:2:0.
///
/// At 48–240 pixels a face's colour edges span few pixels, and halving the chroma costs far
/// more than it saves: on the corpus, 4:4:4 halves the median DSSIM of these sizes (12-MP
/// photo at 120x120: 0.0027 with 4:2:0, 0.0008 with 4:4:4) for about 3 % more bytes over the
/// whole set, since the large sizes dominate it. See BENCHMARKS.md.
const FULL_CHROMA_MAX_SIDE: u32 = 240;

/// Encodes packed RGB8 `pixels` of `side` x `side` as a JPEG: 4:4:4 chroma up to
/// [`FULL_CHROMA_MAX_SIDE`] and 4:2:0 above, optimised Huffman tables, a JFIF header and
/// nothing else (no EXIF, XMP, ICC or comment). Builds with the `turbojpeg` feature encode
/// with libjpeg-turbo, the others with jpeg-encoder.
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
    encoder.set_sampling_factor(if full_chroma {
        SamplingFactor::R_4_4_4
    } else {
        SamplingFactor::R_4_2_0
    });
    // jpeg-encoder keeps the top-left sample of each 2x2 block by default, which aliases
    // colour edges; averaging is what libjpeg does, and on the corpus it takes the median
    // DSSIM of the 360x360 rendition from 0.0013 to 0.0011 (see BENCHMARKS.md).
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    encoder.set_optimized_huffman_tables(true);
    encoder.encode(pixels, dimension, dimension, ColorType::Rgb)?;
    Ok(out)
}
