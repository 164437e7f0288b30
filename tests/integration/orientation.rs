//! SPEC §5: the EXIF orientation is applied. Each rendition must match the correctly turned
//! source, and match it clearly better than any other of the eight turns.

use crate::common;

use common::{corpus, decode_rendition, ingest_ok, psnr, read, reference, synth};
use image::RgbImage;
use userphoto::PhotoSize;

/// How `output` scores (PSNR, dB) against each candidate reference.
fn scores(output: &RgbImage, candidates: &[RgbImage]) -> Vec<f64> {
    candidates.iter().map(|c| psnr(output, c)).collect()
}

/// Checks that `output` matches `candidates[right]` with at least `min_psnr` dB, and every
/// other candidate at least `margin` dB worse.
fn check_turn(
    output: &RgbImage,
    candidates: &[RgbImage],
    right: usize,
    min_psnr: f64,
    margin: f64,
) -> Result<(), String> {
    let scores = scores(output, candidates);
    let best_wrong = scores
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != right)
        .map(|(_, &s)| s)
        .fold(f64::NEG_INFINITY, f64::max);
    if scores[right] < min_psnr {
        return Err(format!(
            "the right turn scores only {:.1} dB (all: {scores:.1?})",
            scores[right]
        ));
    }
    if scores[right] - best_wrong < margin {
        return Err(format!(
            "a wrong turn scores {best_wrong:.1} dB, too close to the right one's {:.1} dB \
             (all: {scores:.1?})",
            scores[right]
        ));
    }
    Ok(())
}

/// The rendition of each of the eight turns of `stored` at `side`: index `n - 1` is how
/// the rendition looks if orientation `n` is applied. A large source is first shrunk (by area
/// averaging) to twice the side, which keeps the references quick to compute.
fn all_turns(stored: &RgbImage, side: u32) -> Vec<RgbImage> {
    let (w, h) = stored.dimensions();
    let short = w.min(h);
    let shrunk;
    let stored = if short > 2 * side {
        let scale = f64::from(2 * side) / f64::from(short);
        let (sw, sh) = (
            (f64::from(w) * scale).round() as u32,
            (f64::from(h) * scale).round() as u32,
        );
        shrunk = image::imageops::thumbnail(stored, sw, sh);
        &shrunk
    } else {
        stored
    };
    (1..=8)
        .map(|n| reference(&synth::upright(stored, n), side))
        .collect()
}

#[test]
fn generated_jpegs_with_each_orientation_come_out_upright() {
    // Landscape and portrait upright pictures, so the centre crop matters too.
    for (width, height) in [(560, 400), (400, 560)] {
        let upright = synth::photo_like(width, height);
        for orientation in 1..=8u16 {
            let stored = synth::stored_for(&upright, orientation);
            let jpeg = synth::with_orientation(&synth::jpeg(&stored, 92), orientation);
            let set = ingest_ok(&jpeg);
            assert_eq!(
                (set.source().width, set.source().height),
                (width, height),
                "orientation {orientation}: upright size"
            );
            assert_eq!(common::sides(&set), [48, 64, 96, 120, 240, 360]);
            for side in [48, 120, 360] {
                let rendition = set.iter().find(|r| r.size().side() == side).unwrap();
                let output = decode_rendition(rendition.bytes(), side);
                let candidates = all_turns(&stored, side);
                // Small sizes blur the picture, so ask less of them.
                let (min_psnr, margin) = if side >= 96 { (28.0, 8.0) } else { (24.0, 4.0) };
                let index = usize::from(orientation - 1);
                if let Err(why) = check_turn(&output, &candidates, index, min_psnr, margin) {
                    common::save_for_inspection(&format!("orientation{orientation}"), &output);
                    panic!("{width}x{height}, orientation {orientation}, {side}x{side}: {why}");
                }
            }
        }
    }
}

/// The check above does catch a wrong turn: a rendition turned any other way fails it.
#[test]
fn the_check_rejects_every_wrong_turn() {
    let upright = synth::photo_like(400, 300);
    let stored = synth::stored_for(&upright, 6);
    let candidates = all_turns(&stored, 240);
    assert!(check_turn(&candidates[5], &candidates, 5, 28.0, 8.0).is_ok());
    for wrong in (0..8).filter(|&i| i != 5) {
        let result = check_turn(&candidates[wrong], &candidates, 5, 28.0, 8.0);
        assert!(result.is_err(), "turn {} passed for 6", wrong + 1);
    }
    // And the library's own output, rendered from an untagged file (so not turned), fails.
    let untagged = ingest_ok(&synth::jpeg(&stored, 92));
    let output = decode_rendition(untagged.get(PhotoSize::S240).unwrap().bytes(), 240);
    assert!(check_turn(&output, &candidates, 5, 28.0, 8.0).is_err());
    assert!(check_turn(&output, &candidates, 0, 28.0, 8.0).is_ok());
}

/// Orientation is applied to progressive JPEGs, PNG and WebP too.
#[test]
fn other_containers_carry_orientation() {
    let upright = synth::photo_like(300, 220);
    let stored = synth::stored_for(&upright, 8);
    let jpeg = synth::with_orientation(&synth::progressive_jpeg(&stored, 92), 8);
    let set = ingest_ok(&jpeg);
    assert_eq!((set.source().width, set.source().height), (300, 220));
    let output = decode_rendition(set.largest().bytes(), 120);
    check_turn(&output, &all_turns(&stored, 120), 7, 28.0, 8.0).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The corpus

/// Decodes a corpus source as stored (no orientation applied), ignoring any ICC profile.
fn decode_stored(bytes: &[u8]) -> RgbImage {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        common::decode_jpeg(bytes)
    } else {
        image::load_from_memory(bytes)
            .expect("the image crate reads the source")
            .into_rgb8()
    }
}

/// Every orientation_N_{landscape,portrait}.jpg matches its own source turned by N (0 meaning
/// none), clearly better than any other turn.
#[test]
fn corpus_orientation_files_come_out_upright() {
    let Some(corpus) = corpus() else { return };
    for shape in ["landscape", "portrait"] {
        for n in 0..=8u16 {
            let path = format!("orientation/orientation_{n}_{shape}.jpg");
            let bytes = read(&corpus, &path);
            let set = ingest_ok(&bytes);
            let stored = decode_stored(&bytes);
            let side = 240;
            let output = decode_rendition(set.get(PhotoSize::S240).unwrap().bytes(), side);
            let right = usize::from(n.max(1) - 1);
            check_turn(&output, &all_turns(&stored, side), right, 30.0, 6.0)
                .unwrap_or_else(|why| panic!("{path}: {why}"));
            let upright = if shape == "landscape" {
                (1800, 1200)
            } else {
                (1200, 1800)
            };
            assert_eq!((set.source().width, set.source().height), upright, "{path}");
        }
    }
}

/// The nine landscape files show the same picture, and so do the nine portrait ones: every
/// size of each matches the same size of orientation 1 closely.
#[test]
fn corpus_orientation_files_all_look_alike() {
    let Some(corpus) = corpus() else { return };
    for shape in ["landscape", "portrait"] {
        let base = ingest_ok(&read(
            &corpus,
            &format!("orientation/orientation_1_{shape}.jpg"),
        ));
        let base: Vec<RgbImage> = base
            .iter()
            .map(|r| decode_rendition(r.bytes(), r.size().side()))
            .collect();
        // The measure tells pictures apart: a mirrored rendition is far from these bounds.
        for b in &base {
            let mirrored = image::imageops::flip_horizontal(b);
            let (score, dssim) = (psnr(&mirrored, b), common::dssim(&mirrored, b));
            assert!(
                score < 20.0 && dssim > 0.1,
                "mirrored: {score:.1} dB, {dssim:.4}"
            );
        }
        for n in [0u16, 2, 3, 4, 5, 6, 7, 8] {
            let path = format!("orientation/orientation_{n}_{shape}.jpg");
            let set = ingest_ok(&read(&corpus, &path));
            assert_eq!(common::sides(&set), common::SPEC_SIDES, "{path}");
            for (ours, b) in set.iter().zip(&base) {
                let side = ours.size().side();
                let a = decode_rendition(ours.bytes(), side);
                let score = psnr(&a, b);
                assert!(
                    score > 26.0,
                    "{path} {side}x{side}: {score:.1} dB from orientation 1"
                );
                let dssim = common::dssim(&a, b);
                assert!(dssim < 0.03, "{path} {side}x{side}: DSSIM {dssim:.4}");
            }
        }
    }
}

/// The other orientation samples: JPEG with an ICC profile, PNG with an eXIf chunk, WebP with
/// an EXIF chunk, progressive JPEG. The ICC profile shifts colours, so only the ranking of the
/// turns is asked for.
#[test]
fn corpus_orientation_in_other_containers() {
    let Some(corpus) = corpus() else { return };
    let cases: [(&str, usize, (u32, u32)); 5] = [
        ("orientation_3_generic_rgb_icc_600x450.jpg", 3, (600, 450)),
        ("orientation_6_generic_rgb_icc_450x600.jpg", 6, (600, 450)),
        ("orientation_6_png_exif_chunk_400x400.png", 6, (400, 400)),
        ("orientation_6_webp_128x128.webp", 6, (128, 128)),
        ("orientation_8_progressive_srgb_308x231.jpg", 8, (231, 308)),
    ];
    for (name, n, upright) in cases {
        let bytes = read(&corpus, &format!("orientation/{name}"));
        let set = ingest_ok(&bytes);
        assert_eq!((set.source().width, set.source().height), upright, "{name}");
        let stored = decode_stored(&bytes);
        for rendition in &set {
            let side = rendition.size().side();
            if side < 96 {
                continue;
            }
            let output = decode_rendition(rendition.bytes(), side);
            check_turn(&output, &all_turns(&stored, side), n - 1, 14.0, 3.0)
                .unwrap_or_else(|why| panic!("{name} {side}x{side}: {why}"));
        }
    }
}

/// orientation_3_png_imagemagick_text_exif_512x512.png keeps its EXIF in a tEXt chunk
/// ("Raw profile type exif"), which is not where PNG puts EXIF (eXIf); like browsers, the
/// library does not read it, so the picture is rendered as stored.
#[test]
fn exif_in_png_text_chunks_is_not_honoured() {
    let Some(corpus) = corpus() else { return };
    let bytes = read(
        &corpus,
        "orientation/orientation_3_png_imagemagick_text_exif_512x512.png",
    );
    let set = ingest_ok(&bytes);
    let stored = decode_stored(&bytes);
    let output = decode_rendition(set.largest().bytes(), 504);
    check_turn(&output, &all_turns(&stored, 504), 0, 30.0, 6.0).unwrap();
}
