//! Colour: embedded ICC profiles to sRGB, CMYK to RGB, transparency onto the background.

use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

use crate::options::Background;
use crate::raster::{Channels, Pixels, Raster};

/// `pixels` ready to resample: packed pixels as packed sRGB RGB8 (see [`to_srgb_rgb`]), and
/// planes as they are (the decoder only gives planes for untagged colour, which is sRGB).
pub(crate) fn to_srgb(pixels: Pixels, icc: Option<&[u8]>, background: Background) -> Pixels {
    match pixels {
        Pixels::Packed(raster) => {
            let (width, height) = (raster.width, raster.height);
            Pixels::Packed(Raster {
                width,
                height,
                channels: Channels::Rgb,
                data: to_srgb_rgb(raster, icc, background),
            })
        }
        planar @ Pixels::Planar(_) => planar,
    }
}

/// Turns `raster` into packed sRGB RGB8 pixels: converts from its ICC profile when there is a
/// usable one (untagged pixels are taken as sRGB), then composites any alpha over
/// `background`.
pub(crate) fn to_srgb_rgb(raster: Raster, icc: Option<&[u8]>, background: Background) -> Vec<u8> {
    let raster = match icc.and_then(|icc| convert_with_profile(&raster, icc)) {
        Some(converted) => converted,
        None if raster.channels == Channels::Cmyk => naive_cmyk_to_rgb(&raster),
        None => raster,
    };
    flatten(raster, background)
}

/// Converts with the embedded profile, or `None` when the profile is unreadable, does not fit
/// the pixels, or describes sRGB itself.
fn convert_with_profile(raster: &Raster, icc: &[u8]) -> Option<Raster> {
    let profile = ColorProfile::new_from_slice(icc).ok()?;
    let (src_layout, dst_layout, dst_channels, space) = match raster.channels {
        Channels::Gray => (
            Layout::Gray,
            Layout::Rgb,
            Channels::Rgb,
            DataColorSpace::Gray,
        ),
        Channels::GrayAlpha => (
            Layout::GrayAlpha,
            Layout::Rgba,
            Channels::Rgba,
            DataColorSpace::Gray,
        ),
        Channels::Rgb => (Layout::Rgb, Layout::Rgb, Channels::Rgb, DataColorSpace::Rgb),
        Channels::Rgba => (
            Layout::Rgba,
            Layout::Rgba,
            Channels::Rgba,
            DataColorSpace::Rgb,
        ),
        // moxcms reads 8-bit CMYK with the four-channel layout.
        Channels::Cmyk => (
            Layout::Rgba,
            Layout::Rgb,
            Channels::Rgb,
            DataColorSpace::Cmyk,
        ),
    };
    if profile.color_space != space {
        return None;
    }
    let srgb = ColorProfile::new_srgb();
    let transform = profile
        .create_transform_8bit(src_layout, &srgb, dst_layout, TransformOptions::default())
        .ok()?;
    let pixels = usize::try_from(u64::from(raster.width) * u64::from(raster.height)).ok()?;
    let mut data = vec![0u8; pixels.checked_mul(dst_channels.count())?];
    transform.transform(&raster.data, &mut data).ok()?;
    Some(Raster {
        width: raster.width,
        height: raster.height,
        channels: dst_channels,
        data,
    })
}

/// CMYK without a profile: the textbook formula, as browsers do.
fn naive_cmyk_to_rgb(raster: &Raster) -> Raster {
    let data = raster
        .data
        .chunks_exact(4)
        .flat_map(|p| {
            let k = 255 - u32::from(p[3]);
            let channel = |ink: u8| ((255 - u32::from(ink)) * k / 255) as u8;
            [channel(p[0]), channel(p[1]), channel(p[2])]
        })
        .collect();
    Raster {
        width: raster.width,
        height: raster.height,
        channels: Channels::Rgb,
        data,
    }
}

/// Packed RGB8, with alpha composited over `background` and grey widened.
fn flatten(raster: Raster, background: Background) -> Vec<u8> {
    let over = |value: u8, alpha: u8, back: u8| -> u8 {
        let (v, a, b) = (u32::from(value), u32::from(alpha), u32::from(back));
        ((v * a + b * (255 - a) + 127) / 255) as u8
    };
    let bg = [background.r, background.g, background.b];
    match raster.channels {
        Channels::Rgb => raster.data,
        Channels::Gray => raster.data.iter().flat_map(|&v| [v, v, v]).collect(),
        Channels::GrayAlpha => raster
            .data
            .chunks_exact(2)
            .flat_map(|p| {
                [
                    over(p[0], p[1], bg[0]),
                    over(p[0], p[1], bg[1]),
                    over(p[0], p[1], bg[2]),
                ]
            })
            .collect(),
        Channels::Rgba => raster
            .data
            .chunks_exact(4)
            .flat_map(|p| {
                [
                    over(p[0], p[3], bg[0]),
                    over(p[1], p[3], bg[1]),
                    over(p[2], p[3], bg[2]),
                ]
            })
            .collect(),
        Channels::Cmyk => flatten(naive_cmyk_to_rgb(&raster), background),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(channels: Channels, data: Vec<u8>) -> Raster {
        let width = (data.len() / channels.count()) as u32;
        Raster {
            width,
            height: 1,
            channels,
            data,
        }
    }

    #[test]
    fn alpha_lands_on_the_background() {
        let pixels = raster(
            Channels::Rgba,
            vec![0, 0, 0, 0, 0, 0, 0, 255, 200, 100, 0, 128],
        );
        let out = to_srgb_rgb(pixels, None, Background::WHITE);
        assert_eq!(out, vec![255, 255, 255, 0, 0, 0, 227, 177, 127]);
        let grey = raster(Channels::GrayAlpha, vec![0, 0]);
        assert_eq!(
            to_srgb_rgb(grey, None, Background::rgb(1, 2, 3)),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn cmyk_without_profile_uses_the_formula() {
        let inks = raster(
            Channels::Cmyk,
            vec![0, 0, 0, 0, 255, 255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 255],
        );
        let out = to_srgb_rgb(inks, None, Background::WHITE);
        assert_eq!(out, vec![255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn unusable_profiles_are_ignored() {
        let pixels = raster(Channels::Rgb, vec![10, 20, 30]);
        assert_eq!(
            to_srgb_rgb(pixels.clone(), Some(b"not a profile"), Background::WHITE),
            vec![10, 20, 30]
        );
        // A grey profile does not fit RGB pixels.
        let grey = ColorProfile::new_gray_with_gamma(2.2).encode().unwrap();
        assert_eq!(
            to_srgb_rgb(pixels, Some(&grey), Background::WHITE),
            vec![10, 20, 30]
        );
    }

    #[test]
    fn a_wide_gamut_profile_changes_saturated_colours() {
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        let pixels = raster(Channels::Rgb, vec![0, 255, 0, 128, 128, 128]);
        let out = to_srgb_rgb(pixels, Some(&p3), Background::WHITE);
        // P3 green is outside sRGB: it clips to pure green with red at 0.
        assert!(out[0] < 10 && out[1] > 245 && out[2] < 10, "{out:?}");
        // Neutral grey stays neutral.
        assert!(
            out[3..].iter().all(|&v| (v as i32 - 128).abs() <= 2),
            "{out:?}"
        );
    }
}
