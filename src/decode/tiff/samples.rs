//! Samples as the tiff crate gives them, to 8 bits: 1, 2, 4 and 12 bits packed in rows from the
//! most significant bit, 8, 16 and 32 bits whole, in the machine's byte order.

use crate::raster::Raster;

/// How to read one sample out of a row of a decompressed chunk.
#[derive(Debug, Clone, Copy)]
pub(super) struct Samples {
    /// Bits per sample.
    pub(super) bits: u8,
    /// Samples per pixel in the chunk.
    pub(super) per_pixel: usize,
    /// Keep the value as it is (palette indices) instead of scaling it to 0–255.
    pub(super) raw: bool,
}

impl Samples {
    /// The bytes a row needs to hold samples of `pixels` pixels.
    pub(super) fn row_bytes(&self, pixels: usize) -> usize {
        (pixels * self.per_pixel * usize::from(self.bits)).div_ceil(8)
    }

    /// Sample `sample` of pixel `x` of `row`, as 8 bits; `row` holds at least
    /// [`row_bytes`](Samples::row_bytes)`(x + 1)` bytes.
    pub(super) fn get(&self, row: &[u8], x: usize, sample: usize) -> u8 {
        let index = x * self.per_pixel + sample;
        let bits = usize::from(self.bits);
        match self.bits {
            8 => row[index],
            16 => sixteen_to_eight(u16::from_ne_bytes([row[2 * index], row[2 * index + 1]])),
            32 => {
                let at = 4 * index;
                let value = u32::from_ne_bytes([row[at], row[at + 1], row[at + 2], row[at + 3]]);
                ((u64::from(value) * 255 + (1 << 31)) / u64::from(u32::MAX)) as u8
            }
            12 => {
                let at = index * 12 / 8;
                let value = if index % 2 == 0 {
                    u16::from(row[at]) << 4 | u16::from(row[at + 1]) >> 4
                } else {
                    u16::from(row[at] & 0x0F) << 8 | u16::from(row[at + 1])
                };
                ((u32::from(value) * 255 + 2047) / 4095) as u8
            }
            _ => {
                // 1, 2 or 4 bits, the first sample in the most significant bits.
                let at = index * bits;
                let max = (1u8 << bits) - 1;
                let value = (row[at / 8] >> (8 - bits - at % 8)) & max;
                if self.raw {
                    value
                } else {
                    value * (255 / max)
                }
            }
        }
    }
}

/// A 16-bit sample to 8 bits, rounded (as the image crate converts).
pub(super) fn sixteen_to_eight(v: u16) -> u8 {
    ((u32::from(v) + 128) / 257) as u8
}

/// Colour divided by alpha, so that it can be composited as straight colour.
pub(super) fn unpremultiply(raster: &mut Raster) {
    let channels = raster.channels.count();
    for pixel in raster.data.chunks_exact_mut(channels) {
        let (colour, alpha) = pixel.split_at_mut(channels - 1);
        let alpha = u32::from(alpha[0]);
        for value in colour {
            *value = match alpha {
                0 => 0,
                _ => ((u32::from(*value) * 255 + alpha / 2) / alpha).min(255) as u8,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::Channels;

    #[test]
    fn samples_of_every_depth_come_out_as_8_bits() {
        let at = |bits, per_pixel, raw, row: &[u8], x, sample| {
            Samples {
                bits,
                per_pixel,
                raw,
            }
            .get(row, x, sample)
        };
        // 1, 2 and 4 bits from the most significant end, scaled to 0–255 or kept as indices.
        let row = [0b1011_0010];
        let ones: Vec<u8> = (0..8).map(|x| at(1, 1, false, &row, x, 0)).collect();
        assert_eq!(ones, [255, 0, 255, 255, 0, 0, 255, 0]);
        let twos: Vec<u8> = (0..4).map(|x| at(2, 1, false, &row, x, 0)).collect();
        assert_eq!(twos, [170, 255, 0, 170]);
        let indices: Vec<u8> = (0..2).map(|x| at(4, 1, true, &row, x, 0)).collect();
        assert_eq!(indices, [0b1011, 0b0010]);
        // Two samples a pixel: pixel 1's second sample is the fourth 2-bit field.
        assert_eq!(at(2, 2, true, &row, 1, 1), 0b10);
        // 12 bits: 0xABC and 0xDEF packed in three bytes; 4095 is 255, 0x800 is 128.
        let row = [0xAB, 0xCD, 0xEF, 0xFF, 0xF8, 0x00];
        assert_eq!(
            at(12, 1, false, &row, 0, 0),
            ((0xABC * 255 + 2047) / 4095) as u8
        );
        assert_eq!(
            at(12, 1, false, &row, 1, 0),
            ((0xDEF * 255 + 2047) / 4095) as u8
        );
        assert_eq!(at(12, 1, false, &row, 2, 0), 255);
        assert_eq!(at(12, 1, false, &row, 3, 0), 128);
        // 16 and 32 bits in the machine's order, as the tiff crate gives them.
        let row: Vec<u8> = [0u16, 257 * 100, 65535]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let sixteens: Vec<u8> = (0..3).map(|x| at(16, 1, false, &row, x, 0)).collect();
        assert_eq!(sixteens, [0, 100, 255]);
        let row: Vec<u8> = [0u32, 0x0101_0101 * 100, u32::MAX]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect();
        let thirty_twos: Vec<u8> = (0..3).map(|x| at(32, 1, false, &row, x, 0)).collect();
        assert_eq!(thirty_twos, [0, 100, 255]);
    }

    #[test]
    fn row_bytes_round_up_to_whole_bytes() {
        let samples = |bits, per_pixel| Samples {
            bits,
            per_pixel,
            raw: false,
        };
        assert_eq!(samples(1, 1).row_bytes(9), 2);
        assert_eq!(samples(12, 1).row_bytes(3), 5);
        assert_eq!(samples(4, 3).row_bytes(3), 5);
        assert_eq!(samples(16, 4).row_bytes(2), 16);
    }

    #[test]
    fn premultiplied_colour_is_divided_by_alpha() {
        let mut raster = Raster {
            width: 3,
            height: 1,
            channels: Channels::GrayAlpha,
            data: vec![64, 128, 0, 0, 200, 255],
        };
        unpremultiply(&mut raster);
        assert_eq!(raster.data, [128, 128, 0, 0, 200, 255]);
    }
}
