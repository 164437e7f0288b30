//! Encoding a rendition as a JPEG with no metadata: baseline below 360x360, progressive from
//! there up.

use crate::error::Error;
use crate::jpeg::backend::EncodeError;
pub use crate::jpeg::writer::{Lambda, Settings, Tables};
use crate::planes::Ycc;
use crate::raster::Pixels;

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
/// are encoded as they are, and must be 4:4:4 or 4:2:0. Both builds write the file with the
/// writer (`crate::jpeg::writer`), quantised as [`settings`] says for the size.
pub(crate) fn encode_jpeg(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, Error> {
    let (side, _) = pixels.size();
    encode_jpeg_with(pixels, &settings(side, quality))
}

/// The smallest side written as a progressive JPEG: from 360x360 up the progression takes
/// 2.4–3.7 % fewer bytes than the baseline scan of the same blocks, at 240x240 only 1.1 %
/// (not worth its time), and below it takes more (BENCHMARKS.md, "History", pipeline 9).
pub(crate) const PROGRESSIVE_MIN_SIDE: u32 = 360;

/// How a rendition of `side` is quantised for `quality` (1..=100).
///
/// `quality` keeps libjpeg's meaning, the scale of the quantisation tables, and each size
/// takes it with an offset. Every rendition's levels are chosen for their bits as well as
/// their error (`jpeg::rdo`), which leaves a larger error than rounding for fewer bits; the
/// offsets and the weight of the error were chosen together, on the corpus photos, for the
/// fewest bytes at which every size's median DSSIM stays at or below 0.965x the best peer's
/// (BENCHMARKS.md, "History", pipeline 9):
///
/// | sides | tables | luma | chroma | weight of the error |
/// |---|---|---|---|---|
/// | up to [`FULL_CHROMA_MAX_SIDE`] (4:4:4) | Annex K's | `quality` - 1 | `quality` - 9 | mozjpeg's |
/// | 240 and 360 (4:2:0) | N. Robidoux's | `quality` + 1 | `quality` - 5 | 2.8x mozjpeg's |
/// | 432 and above | N. Robidoux's | `quality` + 2 | `quality` - 5 | 2.8x mozjpeg's |
///
/// Robidoux's tables (mozjpeg's default) are finer at low frequencies and coarser at high ones
/// than Annex K's; chroma takes coarser steps than luma, as DSSIM and the eye weigh it less.
/// Renditions of [`PROGRESSIVE_MIN_SIDE`] and more are progressive.
pub(crate) fn settings(side: u32, quality: u8) -> Settings {
    /// mozjpeg's weight with its numerator 1.5 powers of two larger: errors cost more, so
    /// fewer levels drop, and the coarser table then saves more bits for the same error.
    const WEIGHTIER: Lambda = Lambda {
        scale1: 16.25,
        scale2: Lambda::MOZJPEG.scale2,
    };
    let quality = i32::from(quality.clamp(1, 100));
    let offset = |by: i32| (quality + by).clamp(1, 100) as u8;
    let (tables, luma, chroma, lambda) = if side <= FULL_CHROMA_MAX_SIDE {
        (Tables::AnnexK, -1, -9, Lambda::MOZJPEG)
    } else if side <= 360 {
        (Tables::Robidoux, 1, -5, WEIGHTIER)
    } else {
        (Tables::Robidoux, 2, -5, WEIGHTIER)
    };
    Settings {
        luma_quality: offset(luma),
        chroma_quality: offset(chroma),
        tables,
        rate_distortion: Some(lambda),
        progressive: side >= PROGRESSIVE_MIN_SIDE,
    }
}

/// [`encode_jpeg`] with the quantisation chosen by the caller.
pub(crate) fn encode_jpeg_with(pixels: &Pixels, settings: &Settings) -> Result<Vec<u8>, Error> {
    let (side, _) = pixels.size();
    let encoded = match pixels {
        Pixels::Packed(raster) if chroma_subsampling(side) == 1 => {
            encode_rgb(&raster.data, side, settings)
        }
        Pixels::Packed(raster) => {
            encode_ycc(&crate::chroma::ycbcr_420(&raster.data, side), settings)
        }
        Pixels::Planar(ycc) => encode_ycc(ycc, settings),
    };
    encoded.map_err(|source| Error::Encode { side, source })
}

/// Packed RGB8 with full-resolution chroma, as 4:4:4 planes.
fn encode_rgb(pixels: &[u8], side: u32, settings: &Settings) -> Result<Vec<u8>, EncodeError> {
    encode_ycc(&crate::chroma::ycbcr_444(pixels, side), settings)
}

/// Square planes, 4:4:4 or 4:2:0.
fn encode_ycc(ycc: &Ycc, settings: &Settings) -> Result<Vec<u8>, EncodeError> {
    let (across, down) = ycc.subsampling;
    if !matches!((across, down), (1, 1) | (2, 2)) {
        return Err(format!("chroma subsampled {across}x{down}, not 1x1 or 2x2").into());
    }
    if ycc.width != ycc.height || !ycc.is_consistent() || ycc.width > 0xFFFF {
        return Err(format!(
            "planes of {}x{} are not a whole square rendition",
            ycc.width, ycc.height
        )
        .into());
    }
    Ok(crate::jpeg::writer::encode(ycc, settings))
}
