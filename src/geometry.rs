//! Rectangles: the geometry the pipeline and the codec share.

/// A rectangle in continuous pixel coordinates (edges, so a whole image of `w` x `h` is
/// `(0, 0, w, h)`); fractional when it has been scaled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

/// A rectangle of whole pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PixelRect {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

impl PixelRect {
    /// The whole of an image of `width` x `height`.
    pub fn whole(width: u32, height: u32) -> PixelRect {
        PixelRect {
            left: 0,
            top: 0,
            width,
            height,
        }
    }
}

impl Rect {
    /// This rectangle seen from `origin` (its coordinates less the origin's), then scaled by
    /// `factor`: where it lies in a region of the image starting at `origin` and decoded at
    /// `factor` of full scale.
    pub fn relative_scaled(self, origin: (u32, u32), factor: f64) -> Rect {
        Rect {
            left: (self.left - f64::from(origin.0)) * factor,
            top: (self.top - f64::from(origin.1)) * factor,
            width: self.width * factor,
            height: self.height * factor,
        }
    }

    /// The smallest whole-pixel rectangle holding this one, clamped to `width` x `height`.
    pub fn enclosing_pixels(self, width: u32, height: u32) -> PixelRect {
        let clamp = |v: f64, max: u32| v.clamp(0.0, f64::from(max));
        let left = clamp(self.left.floor(), width) as u32;
        let top = clamp(self.top.floor(), height) as u32;
        let right = clamp((self.left + self.width).ceil(), width) as u32;
        let bottom = clamp((self.top + self.height).ceil(), height) as u32;
        PixelRect {
            left,
            top,
            width: right - left,
            height: bottom - top,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enclosing_pixels_rounds_outwards() {
        let r = Rect {
            left: 1.5,
            top: 0.25,
            width: 3.0,
            height: 3.5,
        };
        let pixels = |left, top, width, height| PixelRect {
            left,
            top,
            width,
            height,
        };
        assert_eq!(r.enclosing_pixels(10, 10), pixels(1, 0, 4, 4));
        assert_eq!(r.enclosing_pixels(4, 2), pixels(1, 0, 3, 2));
    }
}
