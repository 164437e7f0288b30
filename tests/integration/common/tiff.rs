//! TIFF files written sample by sample, for the layouts the image crate's encoder does not
//! write: tiles, separate planes, bit-reversed data, 1- to 32-bit samples, palettes, chunks of
//! JPEG, and tags naming what the library refuses.
//!
//! The directory comes right after the header and the chunks (strips or tiles) last, so that
//! cutting the file short cuts pixel data.

use image::RgbImage;

/// A tag's values.
#[derive(Debug, Clone)]
pub enum Value {
    Short(Vec<u16>),
    Long(Vec<u32>),
    /// UNDEFINED bytes (JPEGTables, an ICC profile).
    Bytes(Vec<u8>),
}

/// How the pixels of a TIFF are stored. [`Tiff::new`] gives an uncompressed, little-endian,
/// one-plane image in strips of 16 rows; change the fields for other layouts.
#[derive(Debug, Clone)]
pub struct Tiff {
    pub big_endian: bool,
    pub width: u32,
    pub height: u32,
    pub bits: u16,
    pub samples: u16,
    pub photometric: u16,
    pub compression: u16,
    /// Each sample in planes of its own (PlanarConfiguration 2).
    pub planar: bool,
    /// Tiles of this width and height; strips when `None`.
    pub tiles: Option<(u32, u32)>,
    pub rows_per_strip: u32,
    /// Further tags, such as FillOrder or ColorMap.
    pub tags: Vec<(u16, Value)>,
}

/// PhotometricInterpretation values.
pub const WHITE_IS_ZERO: u16 = 0;
pub const BLACK_IS_ZERO: u16 = 1;
pub const RGB: u16 = 2;
pub const PALETTE: u16 = 3;
pub const SEPARATED: u16 = 5;
pub const YCBCR: u16 = 6;

/// Compression values.
pub const NONE: u16 = 1;
pub const LZW: u16 = 5;
pub const JPEG: u16 = 7;
pub const PACKBITS: u16 = 32773;

impl Tiff {
    pub fn new(width: u32, height: u32, bits: u16, samples: u16, photometric: u16) -> Tiff {
        Tiff {
            big_endian: false,
            width,
            height,
            bits,
            samples,
            photometric,
            compression: NONE,
            planar: false,
            tiles: None,
            rows_per_strip: 16,
            tags: Vec::new(),
        }
    }

    /// The width and height of a chunk: a tile, or a whole strip.
    pub fn chunk_size(&self) -> (u32, u32) {
        self.tiles
            .unwrap_or((self.width, self.rows_per_strip.min(self.height)))
    }

    /// The rectangles (left, top, width, height) the chunks of one plane cover, in file order:
    /// whole tiles (which may reach past the image), strips cut at the image's last row.
    pub fn chunk_rects(&self) -> Vec<(u32, u32, u32, u32)> {
        let (cw, ch) = self.chunk_size();
        let mut rects = Vec::new();
        for top in (0..self.height).step_by(ch as usize) {
            for left in (0..self.width).step_by(cw as usize) {
                let height = if self.tiles.is_some() {
                    ch
                } else {
                    ch.min(self.height - top)
                };
                rects.push((left, top, cw, height));
            }
        }
        rects
    }

    /// The chunks of `samples` (row by row, `self.samples` a pixel, each under 2^bits),
    /// uncompressed: rows packed from the most significant bit and padded to a byte, 16- and
    /// 32-bit samples in the file's byte order, the parts of tiles past the image zero.
    pub fn pack(&self, samples: &[u32]) -> Vec<Vec<u8>> {
        let per_pixel = usize::from(self.samples);
        assert_eq!(
            samples.len(),
            self.width as usize * self.height as usize * per_pixel
        );
        let planes: Vec<Vec<usize>> = if self.planar {
            (0..per_pixel).map(|s| vec![s]).collect()
        } else {
            vec![(0..per_pixel).collect()]
        };
        let mut chunks = Vec::new();
        for plane in &planes {
            for (left, top, width, height) in self.chunk_rects() {
                let mut chunk = Vec::new();
                for y in top..top + height {
                    let mut row = Bits::default();
                    for x in left..left + width {
                        for &s in plane {
                            let value = if x < self.width && y < self.height {
                                samples[(y as usize * self.width as usize + x as usize) * per_pixel
                                    + s]
                            } else {
                                0
                            };
                            match (self.bits, self.big_endian) {
                                (16, false) => row.bytes(&(value as u16).to_le_bytes()),
                                (32, false) => row.bytes(&value.to_le_bytes()),
                                _ => row.push(value, self.bits),
                            }
                        }
                    }
                    chunk.extend(row.finish());
                }
                chunks.push(chunk);
            }
        }
        chunks
    }

    /// The file, with `chunks` as the strips or tiles (stored as they are).
    pub fn write(&self, chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut tags: Vec<(u16, Value)> = vec![
            (256, Value::Long(vec![self.width])),
            (257, Value::Long(vec![self.height])),
            (
                258,
                Value::Short(vec![self.bits; usize::from(self.samples)]),
            ),
            (259, Value::Short(vec![self.compression])),
            (262, Value::Short(vec![self.photometric])),
            (277, Value::Short(vec![self.samples])),
            (284, Value::Short(vec![if self.planar { 2 } else { 1 }])),
        ];
        // Offsets are filled in once the layout is known.
        let counts: Vec<u32> = chunks.iter().map(|c| c.len() as u32).collect();
        let placeholder = Value::Long(vec![0; chunks.len()]);
        match self.tiles {
            Some((w, h)) => tags.extend([
                (322, Value::Long(vec![w])),
                (323, Value::Long(vec![h])),
                (324, placeholder),
                (325, Value::Long(counts)),
            ]),
            None => tags.extend([
                (273, placeholder),
                (278, Value::Long(vec![self.rows_per_strip])),
                (279, Value::Long(counts)),
            ]),
        }
        for (tag, value) in &self.tags {
            tags.retain(|(t, _)| t != tag);
            tags.push((*tag, value.clone()));
        }
        tags.sort_by_key(|(tag, _)| *tag);

        let directory_size = 2 + 12 * tags.len() + 4;
        let values_size: usize = tags
            .iter()
            .map(|(_, v)| self.encode(v).len())
            .filter(|&len| len > 4)
            .map(|len| len + len % 2)
            .sum();
        let data_at = 8 + directory_size + values_size;
        let mut offsets = Vec::new();
        let mut at = data_at as u32;
        for chunk in chunks {
            offsets.push(at);
            at += chunk.len() as u32;
        }
        for (tag, value) in &mut tags {
            if matches!(tag, 273 | 324) {
                *value = Value::Long(offsets.clone());
            }
        }

        let mut out = if self.big_endian {
            b"MM\0*".to_vec()
        } else {
            b"II*\0".to_vec()
        };
        out.extend(self.u32(8));
        let mut values = Vec::new();
        out.extend(self.u16(tags.len() as u16));
        for (tag, value) in &tags {
            let (kind, count) = match value {
                Value::Short(v) => (3, v.len()),
                Value::Long(v) => (4, v.len()),
                Value::Bytes(v) => (7, v.len()),
            };
            let encoded = self.encode(value);
            out.extend(self.u16(*tag));
            out.extend(self.u16(kind));
            out.extend(self.u32(count as u32));
            if encoded.len() <= 4 {
                let mut field = encoded;
                field.resize(4, 0);
                out.extend(field);
            } else {
                out.extend(self.u32((8 + directory_size + values.len()) as u32));
                values.extend(&encoded);
                if values.len() % 2 == 1 {
                    values.push(0);
                }
            }
        }
        out.extend(self.u32(0));
        out.extend(values);
        assert_eq!(out.len(), data_at);
        for chunk in chunks {
            out.extend(chunk);
        }
        out
    }

    fn encode(&self, value: &Value) -> Vec<u8> {
        match value {
            Value::Short(v) => v.iter().flat_map(|&x| self.u16(x)).collect(),
            Value::Long(v) => v.iter().flat_map(|&x| self.u32(x)).collect(),
            Value::Bytes(v) => v.clone(),
        }
    }

    fn u16(&self, v: u16) -> Vec<u8> {
        if self.big_endian {
            v.to_be_bytes().to_vec()
        } else {
            v.to_le_bytes().to_vec()
        }
    }

    fn u32(&self, v: u32) -> Vec<u8> {
        if self.big_endian {
            v.to_be_bytes().to_vec()
        } else {
            v.to_le_bytes().to_vec()
        }
    }
}

/// A row of samples packed from the most significant bit.
#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    /// Bits used in the last byte (0 when it is full or there is none).
    used: u32,
}

impl Bits {
    fn push(&mut self, value: u32, bits: u16) {
        for bit in (0..u32::from(bits)).rev() {
            if self.used == 0 {
                self.bytes.push(0);
            }
            let last = self.bytes.last_mut().unwrap();
            *last |= (((value >> bit) & 1) as u8) << (7 - self.used);
            self.used = (self.used + 1) % 8;
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        assert_eq!(self.used, 0);
        self.bytes.extend_from_slice(bytes);
    }

    fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// `data` compressed with PackBits, as literal runs and runs of repeats.
pub fn packbits(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let run = data[at..]
            .iter()
            .take(128)
            .take_while(|&&b| b == data[at])
            .count();
        if run >= 3 {
            out.push((1 - run as i32) as i8 as u8);
            out.push(data[at]);
            at += run;
        } else {
            let literal = (data.len() - at).min(128);
            out.push((literal - 1) as u8);
            out.extend_from_slice(&data[at..at + literal]);
            at += literal;
        }
    }
    out
}

/// `data` compressed with TIFF's LZW (codes from the most significant bit, code size
/// growing one code early).
pub fn lzw(data: &[u8]) -> Vec<u8> {
    weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
        .encode(data)
        .expect("LZW-encoding test data")
}

/// A JPEG stream split as JPEG-in-TIFF writers store it: the tables (DQT and DHT, between SOI
/// and EOI) for the JPEGTables tag, and the rest of the stream without them.
pub fn split_jpeg_tables(jpeg: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut tables = vec![0xFF, 0xD8];
    let mut rest = vec![0xFF, 0xD8];
    let mut at = 2;
    loop {
        assert_eq!(jpeg[at], 0xFF, "a marker at {at}");
        let marker = jpeg[at + 1];
        let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        let segment = &jpeg[at..at + 2 + length];
        if marker == 0xDA {
            // The scan and everything after it.
            rest.extend_from_slice(&jpeg[at..]);
            break;
        }
        if matches!(marker, 0xDB | 0xC4) {
            tables.extend_from_slice(segment);
        } else {
            rest.extend_from_slice(segment);
        }
        at += 2 + length;
    }
    tables.extend_from_slice(&[0xFF, 0xD9]);
    (tables, rest)
}

/// `picture` as one JPEG per chunk of `layout` (tiles padded with black), the tables of the
/// first moved to JPEGTables as JPEG-in-TIFF writers store them. What a chunk holds follows the
/// layout's photometric interpretation: YCbCr (from RGB), grey (the red channel), or CMYK inks
/// (255 - R, G, B, and no black) stored as ink amounts. Sets the layout's compression to JPEG.
pub fn jpeg_chunks(layout: &mut Tiff, picture: &RgbImage) -> Vec<Vec<u8>> {
    let mut tables = None;
    let mut chunks = Vec::new();
    for (left, top, width, height) in layout.chunk_rects() {
        let pixel = |x: u32, y: u32| {
            let inside = x < picture.width() && y < picture.height();
            if inside {
                picture.get_pixel(x, y).0
            } else {
                [0, 0, 0]
            }
        };
        let mut data = Vec::new();
        for y in top..top + height {
            for x in left..left + width {
                let [r, g, b] = pixel(x, y);
                match layout.photometric {
                    YCBCR => data.extend([r, g, b]),
                    BLACK_IS_ZERO => data.push(r),
                    // jpeg-encoder stores 255 minus what it is given (Adobe's convention): give
                    // it 255 minus the ink to store the ink.
                    SEPARATED => data.extend([r, g, b, 255]),
                    other => panic!("no JPEG chunks for photometric {other}"),
                }
            }
        }
        let colour = match layout.photometric {
            YCBCR => jpeg_encoder::ColorType::Rgb,
            BLACK_IS_ZERO => jpeg_encoder::ColorType::Luma,
            _ => jpeg_encoder::ColorType::Cmyk,
        };
        let mut jpeg = Vec::new();
        jpeg_encoder::Encoder::new(&mut jpeg, 95)
            .encode(&data, width as u16, height as u16, colour)
            .unwrap();
        let (chunk_tables, rest) = split_jpeg_tables(&jpeg);
        tables.get_or_insert(chunk_tables);
        chunks.push(rest);
    }
    layout.compression = JPEG;
    layout.tags.push((347, Value::Bytes(tables.unwrap())));
    chunks
}

/// A small file of each layout the tiff crate's own reading gets wrong or does not offer,
/// named: for tests that cut, corrupt or time them.
pub fn examples() -> Vec<(&'static str, Vec<u8>)> {
    let picture = crate::common::synth::photo_like(72, 60);
    let rgb: Vec<u32> = picture.as_raw().iter().map(|&v| u32::from(v)).collect();
    let grey: Vec<u32> = picture.pixels().map(|p| u32::from(p[1])).collect();

    let mut tiled_planes = Tiff::new(72, 60, 8, 3, RGB);
    tiled_planes.tiles = Some((32, 16));
    tiled_planes.planar = true;
    tiled_planes.compression = LZW;
    let tiled_planes_chunks: Vec<Vec<u8>> =
        tiled_planes.pack(&rgb).iter().map(|c| lzw(c)).collect();

    let mut reversed = Tiff::new(72, 60, 16, 1, BLACK_IS_ZERO);
    reversed.tags.push((266, Value::Short(vec![2])));
    let wide: Vec<u32> = grey.iter().map(|v| v * 257).collect();
    let reversed_chunks: Vec<Vec<u8>> = reversed
        .pack(&wide)
        .iter()
        .map(|c| c.iter().map(|b| b.reverse_bits()).collect())
        .collect();

    let mut palette = Tiff::new(72, 60, 4, 1, PALETTE);
    palette.compression = PACKBITS;
    palette
        .tags
        .push((320, Value::Short((0..48).map(|i| i * 1300).collect())));
    let indices: Vec<u32> = grey.iter().map(|v| v / 16).collect();
    let palette_chunks: Vec<Vec<u8>> = palette.pack(&indices).iter().map(|c| packbits(c)).collect();

    let twelve = Tiff::new(72, 60, 12, 1, WHITE_IS_ZERO);
    let deep: Vec<u32> = grey.iter().map(|v| v * 16).collect();

    let mut jpeg_strips = Tiff::new(72, 60, 8, 3, YCBCR);
    jpeg_strips.rows_per_strip = 24;
    let jpeg_strips_chunks = jpeg_chunks(&mut jpeg_strips, &picture);
    let mut jpeg_tiles = Tiff::new(72, 60, 8, 4, SEPARATED);
    jpeg_tiles.tiles = Some((32, 32));
    let jpeg_tiles_chunks = jpeg_chunks(&mut jpeg_tiles, &picture);

    vec![
        (
            "tiled planes, LZW",
            tiled_planes.write(&tiled_planes_chunks),
        ),
        ("16-bit grey, FillOrder 2", reversed.write(&reversed_chunks)),
        ("4-bit palette, PackBits", palette.write(&palette_chunks)),
        ("12-bit grey", twelve.write(&twelve.pack(&deep))),
        ("JPEG YCbCr strips", jpeg_strips.write(&jpeg_strips_chunks)),
        ("JPEG CMYK tiles", jpeg_tiles.write(&jpeg_tiles_chunks)),
    ]
}
