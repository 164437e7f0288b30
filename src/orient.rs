//! EXIF orientation: reading it, and turning stored pixels the way they are meant to be seen.

use std::borrow::Cow;

use crate::planes::Ycc;
use crate::raster::{Pixels, Raster};

/// How the stored pixels must be transformed to be seen upright (EXIF tag 0x0112).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Orientation {
    /// 1: stored upright.
    #[default]
    Normal,
    /// 2: mirrored left to right.
    FlipHorizontal,
    /// 3: rotated 180°.
    Rotate180,
    /// 4: mirrored top to bottom.
    FlipVertical,
    /// 5: mirrored along the main diagonal (rows become columns).
    Transpose,
    /// 6: must be rotated 90° clockwise.
    Rotate90,
    /// 7: mirrored along the anti-diagonal.
    Transverse,
    /// 8: must be rotated 90° counter-clockwise.
    Rotate270,
}

impl Orientation {
    /// The eight orientations, in EXIF order (1–8).
    pub const ALL: [Orientation; 8] = [
        Orientation::Normal,
        Orientation::FlipHorizontal,
        Orientation::Rotate180,
        Orientation::FlipVertical,
        Orientation::Transpose,
        Orientation::Rotate90,
        Orientation::Transverse,
        Orientation::Rotate270,
    ];

    /// The orientation of an EXIF value; 0 and values above 8 (invalid) mean [`Normal`](Orientation::Normal).
    pub fn from_exif(value: u16) -> Orientation {
        match value {
            2 => Orientation::FlipHorizontal,
            3 => Orientation::Rotate180,
            4 => Orientation::FlipVertical,
            5 => Orientation::Transpose,
            6 => Orientation::Rotate90,
            7 => Orientation::Transverse,
            8 => Orientation::Rotate270,
            _ => Orientation::Normal,
        }
    }

    /// The EXIF value, 1–8.
    pub fn exif_value(self) -> u16 {
        match self {
            Orientation::Normal => 1,
            Orientation::FlipHorizontal => 2,
            Orientation::Rotate180 => 3,
            Orientation::FlipVertical => 4,
            Orientation::Transpose => 5,
            Orientation::Rotate90 => 6,
            Orientation::Transverse => 7,
            Orientation::Rotate270 => 8,
        }
    }

    /// The orientation recorded in a raw EXIF block (starting at its TIFF header, or at the
    /// `"Exif\0\0"` prefix of a JPEG APP1 segment, which some writers also put in WebP and PNG
    /// EXIF chunks), or `Normal` when there is none or it cannot be read.
    pub(crate) fn from_exif_block(exif: &[u8]) -> Orientation {
        let exif = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
        image::metadata::Orientation::from_exif_chunk(exif)
            .map(Orientation::from_image)
            .unwrap_or_default()
    }

    pub(crate) fn from_image(orientation: image::metadata::Orientation) -> Orientation {
        use image::metadata::Orientation as O;
        match orientation {
            O::NoTransforms => Orientation::Normal,
            O::FlipHorizontal => Orientation::FlipHorizontal,
            O::Rotate180 => Orientation::Rotate180,
            O::FlipVertical => Orientation::FlipVertical,
            O::Rotate90FlipH => Orientation::Transpose,
            O::Rotate90 => Orientation::Rotate90,
            O::Rotate270FlipH => Orientation::Transverse,
            O::Rotate270 => Orientation::Rotate270,
        }
    }

    /// Whether seeing the image upright swaps its width and height.
    pub fn swaps_sides(self) -> bool {
        matches!(
            self,
            Orientation::Transpose
                | Orientation::Rotate90
                | Orientation::Transverse
                | Orientation::Rotate270
        )
    }

    /// The upright `(width, height)` of an image stored as `width` x `height`.
    pub fn displayed(self, width: u32, height: u32) -> (u32, u32) {
        if self.swaps_sides() {
            (height, width)
        } else {
            (width, height)
        }
    }

    /// Where the upright point `(x, y)` lies in a stored image of `width` x `height`, in
    /// continuous coordinates (pixel edges, not pixel indices).
    pub(crate) fn to_stored(self, x: f64, y: f64, width: f64, height: f64) -> (f64, f64) {
        match self {
            Orientation::Normal => (x, y),
            Orientation::FlipHorizontal => (width - x, y),
            Orientation::Rotate180 => (width - x, height - y),
            Orientation::FlipVertical => (x, height - y),
            Orientation::Transpose => (y, x),
            Orientation::Rotate90 => (y, height - x),
            Orientation::Transverse => (width - y, height - x),
            Orientation::Rotate270 => (width - y, x),
        }
    }

    /// Turns a square rendition, stored as given, into its upright form (borrowed as it is
    /// when it already is upright): each of its planes, which are square too.
    pub(crate) fn apply_to_rendition(self, pixels: &Pixels) -> Cow<'_, Pixels> {
        if self == Orientation::Normal {
            return Cow::Borrowed(pixels);
        }
        let turn = |plane: &[u8], side: u32, channels: usize| {
            self.apply_to_square(plane, side as usize, channels)
        };
        Cow::Owned(match pixels {
            Pixels::Packed(raster) => Pixels::Packed(Raster {
                data: turn(&raster.data, raster.width, raster.channels.count()),
                ..*raster
            }),
            Pixels::Planar(ycc) => {
                let chroma = ycc.chroma_width();
                debug_assert_eq!(chroma, ycc.chroma_height());
                Pixels::Planar(Ycc {
                    y: turn(&ycc.y, ycc.width, 1),
                    cbcr: turn(&ycc.cbcr, chroma, 2),
                    ..*ycc
                })
            }
        })
    }

    /// Turns a square of `side` x `side` pixels of `channels` bytes each, stored as given, into
    /// its upright form.
    fn apply_to_square(self, pixels: &[u8], side: usize, channels: usize) -> Vec<u8> {
        let last = side - 1;
        let mut out = vec![0; pixels.len()];
        for y in 0..side {
            for x in 0..side {
                // The stored pixel seen at upright (x, y).
                let (sx, sy) = match self {
                    Orientation::Normal => (x, y),
                    Orientation::FlipHorizontal => (last - x, y),
                    Orientation::Rotate180 => (last - x, last - y),
                    Orientation::FlipVertical => (x, last - y),
                    Orientation::Transpose => (y, x),
                    Orientation::Rotate90 => (y, last - x),
                    Orientation::Transverse => (last - y, last - x),
                    Orientation::Rotate270 => (last - y, x),
                };
                let to = (y * side + x) * channels;
                let from = (sy * side + sx) * channels;
                out[to..to + channels].copy_from_slice(&pixels[from..from + channels]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_values_round_trip_and_invalid_is_normal() {
        for o in Orientation::ALL {
            assert_eq!(Orientation::from_exif(o.exif_value()), o);
        }
        assert_eq!(Orientation::from_exif(0), Orientation::Normal);
        assert_eq!(Orientation::from_exif(9), Orientation::Normal);
    }

    /// A big-endian EXIF block whose IFD0 holds only Orientation = 6.
    const EXIF_ROTATE_90: &[u8] =
        b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0";

    #[test]
    fn exif_blocks_are_read_with_or_without_the_app1_prefix() {
        assert_eq!(
            Orientation::from_exif_block(EXIF_ROTATE_90),
            Orientation::Rotate90
        );
        let prefixed = [&b"Exif\0\0"[..], EXIF_ROTATE_90].concat();
        assert_eq!(
            Orientation::from_exif_block(&prefixed),
            Orientation::Rotate90
        );
        assert_eq!(
            Orientation::from_exif_block(b"Exif\0\0"),
            Orientation::Normal
        );
    }

    /// A 2x2 square [a b; c d] seen upright, for each orientation, checked against the EXIF
    /// definitions (the row/column the 0th row and column stand for).
    #[test]
    fn square_transforms_match_exif() {
        let stored = vec![b'a', b'b', b'c', b'd'];
        let expected: [&[u8; 4]; 8] = [
            b"abcd", // 1
            b"badc", // 2: mirror
            b"dcba", // 3: 180
            b"cdab", // 4: flip vertical
            b"acbd", // 5: transpose
            b"cadb", // 6: rotate 90 clockwise
            b"dbca", // 7: transverse
            b"bdac", // 8: rotate 90 counter-clockwise
        ];
        for (o, want) in Orientation::ALL.into_iter().zip(expected) {
            assert_eq!(o.apply_to_square(&stored, 2, 1), want.to_vec(), "{o:?}");
        }
    }

    /// The continuous mapping agrees with the pixel mapping: the centre of upright pixel
    /// (x, y) maps to the centre of the stored pixel it shows.
    #[test]
    fn continuous_mapping_agrees_with_pixels() {
        let side = 5usize;
        let stored: Vec<u8> = (0..(side * side) as u8).collect();
        for o in Orientation::ALL {
            let upright = o.apply_to_square(&stored, side, 1);
            for y in 0..side {
                for x in 0..side {
                    let (sx, sy) =
                        o.to_stored(x as f64 + 0.5, y as f64 + 0.5, side as f64, side as f64);
                    let index = (sy - 0.5) as usize * side + (sx - 0.5) as usize;
                    assert_eq!(upright[y * side + x], stored[index], "{o:?} at {x},{y}");
                }
            }
        }
    }
}
