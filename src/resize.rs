//! Resampling the centre square to each size.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::crop::Rect;

/// Resamples `square` of the packed RGB8 image `pixels` (`width` x `height`) to `side` x `side`
/// with a Lanczos3 filter, giving packed RGB8.
pub(crate) fn resize_square(
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
