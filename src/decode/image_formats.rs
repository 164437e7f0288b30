//! PNG, GIF, WebP and BMP, decoded with the `image` crate's decoders (first frame only).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError};

use super::{crop_to_square, sizes_for, Decoded};
use crate::crop;
use crate::error::Error;
use crate::header;
use crate::options::Limits;
use crate::orient::Orientation;
use crate::raster::{Channels, Pixels, Raster};
use crate::sniff::Format;

/// Decodes `bytes`, already recognised as `format` (neither JPEG nor TIFF), within `limits`.
pub(super) fn decode(bytes: &[u8], format: Format, limits: &Limits) -> Result<Decoded, Error> {
    match format {
        Format::Png => {
            if let Some(problem) = header::png_palette_problem(bytes) {
                return Err(Error::corrupt(format, problem));
            }
            // The png crate keeps the limit it is created with for its own buffers: ancillary
            // chunks, the inflated ICC profile, a row. Give it the metadata budget; the pixel
            // buffer is bounded by `image_limits` in `decode_with_image`.
            let decoder = image::codecs::png::PngDecoder::with_limits(
                Cursor::new(bytes),
                metadata_limits(limits),
            )
            .map_err(|e| from_image(format, e))?;
            decode_with_image(decoder, format, limits)
        }
        Format::Gif => {
            let decoder = image::codecs::gif::GifDecoder::new(Cursor::new(bytes))
                .map_err(|e| from_image(format, e))?;
            decode_with_image(decoder, format, limits)
        }
        Format::WebP => {
            let decoder = image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))
                .map_err(|e| from_image(format, e))?;
            decode_with_image(decoder, format, limits)
        }
        Format::Bmp => {
            let repaired = header::bmp_repaired(bytes);
            let bytes = repaired.as_deref().unwrap_or(bytes);
            let decoder = image::codecs::bmp::BmpDecoder::new(Cursor::new(bytes))
                .map_err(|e| from_image(format, e))?;
            decode_with_image(decoder, format, limits)
        }
        Format::Jpeg | Format::Tiff => Err(Error::unsupported(
            format,
            format!("{} through the image crate", format.name()),
        )),
    }
}

fn decode_with_image(
    mut decoder: impl ImageDecoder,
    format: Format,
    limits: &Limits,
) -> Result<Decoded, Error> {
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(Error::corrupt(
            format,
            "the header declares a zero width or height",
        ));
    }
    limits.check_dimensions(u64::from(width), u64::from(height))?;
    let orientation = match decoder.orientation() {
        Ok(found) if found != image::metadata::Orientation::NoTransforms => {
            Orientation::from_image(found)
        }
        // The image crate does not read EXIF chunks that start with JPEG's "Exif\0\0" prefix,
        // as some writers leave them in WebP and PNG files.
        _ => decoder
            .exif_metadata()
            .ok()
            .flatten()
            .map(|exif| Orientation::from_exif_block(&exif))
            .unwrap_or_default(),
    };
    // A profile that cannot be read is ignored, as browsers do: the pixels are still good.
    let icc = decoder.icc_profile().ok().flatten();
    let sizes = sizes_for(width, height, orientation)?;
    decoder
        .set_limits(image_limits(limits))
        .map_err(|e| from_image(format, e))?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| from_image(format, e))?;
    let raster = to_raster(image);
    if (raster.width, raster.height) != (width, height) {
        return Err(Error::corrupt(
            format,
            "decoded size differs from the header",
        ));
    }
    let square = crop::stored_centre_square(width, height, orientation);
    Ok(crop_to_square(
        Pixels::Packed(raster),
        square,
        orientation,
        icc,
        sizes,
        (width, height),
    ))
}

/// 8 bits per channel, keeping grey as grey and alpha only where there is some.
fn to_raster(image: DynamicImage) -> Raster {
    let (width, height) = (image.width(), image.height());
    let (channels, data) = match image {
        DynamicImage::ImageLuma8(buffer) => (Channels::Gray, buffer.into_raw()),
        DynamicImage::ImageLumaA8(buffer) => (Channels::GrayAlpha, buffer.into_raw()),
        DynamicImage::ImageRgb8(buffer) => (Channels::Rgb, buffer.into_raw()),
        DynamicImage::ImageRgba8(buffer) => (Channels::Rgba, buffer.into_raw()),
        DynamicImage::ImageLuma16(_) => (Channels::Gray, image.into_luma8().into_raw()),
        DynamicImage::ImageLumaA16(_) => (Channels::GrayAlpha, image.into_luma_alpha8().into_raw()),
        other if other.color().has_alpha() => (Channels::Rgba, other.into_rgba8().into_raw()),
        other => (Channels::Rgb, other.into_rgb8().into_raw()),
    };
    Raster {
        width,
        height,
        channels,
        data,
    }
}

fn image_limits(limits: &Limits) -> image::Limits {
    let mut out = image::Limits::default();
    out.max_image_width = Some(limits.max_side);
    out.max_image_height = Some(limits.max_side);
    out.max_alloc = Some(limits.decoder_allocation());
    out
}

/// What the png crate may allocate for itself (see [`Limits::MAX_METADATA_BYTES`]).
fn metadata_limits(limits: &Limits) -> image::Limits {
    let mut out = image_limits(limits);
    out.max_alloc = Some(Limits::MAX_METADATA_BYTES);
    out
}

fn from_image(format: Format, error: ImageError) -> Error {
    match error {
        ImageError::Unsupported(e) => Error::Unsupported {
            format,
            feature: e.to_string(),
            source: Some(Box::new(e)),
        },
        ImageError::Limits(e) => Error::Corrupt {
            format,
            detail: format!("decoding would exceed the memory limit ({e})"),
            source: Some(Box::new(e)),
        },
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Error::Corrupt {
            format,
            detail: "the file is truncated".to_owned(),
            source: Some(Box::new(e)),
        },
        other => Error::Corrupt {
            format,
            detail: other.to_string(),
            source: Some(Box::new(other)),
        },
    }
}
