//! Hostile files built by hand: tiny inputs that declare or unpack to enormous sizes, or cost
//! a decoder far more than their length suggests. Each says what `ingest` must answer.
//!
//! Shared by the library's tests and the CLI's child-process test (`#[path]`-included), so it
//! depends on nothing but `gif`, a dev-dependency of both.
#![allow(dead_code)]

/// What `ingest` must do with a bomb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Reject it with this error kind (as `ErrorKind::as_str` names it).
    Rejected(&'static str),
    /// Ingest it, producing sizes up to this side (the usable side's largest size).
    Ingested { largest: u32 },
}

/// A named hostile input.
pub struct Bomb {
    /// A file name for it, with the format's usual extension.
    pub name: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// What ingest must answer.
    pub expect: Expect,
}

/// Every bomb.
pub fn all() -> Vec<Bomb> {
    vec![
        Bomb {
            name: "gif_65535x65535.gif",
            bytes: gif_65535x65535(),
            expect: Expect::Rejected("DimensionsTooLarge"),
        },
        Bomb {
            name: "png_ihdr_100000x100000.png",
            bytes: png_ihdr_100000x100000(),
            expect: Expect::Rejected("DimensionsTooLarge"),
        },
        Bomb {
            name: "png_iccp_inflating_to_284mb.png",
            bytes: png_with_inflating_chunk(*b"iCCP"),
            // The profile is over the metadata budget, so it is ignored and the 64x64 pixels
            // are taken as sRGB, as browsers do with a profile they cannot read.
            expect: Expect::Ingested { largest: 64 },
        },
        Bomb {
            name: "png_ztxt_inflating_to_284mb.png",
            bytes: png_with_inflating_chunk(*b"zTXt"),
            // Compressed text is never inflated.
            expect: Expect::Ingested { largest: 64 },
        },
        Bomb {
            name: "jpeg_3000_progressive_scans.jpg",
            bytes: jpeg_progressive_scans(3000),
            expect: Expect::Rejected("Unsupported"),
        },
        Bomb {
            name: "webp_vp8l_16383x16383.webp",
            bytes: webp_vp8l_16383x16383(),
            expect: Expect::Rejected("DimensionsTooLarge"),
        },
        Bomb {
            name: "webp_vp8x_16384x16384.webp",
            bytes: webp_vp8x(16384, 16384),
            expect: Expect::Rejected("DimensionsTooLarge"),
        },
        Bomb {
            name: "tiff_strip_of_4gb.tif",
            bytes: tiff_enormous_strip(),
            expect: Expect::Rejected("Corrupt"),
        },
        Bomb {
            name: "tiff_planar_tiles_2gb_tall.tif",
            bytes: tiff_planar_tall_tiles(),
            expect: Expect::Rejected("Corrupt"),
        },
        Bomb {
            name: "gif_10000_frames.gif",
            bytes: gif_animated(10_000),
            expect: Expect::Ingested { largest: 120 },
        },
    ]
}

/// CRC-32 (IEEE) of the concatenation of `parts`, bit by bit: no table, no dependency.
pub fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// 44 bytes: a GIF whose screen and only frame are 65535x65535 (4.3 gigapixels).
pub fn gif_65535x65535() -> Vec<u8> {
    let mut gif = b"GIF89a\xFF\xFF\xFF\xFF\x80\x00\x00".to_vec();
    gif.extend_from_slice(&[0, 0, 0, 255, 255, 255]); // two colours
    gif.extend_from_slice(b"\x2C\x00\x00\x00\x00\xFF\xFF\xFF\xFF\x00");
    gif.extend_from_slice(&[2, 2, 0x4C, 0x01, 0, 0x3B]);
    gif
}

fn png_chunk(png: &mut Vec<u8>, kind: [u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).expect("chunk under 4 GiB");
    png.extend_from_slice(&len.to_be_bytes());
    png.extend_from_slice(&kind);
    png.extend_from_slice(data);
    png.extend_from_slice(&crc32(&[&kind, data]).to_be_bytes());
}

fn png_ihdr(width: u32, height: u32, colour_type: u8) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, colour_type, 0, 0, 0]);
    ihdr
}

/// A PNG whose IHDR declares 100000x100000 RGB (30 GB of pixels) with one tiny IDAT.
pub fn png_ihdr_100000x100000() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut png, *b"IHDR", &png_ihdr(100_000, 100_000, 2));
    png_chunk(&mut png, *b"IDAT", &zlib_of_zeros(1 + 258 * 3));
    png_chunk(&mut png, *b"IEND", &[]);
    png
}

/// A valid 64x64 mid-grey PNG carrying a `kind` chunk (`iCCP` or `zTXt`) whose zlib stream
/// of 1.8 MB inflates to 284 MB.
pub fn png_with_inflating_chunk(kind: [u8; 4]) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut png, *b"IHDR", &png_ihdr(64, 64, 0));
    // Keyword, NUL, compression method 0, then the stream: the same layout for both.
    let mut data = b"bomb\0\0".to_vec();
    data.extend_from_slice(&zlib_of_zeros(1 + 258 * 1_100_000));
    png_chunk(&mut png, kind, &data);
    // 64 rows of filter byte 0 and 64 grey samples.
    let rows: Vec<u8> = (0..64)
        .flat_map(|_| std::iter::once(0).chain([128u8; 64]))
        .collect();
    png_chunk(&mut png, *b"IDAT", &zlib_stored(&rows));
    png_chunk(&mut png, *b"IEND", &[]);
    png
}

/// Writes bits least significant first, as DEFLATE packs them.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    len: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.len;
        self.len += count;
        while self.len >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.len -= 8;
        }
    }

    /// A Huffman code, which DEFLATE stores most significant bit first.
    fn code(&mut self, code: u32, count: u32) {
        let reversed = code.reverse_bits() >> (32 - count);
        self.put(reversed, count);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.len > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A zlib stream of `n` zero bytes (`n` = 1 + 258k gives the smallest stream): one literal
/// zero, then back-references of 258 bytes at distance 1, in a fixed-Huffman block. No
/// compression library is involved, so building a 284 MB bomb costs nothing.
pub fn zlib_of_zeros(n: u64) -> Vec<u8> {
    let matches = n.saturating_sub(1) / 258;
    assert_eq!(1 + 258 * matches, n, "n must be 1 + 258k");
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        len: 0,
    };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    for _ in 0..matches {
        bits.code(0xC5, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1
    }
    bits.code(0, 7); // end of block
    let mut zlib = bits.finish();
    // Adler-32 of n zeros: a stays 1, b adds a once per byte.
    let adler = ((n % 65521) << 16) as u32 | 1;
    zlib.extend_from_slice(&adler.to_be_bytes());
    zlib
}

/// `data` as a zlib stream of stored (uncompressed) blocks.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut zlib = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = data.chunks(65535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == chunks.len()));
        let len = chunk.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    zlib.extend_from_slice(&(b << 16 | a).to_be_bytes());
    zlib
}

/// A 64x64 greyscale progressive JPEG of `scans` scans, about 18 bytes each: a DC scan, then
/// the same AC band over and over. Each scan makes a decoder walk every block again.
pub fn jpeg_progressive_scans(scans: usize) -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8];
    // Quantisation table 0, all ones.
    jpeg.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
    jpeg.extend_from_slice(&[1; 64]);
    // Progressive frame: 8-bit, 64x64, one component, 1x1 sampling, table 0.
    jpeg.extend_from_slice(&[0xFF, 0xC2, 0x00, 0x0B, 8, 0, 64, 0, 64, 1, 1, 0x11, 0]);
    // Huffman tables: DC 0 and AC 0, each a single one-bit code for symbol 0 (DC: no
    // difference; AC: end of block).
    for class in [0x00u8, 0x10] {
        jpeg.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x14, class, 1]);
        jpeg.extend_from_slice(&[0; 15]);
        jpeg.push(0);
    }
    for scan in 0..scans {
        let (start, end) = if scan == 0 { (0, 0) } else { (1, 63) };
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, start, end, 0x00]);
        // 64 blocks of one 0 bit each.
        jpeg.extend_from_slice(&[0; 8]);
    }
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}

/// A lossless WebP header declaring 16383x16383 (268 megapixels), and nothing after it.
pub fn webp_vp8l_16383x16383() -> Vec<u8> {
    let bits: u32 = 16382 | (16382 << 14);
    let mut chunk = vec![0x2F];
    chunk.extend_from_slice(&bits.to_le_bytes());
    chunk.extend_from_slice(&[0; 11]);
    riff_webp(b"VP8L", &chunk)
}

/// An extended WebP (VP8X) declaring `width` x `height`, with no image data.
pub fn webp_vp8x(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = vec![0u8; 4];
    chunk.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    chunk.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    riff_webp(b"VP8X", &chunk)
}

fn riff_webp(kind: &[u8; 4], chunk: &[u8]) -> Vec<u8> {
    let mut webp = b"RIFF\0\0\0\0WEBP".to_vec();
    webp.extend_from_slice(kind);
    webp.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
    webp.extend_from_slice(chunk);
    let riff_len = (webp.len() - 8) as u32;
    webp[4..8].copy_from_slice(&riff_len.to_le_bytes());
    webp
}

/// A 64x64 RGB TIFF in separate planes, each one tile 64 wide and 2,147,483,632 rows tall
/// (a multiple of 16, as tiles must be); each tile holds the 64x64 pixels of the image. Read
/// whole, a tile of the second or third plane would take 128 GiB.
pub fn tiff_planar_tall_tiles() -> Vec<u8> {
    const ENTRIES: u32 = 11;
    let tile_length: u32 = 0x7FFF_FFF0;
    // The header, the IFD, then BitsPerSample's three values, the three tile offsets and the
    // three byte counts, then the tiles.
    let values_at = 8 + 2 + ENTRIES * 12 + 4;
    let data_at = values_at + 6 + 12 + 12;
    let plane = 64 * 64;
    // (tag, type, count, value or offset)
    let entries: [(u16, u16, u32, u32); ENTRIES as usize] = [
        (256, 3, 1, 64),                 // ImageWidth
        (257, 3, 1, 64),                 // ImageLength
        (258, 3, 3, values_at),          // BitsPerSample: 8, 8, 8
        (259, 3, 1, 1),                  // Compression: none
        (262, 3, 1, 2),                  // PhotometricInterpretation: RGB
        (277, 3, 1, 3),                  // SamplesPerPixel
        (284, 3, 1, 2),                  // PlanarConfiguration: separate
        (322, 3, 1, 64),                 // TileWidth
        (323, 4, 1, tile_length),        // TileLength
        (324, 4, 3, values_at + 6),      // TileOffsets
        (325, 4, 3, values_at + 6 + 12), // TileByteCounts
    ];
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, count, value) in entries {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&count.to_le_bytes());
        if kind == 3 && count == 1 {
            tiff.extend_from_slice(&(value as u16).to_le_bytes());
            tiff.extend_from_slice(&[0, 0]);
        } else {
            tiff.extend_from_slice(&value.to_le_bytes());
        }
    }
    tiff.extend_from_slice(&[0; 4]); // no next IFD
    for _ in 0..3 {
        tiff.extend_from_slice(&8u16.to_le_bytes());
    }
    for i in 0..3u32 {
        tiff.extend_from_slice(&(data_at + i * plane).to_le_bytes());
    }
    for _ in 0..3 {
        tiff.extend_from_slice(&plane.to_le_bytes());
    }
    assert_eq!(tiff.len() as u32, data_at);
    tiff.extend(std::iter::repeat_n(0x80, 3 * plane as usize));
    tiff
}

/// A 64x64 greyscale Deflate TIFF whose one strip claims 4,294,967,280 bytes; the file holds
/// a few dozen.
pub fn tiff_enormous_strip() -> Vec<u8> {
    let entries: [(u16, u16, u32); 9] = [
        (256, 3, 64),          // ImageWidth
        (257, 3, 64),          // ImageLength
        (258, 3, 8),           // BitsPerSample
        (259, 3, 8),           // Compression: Deflate
        (262, 3, 1),           // PhotometricInterpretation: BlackIsZero
        (273, 4, 0),           // StripOffsets: patched below
        (277, 3, 1),           // SamplesPerPixel
        (278, 3, 64),          // RowsPerStrip
        (279, 4, 0xFFFF_FFF0), // StripByteCounts
    ];
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    let data_offset = 8 + 2 + 12 * entries.len() as u32 + 4;
    for (tag, kind, value) in entries {
        let value = if tag == 273 { data_offset } else { value };
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        if kind == 3 {
            tiff.extend_from_slice(&(value as u16).to_le_bytes());
            tiff.extend_from_slice(&[0, 0]);
        } else {
            tiff.extend_from_slice(&value.to_le_bytes());
        }
    }
    tiff.extend_from_slice(&[0; 4]); // no next IFD
    tiff.extend_from_slice(&zlib_of_zeros(1 + 258 * 4));
    tiff
}

/// A 128x128 GIF of `frames` frames: the first all red, every later one a blue 128x128 frame.
/// Only the first may be decoded, so the photo is red.
pub fn gif_animated(frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [255, 0, 0, 0, 0, 255];
        let mut encoder = gif::Encoder::new(&mut out, 128, 128, &palette).expect("encoder");
        encoder.set_repeat(gif::Repeat::Infinite).expect("loop");
        for index in 0..frames {
            let colour = u8::from(index > 0);
            let frame = gif::Frame {
                width: 128,
                height: 128,
                delay: 1,
                buffer: std::borrow::Cow::Owned(vec![colour; 128 * 128]),
                ..gif::Frame::default()
            };
            encoder.write_frame(&frame).expect("frame");
        }
    }
    out
}
