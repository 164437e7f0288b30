//! JPEG-compressed chunks (compression 7), decoded by jpeg-decoder.

use super::layout::{Alpha, Colour, Layout};
use super::{corrupt, over_memory_limit, raster_for, unsupported};
use crate::error::Error;
use crate::geometry::PixelRect;
use crate::options::Limits;
use crate::raster::Raster;
use crate::sniff::Format;

/// Reads the JPEG-compressed chunks over `kept` with jpeg-decoder into a raster of `kept`.
///
/// Each chunk is a JPEG stream, completed by the tables of the JPEGTables tag. Its colour
/// transform is the one the directory names, never guessed from the stream (libtiff writes no
/// JFIF or Adobe marker): YCbCr is turned into RGB, RGB and CMYK are taken as they are (TIFF
/// CMYK is stored as ink amounts, not inverted as in Adobe's CMYK JPEG files).
pub(super) fn read_jpeg_chunks(
    bytes: &[u8],
    layout: &Layout,
    kept: PixelRect,
    limits: &Limits,
) -> Result<Raster, Error> {
    let channels = layout.channels();
    if layout.alpha != Alpha::None {
        return Err(unsupported("JPEG-compressed samples with alpha"));
    }
    let (transform, format) = match layout.colour {
        Colour::Grey { .. } => (None, jpeg_decoder::PixelFormat::L8),
        Colour::Rgb => (
            Some(jpeg_decoder::ColorTransform::RGB),
            jpeg_decoder::PixelFormat::RGB24,
        ),
        Colour::YCbCr => (
            Some(jpeg_decoder::ColorTransform::YCbCr),
            jpeg_decoder::PixelFormat::RGB24,
        ),
        // jpeg-decoder's CMYK transform inverts each sample (Adobe's convention), undone
        // below; it has no other that gives four interleaved samples as they are.
        Colour::Cmyk => (
            Some(jpeg_decoder::ColorTransform::CMYK),
            jpeg_decoder::PixelFormat::CMYK32,
        ),
        Colour::Palette(_) => return Err(unsupported("JPEG-compressed palette indices")),
    };
    let mut raster = raster_for(kept, channels);
    let out_channels = channels.count();
    for (index, rect, part) in layout.chunks_over(kept) {
        let data = layout.chunk_bytes(bytes, index)?;
        let stream = with_tables(layout.jpeg_tables.as_deref(), data);
        if crate::jpeg::count_scans(&stream, Limits::MAX_JPEG_SCANS) > Limits::MAX_JPEG_SCANS {
            return Err(unsupported(format!(
                "JPEG-compressed strips or tiles of more than {} scans",
                Limits::MAX_JPEG_SCANS
            )));
        }
        let mut decoder = jpeg_decoder::Decoder::new(stream.as_slice());
        if let Some(transform) = transform {
            decoder.set_color_transform(transform);
        }
        decoder.read_info().map_err(from_jpeg)?;
        let info = decoder
            .info()
            .ok_or_else(|| corrupt("a JPEG-compressed strip or tile has no frame header"))?;
        let (width, height) = (u32::from(info.width), u32::from(info.height));
        // The frame covers the chunk's pixels in the image, and is no larger than a chunk: a
        // strip's last JPEG may hold only the rows left.
        if width < rect.width
            || height < rect.height
            || width > layout.chunk.0
            || height > layout.chunk.1
        {
            return Err(corrupt(format!(
                "a JPEG-compressed strip or tile is {width}x{height}, where the image needs {}x{}",
                rect.width, rect.height
            )));
        }
        if info.pixel_format != format {
            return Err(corrupt(format!(
                "a JPEG-compressed strip or tile decodes as {:?}, where the image has {} samples",
                info.pixel_format, layout.samples
            )));
        }
        // A JPEG file of more pixels than the limits allow is refused; so is a chunk (a tile
        // may be declared larger than the image).
        if u64::from(width) * u64::from(height) > limits.max_pixels {
            return Err(over_memory_limit());
        }
        let decoded = u64::from(width) * u64::from(height) * out_channels as u64;
        decoder.set_max_decoding_buffer_size(usize::try_from(decoded).unwrap_or(usize::MAX));
        let pixels = decoder.decode().map_err(from_jpeg)?;
        let per_pixel = out_channels;
        let stride = width as usize * per_pixel;
        if pixels.len() < stride * height as usize {
            return Err(corrupt("a JPEG-compressed strip or tile decoded short"));
        }
        for y in part.top..part.top + part.height {
            let from =
                (y - rect.top) as usize * stride + (part.left - rect.left) as usize * per_pixel;
            let to = ((y - kept.top) as usize * kept.width as usize
                + (part.left - kept.left) as usize)
                * out_channels;
            let length = part.width as usize * per_pixel;
            raster.data[to..to + length].copy_from_slice(&pixels[from..from + length]);
        }
    }
    if matches!(
        layout.colour,
        Colour::Grey {
            white_is_zero: true
        } | Colour::Cmyk
    ) {
        for value in &mut raster.data {
            *value = 255 - *value;
        }
    }
    Ok(raster)
}

/// The JPEG stream of a chunk: the tables of JPEGTables (a stream of tables, from SOI to EOI)
/// and then the chunk, without its own SOI.
fn with_tables(tables: Option<&[u8]>, chunk: &[u8]) -> Vec<u8> {
    match tables {
        Some(tables)
            if tables.len() >= 4
                && tables.ends_with(&[0xFF, 0xD9])
                && chunk.starts_with(&[0xFF, 0xD8]) =>
        {
            let mut stream = tables[..tables.len() - 2].to_vec();
            stream.extend_from_slice(&chunk[2..]);
            stream
        }
        _ => chunk.to_vec(),
    }
}

/// A jpeg-decoder error about a JPEG-compressed chunk, in the words of [`Error`].
fn from_jpeg(error: jpeg_decoder::Error) -> Error {
    match error {
        jpeg_decoder::Error::Unsupported(ref feature) => Error::Unsupported {
            format: Format::Tiff,
            feature: format!("JPEG-compressed strips or tiles with {feature:?}"),
            source: Some(Box::new(error)),
        },
        other => Error::Corrupt {
            format: Format::Tiff,
            detail: format!("a JPEG-compressed strip or tile is corrupt: {other}"),
            source: Some(Box::new(other)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_tables_complete_each_chunk() {
        let tables = [0xFF, 0xD8, 0xFF, 0xDB, 0, 3, 9, 0xFF, 0xD9];
        let chunk = [0xFF, 0xD8, 0xFF, 0xC0, 1, 2];
        assert_eq!(
            with_tables(Some(&tables), &chunk),
            [0xFF, 0xD8, 0xFF, 0xDB, 0, 3, 9, 0xFF, 0xC0, 1, 2]
        );
        // Without tables, or with tables that are not a stream of their own, the chunk alone.
        assert_eq!(with_tables(None, &chunk), chunk);
        assert_eq!(with_tables(Some(&tables[..4]), &chunk), chunk);
    }
}
