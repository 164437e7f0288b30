//! Resampling the centre square to each size.

use std::sync::{Arc, Mutex};

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::{U8x2, U8x3, U8};
use fast_image_resize::{Filter, FilterType, PixelTrait, ResizeAlg, ResizeOptions, Resizer};

use crate::encode;
use crate::geometry::Rect;
use crate::planes::Ycc;
use crate::raster::{Channels, Pixels, Raster};
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

/// fast_image_resize's Lanczos3 with the kernel of [`lanczos3_tabled`].
fn lanczos3_filter() -> Filter {
    Filter::new("Lanczos3", lanczos3_tabled, 3.0).expect("a support of 3 is valid")
}

/// Samples of [`lanczos3`] per unit of x in [`LANCZOS3_TABLE`].
const TABLE_STEPS: usize = 4096;

/// [`lanczos3`] at every `1 / TABLE_STEPS` from 0 to 3 (and one step past, for the last
/// interpolation).
static LANCZOS3_TABLE: std::sync::LazyLock<Vec<f64>> = std::sync::LazyLock::new(|| {
    (0..=3 * TABLE_STEPS + 1)
        .map(|i| lanczos3(i as f64 / TABLE_STEPS as f64))
        .collect()
});

/// [`lanczos3`] interpolated linearly in [`LANCZOS3_TABLE`]: within 1e-7 of it, far below
/// the 15 bits fast_image_resize rounds each weight to, and a fifth of the cost of a sine.
/// fast_image_resize computes the kernel afresh at every tap of every resize (some 100,000
/// taps for a photo's sizes, three planes each), and the sine was 2 % of a batch's time.
fn lanczos3_tabled(x: f64) -> f64 {
    let at = x.abs() * TABLE_STEPS as f64;
    if at >= (3 * TABLE_STEPS) as f64 {
        return 0.0;
    }
    let index = at as usize;
    let fraction = at - index as f64;
    let (a, b) = (LANCZOS3_TABLE[index], LANCZOS3_TABLE[index + 1]);
    a + (b - a) * fraction
}

/// The Lanczos3 kernel, sinc(x) sinc(x/3) on (-3, 3), with one sine where the usual form takes
/// two: with t = πx/3 and s = sin t, sin(πx) = sin 3t = 3s - 4s³, so the kernel is
/// (3s - 4s³) s / (3t²).
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

/// Resamples `square` of `pixels` (packed sRGB RGB8, or planes) to each of `sizes` (ascending)
/// and hands each square (in the same form; planes with the chroma resolution its encoding
/// takes, see [`encode::chroma_subsampling`]) to `finish`, giving its results in the order of
/// `sizes`. Every size is a task on the current rayon pool that starts as soon as
/// its parent (see [`cascade_parent`]) is resampled, and `finish` runs in the same task right
/// after: 648 and 504 from the source at once, 432 and 360 as soon as 648 is there, the 648
/// rendition encoded while they are resampled, and so on.
pub(crate) fn resize_all<T: Send>(
    pixels: &Pixels,
    square: Rect,
    sizes: &[PhotoSize],
    finish: &(impl Fn(PhotoSize, &Pixels) -> T + Sync),
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
                let source = Source { pixels, square };
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
    pixels: &'a Pixels,
    square: Rect,
}

impl<'a, F, T> Job<'a, F, T>
where
    F: Fn(PhotoSize, &Pixels) -> T + Sync,
    T: Send,
{
    /// The size `size` is resampled from in this set, or `None` for the source square.
    fn parent(&self, size: PhotoSize) -> Option<PhotoSize> {
        cascade_parent(size).filter(|parent| self.sizes.contains(parent))
    }

    /// Resamples `size` from `source`, starts its children's tasks, then finishes it.
    fn run<'s>(&'s self, scope: &rayon::Scope<'s>, size: PhotoSize, source: Source<'_>) {
        let side = size.side();
        let out = resample(source.pixels, source.square, side);
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

/// Resamples `square` of `pixels` to `side` x `side` with a Lanczos3 filter: packed pixels
/// stay packed (they are sRGB RGB8), and planes give planes, each chroma plane taken from the
/// same square of its own plane at the resolution the size's encoding takes.
fn resample(pixels: &Pixels, square: Rect, side: u32) -> Pixels {
    match pixels {
        Pixels::Packed(raster) => {
            debug_assert_eq!(raster.channels, Channels::Rgb);
            let data =
                resize_plane::<U8x3>(&raster.data, (raster.width, raster.height), square, side);
            Pixels::Packed(Raster {
                width: side,
                height: side,
                channels: Channels::Rgb,
                data,
            })
        }
        Pixels::Planar(ycc) => {
            let (across, down) = (f64::from(ycc.subsampling.0), f64::from(ycc.subsampling.1));
            let chroma_square = Rect {
                left: square.left / across,
                top: square.top / down,
                width: square.width / across,
                height: square.height / down,
            };
            let chroma_size = (ycc.chroma_width(), ycc.chroma_height());
            let step = encode::chroma_subsampling(side);
            Pixels::Planar(Ycc {
                width: side,
                height: side,
                subsampling: (step, step),
                y: resize_plane::<U8>(&ycc.y, (ycc.width, ycc.height), square, side),
                cbcr: resize_plane::<U8x2>(
                    &ycc.cbcr,
                    chroma_size,
                    chroma_square,
                    side.div_ceil(step),
                ),
            })
        }
    }
}

/// Resamples `square` of the plane `pixels` (`size`, rows packed, pixels of type `P`) to
/// `side` x `side` with a Lanczos3 filter.
fn resize_plane<P: PixelTrait>(
    pixels: &[u8],
    size: (u32, u32),
    square: Rect,
    side: u32,
) -> Vec<u8> {
    // The typed API: the untyped one instantiates every pixel type's code in this crate,
    // which was most of its build time.
    let source = TypedImageRef::<P>::from_buffer(size.0, size.1, pixels)
        .expect("the buffer holds the plane's pixels");
    let mut out = vec![0u8; side as usize * side as usize * P::size()];
    let mut target = TypedImage::<P>::from_buffer(side, side, &mut out)
        .expect("the buffer holds side x side pixels");
    // fast_image_resize takes a pair of channels for grey and alpha, and would weigh the first
    // by the second: Cb by Cr.
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(
            FilterType::Custom(lanczos3_filter()),
        ))
        .use_alpha(false)
        .crop(square.left, square.top, square.width, square.height);
    Resizer::new()
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
    fn the_tabled_kernel_is_within_a_ten_millionth_of_lanczos3() {
        let mut worst = 0.0f64;
        for i in -40_000..=40_000 {
            // Off the table's steps, where interpolation errs most.
            let x = f64::from(i) / 10_000.0 + 0.000_037;
            worst = worst.max((lanczos3_tabled(x) - lanczos3(x)).abs());
        }
        assert!(worst < 1e-7, "{worst}");
        assert_eq!(lanczos3_tabled(0.0), 1.0);
        assert_eq!(lanczos3_tabled(3.0), 0.0);
        assert_eq!(lanczos3_tabled(-3.5), 0.0);
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
        // A flat square resamples to the same values whatever the path, so any size taken
        // from the wrong parent or left out shows up as a wrong length or value.
        let side = 700u32;
        let area = side as usize * side as usize;
        let packed = Pixels::Packed(Raster {
            width: side,
            height: side,
            channels: Channels::Rgb,
            data: vec![90u8; area * 3],
        });
        // 4:2:2 planes: chroma half as wide, as tall.
        let planar = Pixels::Planar(Ycc {
            width: side,
            height: side,
            subsampling: (2, 1),
            y: vec![90u8; area],
            cbcr: [30u8, 200].repeat(area / 2),
        });
        for usable in [48, 100, 240, 300, 504, 600, 648, 700] {
            let sizes = PhotoSize::fitting(usable);
            let square = Rect {
                left: 0.0,
                top: 0.0,
                width: f64::from(usable),
                height: f64::from(usable),
            };
            let out = resize_all(&packed, square, sizes, &|_, p| p.clone());
            assert_eq!(out.len(), sizes.len(), "usable side {usable}");
            for (size, rendition) in sizes.iter().zip(&out) {
                let side = size.side();
                let Pixels::Packed(raster) = rendition else {
                    panic!("{size} of {usable}: not packed");
                };
                assert_eq!((raster.width, raster.height), (side, side));
                assert_eq!(raster.data.len(), (side * side * 3) as usize);
                assert!(raster.data.iter().all(|&v| v == 90), "{size} of {usable}");
            }
            let out = resize_all(&planar, square, sizes, &|_, p| p.clone());
            assert_eq!(out.len(), sizes.len(), "usable side {usable}");
            for (size, rendition) in sizes.iter().zip(&out) {
                let side = size.side();
                let Pixels::Planar(ycc) = rendition else {
                    panic!("{size} of {usable}: not planar");
                };
                let step = encode::chroma_subsampling(side);
                assert_eq!(
                    (ycc.width, ycc.height, ycc.subsampling),
                    (side, side, (step, step))
                );
                assert!(ycc.is_consistent(), "{size} of {usable}");
                assert!(ycc.y.iter().all(|&v| v == 90), "{size} of {usable}");
                // Chroma is enlarged for the 4:4:4 sizes of small squares, where
                // fast_image_resize's integer weights may round a flat level by one.
                assert!(
                    ycc.cbcr
                        .chunks_exact(2)
                        .all(|c| c[0].abs_diff(30) <= 1 && c[1].abs_diff(200) <= 1),
                    "{size} of {usable}"
                );
            }
        }
    }

    /// Cb and Cr, interleaved, resample as each would alone: neither weighs the other (as
    /// a second channel taken for alpha would).
    #[test]
    fn interleaved_chroma_resamples_as_two_planes() {
        let side = 90u32;
        // Cb and Cr both change across the middle, Cr from nearly nothing to nearly full.
        let cb: Vec<u8> = (0..side * side)
            .map(|i| if i % side < side / 2 { 50 } else { 200 })
            .collect();
        let cr: Vec<u8> = (0..side * side)
            .map(|i| if i % side < side / 2 { 10 } else { 250 })
            .collect();
        let cbcr: Vec<u8> = cb.iter().zip(&cr).flat_map(|(&b, &r)| [b, r]).collect();
        let whole = Rect {
            left: 0.0,
            top: 0.0,
            width: f64::from(side),
            height: f64::from(side),
        };
        let pair = resize_plane::<U8x2>(&cbcr, (side, side), whole, 48);
        let alone = |plane: &[u8]| resize_plane::<U8>(plane, (side, side), whole, 48);
        let expected: Vec<u8> = alone(&cb)
            .into_iter()
            .zip(alone(&cr))
            .flat_map(|(b, r)| [b, r])
            .collect();
        assert_eq!(pair, expected);
    }

    /// A chroma plane is resampled from the same part of the picture as the luma plane: the
    /// square's coordinates divided by the subsampling.
    #[test]
    fn chroma_is_taken_from_the_same_square_as_luma() {
        // 4:2:0 planes of 200x100 whose right half is a different colour: the square over the
        // right half must come out all that colour, in luma and in chroma alike.
        let (width, height) = (200u32, 100u32);
        let luma: Vec<u8> = (0..height)
            .flat_map(|_| (0..width).map(|x| if x < 100 { 20 } else { 220 }))
            .collect();
        let chroma: Vec<u8> = (0..height / 2)
            .flat_map(|_| (0..width / 2).map(|x| if x < 50 { 60 } else { 180 }))
            .collect();
        let planar = Pixels::Planar(Ycc {
            width,
            height,
            subsampling: (2, 2),
            y: luma,
            cbcr: chroma.iter().flat_map(|&c| [c, 255 - c]).collect(),
        });
        // Far enough from the edge that Lanczos3's taps stay inside the right half.
        let square = Rect {
            left: 110.0,
            top: 0.0,
            width: 90.0,
            height: 90.0,
        };
        let out = resize_all(&planar, square, PhotoSize::fitting(90), &|_, p| p.clone());
        let Some(Pixels::Planar(ycc)) = out.first() else {
            panic!("no planes");
        };
        assert!(ycc.y.iter().all(|&v| v == 220), "{:?}", &ycc.y[..8]);
        assert!(
            ycc.cbcr.chunks_exact(2).all(|c| c == [180, 75]),
            "{:?}",
            &ycc.cbcr[..8]
        );
    }
}
