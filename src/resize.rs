//! Resampling the centre square to each size.

use std::sync::{Arc, Mutex};

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::U8x3;
use fast_image_resize::{Filter, FilterType, ResizeAlg, ResizeOptions, Resizer};

use crate::crop::Rect;
use crate::size::PhotoSize;

/// The rendition each size is resampled from when the set has it, rather than from the source
/// square: 432 and 360 from 648, 240 from 504, 120–48 from 240 (648 and 504 always from the
/// source). A Lanczos3 pass costs in proportion to its source's area whatever the target, so
/// this keeps the cost of a set close to that of its two largest sizes however large the
/// decoded square. Each parent is at least 1.5 times its children's side where it can be:
/// resampling by a smaller factor (504 to 432) blurs measurably (see BENCHMARKS.md).
fn cascade_parent(size: PhotoSize) -> Option<PhotoSize> {
    match size {
        PhotoSize::S432 | PhotoSize::S360 => Some(PhotoSize::S648),
        PhotoSize::S240 => Some(PhotoSize::S504),
        PhotoSize::S120 | PhotoSize::S96 | PhotoSize::S64 | PhotoSize::S48 => Some(PhotoSize::S240),
        PhotoSize::S504 | PhotoSize::S648 => None,
    }
}

/// fast_image_resize's Lanczos3 with the kernel of [`lanczos3`].
fn lanczos3_filter() -> Filter {
    Filter::new("Lanczos3", lanczos3, 3.0).expect("a support of 3 is valid")
}

/// The Lanczos3 kernel, sinc(x) sinc(x/3) on (-3, 3), with one sine where the usual form takes
/// two: with t = πx/3 and s = sin t, sin(πx) = sin 3t = 3s - 4s³, so the kernel is
/// (3s - 4s³) s / (3t²). fast_image_resize computes the kernel afresh at every tap of every
/// resize (some 60,000 taps for a photo's sizes), and its two sines were 2 % of the time of a
/// precompute of 12-MP photos.
fn lanczos3(x: f64) -> f64 {
    if x == 0.0 {
        return 1.0;
    }
    if !(-3.0..3.0).contains(&x) {
        return 0.0;
    }
    let t = x * std::f64::consts::FRAC_PI_3;
    let s = t.sin();
    s * s * (3.0 - 4.0 * s * s) / (3.0 * t * t)
}

/// Resamples `square` of the packed RGB8 image `pixels` (`width` x `height`) to each of
/// `sizes` (ascending) and hands each square (packed RGB8) to `finish`, giving its results in
/// the order of `sizes`. Every size is a task on the current rayon pool that starts as soon as
/// its parent (see [`cascade_parent`]) is resampled, and `finish` runs in the same task right
/// after: 648 and 504 from the source at once, 432 and 360 as soon as 648 is there, the 648
/// rendition encoded while they are resampled, and so on.
pub(crate) fn resize_all<T: Send>(
    pixels: &[u8],
    width: u32,
    height: u32,
    square: Rect,
    sizes: &[PhotoSize],
    finish: &(impl Fn(PhotoSize, &[u8]) -> T + Sync),
) -> Vec<T> {
    let job = Job {
        sizes,
        finish,
        results: Mutex::new(Vec::new()),
    };
    rayon::scope(|scope| {
        let job = &job;
        for &size in sizes {
            if job.parent(size).is_none() {
                let source = Source {
                    pixels,
                    width,
                    height,
                    square,
                };
                scope.spawn(move |scope| job.run(scope, size, source));
            }
        }
    });
    let mut results = job.results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(size, _)| *size);
    results.into_iter().map(|(_, result)| result).collect()
}

/// What the tasks of [`resize_all`] share.
struct Job<'a, F, T> {
    sizes: &'a [PhotoSize],
    finish: &'a F,
    results: Mutex<Vec<(PhotoSize, T)>>,
}

/// The image a size is resampled from, and the part of it to use.
#[derive(Clone, Copy)]
struct Source<'a> {
    pixels: &'a [u8],
    width: u32,
    height: u32,
    square: Rect,
}

impl<'a, F, T> Job<'a, F, T>
where
    F: Fn(PhotoSize, &[u8]) -> T + Sync,
    T: Send,
{
    /// The size `size` is resampled from in this set, or `None` for the source square.
    fn parent(&self, size: PhotoSize) -> Option<PhotoSize> {
        cascade_parent(size).filter(|parent| self.sizes.contains(parent))
    }

    /// Resamples `size` from `source`, starts its children's tasks, then finishes it.
    fn run<'s>(&'s self, scope: &rayon::Scope<'s>, size: PhotoSize, source: Source<'_>) {
        let side = size.side();
        let out = resize_square(
            &mut Resizer::new(),
            source.pixels,
            source.width,
            source.height,
            source.square,
            side,
        );
        let children: Vec<PhotoSize> = self
            .sizes
            .iter()
            .copied()
            .filter(|&child| self.parent(child) == Some(size))
            .collect();
        let out = Arc::new(out);
        for child in children {
            let base = Arc::clone(&out);
            scope.spawn(move |scope| {
                let source = Source {
                    pixels: &base,
                    width: side,
                    height: side,
                    square: Rect {
                        left: 0.0,
                        top: 0.0,
                        width: f64::from(side),
                        height: f64::from(side),
                    },
                };
                self.run(scope, child, source);
            });
        }
        let result = (self.finish)(size, &out);
        self.results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((size, result));
    }
}

/// Resamples `square` of the packed RGB8 image `pixels` (`width` x `height`) to `side` x `side`
/// with a Lanczos3 filter, giving packed RGB8.
fn resize_square(
    resizer: &mut Resizer,
    pixels: &[u8],
    width: u32,
    height: u32,
    square: Rect,
    side: u32,
) -> Vec<u8> {
    // The typed API: the untyped one instantiates every pixel type's code in this crate,
    // which was most of its build time.
    let source = TypedImageRef::<U8x3>::from_buffer(width, height, pixels)
        .expect("the buffer holds width x height RGB pixels");
    let mut out = vec![0u8; side as usize * side as usize * 3];
    let mut target = TypedImage::<U8x3>::from_buffer(side, side, &mut out)
        .expect("the buffer holds side x side RGB pixels");
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(
            FilterType::Custom(lanczos3_filter()),
        ))
        .crop(square.left, square.top, square.width, square.height);
    resizer
        .resize_typed(&source, &mut target, &options)
        .expect("the crop lies inside the image");
    drop(target);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_sine_kernel_is_lanczos3() {
        let sinc = |x: f64| {
            if x == 0.0 {
                1.0
            } else {
                (x * std::f64::consts::PI).sin() / (x * std::f64::consts::PI)
            }
        };
        for i in -400..=400 {
            let x = f64::from(i) / 100.0;
            let expected = if x.abs() < 3.0 {
                sinc(x) * sinc(x / 3.0)
            } else {
                0.0
            };
            assert!((lanczos3(x) - expected).abs() < 1e-12, "at {x}");
        }
        assert_eq!(lanczos3(0.0), 1.0);
        assert_eq!(lanczos3(3.0), 0.0);
        assert_eq!(lanczos3(-3.0001), 0.0);
    }

    #[test]
    fn parents_are_larger_sizes_that_come_first() {
        for size in PhotoSize::ALL {
            if let Some(parent) = cascade_parent(size) {
                assert!(parent > size, "{size} from {parent}");
                // 504 to 432 measurably blurs; every parent is at least 1.5x its child.
                assert!(parent.side() * 2 >= size.side() * 3, "{size} from {parent}");
            }
        }
    }

    #[test]
    fn every_set_gets_each_of_its_sizes_at_its_side() {
        // A flat grey square resamples to the same grey whatever the path, so any size taken
        // from the wrong parent or left out shows up as a wrong length or value.
        let side = 700;
        let pixels = vec![90u8; side * side * 3];
        for usable in [48, 100, 240, 300, 504, 600, 648, 700] {
            let sizes = PhotoSize::fitting(usable);
            let square = Rect {
                left: 0.0,
                top: 0.0,
                width: f64::from(usable),
                height: f64::from(usable),
            };
            let out = resize_all(&pixels, side as u32, side as u32, square, sizes, &|_, p| {
                p.to_vec()
            });
            assert_eq!(out.len(), sizes.len(), "usable side {usable}");
            for (size, rendition) in sizes.iter().zip(&out) {
                let side = size.side() as usize;
                assert_eq!(rendition.len(), side * side * 3, "{size} of {usable}");
                assert!(rendition.iter().all(|&v| v == 90), "{size} of {usable}");
            }
        }
    }
}
