//! A copy of a TIFF that the tiff crate can read, where it cannot read the file as it stands.

use std::ops::Range;

use tiff::tags::Tag;

use super::directory::Directory;
use super::layout::{photometric, Colour, Layout};
use super::unsupported;
use crate::error::Error;

/// A copy of `bytes` the tiff crate can read as the decoding needs, or `None` when it reads the
/// file as it stands:
///
/// - bit-reversed data (FillOrder 2) has the bits of every byte of its chunks put back in
///   order, as libtiff does before decompressing;
/// - a palette image says its samples are grey (the tiff crate reads no palettes), so the
///   indices come out as they are;
/// - 12-bit samples (which the tiff crate does not unpack) say they are 8-bit and the rows
///   (and tiles) say they are as many pixels wide as they are bytes, so each row comes out as
///   its packed bytes, unpacked here.
pub(super) fn rewrite(bytes: &[u8], layout: &Layout) -> Result<Option<Vec<u8>>, Error> {
    let palette = matches!(layout.colour, Colour::Palette(_));
    let twelve = layout.bits == 12;
    if !(layout.bits_reversed || palette || twelve) {
        return Ok(None);
    }
    let mut copy = bytes.to_vec();
    if layout.bits_reversed {
        // Chunks may share bytes; each byte is reversed once. Chunks past the end are left
        // for the decoding to report.
        let mut ranges: Vec<Range<usize>> = (0..layout.chunks.len())
            .filter_map(|index| layout.chunk_range(index, bytes.len()))
            .collect();
        ranges.sort_unstable_by_key(|range| (range.start, range.end));
        let mut done = 0;
        for range in ranges {
            for byte in &mut copy[range.start.max(done)..range.end.max(done)] {
                *byte = byte.reverse_bits();
            }
            done = done.max(range.end);
        }
    }
    let directory = Directory::first(bytes);
    let mut set = |tag: Tag, value: u32| {
        directory.is_some_and(|d| d.set_number(&mut copy, tag.to_u16(), value))
    };
    let unreadable = |what: &str| {
        unsupported(format!(
            "{what} whose directory holds its values in an unusual form"
        ))
    };
    if palette
        && !set(
            Tag::PhotometricInterpretation,
            photometric::BLACK_IS_ZERO.into(),
        )
    {
        return Err(unreadable("a palette image"));
    }
    if twelve {
        let bytes_wide = |pixels: u32| (u64::from(pixels) * 12).div_ceil(8);
        if layout.tiled && layout.chunk.0 % 2 != 0 {
            return Err(unsupported("12-bit samples in tiles of an odd width"));
        }
        let widened = u32::try_from(bytes_wide(layout.width)).ok();
        let tile = u32::try_from(bytes_wide(layout.chunk.0)).ok();
        if !(set(Tag::BitsPerSample, 8)
            && widened.is_some_and(|w| set(Tag::ImageWidth, w))
            && (!layout.tiled || tile.is_some_and(|w| set(Tag::TileWidth, w))))
        {
            return Err(unreadable("a 12-bit image"));
        }
    }
    Ok(Some(copy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tiff::layout::{compression, Alpha};

    /// A strip-by-strip layout of `chunks` (offset, length), for `rewrite`.
    fn layout_of(chunks: Vec<(u64, u64)>, bits_reversed: bool) -> Layout {
        Layout {
            width: 8,
            height: chunks.len() as u32,
            colour: Colour::Grey {
                white_is_zero: false,
            },
            alpha: Alpha::None,
            bits: 8,
            samples: 1,
            planar: false,
            tiled: false,
            chunk: (8, 1),
            compression: compression::NONE,
            bits_reversed,
            chunks,
            jpeg_tables: None,
        }
    }

    #[test]
    fn bit_reversal_reverses_each_chunk_byte_once() {
        let bytes: Vec<u8> = (0..32).collect();
        assert_eq!(
            rewrite(&bytes, &layout_of(vec![(4, 8)], false)).unwrap(),
            None
        );
        // Overlapping chunks, a chunk past the end, and one running past it.
        let layout = layout_of(vec![(4, 8), (8, 8), (40, 4), (30, 10)], true);
        let copy = rewrite(&bytes, &layout).unwrap().unwrap();
        for (at, (&before, &after)) in bytes.iter().zip(&copy).enumerate() {
            let want = if (4..16).contains(&at) {
                before.reverse_bits()
            } else {
                before
            };
            assert_eq!(after, want, "byte {at}");
        }
    }
}
