//! Where the centre square lies: pure geometry, no pixels.

use crate::geometry::Rect;
use crate::orient::Orientation;

/// The side of the centre square of an upright `width` x `height` image, and its top-left
/// corner in upright coordinates. When the margin is odd, the extra pixel is left on the
/// right or bottom.
pub(crate) fn centre_square(width: u32, height: u32) -> (u32, u32, u32) {
    let side = width.min(height);
    (side, (width - side) / 2, (height - side) / 2)
}

/// The centre square of an image stored as `width` x `height` with `orientation`, expressed in
/// stored coordinates: the region to resample so that, once turned upright, it is the centre
/// square of the upright image.
pub(crate) fn stored_centre_square(width: u32, height: u32, orientation: Orientation) -> Rect {
    let (upright_w, upright_h) = orientation.displayed(width, height);
    let (side, x, y) = centre_square(upright_w, upright_h);
    let (w, h) = (f64::from(width), f64::from(height));
    let (ax, ay) = orientation.to_stored(f64::from(x), f64::from(y), w, h);
    let (bx, by) = orientation.to_stored(f64::from(x + side), f64::from(y + side), w, h);
    Rect {
        left: ax.min(bx),
        top: ay.min(by),
        width: (ax - bx).abs(),
        height: (ay - by).abs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::PixelRect;

    #[test]
    fn centre_square_keeps_the_middle() {
        assert_eq!(centre_square(800, 600), (600, 100, 0));
        assert_eq!(centre_square(600, 800), (600, 0, 100));
        assert_eq!(centre_square(5, 4), (4, 0, 0));
        assert_eq!(centre_square(48, 48), (48, 0, 0));
    }

    #[test]
    fn stored_square_follows_orientation() {
        // 5x4 stored, seen flipped: the upright crop starts at x=0, which is stored x=1.
        let r = stored_centre_square(5, 4, Orientation::FlipHorizontal);
        assert_eq!((r.left, r.top, r.width, r.height), (1.0, 0.0, 4.0, 4.0));
        // 4x7 stored, rotated 90°: upright 7x4, crop x=1 upright is stored y = 7-1-4 = 2.
        let r = stored_centre_square(4, 7, Orientation::Rotate90);
        assert_eq!((r.left, r.top, r.width, r.height), (0.0, 2.0, 4.0, 4.0));
        let r = stored_centre_square(4, 7, Orientation::Normal);
        assert_eq!((r.left, r.top, r.width, r.height), (0.0, 1.0, 4.0, 4.0));
    }

    /// Where upright pixel `(x, y)` of an image stored as `w` x `h` is stored, written out
    /// case by case from the EXIF definitions.
    fn naive_stored(o: Orientation, x: u32, y: u32, w: u32, h: u32) -> (u32, u32) {
        match o {
            Orientation::Normal => (x, y),
            Orientation::FlipHorizontal => (w - 1 - x, y),
            Orientation::Rotate180 => (w - 1 - x, h - 1 - y),
            Orientation::FlipVertical => (x, h - 1 - y),
            Orientation::Transpose => (y, x),
            Orientation::Rotate90 => (y, h - 1 - x),
            Orientation::Transverse => (w - 1 - y, h - 1 - x),
            Orientation::Rotate270 => (w - 1 - y, x),
        }
    }

    proptest::proptest! {
        /// The stored rectangle holds exactly the stored pixels that, turned upright, make the
        /// centre square of the upright image (the naive reference crops pixel by pixel).
        #[test]
        fn stored_square_matches_a_pixel_level_reference(
            w in 1u32..48,
            h in 1u32..48,
            o in proptest::sample::select(&Orientation::ALL[..]),
        ) {
            let (uw, uh) = if o.swaps_sides() { (h, w) } else { (w, h) };
            let side = uw.min(uh);
            let (x0, y0) = ((uw - side) / 2, (uh - side) / 2);
            let mut expected = std::collections::BTreeSet::new();
            for y in y0..y0 + side {
                for x in x0..x0 + side {
                    expected.insert(naive_stored(o, x, y, w, h));
                }
            }
            let r = stored_centre_square(w, h, o);
            proptest::prop_assert_eq!((r.width, r.height), (f64::from(side), f64::from(side)));
            let PixelRect { left, top, width: rw, height: rh } = r.enclosing_pixels(w, h);
            proptest::prop_assert_eq!((f64::from(left), f64::from(top)), (r.left, r.top));
            let mut actual = std::collections::BTreeSet::new();
            for y in top..top + rh {
                for x in left..left + rw {
                    actual.insert((x, y));
                }
            }
            proptest::prop_assert_eq!(actual, expected);
        }

        /// Scaling a rectangle and taking its enclosing pixels never leaves the image.
        #[test]
        fn enclosing_pixels_stay_inside(
            w in 1u32..20_000,
            h in 1u32..20_000,
            o in proptest::sample::select(&Orientation::ALL[..]),
            eighths in 1u32..=8,
        ) {
            let (sw, sh) = ((w * eighths).div_ceil(8), (h * eighths).div_ceil(8));
            let r = stored_centre_square(w, h, o).relative_scaled((0, 0), f64::from(eighths) / 8.0);
            let PixelRect { left, top, width: rw, height: rh } = r.enclosing_pixels(sw, sh);
            proptest::prop_assert!(left + rw <= sw && top + rh <= sh);
            proptest::prop_assert!(rw > 0 && rh > 0);
        }
    }
}
