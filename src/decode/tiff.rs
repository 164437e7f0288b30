//! TIFF (the first image): the tiff crate reads the directory and decompresses one chunk (strip
//! or tile) at a time; which chunks hold the centre square, where their pixels go and what
//! their samples mean is worked out here. [`layout`] reads what the directory says and refuses
//! what is not read; [`samples`] turns samples into 8 bits; [`rewrite`](rewrite()) makes the copy
//! of a file the tiff crate can read where it cannot read the file itself; [`jpeg`] decodes
//! JPEG-compressed chunks; [`directory`] finds values in the bytes of the first directory.
//!
//! Driving the tiff crate chunk by chunk, rather than through the image crate's TIFF decoder,
//! is what lets a CMYK image stay CMYK for its embedded profile (the image crate turns it into
//! RGB by the textbook formula), lets palettes, 2-, 4- and 12-bit grey and bit-reversed
//! (FillOrder 2) data be read at all, and keeps the tiff crate (0.11) from the assertion that
//! panics on tiled images whose samples are stored in separate planes: that is in its reading
//! of a whole image, and each chunk is read here on its own, into a buffer the tiff crate
//! sizes for that chunk. What the tiff crate cannot read as the file stands, it reads from a
//! copy with a few values changed. JPEG-compressed chunks are decoded by
//! jpeg-decoder, as JPEG files are (DESIGN.md, "Which decoder reads a JPEG"), with the colour
//! transform the directory names.

mod directory;
mod jpeg;
mod layout;
mod rewrite;
mod samples;

use std::io::Cursor;

use tiff::decoder::{Decoder as TiffDecoder, DecodingResult, Limits as TiffLimits};
use tiff::tags::Tag;
use tiff::{ColorType, TiffError, TiffFormatError, TiffUnsupportedError};

use self::directory::Directory;
use self::jpeg::read_jpeg_chunks;
use self::layout::{compression, photometric, Alpha, Colour, Layout};
use self::rewrite::rewrite;
use self::samples::{unpremultiply, Samples};
use super::{crop_to_square, sizes_for, Decoded};
use crate::crop;
use crate::error::Error;
use crate::geometry::{PixelRect, Rect};
use crate::options::Limits;
use crate::orient::Orientation;
use crate::raster::{Channels, Pixels, Raster};
use crate::sniff::Format;

/// Decodes the TIFF `bytes` within `limits`: the directory first (limits, orientation, sizes,
/// what the samples are), then the chunks that hold the centre square.
pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, Error> {
    let mut decoder = open(bytes, limits)?;
    let (width, height) = decoder.dimensions().map_err(|e| from_tiff(e, bytes))?;
    limits.check_dimensions(u64::from(width), u64::from(height))?;
    let orientation = decoder
        .find_tag_unsigned::<u16>(Tag::Orientation)
        .ok()
        .flatten()
        .map(Orientation::from_exif)
        .unwrap_or_default();
    let sizes = sizes_for(width, height, orientation)?;
    let layout = Layout::read(&mut decoder, bytes, width, height)?;
    // A profile that cannot be read is ignored, as browsers do: the pixels are still good.
    let icc = decoder.get_tag_u8_vec(Tag::IccProfile).ok();

    let square = crop::stored_centre_square(width, height, orientation);
    let kept = square.enclosing_pixels(width, height);
    let raster = if layout.compression == compression::JPEG {
        read_jpeg_chunks(bytes, &layout, kept, limits)?
    } else {
        match rewrite(bytes, &layout)? {
            Some(copy) => read_chunks(&mut open(&copy, limits)?, &copy, &layout, kept)?,
            None => read_chunks(&mut decoder, bytes, &layout, kept)?,
        }
    };
    let square = Rect {
        left: square.left - f64::from(kept.left),
        top: square.top - f64::from(kept.top),
        ..square
    };
    Ok(crop_to_square(
        Pixels::Packed(raster),
        square,
        orientation,
        icc,
        sizes,
        (width, height),
    ))
}

/// The tiff crate's decoder on `bytes`, with its first directory read.
fn open<'a>(bytes: &'a [u8], limits: &Limits) -> Result<TiffDecoder<Cursor<&'a [u8]>>, Error> {
    let mut tiff_limits = TiffLimits::default();
    // Tag values (the ICC profile, the chunk offsets) within the metadata budget; a chunk's
    // compressed bytes and its decompressed pixels within what a decoder may allocate.
    tiff_limits.ifd_value_size = usize::try_from(Limits::MAX_METADATA_BYTES).unwrap_or(usize::MAX);
    tiff_limits.intermediate_buffer_size =
        usize::try_from(limits.decoder_allocation()).unwrap_or(usize::MAX);
    tiff_limits.decoding_buffer_size = tiff_limits.intermediate_buffer_size;
    Ok(TiffDecoder::new(Cursor::new(bytes))
        .map_err(|e| from_tiff(e, bytes))?
        .with_limits(tiff_limits))
}

/// The words of a refusal: [`Error::Unsupported`] for TIFF.
pub(super) fn unsupported(feature: impl Into<String>) -> Error {
    Error::unsupported(Format::Tiff, feature)
}

/// The words of damage: [`Error::Corrupt`] for TIFF.
pub(super) fn corrupt(detail: impl Into<String>) -> Error {
    Error::corrupt(Format::Tiff, detail)
}

/// A chunk that would take more memory than the limits allow a decoder.
pub(super) fn over_memory_limit() -> Error {
    corrupt("decoding a strip or tile would exceed the memory limit")
}

/// Reads the chunks over `kept` with the tiff crate (from `bytes`, the file it reads, opened by
/// [`open`] with the limits) into a raster of `kept`.
fn read_chunks(
    decoder: &mut TiffDecoder<Cursor<&[u8]>>,
    bytes: &[u8],
    layout: &Layout,
    kept: PixelRect,
) -> Result<Raster, Error> {
    let channels = layout.channels();
    let palette = match &layout.colour {
        Colour::Palette(map) => Some(map.as_slice()),
        _ => None,
    };
    // Where each of the raster's channels comes from: the sample of a pixel (palette indices
    // give three channels from one sample).
    let colour = usize::from(layout.colour.samples());
    let mut sources: Vec<(usize, usize)> = match palette {
        Some(_) => vec![(0, 0)],
        None => (0..colour).map(|c| (c, c)).collect(),
    };
    if layout.alpha != Alpha::None {
        sources.push((channels.count() - 1, colour));
    }
    // The samples of a pixel as the tiff crate gives them in a chunk.
    let per_pixel = if layout.planar {
        1
    } else {
        match decoder.colortype().map_err(|e| from_tiff(e, bytes))? {
            ColorType::Gray(_) => 1,
            ColorType::RGB(_) => 3,
            ColorType::RGBA(_) | ColorType::CMYK(_) => 4,
            ColorType::Multiband { num_samples, .. } => usize::from(num_samples),
            other => return Err(unsupported(format!("TIFF colour type {other:?}"))),
        }
    };
    if sources
        .iter()
        .any(|&(_, sample)| sample >= per_pixel && !layout.planar)
    {
        return Err(corrupt("fewer samples per pixel than the image describes"));
    }
    let samples = Samples {
        bits: layout.bits,
        per_pixel,
        raw: palette.is_some(),
    };
    // Samples from planes: one pass per plane that holds a channel; else one pass for all.
    let passes: Vec<(usize, Vec<(usize, usize)>)> = if layout.planar {
        sources
            .iter()
            .map(|&(channel, sample)| (sample, vec![(channel, 0)]))
            .collect()
    } else {
        vec![(0, sources)]
    };

    // A chunk's rows are read whole, however much of them the image holds: the tiff crate
    // reads the part of a row in the image and skips the rest, and its LZW reader can fail on
    // such short reads (it ends with "no lzw end code found" on tiles cut by the image's right
    // edge).
    let chunk_samples = if layout.planar { 1 } else { layout.samples };
    let stride =
        (u64::from(layout.chunk.0) * u64::from(layout.bits) * u64::from(chunk_samples)).div_ceil(8);
    let stride = usize::try_from(stride).map_err(|_| over_memory_limit())?;

    let mut raster = raster_for(kept, channels);
    let out_channels = channels.count();
    let per_plane = layout.across() as usize * layout.down() as usize;
    let mut chunk = DecodingResult::U8(Vec::new());
    for (index, rect, part) in layout.chunks_over(kept) {
        for (plane, targets) in &passes {
            let index = plane * per_plane + index;
            // The decompressor must fill the chunk: a strip or tile cut short by the end of the
            // file, or whose data runs out, is an error (a byte count past the end is not).
            // The tiff crate checks the buffer against the limits `open` gave it before it
            // makes it.
            decoder
                .read_chunk_to_buffer(&mut chunk, index as u32, stride)
                .map_err(|e| match e {
                    TiffError::LimitsExceeded => over_memory_limit(),
                    other => in_chunk(from_tiff(other, bytes)),
                })?;
            let data = chunk.as_buffer(0);
            let data = data.as_bytes();
            // The tiff crate gives the bottom tiles of planes after the first their whole
            // height: more rows than the image has there, which are ignored.
            let needed = samples.row_bytes((part.left - rect.left + part.width) as usize);
            let rows = (part.top - rect.top + part.height) as usize;
            if stride < needed || data.len() < stride * (rows - 1) + needed {
                return Err(corrupt("a strip or tile is laid out unlike the image"));
            }
            for y in part.top..part.top + part.height {
                let row = &data[(y - rect.top) as usize * stride..][..needed];
                let out_row = (y - kept.top) as usize * kept.width as usize;
                for x in part.left..part.left + part.width {
                    let pixel = (out_row + (x - kept.left) as usize) * out_channels;
                    let in_chunk = (x - rect.left) as usize;
                    for &(channel, sample) in targets {
                        let value = samples.get(row, in_chunk, sample);
                        match palette {
                            Some(map) if channel == 0 => {
                                let rgb = map.get(usize::from(value)).copied().unwrap_or_default();
                                raster.data[pixel..pixel + 3].copy_from_slice(&rgb);
                            }
                            _ => raster.data[pixel + channel] = value,
                        }
                    }
                }
            }
        }
    }
    if layout.alpha == Alpha::Premultiplied {
        unpremultiply(&mut raster);
    }
    Ok(raster)
}

/// A zeroed raster of `channels` for the pixels of `kept`, which lies within an image the
/// limits allow.
pub(super) fn raster_for(kept: PixelRect, channels: Channels) -> Raster {
    let length = kept.width as usize * kept.height as usize * channels.count();
    Raster {
        width: kept.width,
        height: kept.height,
        channels,
        data: vec![0; length],
    }
}

/// A tiff crate error in the words of [`Error`]; `bytes` to name a photometric interpretation
/// it does not know, or the compression of a directory it cannot read.
pub(super) fn from_tiff(error: TiffError, bytes: &[u8]) -> Error {
    // A directory the tiff crate cannot make sense of, in a compression that would be refused
    // anyway: the compression is the answer (old-style JPEG files, for one, often lack tags the
    // tiff crate needs).
    if let (TiffError::FormatError(_), Some(value)) = (&error, unread_compression(bytes)) {
        return Error::Unsupported {
            format: Format::Tiff,
            feature: compression::name(value),
            source: Some(Box::new(error)),
        };
    }
    match error {
        TiffError::UnsupportedError(TiffUnsupportedError::UnknownInterpretation) => {
            let value = Directory::first(bytes).and_then(|d| d.number(bytes, 262));
            Error::Unsupported {
                format: Format::Tiff,
                feature: match value.and_then(|v| u16::try_from(v).ok()) {
                    Some(value) => photometric::name(value),
                    None => "no photometric interpretation (tag 262)".to_owned(),
                },
                source: Some(Box::new(error)),
            }
        }
        TiffError::UnsupportedError(ref e) => Error::Unsupported {
            format: Format::Tiff,
            feature: e.to_string(),
            source: Some(Box::new(error)),
        },
        TiffError::IoError(ref e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::Corrupt {
                format: Format::Tiff,
                detail: "the file is truncated".to_owned(),
                source: Some(Box::new(error)),
            }
        }
        TiffError::LimitsExceeded => Error::Corrupt {
            format: Format::Tiff,
            detail: "decoding would exceed the memory limit".to_owned(),
            source: Some(Box::new(error)),
        },
        TiffError::FormatError(TiffFormatError::CycleInOffsets) => Error::Corrupt {
            format: Format::Tiff,
            detail: "the image directories form a cycle".to_owned(),
            source: Some(Box::new(error)),
        },
        other => Error::Corrupt {
            format: Format::Tiff,
            detail: other.to_string(),
            source: Some(Box::new(other)),
        },
    }
}

/// The first directory's compression, read from the bytes, when it is one that is not read.
fn unread_compression(bytes: &[u8]) -> Option<u16> {
    let value = Directory::first(bytes)?.number(bytes, 259)?;
    u16::try_from(value)
        .ok()
        .filter(|&value| !compression::is_read(value))
}

/// `error`, from reading a strip or tile, saying so.
fn in_chunk(error: Error) -> Error {
    match error {
        Error::Corrupt {
            format,
            detail,
            source,
        } => Error::Corrupt {
            format,
            detail: format!("a strip or tile does not decompress: {detail}"),
            source,
        },
        other => other,
    }
}
