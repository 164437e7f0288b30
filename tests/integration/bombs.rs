//! Every crafted bomb gets its typed answer in-process (the CLI's `hostile` test runs them
//! again in a child process under memory and CPU caps).

use crate::common;

use common::bombs::{self, Expect};
use userphoto::{ingest, Options, PhotoSize};

#[test]
fn every_bomb_gets_its_answer() {
    for bomb in bombs::all() {
        let result = ingest(&bomb.bytes, &Options::default());
        match (bomb.expect, result) {
            (Expect::Rejected(kind), Err(error)) => {
                assert_eq!(error.kind().as_str(), kind, "{}: {error}", bomb.name)
            }
            (Expect::Ingested { largest }, Ok(set)) => {
                assert_eq!(set.largest().size().side(), largest, "{}", bomb.name)
            }
            (expect, Err(error)) => panic!("{}: expected {expect:?}, got {error}", bomb.name),
            (expect, Ok(set)) => panic!(
                "{}: expected {expect:?}, got {} sizes",
                bomb.name,
                set.len()
            ),
        }
    }
}

#[test]
fn bombs_are_small() {
    for bomb in bombs::all() {
        assert!(
            bomb.bytes.len() < 2 << 20,
            "{} is {} bytes",
            bomb.name,
            bomb.bytes.len()
        );
    }
    assert!(bombs::gif_65535x65535().len() <= 48);
}

/// The generators make what they claim: the 10,000-frame GIF has them all, and the inflating
/// stream really inflates.
#[test]
fn generators_make_what_they_claim() {
    let gif = bombs::gif_animated(10_000);
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(gif.as_slice()).unwrap();
    let mut frames = 0;
    while decoder.next_frame_info().unwrap().is_some() {
        frames += 1;
    }
    assert_eq!(frames, 10_000);

    let n: usize = 1 + 258 * 1000;
    let inflated = inflate_as_png_row(&bombs::zlib_of_zeros(n as u64), n);
    assert_eq!(inflated.len(), n);
    assert!(inflated.iter().all(|&b| b == 0));
}

/// Inflates `zlib` (of `n` bytes) with the png crate's own path: as the IDAT of a one-row
/// greyscale PNG `n - 1` pixels wide (the first byte being the row's filter type).
fn inflate_as_png_row(zlib: &[u8], n: usize) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let chunk = |png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        png.extend_from_slice(&bombs::crc32(&[kind, data]).to_be_bytes());
    };
    let mut ihdr = u32::try_from(n - 1).unwrap().to_be_bytes().to_vec();
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", zlib);
    chunk(&mut png, b"IEND", &[]);
    let image = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
    let mut row = vec![0u8];
    row.extend_from_slice(image.as_bytes());
    row
}

#[test]
fn the_animated_gif_shows_its_first_frame() {
    let set = ingest(&bombs::gif_animated(10_000), &Options::default()).unwrap();
    let jpeg = set.get(PhotoSize::S48).unwrap().bytes();
    let pixels = jpeg_decoder::Decoder::new(jpeg.as_ref()).decode().unwrap();
    for pixel in pixels.chunks_exact(3) {
        let [r, g, b] = [pixel[0], pixel[1], pixel[2]];
        assert!(
            r > 230 && g < 30 && b < 30,
            "not the red first frame: {pixel:?}"
        );
    }
}
