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
    pub fn crop(self, left: u32, top: u32, width: u32, height: u32) -> Raster {
        if (left, top, width, height) == (0, 0, self.width, self.height) {
            return self;
        }
        let bpp = self.channels.count();
        let stride = self.width as usize * bpp;
        let row_bytes = width as usize * bpp;
        // Bounded: the rectangle lies inside this raster, whose buffer already exists.
        #[allow(clippy::disallowed_methods)]
        let mut data = Vec::with_capacity(row_bytes * height as usize);
        for row in top..top + height {
            let start = row as usize * stride + left as usize * bpp;
            data.extend_from_slice(&self.data[start..start + row_bytes]);
        }
        Raster {
            width,
            height,
            channels: self.channels,
            data,
        }
    }
}
