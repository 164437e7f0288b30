//! Encoding a rendition as a baseline JPEG with no metadata.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

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
/// nothing else (no EXIF, XMP, ICC or comment).
pub(crate) fn encode_jpeg(pixels: &[u8], side: u32, quality: u8) -> Result<Vec<u8>, Error> {
    let fail = |e: jpeg_encoder::EncodingError| Error::Encode {
        side,
        source: Box::new(e),
    };
    let dimension = u16::try_from(side).expect("rendition sides are at most 648");
    // Bounded: `pixels` is one rendition, at most 648 x 648 x 3 bytes.
    #[allow(clippy::disallowed_methods)]
    let mut out = Vec::with_capacity(pixels.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(if side <= FULL_CHROMA_MAX_SIDE {
        SamplingFactor::R_4_4_4
    } else {
        SamplingFactor::R_4_2_0
    });
    encoder.set_optimized_huffman_tables(true);
    encoder
        .encode(pixels, dimension, dimension, ColorType::Rgb)
        .map_err(fail)?;
    Ok(out)
}
