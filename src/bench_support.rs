//! Steps of [`ingest`](crate::ingest) exposed for the crate's own benchmarks
//! (`benches/ingest.rs`) and fuzz targets (`fuzz/`): the hot path timed alone, the decoders
//! fuzzed alone, and the planar decoder checked against the others. Not part of the stable API.

use crate::geometry::Rect;
use crate::raster::{Channels, Pixels, Raster};
use crate::{Error, Options, PhotoSize};

/// Runs the steps of [`ingest`](crate::ingest) up to and including the conversion to
/// sRGB, with the same checks, and gives the width and height of the decoded pixels: what
/// every size would then be resampled from.
pub fn decode(bytes: &[u8], options: &Options) -> Result<(u32, u32), Error> {
    let format = crate::recognise(bytes, &options.limits)?;
    crate::contained(format, || {
        let decoded = crate::decode::decode(bytes, format, &options.limits)?;
        let pixels =
            crate::color::to_srgb(decoded.pixels, decoded.icc.as_deref(), options.background);
        debug_assert!(pixels.is_consistent());
        Ok(pixels.size())
    })
}

/// A square of pixels to resample or encode, in one of the forms `ingest` handles.
pub struct Square(Pixels);

impl Square {
    /// Packed RGB8 pixels of `side` x `side`.
    pub fn rgb(pixels: Vec<u8>, side: u32) -> Square {
        assert_eq!(pixels.len() as u64, u64::from(side) * u64::from(side) * 3);
        Square(Pixels::Packed(Raster {
            width: side,
            height: side,
            channels: Channels::Rgb,
            data: pixels,
        }))
    }

    /// The same packed RGB8 pixels as YCbCr planes with 4:2:0 chroma, as camera and
    /// phone photos are decoded.
    pub fn ycc_420(pixels: &[u8], side: u32) -> Square {
        Square(Pixels::Planar(crate::chroma::ycbcr_420(pixels, side)))
    }
}

/// Resamples a square to each of `sizes`, as `ingest` does, and gives how many bytes
/// each size came to.
pub fn resize_square(square: &Square, sizes: &[PhotoSize]) -> Vec<usize> {
    let (side, _) = square.0.size();
    let whole = Rect {
        left: 0.0,
        top: 0.0,
        width: f64::from(side),
        height: f64::from(side),
    };
    crate::resize::resize_all(&square.0, whole, sizes, &|_, pixels| match pixels {
        Pixels::Packed(raster) => raster.data.len(),
        Pixels::Planar(ycc) => ycc.y.len() + ycc.cbcr.len(),
    })
}

/// Encodes a square rendition as `ingest` does.
pub fn encode(square: &Square, quality: u8) -> Result<Vec<u8>, Error> {
    crate::encode::encode_jpeg(&square.0, quality)
}

/// How far the planar decoder's luma may be from a reference decoder's, at a pixel the
/// reference did not clip: the two inverse DCTs round differently (jpeg-decoder's are integer,
/// and it truncates at 1/8 where ours round), by a level or two at most on photos; anything
/// beyond a few levels is a block in the wrong place, a wrong coefficient or a wrong table.
const WORST_LEVELS: f64 = 6.0;
/// How far the luma may be on average over the unclipped pixels.
const MEAN_LEVELS: f64 = 1.5;

/// The planar decoder against a reference decoder: decodes `bytes` with it and with the
/// build's packed backend where it has one (libjpeg-turbo: every eighth but 2/8 and 4/8, and
/// sequential files only; a sequential file it refuses is not compared), else with
/// jpeg-decoder (at 1/8 and full scale), and, where both accept, compares the planes with the
/// reference's pixels. Gives how many decodes were compared; an `Err` says where they disagree
/// beyond the rounding of their inverse DCTs.
///
/// The reference gives RGB, whose luma is the planes' luma whatever the chroma upsampling, as
/// long as no channel was clipped; those pixels are compared, unless the planes' own sample is
/// at the edge of its range: coefficients far beyond any an 8-bit picture has (a fuzzer's)
/// overflow jpeg-decoder's integer transform, where ours and libjpeg's saturate. With
/// full-resolution chroma (4:4:4), where there is no upsampling, the chroma is compared too.
/// Frames with a side over `max_side` are left out, so that a fuzzer spends its time on the
/// coding, not on large frames.
pub fn differential(bytes: &[u8], max_side: u32) -> Result<u32, String> {
    use crate::jpeg::backend::{Active, Backend, Packed};

    let bytes = &*crate::jpeg::normalise(bytes);
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    let Some(info) = decoder.read_info().ok().and_then(|()| decoder.info()) else {
        return Ok(0);
    };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let small = width > 0 && height > 0 && width <= max_side && height <= max_side;
    let scans_ok = crate::jpeg::count_scans(bytes, crate::Limits::MAX_JPEG_SCANS)
        <= crate::Limits::MAX_JPEG_SCANS;
    if !small || !scans_ok || info.pixel_format != jpeg_decoder::PixelFormat::RGB24 {
        return Ok(0);
    }
    // libjpeg-turbo, where the build has it, is the arbiter of sequential files: jpeg-decoder
    // parts from it and from us on some (a fuzzer finds them). A sequential file it refuses has
    // no arbiter: jpeg-decoder accepts some that libjpeg calls corrupt and then parts from
    // libjpeg's reading of the rest (a DC table naming a size past 15 that no block uses,
    // SECURITY.md). libjpeg smooths the blocks of a progressive file whose AC bands never came
    // (`jdcoefct.c`, block smoothing), guessing them from the neighbours' DC: another answer by
    // design, so progressive files are held to jpeg-decoder, at the scales it has (1/8, 1).
    let progressive = info.coding_process == jpeg_decoder::CodingProcess::DctProgressive;
    let by_libjpeg = Active::PACKED_EVERY_EIGHTH && !progressive;
    let scaled = |side: u32, eighths: u32| (side * eighths).div_ceil(8);
    let mut compared = 0;
    for eighths in 1..=8u32 {
        // At 2/8 and 4/8 both references use libjpeg's reduced transforms (`jidctred.c`), which
        // take odd frequencies beyond the kept corner into account; the planar decoder's are the
        // n-point transforms of the corner itself, so there the two differ by design wherever a
        // block holds high frequencies, and are not compared.
        if matches!(eighths, 2 | 4) || !(by_libjpeg || [1, 8].contains(&eighths)) {
            continue;
        }
        let expected = (scaled(width, eighths), scaled(height, eighths));
        let Ok(planes) = crate::jpeg::decode_planes(bytes, eighths, expected) else {
            continue;
        };
        let (name, rgb) = if by_libjpeg {
            let max_scans = crate::Limits::MAX_JPEG_SCANS;
            let rgb = Active::decode_packed(bytes, eighths, Packed::Rgb, expected, max_scans);
            ("libjpeg-turbo", rgb)
        } else {
            ("jpeg-decoder", jpeg_decoder_rgb(bytes, expected))
        };
        let Some(rgb) = rgb else { continue };
        compare(&planes, &rgb).map_err(|why| format!("{name} at {eighths}/8: {why}"))?;
        compared += 1;
    }
    Ok(compared)
}

/// jpeg-decoder's RGB pixels of `bytes` scaled to `size`, if it decodes them at that size.
fn jpeg_decoder_rgb(bytes: &[u8], size: (u32, u32)) -> Option<Vec<u8>> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().ok()?;
    let side = |v: u32| u16::try_from(v).ok();
    let got = decoder.scale(side(size.0)?, side(size.1)?).ok()?;
    if (u32::from(got.0), u32::from(got.1)) != size {
        return None;
    }
    let pixels = decoder.decode().ok()?;
    (pixels.len() == size.0 as usize * size.1 as usize * 3).then_some(pixels)
}

/// Compares `planes` with a reference decoder's `rgb` pixels of the same size (see
/// [`differential`]).
fn compare(planes: &crate::planes::Ycc, rgb: &[u8]) -> Result<(), String> {
    let width = planes.width as usize;
    if rgb.len() != planes.y.len() * 3 {
        return Err(format!(
            "{} bytes of RGB for {}x{} planes",
            rgb.len(),
            planes.width,
            planes.height
        ));
    }
    let full_chroma = planes.subsampling == (1, 1);
    let (mut worst, mut sum, mut count) = (0f64, 0f64, 0usize);
    for (at, pixel) in rgb.chunks_exact(3).enumerate() {
        if pixel.iter().any(|&c| c == 0 || c == 255) {
            continue;
        }
        let [r, g, b] = [pixel[0], pixel[1], pixel[2]].map(f64::from);
        let luma = ("Y", 0.299 * r + 0.587 * g + 0.114 * b, planes.y[at]);
        let cb = 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
        let cr = 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
        let chroma = full_chroma.then(|| {
            [
                ("Cb", cb, planes.cbcr[2 * at]),
                ("Cr", cr, planes.cbcr[2 * at + 1]),
            ]
        });
        let ours = std::iter::once(luma).chain(chroma.into_iter().flatten());
        for (channel, theirs, planar) in ours {
            if planar == 0 || planar == 255 {
                continue;
            }
            let difference = (theirs - f64::from(planar)).abs();
            if difference > worst {
                worst = difference;
                if worst > WORST_LEVELS {
                    let (x, y) = (at % width, at / width);
                    return Err(format!(
                        "pixel ({x}, {y}), {channel}: {planar} against {theirs:.1} (RGB {pixel:?})"
                    ));
                }
            }
            sum += difference;
            count += 1;
        }
    }
    let mean = if count == 0 { 0.0 } else { sum / count as f64 };
    if mean > MEAN_LEVELS {
        return Err(format!("off by {mean:.2} levels on average"));
    }
    Ok(())
}

pub use crate::encode::{Lambda, Settings, Tables};

/// Runs [`ingest`](crate::ingest) up to the encoder: each size's square, upright, as the
/// encoder gets it.
pub fn squares(bytes: &[u8], options: &Options) -> Result<Vec<(PhotoSize, Square)>, Error> {
    let format = crate::recognise(bytes, &options.limits)?;
    crate::contained(format, || {
        let decoded = crate::decode::decode(bytes, format, &options.limits)?;
        let pixels =
            crate::color::to_srgb(decoded.pixels, decoded.icc.as_deref(), options.background);
        let upright = |size: PhotoSize, pixels: &Pixels| {
            (
                size,
                Square(decoded.orientation.apply_to_rendition(pixels).into_owned()),
            )
        };
        Ok(crate::resize::resize_all(
            &pixels,
            decoded.square,
            decoded.sizes,
            &upright,
        ))
    })
}

/// How `ingest` quantises a rendition of `side` for `quality`.
pub fn settings(side: u32, quality: u8) -> Settings {
    crate::encode::settings(side, quality)
}

/// Encodes a square rendition as `ingest` does, quantised as `settings` say.
pub fn encode_with(square: &Square, settings: &Settings) -> Result<Vec<u8>, Error> {
    crate::encode::encode_jpeg_with(&square.0, settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg::testing::{gradient, photo};

    /// The oracle compares what it should and finds the decoders in agreement on the files
    /// the project makes, baseline, with restarts, progressive, every chroma layout.
    #[test]
    fn the_decoders_agree_on_good_files() {
        let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let mut files = vec![
            photo(200, 120, 0, false),
            photo(200, 120, 3, false),
            photo(150, 100, 0, true),
            photo(256, 200, 5, false),
            gradient(101, 75, jpeg_encoder::SamplingFactor::R_4_4_4),
            gradient(101, 75, jpeg_encoder::SamplingFactor::R_4_2_2),
            gradient(101, 75, jpeg_encoder::SamplingFactor::R_4_4_0),
        ];
        for name in ["progressive_420_restarts.jpg", "progressive_422.jpg"] {
            files.push(std::fs::read(testdata.join(name)).expect("testdata"));
        }
        for (index, jpeg) in files.iter().enumerate() {
            let compared =
                differential(jpeg, 256).unwrap_or_else(|why| panic!("file {index}: {why}"));
            assert!(
                compared >= 2,
                "file {index}: only {compared} decodes compared"
            );
        }
        // A frame with a side over the bound is left out (200 wide here), one within it not.
        assert_eq!(differential(&files[0], 199), Ok(0));
        assert!(differential(&files[0], 200).is_ok_and(|compared| compared >= 2));
    }

    /// A sequential file libjpeg refuses ("Bogus Huffman table definition": its luma DC table
    /// names a size of 74, which no block uses), found by the differential target: the planar
    /// decoder reads it, and in the libjpeg-turbo build the oracle, which has no arbiter for
    /// it, compares nothing (jpeg-decoder reads it far from libjpeg's reading of the same file
    /// with that symbol made valid, which the planar decoder matches: SECURITY.md).
    #[test]
    fn a_sequential_file_libjpeg_refuses_is_not_compared() {
        use crate::jpeg::backend::{Active, Backend};

        let bytes = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/regressions/differential_dc_size_74_3d8d5f2efb3a"),
        )
        .expect("regression input");
        assert!(crate::jpeg::decode_planes(&bytes, 8, (61, 45)).is_ok());
        if Active::PACKED_EVERY_EIGHTH {
            assert_eq!(differential(&bytes, 256), Ok(0));
        }
    }

    /// A plane off by a few levels in one place, or by a little everywhere, is caught.
    #[test]
    fn disagreement_is_caught() {
        let jpeg = gradient(64, 48, jpeg_encoder::SamplingFactor::R_4_4_4);
        let planes = crate::jpeg::decode_planes(&jpeg, 8, (64, 48)).expect("planes");
        let rgb = jpeg_decoder_rgb(&jpeg, (64, 48)).expect("reference");
        assert!(compare(&planes, &rgb).is_ok());
        let mut one_block = planes.clone();
        for y in 8..16 {
            for x in 16..24 {
                one_block.y[y * 64 + x] = one_block.y[y * 64 + x].wrapping_add(12);
            }
        }
        assert!(compare(&one_block, &rgb).is_err());
        let mut shifted = planes.clone();
        shifted
            .cbcr
            .iter_mut()
            .for_each(|c| *c = c.saturating_add(3));
        assert!(compare(&shifted, &rgb).is_err());
    }
}
