//! SPEC §1: a non-square source is centre-cropped to the square of its shorter side (after
//! orientation) before resizing.

use crate::common;

use common::{decode_rendition, ingest_ok, synth};
use image::{ImageFormat, Rgb, RgbImage};

const GREY: Rgb<u8> = Rgb([128, 128, 128]);
const RED: Rgb<u8> = Rgb([220, 20, 20]);
const GREEN: Rgb<u8> = Rgb([20, 200, 20]);
const BLUE: Rgb<u8> = Rgb([20, 20, 220]);

/// An upright `long` x `short` (landscape) or `short` x `long` (portrait) picture: grey, with
/// a red marker at the centre, green bands just inside the centre square's two far edges and
/// blue outside it, which no rendition may show.
fn target(long: u32, short: u32, landscape: bool) -> RgbImage {
    let margin = (long - short) / 2;
    let band = short / 20;
    // Even, so that the marker's centre is exactly the square's.
    let marker = short / 20 * 2;
    let centre = margin + short / 2;
    let (w, h) = if landscape {
        (long, short)
    } else {
        (short, long)
    };
    RgbImage::from_fn(w, h, |x, y| {
        // Along the long axis and across it.
        let (along, across) = if landscape { (x, y) } else { (y, x) };
        if along < margin || along >= margin + short {
            BLUE
        } else if along < margin + band || along >= margin + short - band {
            GREEN
        } else if (centre - marker / 2..centre + marker / 2).contains(&along)
            && (short / 2 - marker / 2..short / 2 + marker / 2).contains(&across)
        {
            RED
        } else {
            GREY
        }
    })
}

fn is(p: &Rgb<u8>, colour: Rgb<u8>, tolerance: u8) -> bool {
    (0..3).all(|c| p[c].abs_diff(colour[c]) <= tolerance)
}

/// The centre of the red marker, the absence of blue, and the green bands at both edges.
fn check(output: &RgbImage, landscape: bool, what: &str) {
    let side = output.width();
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
    for (x, y, p) in output.enumerate_pixels() {
        if is(p, RED, 60) {
            sx += f64::from(x) + 0.5;
            sy += f64::from(y) + 0.5;
            n += 1.0;
        }
        assert!(
            !(p[2] > 150 && p[0] < 90 && p[1] < 90),
            "{what}: blue from outside the square at {x},{y}"
        );
    }
    assert!(n > 0.0, "{what}: the centre marker is gone");
    let centre = f64::from(side) / 2.0;
    // 4:2:0 chroma makes the red outline blocky by up to a pixel.
    let tolerance = 1.0 + f64::from(side) / 200.0;
    assert!(
        (sx / n - centre).abs() <= tolerance && (sy / n - centre).abs() <= tolerance,
        "{what}: marker centred at ({:.2}, {:.2}), not ({centre}, {centre})",
        sx / n,
        sy / n
    );
    // The first and last rows or columns along the long axis are the green bands.
    let edge = |i: u32, j: u32| -> &Rgb<u8> {
        if landscape {
            output.get_pixel(i, j)
        } else {
            output.get_pixel(j, i)
        }
    };
    let mid = side / 2;
    for i in [0, side - 1] {
        assert!(
            is(edge(i, mid), GREEN, 70),
            "{what}: edge {i} is {:?}, not the green band",
            edge(i, mid)
        );
    }
}

#[test]
fn the_centre_square_is_kept_at_every_size() {
    for landscape in [true, false] {
        let picture = target(900, 500, landscape);
        let png = synth::encode(&picture, ImageFormat::Png);
        let set = ingest_ok(&png);
        assert_eq!(common::sides(&set), [48, 64, 96, 120, 240, 360, 432]);
        for rendition in &set {
            let side = rendition.size().side();
            let output = decode_rendition(rendition.bytes(), side);
            check(&output, landscape, &format!("landscape={landscape} {side}"));
        }
    }
}

/// An odd margin (a 1-pixel asymmetry) and an extreme aspect ratio.
#[test]
fn odd_margins_and_panoramas() {
    for (long, short) in [(901, 500), (3000, 240), (501, 500)] {
        let picture = target(long, short, true);
        let set = ingest_ok(&synth::encode(&picture, ImageFormat::Png));
        for rendition in &set {
            let side = rendition.size().side();
            let output = decode_rendition(rendition.bytes(), side);
            check(&output, true, &format!("{long}x{short} {side}"));
        }
    }
}

/// The crop is taken from the upright picture: a portrait photo stored sideways (any EXIF
/// orientation) keeps the centre of what is seen.
#[test]
fn the_crop_follows_orientation() {
    for landscape in [true, false] {
        let upright = target(900, 500, landscape);
        for orientation in 1..=8u16 {
            let stored = synth::stored_for(&upright, orientation);
            let jpeg = synth::with_orientation(&synth::jpeg(&stored, 95), orientation);
            let set = ingest_ok(&jpeg);
            let want = if landscape { (900, 500) } else { (500, 900) };
            assert_eq!((set.source().width, set.source().height), want);
            for rendition in &set {
                let side = rendition.size().side();
                let output = decode_rendition(rendition.bytes(), side);
                check(
                    &output,
                    landscape,
                    &format!("landscape={landscape} orientation {orientation} {side}"),
                );
            }
        }
    }
}

/// The check catches an uncentred crop: a picture whose marker sits off-centre inside the
/// square fails it.
#[test]
fn the_check_notices_a_shifted_crop() {
    let mut picture = target(900, 500, true);
    // Move the square's content 40 pixels to the right, as a crop taken from x=160 would show.
    let shifted = RgbImage::from_fn(900, 500, |x, y| {
        if (200..700).contains(&x) {
            *picture.get_pixel((x - 40).max(200), y)
        } else {
            BLUE
        }
    });
    picture = shifted;
    let set = ingest_ok(&synth::encode(&picture, ImageFormat::Png));
    let output = decode_rendition(set.largest().bytes(), 432);
    let caught = std::panic::catch_unwind(|| check(&output, true, "shifted")).is_err();
    assert!(caught, "a marker 40 pixels off centre went unnoticed");
}
