//! SPEC §5: embedded ICC profiles are converted to sRGB, CMYK shows its colours, and
//! transparency lands on the background (white by default).

use crate::common;

use common::{
    assert_colour_near, corpus, decode_jpeg, decode_rendition, ingest_ok, mean_abs_diff,
    mean_colour, psnr, read, reference,
};
use image::{ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use userphoto::{ingest, Background, Options};

/// The largest rendition of `bytes`, decoded.
fn largest(bytes: &[u8]) -> RgbImage {
    let set = ingest_ok(bytes);
    let side = set.largest().size().side();
    decode_rendition(set.largest().bytes(), side)
}

// ---------------------------------------------------------------------------------------------
// A reference colour conversion, written from the colour-space definitions (not moxcms).

/// sRGB encoding of a linear value, clipped to 0–1.
fn srgb_encode(linear: f64) -> f64 {
    let v = linear.clamp(0.0, 1.0);
    let e = if v <= 0.003_130_8 {
        12.92 * v
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    };
    e * 255.0
}

/// CIE L*a*b* (D65 white) of an sRGB colour, 0–255 a channel.
fn srgb_to_lab(rgb: [f64; 3]) -> [f64; 3] {
    let linear = rgb.map(|v| {
        let v = v / 255.0;
        if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    });
    let xyz = [
        [0.412_456_4, 0.357_576_1, 0.180_437_5],
        [0.212_672_9, 0.715_152_2, 0.072_175_0],
        [0.019_333_9, 0.119_192_0, 0.950_304_1],
    ]
    .map(|row| row[0] * linear[0] + row[1] * linear[1] + row[2] * linear[2]);
    let white = [0.950_47, 1.0, 1.088_83];
    let f = |t: f64| {
        if t > (6.0f64 / 29.0).powi(3) {
            t.cbrt()
        } else {
            t / (3.0 * (6.0f64 / 29.0).powi(2)) + 4.0 / 29.0
        }
    };
    let [fx, fy, fz] = [0, 1, 2].map(|i| f(xyz[i] / white[i]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// The CIE 1976 colour difference (ΔE*ab) of two sRGB colours.
fn delta_e76(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (a, b) = (srgb_to_lab(a), srgb_to_lab(b));
    (0..3).map(|i| (a[i] - b[i]).powi(2)).sum::<f64>().sqrt()
}

#[test]
fn delta_e_measures_colour_differences() {
    assert!(delta_e76([227.0, 6.0, 20.0], [227.0, 6.0, 20.0]) < 1e-9);
    // White is L* 100; black 0.
    assert!((srgb_to_lab([255.0; 3])[0] - 100.0).abs() < 0.01);
    assert!(srgb_to_lab([0.0; 3])[0].abs() < 0.01);
    // sRGB red is about L* 53.2, a* 80.1, b* 67.2.
    let red = srgb_to_lab([255.0, 0.0, 0.0]);
    assert!(
        (red[0] - 53.24).abs() < 0.1
            && (red[1] - 80.09).abs() < 0.2
            && (red[2] - 67.20).abs() < 0.2,
        "{red:?}"
    );
    let d = delta_e76([255.0, 0.0, 0.0], [227.16, 6.32, 19.71]);
    assert!(d > 10.0, "{d}");
}

/// Linear Display P3 (D65) to linear sRGB: inverse(sRGB → XYZ) × (P3 → XYZ).
const P3_TO_SRGB: [[f64; 3]; 3] = [
    [1.224_940_2, -0.224_940_2, 0.0],
    [-0.042_056_9, 1.042_057_1, 0.0],
    [-0.019_637_6, -0.078_636_1, 1.098_273_6],
];

/// Linear Rec. 2020 (D65) to linear sRGB.
const REC2020_TO_SRGB: [[f64; 3]; 3] = [
    [1.660_491, -0.587_641, -0.072_850],
    [-0.124_550, 1.132_900, -0.008_349],
    [-0.018_151, -0.100_579, 1.118_730],
];

/// Linear Adobe RGB (1998) to linear sRGB.
const ADOBE_TO_SRGB: [[f64; 3]; 3] = [
    [1.398_355_7, -0.398_355_7, 0.0],
    [0.0, 1.0, 0.0],
    [0.0, -0.042_928_9, 1.042_928_9],
];

/// Adobe RGB (1998)'s transfer exponent, 563/256.
const ADOBE_GAMMA: f64 = 563.0 / 256.0;

/// A picture whose values have these primaries (as a matrix to sRGB) and a pure power-law
/// transfer of `gamma`, shown in sRGB (out-of-gamut colours clipped).
fn to_srgb(image: &RgbImage, matrix: &[[f64; 3]; 3], gamma: f64) -> RgbImage {
    let mut out = image.clone();
    for p in out.pixels_mut() {
        let linear = p.0.map(|v| (f64::from(v) / 255.0).powf(gamma));
        let mut srgb = [0u8; 3];
        for (row, slot) in matrix.iter().zip(&mut srgb) {
            let v = row[0] * linear[0] + row[1] * linear[1] + row[2] * linear[2];
            *slot = srgb_encode(v).round() as u8;
        }
        *p = Rgb(srgb);
    }
    out
}

/// The DCI-P3 (D65, gamma 2.2) colour bars: each rendition matches the source converted by
/// the reference above, and clearly not the unconverted source.
#[test]
fn display_p3_jpeg_is_converted_to_srgb() {
    let Some(corpus) = corpus() else { return };
    let bytes = read(&corpus, "formats/jpeg_displayp3_color_bars_1000x800.jpg");
    let source = decode_jpeg(&bytes);
    let converted = to_srgb(&source, &P3_TO_SRGB, 2.2);
    let set = ingest_ok(&bytes);
    for rendition in set.iter().filter(|r| r.size().side() >= 96) {
        let side = rendition.size().side();
        let output = decode_rendition(rendition.bytes(), side);
        let right = psnr(&output, &reference(&converted, side));
        let unconverted = psnr(&output, &reference(&source, side));
        assert!(
            right > 30.0,
            "{side}: {right:.1} dB from the sRGB reference"
        );
        assert!(
            right > unconverted + 3.0,
            "{side}: converted {right:.1} dB, unconverted {unconverted:.1} dB"
        );
    }
}

/// The 16-bit RGBA Display P3 PNG: a logo drawn in P3 reds that all clip to sRGB red, so the
/// renditions are uniform red. Without conversion the logo would show.
#[test]
fn display_p3_png_is_uniform_srgb_red() {
    let Some(corpus) = corpus() else { return };
    let bytes = read(&corpus, "formats/png_rgba16_displayp3_1000x1000.png");
    let set = ingest_ok(&bytes);
    for rendition in &set {
        let side = rendition.size().side();
        let output = decode_rendition(rendition.bytes(), side);
        let off = output
            .pixels()
            .filter(|p| p[0] < 235 || p[1] > 25 || p[2] > 25)
            .count();
        assert!(
            off * 200 < output.pixels().len(),
            "{side}: {off} pixels are not sRGB red"
        );
    }
    // The source itself is not uniform: the test would notice an unconverted rendition.
    let source = image::load_from_memory(&bytes).unwrap().into_rgba8();
    let reds: std::collections::BTreeSet<u8> = source.pixels().map(|p| p[0]).collect();
    assert!(reds.len() > 1, "the source should hold several reds");
}

/// A profile that swaps primaries (stored RGB means displayed GBR): the names written in the
/// picture only match their colours once the profile is applied.
#[test]
fn a_primaries_rotating_profile_is_applied() {
    let Some(corpus) = corpus() else { return };
    let bytes = read(&corpus, "formats/jpeg_icc_rgb_to_gbr_swapped_1000x1000.jpg");
    let source = decode_jpeg(&bytes);
    let permuted = |order: [usize; 3]| {
        let mut out = source.clone();
        for p in out.pixels_mut() {
            let q = p.0;
            *p = Rgb([q[order[0]], q[order[1]], q[order[2]]]);
        }
        out
    };
    // Displayed red is the stored blue channel, green the stored red, blue the stored green.
    let right = permuted([2, 0, 1]);
    let output = largest(&bytes);
    let side = output.width();
    let score = psnr(&output, &reference(&right, side));
    assert!(score > 28.0, "{score:.1} dB from the permuted source");
    for wrong in [[0, 1, 2], [1, 2, 0]] {
        let other = psnr(&output, &reference(&permuted(wrong), side));
        assert!(
            other < score - 8.0,
            "{wrong:?}: {other:.1} dB vs {score:.1} dB"
        );
    }
}

/// Adobe RGB (1998) and Rec. 2020 (gamma 2.2) sources match their reference conversion, and
/// clearly not their unconverted values.
#[test]
fn wide_gamut_profiles_are_converted() {
    let Some(corpus) = corpus() else { return };
    for (name, matrix, gamma, margin) in [
        (
            "formats/jpeg_adobergb_icc_shoes_600x400.jpg",
            &ADOBE_TO_SRGB,
            ADOBE_GAMMA,
            6.0,
        ),
        (
            "formats/jpeg_adobergb_icc_290x442.jpg",
            &ADOBE_TO_SRGB,
            ADOBE_GAMMA,
            6.0,
        ),
        (
            "photos/photo_rocket_adobergb_640x427.jpg",
            &ADOBE_TO_SRGB,
            ADOBE_GAMMA,
            6.0,
        ),
        (
            "formats/jpeg_rec2020_color_ring_1000x1000.jpg",
            &REC2020_TO_SRGB,
            2.2,
            6.0,
        ),
    ] {
        let bytes = read(&corpus, name);
        let output = largest(&bytes);
        let side = output.width();
        let source = decode_jpeg(&bytes);
        // Colours, not detail: compare 16x16 averages.
        let blocks = |image: &RgbImage| image::imageops::thumbnail(image, 16, 16);
        let output = blocks(&output);
        let right = psnr(
            &output,
            &blocks(&reference(&to_srgb(&source, matrix, gamma), side)),
        );
        let raw = psnr(&output, &blocks(&reference(&source, side)));
        println!("{name}: converted {right:.1} dB, unconverted {raw:.1} dB");
        assert!(
            right > 38.0,
            "{name}: {right:.1} dB from the sRGB reference"
        );
        assert!(
            right > raw + margin,
            "{name}: converted {right:.1} dB, raw {raw:.1} dB"
        );
    }
}

/// A grey JPEG with a grey ICC profile stays grey.
#[test]
fn grey_profiles_keep_grey() {
    let Some(corpus) = corpus() else { return };
    for name in [
        "formats/jpeg_gray_gamma22_icc_400x267.jpg",
        "formats/jpeg_gray_128x128.jpg",
    ] {
        let output = largest(&read(&corpus, name));
        let worst = output
            .pixels()
            .map(|p| p[0].abs_diff(p[1]).max(p[1].abs_diff(p[2])))
            .max()
            .unwrap();
        assert!(worst <= 3, "{name}: a pixel is {worst} off grey");
    }
}

// ---------------------------------------------------------------------------------------------
// CMYK

/// Patches of ink: (C, M, Y, K) in 0–255 ink, and the sRGB colour they must show.
const INKS: [([u8; 4], [f64; 3]); 6] = [
    ([0, 0, 0, 0], [255.0, 255.0, 255.0]),
    ([0, 255, 255, 0], [255.0, 0.0, 0.0]),
    ([255, 0, 255, 0], [0.0, 255.0, 0.0]),
    ([255, 255, 0, 0], [0.0, 0.0, 255.0]),
    ([0, 0, 255, 0], [255.0, 255.0, 0.0]),
    ([0, 0, 0, 255], [0.0, 0.0, 0.0]),
];

/// CMYK and YCCK JPEGs without a profile (Adobe APP14, inverted as Photoshop writes them)
/// show their inks as the textbook formula says, as browsers do.
#[test]
fn cmyk_jpegs_without_a_profile_show_their_inks() {
    for color_type in [
        jpeg_encoder::ColorType::Cmyk,
        jpeg_encoder::ColorType::CmykAsYcck,
    ] {
        for (ink, want) in INKS {
            let inks: Vec<u8> = ink.repeat(64 * 64);
            let mut jpeg = Vec::new();
            let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 95);
            encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_4_4);
            encoder.encode(&inks, 64, 64, color_type).unwrap();
            let output = largest(&jpeg);
            assert_colour_near(
                mean_colour(&output, 24, 24, 32),
                want,
                10.0,
                &format!("{color_type:?} ink {ink:?}"),
            );
        }
    }
}

/// The CMYK corpus: an Adobe CMYK JPEG, a CMYK TIFF tagged FOGRA39 (solid 0/100/100/0, a
/// red), and the same YCCK photo with and without a SWOP profile.
#[test]
fn cmyk_corpus_files_have_the_right_colours() {
    let Some(corpus) = corpus() else { return };
    let red = largest(&read(
        &corpus,
        "formats/tiff_cmyk_fogra39_icc_1000x1000.tif",
    ));
    // The file's inks through its own profile (Coated FOGRA39) to sRGB, as LittleCMS 2.14
    // converts them with the perceptual intent that moxcms uses by default:
    // `transicc -i <the file's profile> -o '*sRGB' -t 0 -n` on 0 100 100 0 gives
    // 227.16, 6.32, 19.71. (The textbook formula, profile ignored, gives 255, 0, 0, ΔE 14.6
    // away; LittleCMS's relative colorimetric intent 228, 31, 37, ΔE 7.2 away.)
    let centre = red
        .get_pixel(red.width() / 2, red.height() / 2)
        .0
        .map(f64::from);
    let difference = delta_e76(centre, [227.16, 6.32, 19.71]);
    assert!(
        difference <= 3.0,
        "FOGRA39 red came out as {centre:?}, ΔE {difference:.1} from LittleCMS's"
    );
    let colour = mean_colour(&red, red.width() / 2, red.height() / 2, 64);
    let spread = red
        .pixels()
        .map(|p| {
            p[0].abs_diff(colour[0] as u8)
                .max(p[1].abs_diff(colour[1] as u8))
        })
        .max()
        .unwrap();
    assert!(spread < 16, "the solid red is not uniform ({spread})");

    // The YCCK photo with its SWOP profile and without one show the same picture: a profile
    // changes tones, not content, and neither comes out inverted.
    let with = largest(&read(&corpus, "formats/jpeg_ycck_swop_icc_500x333.jpg"));
    let without = largest(&read(&corpus, "formats/jpeg_ycck_no_icc_500x333.jpg"));
    let diff = mean_abs_diff(&with, &without);
    assert!(
        diff < 30.0,
        "YCCK with and without profile differ by {diff:.1}"
    );
    let inverted = RgbImage::from_fn(without.width(), without.height(), |x, y| {
        let p = without.get_pixel(x, y);
        Rgb([255 - p[0], 255 - p[1], 255 - p[2]])
    });
    assert!(mean_abs_diff(&with, &inverted) > diff + 30.0);

    // Red letters ("RED") on black, in an Adobe (inverted) CMYK JPEG without a profile.
    let red_on_black = largest(&read(&corpus, "formats/jpeg_cmyk_adobe_100x100.jpg"));
    let count = |image: &RgbImage, test: &dyn Fn(&Rgb<u8>) -> bool| {
        image.pixels().filter(|p| test(p)).count()
    };
    let total = red_on_black.pixels().len();
    let black = count(&red_on_black, &|p| p.0.iter().all(|&c| c < 50));
    let red = count(&red_on_black, &|p| p[0] > 150 && p[1] < 90 && p[2] < 90);
    assert!(
        black * 2 > total,
        "only {black} of {total} pixels are black"
    );
    assert!(red * 20 > total, "only {red} of {total} pixels are red");

    // The words cyan, yellow, magenta and black, each in its ink, on white paper.
    let words = largest(&read(&corpus, "formats/jpeg_cmyk_mozilla_256x256.jpg"));
    let total = words.pixels().len();
    let white = count(&words, &|p| p.0.iter().all(|&c| c > 230));
    assert!(
        white * 10 > total * 8,
        "only {white} of {total} pixels are white"
    );
    for (ink, test) in [
        (
            "cyan",
            &(|p: &Rgb<u8>| p[0] < 120 && p[1] > 170 && p[2] > 170) as &dyn Fn(&Rgb<u8>) -> bool,
        ),
        ("magenta", &|p: &Rgb<u8>| {
            p[0] > 170 && p[1] < 120 && p[2] > 170
        }),
        ("yellow", &|p: &Rgb<u8>| {
            u16::from(p[2]) + 60 < u16::from(p[0].min(p[1]))
        }),
        ("black", &|p: &Rgb<u8>| p.0.iter().all(|&c| c < 60)),
    ] {
        let n = count(&words, test);
        assert!(n > 40, "only {n} {ink} pixels");
    }
}

// ---------------------------------------------------------------------------------------------
// Transparency

/// A generated RGBA PNG: transparent (with black colour values) on the left, opaque blue on
/// the right, half-transparent red in the middle. Transparent lands on white by default and on
/// the chosen background otherwise.
#[test]
fn alpha_lands_on_the_background() {
    let image = RgbaImage::from_fn(300, 100, |x, _| match x {
        0..100 => Rgba([0, 0, 0, 0]),
        100..200 => Rgba([255, 0, 0, 128]),
        _ => Rgba([0, 0, 255, 255]),
    });
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, ImageFormat::Png).unwrap();
    let png = png.into_inner();
    // Square: x 100..200, all half-transparent red -> pink on white.
    let output = largest(&png);
    assert_colour_near(
        mean_colour(&output, 48, 48, 32),
        [255.0, 127.0, 127.0],
        8.0,
        "half-transparent red on white",
    );

    // The same over black, and a wider picture whose crop holds all three parts.
    let wide = RgbaImage::from_fn(300, 300, |x, _| match x {
        0..100 => Rgba([0, 0, 0, 0]),
        100..200 => Rgba([255, 0, 0, 128]),
        _ => Rgba([0, 0, 255, 255]),
    });
    let mut png = std::io::Cursor::new(Vec::new());
    wide.write_to(&mut png, ImageFormat::Png).unwrap();
    let png = png.into_inner();
    let output = largest(&png);
    assert_eq!(output.width(), 240);
    assert_colour_near(
        mean_colour(&output, 40, 120, 32),
        [255.0; 3],
        6.0,
        "transparent",
    );
    assert_colour_near(
        mean_colour(&output, 200, 120, 32),
        [0.0, 0.0, 255.0],
        10.0,
        "opaque",
    );
    let black = Options {
        background: Background::rgb(0, 0, 0),
        ..Options::default()
    };
    let set = ingest(&png, &black).unwrap();
    let output = decode_rendition(set.largest().bytes(), 240);
    assert_colour_near(mean_colour(&output, 40, 120, 32), [0.0; 3], 6.0, "on black");
    assert_colour_near(
        mean_colour(&output, 120, 120, 32),
        [128.0, 0.0, 0.0],
        8.0,
        "half red on black",
    );
}

/// Black handwriting on a fully transparent background: over white it is dark strokes on white.
#[test]
fn transparent_handwriting_shows_on_white() {
    let Some(corpus) = corpus() else { return };
    let output = largest(&read(
        &corpus,
        "formats/png_rgba8_alpha_photo_2048x1536.png",
    ));
    let total = output.pixels().len();
    let white = output
        .pixels()
        .filter(|p| p.0.iter().all(|&c| c > 235))
        .count();
    let dark = output
        .pixels()
        .filter(|p| p.0.iter().all(|&c| c < 100))
        .count();
    assert!(
        white * 10 > total * 7,
        "only {white} of {total} pixels are white"
    );
    assert!(
        dark * 500 > total,
        "only {dark} of {total} pixels are dark strokes"
    );
}
