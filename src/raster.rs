//! Decoded pixels in memory: 8 bits per channel, rows packed.

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
#[derive(Debug, Clone)]
pub(crate) struct Raster {
    pub width: u32,
    pub height: u32,
    pub channels: Channels,
    pub data: Vec<u8>,
}

impl Raster {
    /// The pixels of the rectangle `(left, top, width, height)`, which must lie inside.
    ///
    /// Moves the kept rows to the front of the same buffer instead of copying them into a new
    /// one: a decoded photo is megabytes, and fresh memory costs a page fault per 4 KiB on
    /// top of the copy.
    pub fn crop(mut self, left: u32, top: u32, width: u32, height: u32) -> Raster {
        if (left, top, width, height) == (0, 0, self.width, self.height) {
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
                let cropped = whole.clone().crop(left, top, width, height);
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
