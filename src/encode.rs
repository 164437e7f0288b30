//! Encoding a rendition as a baseline JPEG with no metadata.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

use crate::error::Error;

/// Encodes packed RGB8 `pixels` of `side` x `side` as a JPEG: 4:2:0 chroma, optimised Huffman
/// tables, a JFIF header and nothing else (no EXIF, XMP, ICC or comment).
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
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.set_optimized_huffman_tables(true);
    encoder
        .encode(pixels, dimension, dimension, ColorType::Rgb)
        .map_err(fail)?;
    Ok(out)
}
