//! Decoding: header first (limits, orientation, sizes), pixels only when they are allowed.
//!
//! [`jpeg`] plans a JPEG's decode (scale, bands, planes or packed pixels, what takes over when
//! the planar decoder declines); [`tiff`] reads a TIFF's chunks with the tiff crate;
//! [`image_formats`] decodes the other formats with the `image` crate; [`crate::header`] reads
//! the dimensions some formats declare before any decoder sees them. What they all hand on is a [`Decoded`]: the pixels around the centre
//! square, cropped to it here.

mod image_formats;
mod jpeg;
mod tiff;

use crate::error::Error;
use crate::geometry::{PixelRect, Rect};
use crate::header;
use crate::options::Limits;
use crate::orient::Orientation;
use crate::raster::Pixels;
use crate::size::PhotoSize;
use crate::sniff::Format;

/// What the decoding step hands on: the pixels of the region that becomes the photo, and what
/// is needed to render them.
pub(crate) struct Decoded {
    /// The pixels holding the centre square, in stored orientation (possibly DCT-scaled):
    /// packed, or JPEG's own planes when they need no colour conversion (see
    /// [`Ycc`](crate::planes::Ycc)).
    pub pixels: Pixels,
    /// The centre square within `pixels`, in its (continuous) coordinates.
    pub square: Rect,
    /// How the square must be turned to be seen upright.
    pub orientation: Orientation,
    /// The embedded ICC profile, if any.
    pub icc: Option<Vec<u8>>,
    /// The sizes to produce, ascending.
    pub sizes: &'static [PhotoSize],
    /// The full-resolution upright width and height of the source.
    pub upright_size: (u32, u32),
}

/// Decodes `bytes`, already recognised as `format`, checking `limits` from the header first.
pub(crate) fn decode(bytes: &[u8], format: Format, limits: &Limits) -> Result<Decoded, Error> {
    if let Some((width, height)) = header::declared_dimensions(format, bytes) {
        limits.check_dimensions(width, height)?;
    }
    match format {
        Format::Jpeg => jpeg::decode(bytes, limits),
        Format::Tiff => tiff::decode(bytes, limits),
        other => image_formats::decode(bytes, other, limits),
    }
}

/// The sizes an image stored as `width` x `height` yields, or `TooSmall`.
pub(super) fn sizes_for(
    width: u32,
    height: u32,
    orientation: Orientation,
) -> Result<&'static [PhotoSize], Error> {
    let sizes = PhotoSize::fitting(width.min(height));
    if sizes.is_empty() {
        let (width, height) = orientation.displayed(width, height);
        return Err(Error::TooSmall {
            width,
            height,
            minimum: PhotoSize::SMALLEST.side(),
        });
    }
    Ok(sizes)
}

/// Keeps only the whole pixels holding `square`, and re-expresses it relative to them. Planes
/// are kept whole: they need no colour conversion, and resampling reads only the square;
/// unless there is a profile to convert from, when the square's pixels become RGB.
pub(super) fn crop_to_square(
    pixels: Pixels,
    square: Rect,
    orientation: Orientation,
    icc: Option<Vec<u8>>,
    sizes: &'static [PhotoSize],
    stored_size: (u32, u32),
) -> Decoded {
    let (pixels, kept) = match pixels {
        // Tagged colour is converted from its profile, which works on RGB.
        Pixels::Planar(ycc) if icc.is_some() => {
            let kept = square.enclosing_pixels(ycc.width, ycc.height);
            let raster = crate::chroma::rgb_from_ycc(&ycc, kept);
            (Pixels::Packed(raster), kept)
        }
        Pixels::Packed(raster) => {
            let kept = square.enclosing_pixels(raster.width, raster.height);
            let raster = raster.crop(kept);
            (Pixels::Packed(raster), kept)
        }
        Pixels::Planar(ycc) => {
            let whole = PixelRect::whole(ycc.width, ycc.height);
            (Pixels::Planar(ycc), whole)
        }
    };
    // Relative to the kept pixels, and never past them: rounding a scaled decode up can leave
    // the square a hair beyond the last pixel.
    let square_left = (square.left - f64::from(kept.left)).max(0.0);
    let square_top = (square.top - f64::from(kept.top)).max(0.0);
    let square = Rect {
        left: square_left,
        top: square_top,
        width: square.width.min(f64::from(kept.width) - square_left),
        height: square.height.min(f64::from(kept.height) - square_top),
    };
    Decoded {
        pixels,
        square,
        orientation,
        icc,
        sizes,
        upright_size: orientation.displayed(stored_size.0, stored_size.1),
    }
}
