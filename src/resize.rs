//! Resampling the centre square to each size.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use rayon::prelude::*;

use crate::crop::Rect;
use crate::size::PhotoSize;

/// Renditions that smaller sizes are resampled from, when the set has them, rather than from
/// the source square: each size comes from the smallest of these larger than itself (648 and
/// 504 from the source, 432–240 from 504, 120–48 from 240). A Lanczos3 pass costs in proportion
/// to its source's area whatever the target, so this keeps the cost of a set close to that of
/// its two largest sizes however large the decoded square, at no measurable cost in quality
/// (see BENCHMARKS.md).
const CASCADE_FROM: [PhotoSize; 2] = [PhotoSize::S504, PhotoSize::S240];

/// Resamples `square` of the packed RGB8 image `pixels` (`width` x `height`) to each of
/// `sizes` (ascending), giving packed RGB8 squares in the same order. Sizes of each step of
/// the cascade run in parallel on the current rayon pool.
pub(crate) fn resize_all(
    pixels: &[u8],
    width: u32,
    height: u32,
    square: Rect,
    sizes: &[PhotoSize],
) -> Vec<Vec<u8>> {
    // The rendition each size is resampled from, or None for the source square.
    let parent = |size: PhotoSize| {
        CASCADE_FROM
            .iter()
            .rev()
            .find(|&&anchor| anchor > size && sizes.contains(&anchor))
            .copied()
    };
    let mut done: Vec<(PhotoSize, Vec<u8>)> = sizes
        .par_iter()
        .filter(|&&size| parent(size).is_none())
        .map_init(Resizer::new, |resizer, &size| {
            let out = resize_square(resizer, pixels, width, height, square, size.side());
            (size, out)
        })
        .collect();
    for anchor in CASCADE_FROM {
        let Some((_, base)) = done.iter().find(|(size, _)| *size == anchor) else {
            continue;
        };
        let side = anchor.side();
        let whole = Rect {
            left: 0.0,
            top: 0.0,
            width: f64::from(side),
            height: f64::from(side),
        };
        let children: Vec<(PhotoSize, Vec<u8>)> = sizes
            .par_iter()
            .filter(|&&size| parent(size) == Some(anchor))
            .map_init(Resizer::new, |resizer, &size| {
                let out = resize_square(resizer, base, side, side, whole, size.side());
                (size, out)
            })
            .collect();
        done.extend(children);
    }
    done.sort_by_key(|(size, _)| *size);
    done.into_iter().map(|(_, pixels)| pixels).collect()
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
    let source = ImageRef::new(width, height, pixels, PixelType::U8x3)
        .expect("the buffer holds width x height RGB pixels");
    let mut target = Image::new(side, side, PixelType::U8x3);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(square.left, square.top, square.width, square.height);
    resizer
        .resize(&source, &mut target, &options)
        .expect("pixel types match and the crop lies inside the image");
    target.into_vec()
}
