//! Decoding: header first (limits, orientation, sizes), pixels only when they are allowed.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError};

use crate::crop::{self, Rect};
use crate::error::Error;
use crate::header;
use crate::jpeg_crop;
use crate::jpeg_planes;
use crate::jpeg_scan;
use crate::options::Limits;
use crate::orient::Orientation;
use crate::raster::{Channels, Pixels, Raster};
use crate::size::PhotoSize;
use crate::sniff::Format;

/// What the decoding step hands on: the pixels of the region that becomes the photo, and what
/// is needed to render them.
pub(crate) struct Decoded {
    /// The pixels holding the centre square, in stored orientation (possibly DCT-scaled):
    /// packed, or JPEG's own planes when they need no colour conversion (see
    /// [`Ycc`](crate::raster::Ycc)).
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
        Format::Jpeg => decode_jpeg(bytes, limits),
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
            let decoder = image::codecs::bmp::BmpDecoder::new(Cursor::new(bytes))
                .map_err(|e| from_image(format, e))?;
            decode_with_image(decoder, format, limits)
        }
        Format::Tiff => {
            let decoder = image::codecs::tiff::TiffDecoder::new(Cursor::new(bytes))
                .map_err(|e| from_image(format, e))
                .map_err(|e| name_tiff_layout(e, bytes))?;
            decode_with_image(decoder, format, limits).map_err(|e| name_tiff_layout(e, bytes))
        }
    }
}

/// `error`, with a TIFF layout the decoder turns away named in words. The image crate reports
/// a YCbCr TIFF (JPEG-compressed ones are) as the colour type `Unknown(24)`, which tells a
/// user nothing.
fn name_tiff_layout(error: Error, bytes: &[u8]) -> Error {
    let layout = header::tiff_layout(bytes);
    match error {
        Error::Unsupported {
            format,
            feature,
            source,
        } if layout.is_some_and(|l| l.photometric == Some(header::TiffLayout::YCBCR)) => {
            let jpeg = layout.is_some_and(|l| l.compression == Some(header::TiffLayout::JPEG));
            let compressed = if jpeg { "JPEG-compressed " } else { "" };
            Error::Unsupported {
                format,
                feature: format!(
                    "{compressed}YCbCr pixels (photometric interpretation 6; the decoder \
                     says: {feature})"
                ),
                source,
            }
        }
        other => other,
    }
}

/// The sizes an image stored as `width` x `height` yields, or `TooSmall`.
fn sizes_for(
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

fn decode_jpeg(bytes: &[u8], limits: &Limits) -> Result<Decoded, Error> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(from_jpeg)?;
    let info = decoder
        .info()
        .ok_or_else(|| Error::corrupt(Format::Jpeg, "no frame header (SOF) found"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    if width == 0 || height == 0 {
        return Err(Error::corrupt(
            Format::Jpeg,
            "the frame declares a zero width or height",
        ));
    }
    limits.check_dimensions(u64::from(width), u64::from(height))?;
    if info.coding_process == jpeg_decoder::CodingProcess::Lossless {
        return Err(Error::unsupported(Format::Jpeg, "lossless JPEG (SOF3)"));
    }
    if jpeg_scan::count_scans(bytes, Limits::MAX_JPEG_SCANS) > Limits::MAX_JPEG_SCANS {
        return Err(Error::unsupported(
            Format::Jpeg,
            format!("more than {} scans", Limits::MAX_JPEG_SCANS),
        ));
    }
    // The EXIF segment comes before the frame header, so it has been read by now.
    let orientation = decoder
        .exif_data()
        .map(Orientation::from_exif_block)
        .unwrap_or_default();
    let sizes = sizes_for(width, height, orientation)?;

    let channels = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Channels::Gray,
        jpeg_decoder::PixelFormat::RGB24 => Channels::Rgb,
        jpeg_decoder::PixelFormat::CMYK32 => Channels::Cmyk,
        jpeg_decoder::PixelFormat::L16 => {
            return Err(Error::unsupported(Format::Jpeg, "16-bit samples"));
        }
    };
    // Decode in the DCT domain at the smallest scale the decoder offers that keeps the
    // square's side at least `headroom` times the largest rendition's (see `dct_scales`).
    let target = sizes[sizes.len() - 1].side();
    // Sides come from u16 fields, so times 8 they still fit a u32.
    let short = width.min(height);
    let (scales, headroom) = dct_scales(channels, info.coding_process);
    let eighths = scales
        .iter()
        .copied()
        .find(|&n| (short * n).div_ceil(8) * headroom.1 >= target * headroom.0)
        .unwrap_or(8);

    // Leave out, undecoded, the restart intervals wholly outside the square where the file
    // allows it (see jpeg_crop), and split the rest into bands decoded in parallel when there
    // are threads for it; the region decoded then starts at `origin`. The bands stack up to
    // exactly the pixels of the region, so the thread count never shows in the output.
    let square = crop::stored_centre_square(width, height, orientation);
    let bands = if rayon::current_num_threads() > 1 {
        2
    } else {
        1
    };
    let cropped = jpeg_crop::crop_to_intervals(bytes, square, bands);
    let icc = decoder.icc_profile();
    // Colour stays in JPEG's own planes where the file allows it.
    let planar = if planes_wanted(channels, info.coding_process) {
        let planar = |bytes: &[u8], size: (u32, u32)| {
            let expected = (scaled(size.0, eighths), scaled(size.1, eighths));
            jpeg_planes::decode_scaled_ycc(bytes, eighths, expected)
                .map(|ycc| (Pixels::Planar(ycc), eighths))
        };
        // Tried once: whatever the planar decoder refuses here goes the packed way below,
        // which gives a damaged file the answer it always got.
        match &cropped {
            Some(cropped) => decode_bands(cropped, &planar),
            None => planar(bytes, (width, height)).map(|(pixels, used)| (pixels, used, (0, 0))),
        }
    } else {
        None
    };
    let packed = |bytes: &[u8], size: (u32, u32)| {
        decode_jpeg_pixels(bytes, eighths, channels, size, limits)
            .ok()
            .map(|(raster, used)| (Pixels::Packed(raster), used))
    };
    let decoded = planar.or_else(|| {
        cropped
            .as_ref()
            .and_then(|cropped| decode_bands(cropped, &packed))
    });
    let (pixels, eighths, origin) = match decoded {
        Some(decoded) => decoded,
        None => {
            let (raster, eighths) =
                decode_jpeg_pixels(bytes, eighths, channels, (width, height), limits)?;
            (Pixels::Packed(raster), eighths, (0, 0))
        }
    };
    let square = square.relative_scaled(origin, f64::from(eighths) / 8.0);
    Ok(crop_to_square(
        pixels,
        square,
        orientation,
        icc,
        sizes,
        (width, height),
    ))
}

/// `side` decoded at `eighths`/8 of full scale, as JPEG decoders round it.
fn scaled(side: u32, eighths: u32) -> u32 {
    (side * eighths).div_ceil(8)
}

/// What a decoder gives for a JPEG whose frame is `size` (width, height): its pixels and the
/// scale (in eighths) it decoded at, or `None` for anything it cannot or will not decode.
type DecodeFn<'a> = dyn Fn(&[u8], (u32, u32)) -> Option<(Pixels, u32)> + Sync + 'a;

/// Decodes the bands of `cropped` with `decode` (in parallel on the rayon pool) and stacks
/// their own rows, plane by plane; gives the pixels of the region, the scale used and the
/// region's origin. `None` when any band fails or the bands come out at different scales or
/// layouts (one of them refused by libjpeg-turbo): the caller then decodes the whole file,
/// which gives the answer, or the error, that a file decoded in one piece gets.
fn decode_bands(
    cropped: &jpeg_crop::Cropped,
    decode: &DecodeFn<'_>,
) -> Option<(Pixels, u32, (u32, u32))> {
    use rayon::prelude::*;

    let decoded: Vec<(Pixels, u32)> = cropped
        .bands
        .par_iter()
        .map(|band| decode(&band.bytes, (cropped.width, band.height)))
        .collect::<Option<_>>()?;
    let used = decoded.first()?.1;
    if decoded.iter().any(|(_, e)| *e != used) {
        return None;
    }
    let origin = (cropped.left, cropped.top);
    let scale = |v: u32| scaled(v, used);
    let (width, height) = (scale(cropped.width), scale(cropped.height));
    let mut bands = cropped.bands.iter().zip(decoded);
    let (first, (mut pixels, _)) = bands.next()?;
    let mut rest: Vec<_> = bands.collect();
    if rest.is_empty() {
        return Some((pixels, used, origin));
    }
    // The rows of a plane each band keeps: a plane whose rows each span `down` image rows
    // keeps a `down`th of them (bands meet at rows of MCUs, so at whole chroma rows).
    let kept = |band: &jpeg_crop::Band, row_bytes: usize, down: u32| {
        let from = scale(band.keep_top - band.top).div_ceil(down) as usize * row_bytes;
        let to = scale(band.keep_end - band.top).div_ceil(down) as usize * row_bytes;
        from..to
    };
    // Stacked in the first band's buffers: they already hold the first rows in place, and
    // growing them costs less than fresh memory for the whole region.
    for (index, plane) in pixels.planes_mut().into_iter().enumerate() {
        let (row_bytes, down) = (plane.row_bytes, plane.down);
        // The first band has no neighbour above: its own rows start the plane.
        let own = kept(first, row_bytes, down);
        if own.start != 0 || own.end > plane.data.len() {
            return None;
        }
        plane.data.truncate(own.end);
        let rows = height.div_ceil(down) as usize;
        // Bounded: the region's scaled size, within the limits checked from the header.
        #[allow(clippy::disallowed_methods)]
        plane
            .data
            .reserve_exact((row_bytes * rows).saturating_sub(plane.data.len()));
        for (band, other) in &mut rest {
            let planes = other.0.planes_mut();
            let same = planes.get(index)?;
            if (same.row_bytes, same.down) != (row_bytes, down) {
                return None;
            }
            plane
                .data
                .extend_from_slice(same.data.get(kept(band, row_bytes, down))?);
        }
    }
    pixels.set_height(height);
    (pixels.size() == (width, height) && pixels.is_consistent()).then_some((pixels, used, origin))
}

/// Whether a JPEG of `channels` coded by `process` is decoded to its own YCbCr planes: colour,
/// sequential, or progressive unless libjpeg-turbo is there (it decodes progressive files
/// faster: 15.5 against 22.0 ms for a 2-MP one, BENCHMARKS.md). Untagged (sRGB) planes are
/// resampled and encoded as they are; tagged ones become RGB for the profile's conversion once
/// cropped to the square (see `crop_to_square`).
fn planes_wanted(channels: Channels, process: jpeg_decoder::CodingProcess) -> bool {
    let coded = match process {
        jpeg_decoder::CodingProcess::DctSequential => true,
        jpeg_decoder::CodingProcess::DctProgressive => !cfg!(feature = "turbojpeg"),
        jpeg_decoder::CodingProcess::Lossless => false,
    };
    channels == Channels::Rgb && coded
}

/// The scales, in eighths, at which the decoder used for `channels` coded by `process` can
/// decode in the DCT domain, and the headroom (as a fraction) to keep over the largest
/// rendition's side.
///
/// Scaling in the DCT domain is close to averaging blocks of pixels, which aliases: leaving
/// Lanczos3 at least the last 1.5x of the reduction gives the large sizes the DSSIM of a full
/// decode (12-MP photo at 648x648: 0.00106 from a 1/4-scale decode, 0.00097 from 3/8 or 1/2;
/// see BENCHMARKS.md). libjpeg-turbo and the planar decoder offer every eighth, so that costs
/// little (3/8 instead of 1/4 on a 12-MP photo, about a tenth more time). jpeg-decoder offers
/// only 1/8, 1/4, 1/2 and 1, where the step up quadruples the pixels decoded and resampled
/// (about 45 % more time on a 12-MP photo), so with it the square is only kept at least as
/// large as the largest size.
fn dct_scales(
    channels: Channels,
    process: jpeg_decoder::CodingProcess,
) -> (&'static [u32], (u32, u32)) {
    let every_eighth = if cfg!(feature = "turbojpeg") {
        matches!(channels, Channels::Gray | Channels::Rgb)
    } else {
        planes_wanted(channels, process)
    };
    if every_eighth {
        (&[1, 2, 3, 4, 5, 6, 7, 8], (3, 2))
    } else {
        (&[1, 2, 4, 8], (1, 1))
    }
}

/// Decodes the pixels of the JPEG `bytes`, whose frame is `size` (width, height), at
/// `eighths`/8 of full scale in the DCT domain (or the next larger scale the decoder offers),
/// as `channels`; gives the pixels and the scale used.
///
/// With the `turbojpeg` feature libjpeg-turbo decodes grey and colour files; anything it
/// reports, even as a warning (extraneous bytes, a damaged restart interval), goes to
/// jpeg-decoder instead, so damaged files get the same answer from both builds.
fn decode_jpeg_pixels(
    bytes: &[u8],
    eighths: u32,
    channels: Channels,
    size: (u32, u32),
    limits: &Limits,
) -> Result<(Raster, u32), Error> {
    #[cfg(feature = "turbojpeg")]
    {
        let expected = (scaled(size.0, eighths), scaled(size.1, eighths));
        if let Some(raster) = crate::jpeg_turbo::decode_scaled(bytes, eighths, channels, expected) {
            return Ok((raster, eighths));
        }
    }
    let eighths = [1, 2, 4, 8]
        .into_iter()
        .find(|&n| n >= eighths)
        .unwrap_or(8);
    let (width, height) = (scaled(size.0, eighths), scaled(size.1, eighths));
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(from_jpeg)?;
    // Sides come from u16 fields, and scaling never enlarges them.
    let request = |side: u32| u16::try_from(side).unwrap_or(u16::MAX);
    let got = decoder
        .scale(request(width), request(height))
        .map_err(from_jpeg)?;
    if (u32::from(got.0), u32::from(got.1)) != (width, height) {
        return Err(Error::corrupt(
            Format::Jpeg,
            format!(
                "the decoder scales to {}x{}, not the {width}x{height} expected",
                got.0, got.1
            ),
        ));
    }
    decoder.set_max_decoding_buffer_size(
        usize::try_from(limits.decoder_allocation()).unwrap_or(usize::MAX),
    );
    let pixels = decoder.decode().map_err(from_jpeg)?;
    let expected = usize::try_from(u64::from(width) * u64::from(height))
        .ok()
        .and_then(|pixels| pixels.checked_mul(channels.count()));
    if Some(pixels.len()) != expected {
        return Err(Error::corrupt(
            Format::Jpeg,
            format!(
                "decoded {} bytes of pixels, not the {width}x{height} the header declares",
                pixels.len()
            ),
        ));
    }
    Ok((
        Raster {
            width,
            height,
            channels,
            data: pixels,
        },
        eighths,
    ))
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

/// Keeps only the whole pixels holding `square`, and re-expresses it relative to them. Planes
/// are kept whole: they need no colour conversion, and resampling reads only the square;
/// unless there is a profile to convert from, when the square's pixels become RGB.
fn crop_to_square(
    pixels: Pixels,
    square: Rect,
    orientation: Orientation,
    icc: Option<Vec<u8>>,
    sizes: &'static [PhotoSize],
    stored_size: (u32, u32),
) -> Decoded {
    let (pixels, (left, top, width, height)) = match pixels {
        // Tagged colour is converted from its profile, which works on RGB.
        Pixels::Planar(ycc) if icc.is_some() => {
            let (left, top, width, height) = square.enclosing_pixels(ycc.width, ycc.height);
            let raster = crate::chroma::rgb_from_ycc(&ycc, left, top, width, height);
            (Pixels::Packed(raster), (left, top, width, height))
        }
        Pixels::Packed(raster) => {
            let (left, top, width, height) = square.enclosing_pixels(raster.width, raster.height);
            let raster = raster.crop(left, top, width, height);
            (Pixels::Packed(raster), (left, top, width, height))
        }
        Pixels::Planar(ycc) => {
            let whole = (0, 0, ycc.width, ycc.height);
            (Pixels::Planar(ycc), whole)
        }
    };
    // Relative to the kept pixels, and never past them: rounding a scaled decode up can leave
    // the square a hair beyond the last pixel.
    let square_left = (square.left - f64::from(left)).max(0.0);
    let square_top = (square.top - f64::from(top)).max(0.0);
    let square = Rect {
        left: square_left,
        top: square_top,
        width: square.width.min(f64::from(width) - square_left),
        height: square.height.min(f64::from(height) - square_top),
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

fn from_jpeg(error: jpeg_decoder::Error) -> Error {
    match error {
        jpeg_decoder::Error::Unsupported(ref feature) => Error::Unsupported {
            format: Format::Jpeg,
            feature: match feature {
                jpeg_decoder::UnsupportedFeature::ArithmeticEntropyCoding => {
                    "arithmetic coding".to_owned()
                }
                jpeg_decoder::UnsupportedFeature::SamplePrecision(bits) => {
                    format!("{bits}-bit samples")
                }
                jpeg_decoder::UnsupportedFeature::Hierarchical => "hierarchical mode".to_owned(),
                other => format!("{other:?}"),
            },
            source: Some(Box::new(error)),
        },
        jpeg_decoder::Error::Io(ref e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::Corrupt {
                format: Format::Jpeg,
                detail: "the file is truncated".to_owned(),
                source: Some(Box::new(error)),
            }
        }
        other => Error::Corrupt {
            format: Format::Jpeg,
            detail: other.to_string(),
            source: Some(Box::new(other)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg_crop::tests::{photo, square};

    /// What `decode_bands` stacks is the region decoded in one piece, at every scale, and it
    /// does stack: a wrong stack must fail here, not fall back to a whole decode that hides it.
    #[test]
    fn stacked_bands_are_the_region_in_one_piece() {
        // 4:2:0 with restart intervals, whose chroma upsampling reads the rows across the seam.
        let full = photo(640, 480, 4, false);
        let keep = square(100.0, 0.0, 440.0);
        let whole = jpeg_crop::crop_to_intervals(&full, keep, 1).expect("one band");
        let split = jpeg_crop::crop_to_intervals(&full, keep, 2).expect("two bands");
        assert_eq!(split.bands.len(), 2);
        let limits = Limits::default();
        for eighths in [1, 2, 3, 4, 8] {
            let packed = |bytes: &[u8], size: (u32, u32)| {
                decode_jpeg_pixels(bytes, eighths, Channels::Rgb, size, &limits)
                    .ok()
                    .map(|(raster, used)| (Pixels::Packed(raster), used))
            };
            assert_stacks(&whole, &split, &packed, eighths);
            let planar = |bytes: &[u8], size: (u32, u32)| {
                let expected = (scaled(size.0, eighths), scaled(size.1, eighths));
                jpeg_planes::decode_scaled_ycc(bytes, eighths, expected)
                    .map(|ycc| (Pixels::Planar(ycc), eighths))
            };
            assert_stacks(&whole, &split, &planar, eighths);
        }
    }

    fn assert_stacks(
        whole: &jpeg_crop::Cropped,
        split: &jpeg_crop::Cropped,
        decode: &DecodeFn<'_>,
        eighths: u32,
    ) {
        let (one, used, origin) = decode_bands(whole, decode).expect("one piece");
        let (stacked, stacked_used, stacked_origin) = decode_bands(split, decode).expect("stacked");
        assert_eq!((stacked_used, stacked_origin), (used, origin));
        assert_eq!(stacked.size(), one.size());
        assert!(stacked == one, "the stack differs at {eighths}/8");
    }
}
