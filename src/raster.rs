//! Decoded pixels in memory: 8 bits per channel, rows packed, or JPEG's own planes.

use crate::geometry::PixelRect;
use crate::planes::Ycc;

/// The channels of a [`Raster`]'s pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channels {
    Gray,
    GrayAlpha,
    Rgb,
    Rgba,
    /// Ink amounts, 0 = no ink (as jpeg-decoder and ICC CMYK profiles have them).
    Cmyk,
}

impl Channels {
    pub fn count(self) -> usize {
        match self {
            Channels::Gray => 1,
            Channels::GrayAlpha => 2,
            Channels::Rgb => 3,
            Channels::Rgba | Channels::Cmyk => 4,
        }
    }
}

/// An image of 8-bit channels, rows packed without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Raster {
    pub width: u32,
    pub height: u32,
    pub channels: Channels,
    pub data: Vec<u8>,
}

impl Raster {
    /// The pixels of `rect`, which must lie inside.
    ///
    /// Moves the kept rows to the front of the same buffer instead of copying them into a new
    /// one: a decoded photo is megabytes, and fresh memory costs a page fault per 4 KiB on
    /// top of the copy.
    pub fn crop(mut self, rect: PixelRect) -> Raster {
        let PixelRect {
            left,
            top,
            width,
            height,
        } = rect;
        if rect == PixelRect::whole(self.width, self.height) {
            return self;
        }
        let bpp = self.channels.count();
        let stride = self.width as usize * bpp;
        let row_bytes = width as usize * bpp;
        for (kept, row) in (top..top + height).enumerate() {
            let start = row as usize * stride + left as usize * bpp;
            // Row `kept` goes to `kept * row_bytes`, never after where it comes from, so the
            // rows still to move are never overwritten.
            self.data
                .copy_within(start..start + row_bytes, kept * row_bytes);
        }
        self.data.truncate(row_bytes * height as usize);
        Raster {
            width,
            height,
            channels: self.channels,
            data: self.data,
        }
    }
}

/// Pixels as they travel from decoding through resampling to encoding: packed channels (sRGB
/// RGB8 once colour-converted), or JPEG's own planes where they can stay as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pixels {
    Packed(Raster),
    Planar(Ycc),
}

impl Pixels {
    /// The width and height in pixels (of the luma plane, for planes).
    pub fn size(&self) -> (u32, u32) {
        match self {
            Pixels::Packed(raster) => (raster.width, raster.height),
            Pixels::Planar(ycc) => (ycc.width, ycc.height),
        }
    }

    /// Whether every plane holds exactly the samples its size says.
    pub fn is_consistent(&self) -> bool {
        match self {
            Pixels::Packed(raster) => {
                raster.data.len()
                    == raster.width as usize * raster.height as usize * raster.channels.count()
            }
            Pixels::Planar(ycc) => ycc.is_consistent(),
        }
    }

    /// Says the pixels are `height` rows high, once their planes have been given that many
    /// rows.
    pub fn set_height(&mut self, height: u32) {
        match self {
            Pixels::Packed(raster) => raster.height = height,
            Pixels::Planar(ycc) => ycc.height = height,
        }
    }

    /// Each plane's samples as rows of bytes: one plane of packed pixels, or luma and chroma.
    pub fn planes_mut(&mut self) -> Vec<Plane<'_>> {
        match self {
            Pixels::Packed(raster) => vec![Plane {
                data: &mut raster.data,
                row_bytes: raster.width as usize * raster.channels.count(),
                down: 1,
            }],
            Pixels::Planar(ycc) => {
                let chroma_width = ycc.chroma_width();
                let down = ycc.subsampling.1;
                vec![
                    Plane {
                        data: &mut ycc.y,
                        row_bytes: ycc.width as usize,
                        down: 1,
                    },
                    Plane {
                        data: &mut ycc.cbcr,
                        row_bytes: 2 * chroma_width as usize,
                        down,
                    },
                ]
            }
        }
    }
}

/// One plane of [`Pixels`], for code that handles every plane alike.
pub(crate) struct Plane<'a> {
    pub data: &'a mut Vec<u8>,
    pub row_bytes: usize,
    /// How many image rows each of its rows spans (the vertical chroma subsampling).
    pub down: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raster whose every byte says where it comes from: row, column and channel.
    fn numbered(width: u32, height: u32, channels: Channels) -> Raster {
        let bpp = channels.count();
        let data = (0..height as usize)
            .flat_map(|y| (0..width as usize * bpp).map(move |x| (y * 31 + x * 7) as u8))
            .collect();
        Raster {
            width,
            height,
            channels,
            data,
        }
    }

    #[test]
    fn crop_keeps_exactly_the_rectangle() {
        for channels in [Channels::Gray, Channels::Rgb, Channels::Rgba] {
            let bpp = channels.count();
            let whole = numbered(9, 7, channels);
            for (left, top, width, height) in [
                (0, 0, 9, 7),
                (0, 0, 9, 3),
                (0, 2, 9, 5),
                (3, 0, 6, 7),
                (2, 1, 4, 4),
                (8, 6, 1, 1),
            ] {
                let cropped = whole.clone().crop(PixelRect {
                    left,
                    top,
                    width,
                    height,
                });
                assert_eq!((cropped.width, cropped.height), (width, height));
                assert_eq!(cropped.channels, channels);
                let expected: Vec<u8> = (top..top + height)
                    .flat_map(|y| {
                        let start = (y * whole.width + left) as usize * bpp;
                        whole.data[start..start + width as usize * bpp].to_vec()
                    })
                    .collect();
                assert_eq!(cropped.data, expected, "{left},{top} {width}x{height}");
            }
        }
    }
}
