//! Resampling the centre square to each size.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use rayon::prelude::*;

use crate::crop::Rect;
use crate::size::PhotoSize;

/// Sizes below this are resampled from the rendition of this size rather than from the
/// source square, when the set has it: a Lanczos3 pass from a large square costs in proportion
/// to the square's area whatever the target, so the small sizes are far cheaper from 240x240,
/// at no measurable cost in quality (see BENCHMARKS.md).
const CASCADE_FROM: PhotoSize = PhotoSize::S240;

/// Resamples `square` of the packed RGB8 image `pixels` (`width` x `height`) to each of
/// `sizes`, giving packed RGB8 squares in the same order. Sizes run in parallel on the current
/// rayon pool.
pub(crate) fn resize_all(
    pixels: &[u8],
    width: u32,
    height: u32,
    square: Rect,
    sizes: &[PhotoSize],
) -> Vec<Vec<u8>> {
    let cascade = sizes.contains(&CASCADE_FROM);
    let from_source = |size: &PhotoSize| !cascade || *size >= CASCADE_FROM;
    let large: Vec<(PhotoSize, Vec<u8>)> = sizes
        .par_iter()
        .filter(|s| from_source(s))
        .map_init(Resizer::new, |resizer, &size| {
            let out = resize_square(resizer, pixels, width, height, square, size.side());
            (size, out)
        })
        .collect();
    let mut all = large;
    if let Some((_, base)) = all.iter().find(|(s, _)| *s == CASCADE_FROM) {
        let side = f64::from(CASCADE_FROM.side());
        let whole = Rect {
            left: 0.0,
            top: 0.0,
            width: side,
            height: side,
        };
        let small: Vec<(PhotoSize, Vec<u8>)> = sizes
            .par_iter()
            .filter(|s| !from_source(s))
            .map_init(Resizer::new, |resizer, &size| {
                let base_side = CASCADE_FROM.side();
                let out = resize_square(resizer, base, base_side, base_side, whole, size.side());
                (size, out)
            })
            .collect();
        all.extend(small);
    }
    all.sort_by_key(|(size, _)| *size);
    all.into_iter().map(|(_, pixels)| pixels).collect()
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
