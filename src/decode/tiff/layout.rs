//! How a TIFF's first image stores its pixels, read from its directory: what the samples
//! mean, their depth, the chunks (strips or tiles) and where they lie; and what is refused,
//! in words naming it.

use std::io::Cursor;
use std::ops::Range;

use tiff::decoder::{ChunkType, Decoder as TiffDecoder};
use tiff::tags::{ExtraSamples, Tag};

use super::samples::sixteen_to_eight;
use super::{corrupt, from_tiff, unsupported};
use crate::error::Error;
use crate::geometry::PixelRect;
use crate::raster::Channels;

/// Compression values (tag 259) that are read or named.
pub(super) mod compression {
    pub const NONE: u16 = 1;
    pub const FAX4: u16 = 4;
    pub const LZW: u16 = 5;
    pub const JPEG: u16 = 7;
    pub const DEFLATE: u16 = 8;
    pub const PACKBITS: u16 = 32773;
    pub const ADOBE_DEFLATE: u16 = 32946;

    /// Whether chunks of this compression are read (by the tiff crate, or as JPEG).
    pub fn is_read(value: u16) -> bool {
        matches!(
            value,
            NONE | FAX4 | LZW | JPEG | DEFLATE | ADOBE_DEFLATE | PACKBITS
        )
    }

    /// What a compression that is not read is called.
    pub fn name(value: u16) -> String {
        let name = match value {
            2 => "CCITT modified Huffman (RLE) compression",
            3 => "CCITT Group 3 fax compression",
            6 => "old-style JPEG compression",
            32771 => "CCITT RLE-word compression",
            32809 => "ThunderScan compression",
            32908 | 32909 => "Pixar log compression",
            34661 => "JBIG compression",
            34676 | 34677 => "SGI log compression",
            34712 => "JPEG 2000 compression",
            34887 => "LERC compression",
            34925 => "LZMA compression",
            50000 => "Zstandard compression",
            50001 => "WebP compression",
            52546 => "JPEG XL compression",
            _ => return format!("compression {value} (unknown)"),
        };
        format!("{name} ({value})")
    }
}

/// PhotometricInterpretation values (tag 262) that are read or named.
pub(super) mod photometric {
    pub const WHITE_IS_ZERO: u16 = 0;
    pub const BLACK_IS_ZERO: u16 = 1;
    pub const RGB: u16 = 2;
    pub const PALETTE: u16 = 3;
    pub const SEPARATED: u16 = 5;
    pub const YCBCR: u16 = 6;

    /// What a photometric interpretation that is not read is called.
    pub fn name(value: u16) -> String {
        let name = match value {
            4 => "transparency mask pixels",
            8 => "CIELab pixels",
            9 => "ICC Lab pixels",
            10 => "ITU Lab pixels",
            32803 => "colour filter array (raw sensor) pixels",
            32844 => "LogL pixels",
            32845 => "LogLuv pixels",
            34892 => "linear raw pixels",
            _ => return format!("photometric interpretation {value} (unknown)"),
        };
        format!("{name} (photometric interpretation {value})")
    }
}

/// What the samples of a pixel mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Colour {
    /// Grey; 0 is white when `white_is_zero`.
    Grey {
        white_is_zero: bool,
    },
    Rgb,
    /// Indices into the colour map, read as RGB.
    Palette(Vec<[u8; 3]>),
    /// Ink amounts (0 = no ink), read as CMYK for the colour step and the embedded profile.
    Cmyk,
    /// Luma and chroma (JPEG-compressed only: jpeg-decoder turns them into RGB).
    YCbCr,
}

impl Colour {
    /// How many samples of a pixel carry the colour.
    pub(super) fn samples(&self) -> u16 {
        match self {
            Colour::Grey { .. } | Colour::Palette(_) => 1,
            Colour::Rgb | Colour::YCbCr => 3,
            Colour::Cmyk => 4,
        }
    }
}

/// Whether the first extra sample is alpha, and how the colour relates to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Alpha {
    None,
    /// Colour as it is (ExtraSamples 2, or an RGB image's unlabelled fourth sample).
    Straight,
    /// Colour already multiplied by alpha (ExtraSamples 1).
    Premultiplied,
}

/// How the first image stores its pixels, as far as decoding it goes: everything that is not
/// read has been refused, naming what it is, by [`Layout::read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Layout {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) colour: Colour,
    pub(super) alpha: Alpha,
    /// Bits per sample: 1, 2, 4, 8, 12, 16 or 32.
    pub(super) bits: u8,
    /// SamplesPerPixel.
    pub(super) samples: u16,
    /// Each sample in planes of its own (PlanarConfiguration 2).
    pub(super) planar: bool,
    pub(super) tiled: bool,
    /// The width and height of a chunk: a tile, or the image's width and the rows of a strip.
    pub(super) chunk: (u32, u32),
    pub(super) compression: u16,
    /// The bits of each byte are stored least significant first (FillOrder 2).
    pub(super) bits_reversed: bool,
    /// Where each chunk's bytes are in the file, plane by plane (file offset, length).
    pub(super) chunks: Vec<(u64, u64)>,
    /// JPEGTables: the tables every JPEG-compressed chunk refers to.
    pub(super) jpeg_tables: Option<Vec<u8>>,
}

impl Layout {
    /// Reads the tags of the current image and refuses, in words, what is not read.
    pub(super) fn read(
        decoder: &mut TiffDecoder<Cursor<&[u8]>>,
        bytes: &[u8],
        width: u32,
        height: u32,
    ) -> Result<Layout, Error> {
        let mut number = |tag: Tag, default: u16| -> Result<u16, Error> {
            Ok(decoder
                .find_tag_unsigned::<u16>(tag)
                .map_err(|e| from_tiff(e, bytes))?
                .unwrap_or(default))
        };
        let compression = number(Tag::Compression, compression::NONE)?;
        let photometric = number(Tag::PhotometricInterpretation, u16::MAX)?;
        let samples = number(Tag::SamplesPerPixel, 1)?;
        let planar = number(Tag::PlanarConfiguration, 1)? == 2;
        let predictor = number(Tag::Predictor, 1)?;
        let bits_reversed = number(Tag::FillOrder, 1)? == 2;
        let ink_set = number(Tag::Unknown(332), 1)?;
        let vector = |decoder: &mut TiffDecoder<Cursor<&[u8]>>, tag: Tag| {
            decoder
                .find_tag_unsigned_vec::<u16>(tag)
                .map_err(|e| from_tiff(e, bytes))
        };
        let bits = vector(decoder, Tag::BitsPerSample)?.unwrap_or_else(|| vec![1]);
        let formats = vector(decoder, Tag::SampleFormat)?.unwrap_or_default();
        let extra = vector(decoder, Tag::ExtraSamples)?;

        if !compression::is_read(compression) {
            return Err(unsupported(compression::name(compression)));
        }
        if let Some(&format) = formats.iter().find(|&&f| f != 1) {
            return Err(unsupported(match format {
                2 => "signed integer samples (sample format 2)".to_owned(),
                3 => "floating-point samples (sample format 3)".to_owned(),
                other => format!("samples of sample format {other}"),
            }));
        }
        // The tiff crate has checked that every sample has the same depth.
        let bits = bits.first().copied().unwrap_or(1);
        let bits = u8::try_from(bits).map_err(|_| unsupported(format!("{bits}-bit samples")))?;

        let jpeg = compression == compression::JPEG;
        let colour = match photometric {
            photometric::WHITE_IS_ZERO | photometric::BLACK_IS_ZERO => Colour::Grey {
                white_is_zero: photometric == photometric::WHITE_IS_ZERO,
            },
            photometric::RGB => Colour::Rgb,
            photometric::PALETTE => Colour::Palette(Vec::new()),
            photometric::SEPARATED if ink_set == 1 => Colour::Cmyk,
            photometric::SEPARATED => {
                return Err(unsupported(format!(
                    "inks other than CMYK (InkSet {ink_set})"
                )))
            }
            photometric::YCBCR if jpeg => Colour::YCbCr,
            photometric::YCBCR => {
                return Err(unsupported(
                    "YCbCr pixels (photometric interpretation 6) that are not JPEG-compressed",
                ))
            }
            u16::MAX => return Err(unsupported("no photometric interpretation (tag 262)")),
            other => return Err(unsupported(photometric::name(other))),
        };
        let colour_samples = colour.samples();
        if samples < colour_samples {
            return Err(corrupt(format!(
                "{samples} samples per pixel, too few for the photometric interpretation"
            )));
        }
        let alpha = match extra.as_deref().and_then(<[u16]>::first) {
            _ if samples == colour_samples => Alpha::None,
            Some(&value) if value == ExtraSamples::AssociatedAlpha.to_u16() => Alpha::Premultiplied,
            Some(&value) if value == ExtraSamples::UnassociatedAlpha.to_u16() => Alpha::Straight,
            // As the tiff crate reads it: an RGB image's fourth sample, unlabelled, is alpha.
            None if colour == Colour::Rgb && samples == 4 => Alpha::Straight,
            _ => Alpha::None,
        };

        // The depths each kind of sample is read at.
        let grey = matches!(colour, Colour::Grey { .. });
        let bits_allowed: &[u8] = match &colour {
            _ if jpeg => &[8],
            _ if compression == compression::FAX4 => &[1],
            Colour::Grey { .. } => &[1, 2, 4, 8, 12, 16, 32],
            Colour::Palette(_) => &[1, 2, 4, 8],
            Colour::Rgb | Colour::Cmyk | Colour::YCbCr => &[8, 16, 32],
        };
        if !bits_allowed.contains(&bits) {
            let what = match (&colour, compression) {
                (_, compression::JPEG) => "JPEG-compressed",
                (_, compression::FAX4) => "CCITT Group 4 fax",
                (Colour::Grey { .. }, _) => "grey",
                (Colour::Palette(_), _) => "palette",
                (Colour::Rgb, _) => "RGB",
                (Colour::Cmyk, _) => "CMYK",
                (Colour::YCbCr, _) => "YCbCr",
            };
            return Err(unsupported(format!("{bits}-bit {what} samples")));
        }
        if compression == compression::FAX4 && !(grey && samples == 1) {
            return Err(corrupt(
                "CCITT Group 4 fax compression of other than one grey sample",
            ));
        }
        if colour == Colour::Cmyk && alpha != Alpha::None {
            return Err(unsupported("CMYK with an alpha channel"));
        }
        if colour == Colour::Cmyk && samples > 4 && extra.is_none() {
            return Err(unsupported(format!("{samples} inks (CMYK has 4)")));
        }
        if bits == 12 && samples != 1 {
            return Err(unsupported(
                "12-bit samples with more than one sample per pixel",
            ));
        }
        if colour
            == (Colour::Grey {
                white_is_zero: true,
            })
            && samples > 1
        {
            // The tiff crate inverts only single grey samples.
            return Err(unsupported("white-is-zero grey with extra samples"));
        }
        match predictor {
            1 => {}
            2 if matches!(bits, 8 | 16 | 32) && !jpeg => {}
            2 => {
                return Err(unsupported(format!(
                    "the horizontal predictor with {bits}-bit samples"
                )))
            }
            3 => return Err(unsupported("the floating-point predictor (predictor 3)")),
            other => return Err(corrupt(format!("unknown predictor {other}"))),
        }
        if jpeg && planar && samples > 1 {
            return Err(unsupported(
                "JPEG-compressed samples in separate planes (planar configuration 2)",
            ));
        }

        let colour = match colour {
            Colour::Palette(_) => Colour::Palette(colour_map(decoder, bytes, bits)?),
            other => other,
        };
        let tiled = decoder.get_chunk_type() == ChunkType::Tile;
        let chunk = if tiled {
            let size = |decoder: &mut TiffDecoder<Cursor<&[u8]>>, tag| {
                decoder.get_tag_u32(tag).map_err(|e| from_tiff(e, bytes))
            };
            (
                size(decoder, Tag::TileWidth)?,
                size(decoder, Tag::TileLength)?,
            )
        } else {
            let rows = decoder
                .find_tag_unsigned::<u32>(Tag::RowsPerStrip)
                .map_err(|e| from_tiff(e, bytes))?
                .unwrap_or(height);
            (width, rows.min(height))
        };
        if chunk.0 == 0 || chunk.1 == 0 {
            return Err(corrupt("a tile or strip of no pixels"));
        }
        let (offsets, counts) = if tiled {
            (Tag::TileOffsets, Tag::TileByteCounts)
        } else {
            (Tag::StripOffsets, Tag::StripByteCounts)
        };
        let offsets = decoder
            .get_tag_u64_vec(offsets)
            .map_err(|e| from_tiff(e, bytes))?;
        let counts = decoder
            .get_tag_u64_vec(counts)
            .map_err(|e| from_tiff(e, bytes))?;
        let jpeg_tables = if jpeg {
            decoder.get_tag_u8_vec(Tag::JPEGTables).ok()
        } else {
            None
        };
        let layout = Layout {
            width,
            height,
            colour,
            alpha,
            bits,
            samples,
            planar: planar && samples > 1,
            tiled,
            chunk,
            compression,
            bits_reversed,
            chunks: offsets.into_iter().zip(counts).collect(),
            jpeg_tables,
        };
        let expected =
            u64::from(layout.across()) * u64::from(layout.down()) * u64::from(layout.planes());
        if layout.chunks.len() as u64 != expected {
            return Err(corrupt(format!(
                "{} strips or tiles where the image needs {expected}",
                layout.chunks.len()
            )));
        }
        Ok(layout)
    }

    /// Chunks across the image.
    pub(super) fn across(&self) -> u32 {
        self.width.div_ceil(self.chunk.0)
    }

    /// Chunks down the image.
    pub(super) fn down(&self) -> u32 {
        self.height.div_ceil(self.chunk.1)
    }

    /// How many planes the chunks come in: one, or one per sample.
    pub(super) fn planes(&self) -> u16 {
        if self.planar {
            self.samples
        } else {
            1
        }
    }

    /// The channels of the raster the image is read into.
    pub(super) fn channels(&self) -> Channels {
        match (&self.colour, self.alpha) {
            (Colour::Grey { .. }, Alpha::None) => Channels::Gray,
            (Colour::Grey { .. }, _) => Channels::GrayAlpha,
            (Colour::Rgb | Colour::YCbCr | Colour::Palette(_), Alpha::None) => Channels::Rgb,
            (Colour::Rgb | Colour::YCbCr | Colour::Palette(_), _) => Channels::Rgba,
            (Colour::Cmyk, _) => Channels::Cmyk,
        }
    }

    /// The pixels of chunk `row`, `column` (of a plane), within the image.
    pub(super) fn chunk_rect(&self, row: u32, column: u32) -> PixelRect {
        let (left, top) = (column * self.chunk.0, row * self.chunk.1);
        PixelRect {
            left,
            top,
            width: self.chunk.0.min(self.width - left),
            height: self.chunk.1.min(self.height - top),
        }
    }

    /// The chunks holding any pixel of `kept`: (index within a plane, its pixels, the part of
    /// `kept` in it).
    pub(super) fn chunks_over(&self, kept: PixelRect) -> Vec<(usize, PixelRect, PixelRect)> {
        let rows = kept.top / self.chunk.1..=(kept.top + kept.height - 1) / self.chunk.1;
        let columns = kept.left / self.chunk.0..=(kept.left + kept.width - 1) / self.chunk.0;
        rows.flat_map(|row| columns.clone().map(move |column| (row, column)))
            .map(|(row, column)| {
                let rect = self.chunk_rect(row, column);
                let index = row as usize * self.across() as usize + column as usize;
                (index, rect, intersection(rect, kept))
            })
            .collect()
    }

    /// Where chunk `index` (counted over every plane) lies in a file of `length` bytes, if it
    /// lies inside.
    pub(super) fn chunk_range(&self, index: usize, length: usize) -> Option<Range<usize>> {
        let (offset, count) = *self.chunks.get(index)?;
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(usize::try_from(count).ok()?)?;
        (end <= length).then_some(start..end)
    }

    /// The bytes of chunk `index` (counted over every plane), which must lie inside `bytes`:
    /// one cut short or past the end means the file is truncated, whatever a decompressor
    /// would make of what is there.
    pub(super) fn chunk_bytes<'a>(&self, bytes: &'a [u8], index: usize) -> Result<&'a [u8], Error> {
        self.chunk_range(index, bytes.len())
            .map(|range| &bytes[range])
            .ok_or_else(|| corrupt("the file is truncated (a strip or tile lies past its end)"))
    }
}

/// The part of `a` that is in `b` (both non-empty and overlapping, as [`Layout::chunks_over`]
/// finds them).
pub(super) fn intersection(a: PixelRect, b: PixelRect) -> PixelRect {
    let left = a.left.max(b.left);
    let top = a.top.max(b.top);
    let right = (a.left + a.width).min(b.left + b.width);
    let bottom = (a.top + a.height).min(b.top + b.height);
    PixelRect {
        left,
        top,
        width: right - left,
        height: bottom - top,
    }
}

/// The colour map of a palette image of `bits`-bit indices, as 8-bit RGB.
///
/// The map holds 16-bit values; a map whose every value is under 256 was written with 8-bit
/// values, as some writers do, and is read as such (libtiff's viewers make the same guess).
fn colour_map(
    decoder: &mut TiffDecoder<Cursor<&[u8]>>,
    bytes: &[u8],
    bits: u8,
) -> Result<Vec<[u8; 3]>, Error> {
    let map = decoder
        .find_tag_unsigned_vec::<u16>(Tag::ColorMap)
        .map_err(|e| from_tiff(e, bytes))?
        .ok_or_else(|| corrupt("a palette image without a colour map (tag 320)"))?;
    let entries = 1usize << bits;
    if map.len() != 3 * entries {
        return Err(corrupt(format!(
            "a colour map of {} values for {bits}-bit indices (which need {})",
            map.len(),
            3 * entries
        )));
    }
    let eight_bit = map.iter().all(|&v| v < 256);
    let to_u8 = |v: u16| {
        if eight_bit {
            v as u8
        } else {
            sixteen_to_eight(v)
        }
    };
    Ok((0..entries)
        .map(|i| {
            [
                to_u8(map[i]),
                to_u8(map[entries + i]),
                to_u8(map[2 * entries + i]),
            ]
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersections_are_the_shared_pixels() {
        let rect = |left, top, width, height| PixelRect {
            left,
            top,
            width,
            height,
        };
        assert_eq!(
            intersection(rect(0, 0, 32, 16), rect(6, 10, 60, 60)),
            rect(6, 10, 26, 6)
        );
        assert_eq!(
            intersection(rect(64, 48, 8, 12), rect(6, 0, 60, 60)),
            rect(64, 48, 2, 12)
        );
    }
}
