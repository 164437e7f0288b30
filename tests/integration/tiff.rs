//! TIFF: each layout the library reads gives the picture it stores, and what it does not read
//! is refused by name. The files are written sample by sample here (`common/tiff.rs`), so the
//! picture each must give is known: most are compared with a PNG of that picture, which the
//! image crate decodes, and must give the very same renditions.

use crate::common;

use bytes::Bytes;
use common::tiff::{self, Tiff, Value};
use common::{corpus, decode_rendition, ingest_ok, mean_abs_diff, read, synth};
use image::{GrayImage, ImageFormat, Luma, Rgb, RgbImage, Rgba, RgbaImage};
use userphoto::{ingest, ErrorKind, Options};

/// The renditions' bytes, smallest first.
fn renditions(bytes: &[u8]) -> Vec<Bytes> {
    ingest_ok(bytes).iter().map(|r| r.bytes().clone()).collect()
}

fn png_of_grey(image: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Asserts that the TIFF `file` gives the renditions of the PNG `reference`.
fn assert_reads_as(file: &[u8], reference: &[u8], what: &str) {
    let result = ingest(file, &Options::default());
    let set = result.unwrap_or_else(|e| panic!("{what}: {e}"));
    let got: Vec<Bytes> = set.iter().map(|r| r.bytes().clone()).collect();
    assert!(got == renditions(reference), "{what}: not the picture");
}

/// 100x70: neither side a multiple of a strip's or tile's, so the last ones are partial.
const WIDTH: u32 = 100;
const HEIGHT: u32 = 70;

/// Which of four levels each pixel has, in a pattern unlike itself under any shift, flip or
/// swap of bits: a misplaced chunk or misread sample changes it.
fn level(x: u32, y: u32) -> u32 {
    (x / 3 + y / 5 + (x * y) % 7 + (x / 37) * (y / 23)) % 4
}

/// `bits`-bit grey samples of `levels` of 4 (2 for 1-bit) spread over the full range; and the
/// 8-bit picture they are.
fn grey_levels(bits: u16, white_is_zero: bool) -> (Vec<u32>, GrayImage) {
    let max = if bits == 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    };
    let steps = if bits == 1 { 1 } else { 3 };
    let level = |x, y| {
        if bits == 1 {
            level(x, y) / 2
        } else {
            level(x, y)
        }
    };
    let samples = (0..HEIGHT)
        .flat_map(|y| (0..WIDTH).map(move |x| (x, y)))
        .map(|(x, y)| {
            let value = max / steps * level(x, y);
            if white_is_zero {
                max - value
            } else {
                value
            }
        })
        .collect();
    let picture = GrayImage::from_fn(WIDTH, HEIGHT, |x, y| {
        Luma([(255 / steps * level(x, y)) as u8])
    });
    (samples, picture)
}

/// Grey of 1, 2, 4, 8, 12, 16 and 32 bits, black or white as zero, in either byte order: the
/// picture of its levels (0, 85, 170, 255), exactly.
#[test]
fn grey_of_every_depth_reads_as_its_levels() {
    for bits in [1, 2, 4, 8, 12, 16, 32] {
        for photometric in [tiff::BLACK_IS_ZERO, tiff::WHITE_IS_ZERO] {
            for big_endian in [false, true] {
                let (samples, picture) = grey_levels(bits, photometric == tiff::WHITE_IS_ZERO);
                let mut layout = Tiff::new(WIDTH, HEIGHT, bits, 1, photometric);
                layout.big_endian = big_endian;
                let file = layout.write(&layout.pack(&samples));
                let what =
                    format!("{bits}-bit grey, photometric {photometric}, big-endian {big_endian}");
                assert_reads_as(&file, &png_of_grey(&picture), &what);
            }
        }
    }
}

/// FillOrder 2: the bits of every byte stored least significant first, which libtiff reverses
/// before decompressing. A 16-bit grey image so stored reads as its picture, not as noise; so
/// do bilevel and 4-bit ones, uncompressed and compressed (the reversal comes before the
/// decompression).
#[test]
fn bit_reversed_data_reads_as_its_picture() {
    for (bits, compression) in [
        (16, tiff::NONE),
        (16, tiff::LZW),
        (1, tiff::NONE),
        (4, tiff::PACKBITS),
    ] {
        for big_endian in [false, true] {
            let (samples, picture) = grey_levels(bits, false);
            let mut layout = Tiff::new(WIDTH, HEIGHT, bits, 1, tiff::BLACK_IS_ZERO);
            layout.big_endian = big_endian;
            layout.compression = compression;
            layout.tags.push((266, Value::Short(vec![2])));
            let chunks: Vec<Vec<u8>> = layout
                .pack(&samples)
                .iter()
                .map(|chunk| compress(compression, chunk))
                .map(|chunk| chunk.iter().map(|b| b.reverse_bits()).collect())
                .collect();
            let file = layout.write(&chunks);
            let what = format!(
                "{bits}-bit grey, compression {compression}, big-endian {big_endian}, FillOrder 2"
            );
            assert_reads_as(&file, &png_of_grey(&picture), &what);
        }
    }
}

fn compress(compression: u16, chunk: &[u8]) -> Vec<u8> {
    match compression {
        tiff::NONE => chunk.to_vec(),
        tiff::LZW => tiff::lzw(chunk),
        tiff::PACKBITS => tiff::packbits(chunk),
        other => panic!("no compressor for {other}"),
    }
}

/// The samples of an RGB picture, widened to `bits` (8 or 16).
fn rgb_samples(picture: &RgbImage, bits: u16) -> Vec<u32> {
    let scale = if bits == 16 { 257 } else { 1 };
    picture
        .as_raw()
        .iter()
        .map(|&v| u32::from(v) * scale)
        .collect()
}

/// RGB in tiles whose samples lie in separate planes (the tiff crate 0.11 asserts, and panics,
/// on the bottom tiles of the planes after the first), and the other arrangements of strips,
/// tiles and planes, uncompressed, LZW and PackBits, 8 and 16 bits: the picture, exactly. Two
/// sizes, so that the tiles of the right column hold 4 and 8 of their 32 columns (the tiff
/// crate's LZW reader fails on some such tiles when it is asked for part of each row).
#[test]
fn tiles_and_planes_read_as_the_picture() {
    for (width, height) in [(WIDTH, HEIGHT), (72, 60)] {
        let picture = synth::photo_like(width, height);
        let png = synth::encode(&picture, ImageFormat::Png);
        for (tiles, planar) in [
            (Some((32, 32)), true),
            (Some((32, 16)), true),
            (Some((16, 48)), true),
            (Some((32, 16)), false),
            (None, true),
        ] {
            for compression in [tiff::NONE, tiff::LZW, tiff::PACKBITS] {
                for bits in [8, 16] {
                    let mut layout = Tiff::new(width, height, bits, 3, tiff::RGB);
                    layout.tiles = tiles;
                    layout.planar = planar;
                    layout.compression = compression;
                    layout.rows_per_strip = 24;
                    let chunks: Vec<Vec<u8>> = layout
                        .pack(&rgb_samples(&picture, bits))
                        .iter()
                        .map(|chunk| compress(compression, chunk))
                        .collect();
                    let file = layout.write(&chunks);
                    let what = format!(
                        "{width}x{height} {bits}-bit RGB, tiles {tiles:?}, separate planes \
                         {planar}, compression {compression}"
                    );
                    assert_reads_as(&file, &png, &what);
                }
            }
        }
    }
}

/// RGB and grey with alpha, straight (ExtraSamples 2) and premultiplied (ExtraSamples 1), in one
/// plane and in separate planes: the picture over the white background. Straight alpha gives
/// the renditions of a PNG of the same pixels exactly; premultiplied colour, divided by alpha
/// again, within rounding.
#[test]
fn alpha_lands_on_the_background() {
    let picture = synth::photo_like(WIDTH, HEIGHT);
    let alpha = |x: u32, y: u32| [0u8, 64, 128, 255][level(x, y) as usize];
    let rgba = RgbaImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let [r, g, b] = picture.get_pixel(x, y).0;
        Rgba([r, g, b, alpha(x, y)])
    });
    let grey_alpha = RgbaImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let g = picture.get_pixel(x, y)[1];
        Rgba([g, g, g, alpha(x, y)])
    });
    let png = |image: &RgbaImage| {
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let premultiply = |v: u8, a: u8| (u32::from(v) * u32::from(a) + 127) / 255;
    for (colour, photometric, image) in
        [(3, tiff::RGB, &rgba), (1, tiff::BLACK_IS_ZERO, &grey_alpha)]
    {
        for planar in [false, true] {
            for premultiplied in [false, true] {
                let samples: Vec<u32> = image
                    .pixels()
                    .flat_map(|p| {
                        let a = p[3];
                        let colour = p.0[..colour].iter().map(move |&v| {
                            if premultiplied {
                                premultiply(v, a)
                            } else {
                                u32::from(v)
                            }
                        });
                        colour.chain([u32::from(a)])
                    })
                    .collect();
                let mut layout = Tiff::new(WIDTH, HEIGHT, 8, colour as u16 + 1, photometric);
                layout.planar = planar;
                let extra = if premultiplied { 1 } else { 2 };
                layout.tags.push((338, Value::Short(vec![extra])));
                let file = layout.write(&layout.pack(&samples));
                let what = format!(
                    "photometric {photometric}, separate planes {planar}, premultiplied \
                     {premultiplied}"
                );
                if premultiplied {
                    let set = ingest_ok(&file);
                    for (got, want) in set.iter().zip(&ingest_ok(&png(image))) {
                        let side = got.size().side();
                        let diff = mean_abs_diff(
                            &decode_rendition(got.bytes(), side),
                            &decode_rendition(want.bytes(), side),
                        );
                        assert!(diff < 0.5, "{what}, {side}: off by {diff:.2}");
                    }
                } else {
                    assert_reads_as(&file, &png(image), &what);
                }
            }
        }
    }
}

/// The colour of palette entry `i`: every entry different, none grey.
fn palette_colour(i: u32) -> [u8; 3] {
    [
        (i * 37 % 256) as u8,
        ((i * 91 + 20) % 256) as u8,
        (255 - i * 13 % 256) as u8,
    ]
}

/// Palettes of 1-, 2-, 4- and 8-bit indices, with the colour map in 16-bit values and, as some
/// writers store it, in 8-bit ones: the picture of the entries' colours, exactly.
#[test]
fn palettes_read_as_their_colours() {
    for bits in [1u16, 2, 4, 8] {
        let entries = 1u32 << bits;
        let index = |x: u32, y: u32| (level(x, y) * 5 + x / 7 + y) % entries;
        let picture = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| Rgb(palette_colour(index(x, y))));
        let samples: Vec<u32> = (0..HEIGHT)
            .flat_map(|y| (0..WIDTH).map(move |x| index(x, y)))
            .collect();
        for sixteen_bit_map in [true, false] {
            let scale = if sixteen_bit_map { 257 } else { 1 };
            let map: Vec<u16> = (0..3)
                .flat_map(|c| (0..entries).map(move |i| u16::from(palette_colour(i)[c]) * scale))
                .collect();
            let mut layout = Tiff::new(WIDTH, HEIGHT, bits, 1, tiff::PALETTE);
            layout.tags.push((320, Value::Short(map)));
            let file = layout.write(&layout.pack(&samples));
            let what = format!("{bits}-bit palette, 16-bit map {sixteen_bit_map}");
            assert_reads_as(&file, &synth::encode(&picture, ImageFormat::Png), &what);
        }
    }
}

/// A palette image with an alpha sample after each index: the entries' colours over white.
#[test]
fn palette_with_alpha_lands_on_the_background() {
    let index = |x: u32, y: u32| (level(x, y) * 5 + x / 7 + y) % 256;
    let alpha = |x: u32, y: u32| [255u8, 0, 90, 200][level(y, x) as usize];
    let picture = RgbaImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let [r, g, b] = palette_colour(index(x, y));
        Rgba([r, g, b, alpha(x, y)])
    });
    let samples: Vec<u32> = (0..HEIGHT)
        .flat_map(|y| (0..WIDTH).flat_map(move |x| [index(x, y), u32::from(alpha(x, y))]))
        .collect();
    let map: Vec<u16> = (0..3)
        .flat_map(|c| (0..256).map(move |i| u16::from(palette_colour(i)[c]) * 257))
        .collect();
    let mut layout = Tiff::new(WIDTH, HEIGHT, 8, 2, tiff::PALETTE);
    layout.tags.push((320, Value::Short(map)));
    layout.tags.push((338, Value::Short(vec![2])));
    let file = layout.write(&layout.pack(&samples));
    let mut png = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut png, ImageFormat::Png).unwrap();
    assert_reads_as(&file, &png.into_inner(), "8-bit palette with alpha");
}

/// JPEG-compressed TIFFs, in strips (the last one shorter) and in tiles, YCbCr, grey and CMYK:
/// the picture, within what JPEG loses at quality 95.
#[test]
fn jpeg_compressed_tiffs_read_as_the_picture() {
    let picture = synth::photo_like(128, 104);
    let grey = RgbImage::from_fn(128, 104, |x, y| {
        let v = picture.get_pixel(x, y)[0];
        Rgb([v, v, v])
    });
    for (photometric, samples) in [
        (tiff::YCBCR, 3),
        (tiff::BLACK_IS_ZERO, 1),
        (tiff::SEPARATED, 4),
    ] {
        for tiles in [None, Some((48, 64))] {
            let mut layout = Tiff::new(128, 104, 8, samples, photometric);
            layout.tiles = tiles;
            layout.rows_per_strip = 40;
            let chunks = tiff::jpeg_chunks(&mut layout, &picture);
            let file = layout.write(&chunks);
            let want = if photometric == tiff::BLACK_IS_ZERO {
                &grey
            } else {
                &picture
            };
            // The same picture stored losslessly, through the same pipeline.
            let lossless = ingest_ok(&synth::encode(want, ImageFormat::Png));
            let set = ingest_ok(&file);
            assert_eq!(set.len(), lossless.len());
            for (rendition, wanted) in set.iter().zip(&lossless) {
                let side = rendition.size().side();
                let got = decode_rendition(rendition.bytes(), side);
                let diff = mean_abs_diff(&got, &decode_rendition(wanted.bytes(), side));
                assert!(
                    diff < 2.5,
                    "photometric {photometric}, tiles {tiles:?}, {side}: off by {diff:.2}"
                );
            }
        }
    }
}

/// The corpus's JPEG-compressed YCbCr TIFF (strips of 16 rows, tables in JPEGTables) shows what
/// libtiff shows. The means are of Pillow 13.0's decoding of the file (through libtiff 4.7.2),
/// centre-cropped to 384x384 and resized to 360 with its Lanczos filter, over the 40x40 squares
/// centred on these points.
#[test]
fn corpus_jpeg_ycbcr_tiff_shows_what_libtiff_shows() {
    let Some(corpus) = corpus() else { return };
    let bytes = read(&corpus, "formats/tiff_jpeg_ycbcr_512x384.tif");
    let set = ingest_ok(&bytes);
    assert_eq!(set.largest().size().side(), 360);
    let got = decode_rendition(set.largest().bytes(), 360);
    for ((x, y), want) in LIBTIFF_MEANS {
        common::assert_colour_near(
            common::mean_colour(&got, x, y, 40),
            want,
            4.0,
            &format!("around ({x}, {y})"),
        );
    }
}

const LIBTIFF_MEANS: [((u32, u32), [f64; 3]); 5] = [
    ((60, 60), [131.0, 56.1, 128.7]),
    ((300, 60), [52.8, 73.7, 104.6]),
    ((180, 180), [127.8, 189.9, 164.0]),
    ((60, 300), [2.8, 184.3, 78.9]),
    ((300, 300), [2.8, 95.5, 86.9]),
];

/// What the library does not read is refused as `Unsupported`, in words naming it.
#[test]
fn what_is_not_read_is_named() {
    let grey = |bits| Tiff::new(64, 64, bits, 1, tiff::BLACK_IS_ZERO);
    let with = |mut layout: Tiff, tag: u16, value: u16| {
        layout.tags.push((tag, Value::Short(vec![value])));
        layout
    };
    let compressed = |compression| {
        let mut layout = grey(8);
        layout.compression = compression;
        layout
    };
    let cases: Vec<(Tiff, &str)> = vec![
        (compressed(34925), "LZMA compression"),
        (compressed(6), "old-style JPEG compression"),
        (compressed(3), "CCITT Group 3 fax compression"),
        (compressed(2), "CCITT modified Huffman"),
        (compressed(50000), "Zstandard compression"),
        (compressed(50001), "WebP compression"),
        (compressed(34712), "JPEG 2000 compression"),
        (compressed(12345), "compression 12345"),
        (Tiff::new(64, 64, 8, 3, 8), "CIELab pixels"),
        (Tiff::new(64, 64, 16, 1, 32844), "LogL pixels"),
        (Tiff::new(64, 64, 8, 3, tiff::YCBCR), "YCbCr pixels"),
        (with(grey(32), 339, 3), "floating-point samples"),
        (with(grey(16), 339, 2), "signed integer samples"),
        (with(grey(16), 317, 3), "floating-point predictor"),
        (
            with(Tiff::new(64, 64, 8, 5, tiff::SEPARATED), 338, 2),
            "CMYK with an alpha",
        ),
        (
            Tiff::new(64, 64, 24, 1, tiff::BLACK_IS_ZERO),
            "24-bit grey samples",
        ),
        (
            Tiff::new(64, 64, 16, 1, tiff::PALETTE),
            "16-bit palette samples",
        ),
    ];
    for (layout, words) in cases {
        let samples = vec![0; 64 * 64 * usize::from(layout.samples)];
        let file = layout.write(&layout.pack(&samples));
        match ingest(&file, &Options::default()) {
            Err(e) => {
                let message = e.to_string();
                assert_eq!(e.kind(), ErrorKind::Unsupported, "{words}: {message}");
                assert!(message.contains(words), "{words}: {message}");
            }
            Ok(_) => panic!("{words}: ingested"),
        }
    }
}
