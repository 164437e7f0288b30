//! A baseline JPEG encoder for YCbCr planes, in pure Rust: the default build's encoder.
//!
//! A rendition is at most 648x648, so encoding it is small work done nine times per photo;
//! what costs is the per-coefficient work: the forward DCT, quantisation, and the two passes
//! of optimised Huffman coding (counting the symbols, then writing them). This encoder does
//! the DCT eight lanes at a time (the compiler's vector operations), finds the non-zero
//! coefficients of a block with one bit mask instead of testing each, and turns each block into
//! tokens (symbol and magnitude bits) once, counting them on the way; the tables are then built
//! from the counts and the tokens written with them. The output is a JFIF file with nothing
//! else: the standard (Annex K) quantisation tables scaled by quality as libjpeg does, one
//! interleaved scan, 4:4:4 or 4:2:0 chroma.

use crate::jpeg_planes::NATURAL;
use crate::raster::Ycc;

/// Annex K's luma and chroma quantisation tables (natural order), for quality 50.
const LUMA_TABLE: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_TABLE: [u16; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/// The scale of each output of the AAN forward DCT, by frequency: `cos(k pi / 16) * sqrt(2)`
/// (1 for k = 0). Folded into the quantisation divisors.
const AAN_SCALE: [f32; 8] = [
    1.0,
    1.387_039_8,
    1.306_563,
    1.175_875_6,
    1.0,
    0.785_694_96,
    0.541_196_1,
    0.275_899_38,
];

/// Encodes `ycc` (4:4:4 or 4:2:0, sides 1..=65535, consistent) as a baseline JFIF JPEG at
/// `quality` (1..=100, as libjpeg scales the standard tables) with optimised Huffman tables.
pub(crate) fn encode(ycc: &Ycc, quality: u8) -> Vec<u8> {
    debug_assert!(ycc.is_consistent());
    debug_assert!(matches!(ycc.subsampling, (1, 1) | (2, 2)));
    let tables = [
        quant_table(&LUMA_TABLE, quality),
        quant_table(&CHROMA_TABLE, quality),
    ];
    let divisors = tables.map(|table| divisors(&table));
    let tokens = tokenize(ycc, &divisors);
    let codes = tokens.counts.map(|counts| HuffmanCode::optimal(&counts));

    let mut out = Vec::new();
    write_headers(&mut out, ycc, &tables, &codes);
    write_scan(&mut out, &tokens.tokens, &codes);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// `base` scaled for `quality` as libjpeg does, each entry 1..=255 (natural order).
fn quant_table(base: &[u16; 64], quality: u8) -> [u8; 64] {
    let quality = u32::from(quality.clamp(1, 100));
    let scale = if quality < 50 {
        5000 / quality
    } else {
        200 - 2 * quality
    };
    base.map(|value| ((u32::from(value) * scale + 50) / 100).clamp(1, 255) as u8)
}

/// For each coefficient of the forward DCT's output as [`fdct`] leaves it (transposed: index
/// `8 * u + v` for horizontal frequency `u`, vertical `v`), what to multiply it by to quantise
/// it with `table`.
fn divisors(table: &[u8; 64]) -> [f32; 64] {
    std::array::from_fn(|at| {
        let (u, v) = (at / 8, at % 8);
        let natural = 8 * v + u;
        1.0 / (f32::from(table[natural]) * AAN_SCALE[u] * AAN_SCALE[v] * 8.0)
    })
}

/// One block of samples or coefficients, as eight rows of eight.
type Block = [[f32; 8]; 8];

/// The AAN forward DCT (as libjpeg's `jfdctflt`) of `rows`, one row of eight lanes at a
/// time: first down the columns, then, transposed, along the rows. The output is transposed
/// (`out[u][v]`, horizontal frequency first) and scaled by [`AAN_SCALE`] per frequency.
fn fdct(rows: &Block) -> Block {
    let columns = fdct_lanes(rows);
    let transposed: Block = std::array::from_fn(|c| std::array::from_fn(|r| columns[r][c]));
    fdct_lanes(&transposed)
}

/// The eight-point AAN DCT across the eight rows of `d`, in each of the eight lanes.
#[inline(always)]
fn fdct_lanes(d: &Block) -> Block {
    let mut out: Block = [[0.0; 8]; 8];
    for i in 0..8 {
        let tmp0 = d[0][i] + d[7][i];
        let tmp7 = d[0][i] - d[7][i];
        let tmp1 = d[1][i] + d[6][i];
        let tmp6 = d[1][i] - d[6][i];
        let tmp2 = d[2][i] + d[5][i];
        let tmp5 = d[2][i] - d[5][i];
        let tmp3 = d[3][i] + d[4][i];
        let tmp4 = d[3][i] - d[4][i];
        // Even part.
        let tmp10 = tmp0 + tmp3;
        let tmp13 = tmp0 - tmp3;
        let tmp11 = tmp1 + tmp2;
        let tmp12 = tmp1 - tmp2;
        out[0][i] = tmp10 + tmp11;
        out[4][i] = tmp10 - tmp11;
        let z1 = (tmp12 + tmp13) * std::f32::consts::FRAC_1_SQRT_2;
        out[2][i] = tmp13 + z1;
        out[6][i] = tmp13 - z1;
        // Odd part.
        let tmp10 = tmp4 + tmp5;
        let tmp11 = tmp5 + tmp6;
        let tmp12 = tmp6 + tmp7;
        let z5 = (tmp10 - tmp12) * 0.382_683_43;
        let z2 = 0.541_196_1 * tmp10 + z5;
        let z4 = 1.306_563 * tmp12 + z5;
        let z3 = tmp11 * std::f32::consts::FRAC_1_SQRT_2;
        let z11 = tmp7 + z3;
        let z13 = tmp7 - z3;
        out[5][i] = z13 + z2;
        out[3][i] = z13 - z2;
        out[1][i] = z11 + z4;
        out[7][i] = z11 - z4;
    }
    out
}

/// Where each coefficient in zigzag order is in [`fdct`]'s transposed output.
static TRANSPOSED_OF_ZIGZAG: std::sync::LazyLock<[u8; 64]> = std::sync::LazyLock::new(|| {
    NATURAL.map(|natural| {
        let (v, u) = (natural / 8, natural % 8);
        8 * u + v
    })
});

/// The four Huffman tables: luma DC, luma AC, chroma DC, chroma AC.
const TABLES: usize = 4;

/// The scan as tokens, and how often each table's symbols occur.
struct Tokens {
    /// Each a table (bits 24..), a symbol (bits 16..24) and its magnitude bits (the low 16;
    /// as many as the symbol's low four bits say).
    tokens: Vec<u32>,
    counts: [[u32; 256]; TABLES],
}

/// Quantises and tokenises every block of `ycc`, MCU by MCU as the scan holds them.
fn tokenize(ycc: &Ycc, divisors: &[[f32; 64]; 2]) -> Tokens {
    let mut tokens = Tokens {
        tokens: Vec::new(),
        counts: [[0; 256]; TABLES],
    };
    let (width, height) = (ycc.width as usize, ycc.height as usize);
    let (chroma_width, chroma_height) = (ycc.chroma_width() as usize, ycc.chroma_height() as usize);
    let luma_blocks = ycc.subsampling.0 as usize;
    let mcus_x = width.div_ceil(8 * luma_blocks);
    let mcus_y = height.div_ceil(8 * luma_blocks);
    let luma = Plane {
        data: &ycc.y,
        width,
        height,
        step: 1,
        offset: 0,
    };
    let chroma = |offset| Plane {
        data: &ycc.cbcr,
        width: chroma_width,
        height: chroma_height,
        step: 2,
        offset,
    };
    let planes = [luma, chroma(0), chroma(1)];
    let mut predictions = [0i32; 3];
    for mcu_y in 0..mcus_y {
        for mcu_x in 0..mcus_x {
            for (component, plane) in planes.iter().enumerate() {
                let blocks = if component == 0 { luma_blocks } else { 1 };
                let table = usize::from(component > 0);
                for block_y in 0..blocks {
                    for block_x in 0..blocks {
                        let x = (mcu_x * blocks + block_x) * 8;
                        let y = (mcu_y * blocks + block_y) * 8;
                        let coefficients = quantize(&fdct(&plane.block(x, y)), &divisors[table]);
                        let prediction = &mut predictions[component];
                        tokens.block(&coefficients, prediction, table);
                    }
                }
            }
        }
    }
    tokens
}

/// One plane of samples, `step` bytes apart from `offset` (Cb and Cr share a buffer).
struct Plane<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    step: usize,
    offset: usize,
}

impl Plane<'_> {
    /// The 8x8 block at (`x`, `y`), level-shifted, the edge samples repeated past the edges.
    #[inline]
    fn block(&self, x: usize, y: usize) -> Block {
        let mut block = [[0f32; 8]; 8];
        for (r, row) in block.iter_mut().enumerate() {
            let line = (y + r).min(self.height - 1) * self.width;
            if x + 8 <= self.width {
                let start = (line + x) * self.step + self.offset;
                let samples = self.data[start..].iter().step_by(self.step);
                for (out, &sample) in row.iter_mut().zip(samples) {
                    *out = f32::from(sample) - 128.0;
                }
            } else {
                for (c, out) in row.iter_mut().enumerate() {
                    let at = (line + (x + c).min(self.width - 1)) * self.step + self.offset;
                    *out = f32::from(self.data[at]) - 128.0;
                }
            }
        }
        block
    }
}

/// The quantised coefficients of a transposed DCT output, in zigzag order, each rounded to
/// the nearest integer (halves to even).
#[inline]
fn quantize(dct: &Block, divisors: &[f32; 64]) -> [i16; 64] {
    // Adding 1.5 * 2^23 leaves the rounded value in the low mantissa bits of any float under
    // 2^22 in magnitude (coefficients are under 2^11): no conversion, so it vectorises.
    const MAGIC: f32 = 12_582_912.0;
    let mut quantized = [0i32; 64];
    for ((out, &value), &divisor) in quantized.iter_mut().zip(dct.as_flattened()).zip(divisors) {
        *out = ((value * divisor + MAGIC).to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    }
    let transposed = &*TRANSPOSED_OF_ZIGZAG;
    std::array::from_fn(|k| quantized[usize::from(transposed[k])] as i16)
}

impl Tokens {
    /// Appends the tokens of one block of `table` (0 luma, 1 chroma) and counts them.
    #[inline]
    fn block(&mut self, coefficients: &[i16; 64], prediction: &mut i32, table: usize) {
        let dc_table = 2 * table;
        let ac_table = dc_table + 1;
        let dc = i32::from(coefficients[0]);
        self.push(dc_table, 0, dc - *prediction);
        *prediction = dc;
        // The non-zero AC coefficients, one bit each, walked from the lowest.
        let mut nonzero = coefficients[1..]
            .iter()
            .enumerate()
            .fold(0u64, |mask, (k, &c)| mask | (u64::from(c != 0) << k));
        let mut next = 0u32;
        while nonzero != 0 {
            let at = nonzero.trailing_zeros();
            let mut run = at - next;
            while run > 15 {
                self.push(ac_table, 0xF0, 0);
                run -= 16;
            }
            let value = i32::from(coefficients[1 + at as usize]);
            self.push(ac_table, run << 4, value);
            next = at + 1;
            nonzero &= nonzero - 1;
        }
        if next < 63 {
            self.push(ac_table, 0x00, 0);
        }
    }

    /// Appends the token for `value` after `run` (the symbol's high four bits, already
    /// shifted): the symbol takes the value's size in bits, 0 for 0, as a DC difference of 0,
    /// the end of a block (run 0) and sixteen zeros (run 15) have it.
    #[inline]
    fn push(&mut self, table: usize, run: u32, value: i32) {
        let size = 32 - value.unsigned_abs().leading_zeros();
        // Negative values are coded as value - 1 in `size` bits.
        let bits = if value < 0 { value - 1 } else { value } as u32 & ((1 << size) - 1);
        let symbol = run | size;
        self.counts[table][symbol as usize] += 1;
        self.tokens.push((table as u32) << 24 | symbol << 16 | bits);
    }
}

/// A Huffman code: each symbol's code and length, and the table as JPEG stores it.
struct HuffmanCode {
    /// For each symbol: code << 8 | length (0 for a symbol with no code).
    codes: [u32; 256],
    /// How many codes have each length 1..=16.
    counts: [u8; 16],
    /// The symbols, by code.
    symbols: Vec<u8>,
}

impl HuffmanCode {
    /// The optimal code for `frequencies` with codes at most 16 bits long and none all ones,
    /// as JPEG's Annex K.2 (and libjpeg's `jpeg_gen_optimal_table`) builds it.
    fn optimal(frequencies: &[u32; 256]) -> HuffmanCode {
        // Symbol 256 is reserved with a count of one, so that no real code is all ones.
        let mut frequency = [0u64; 257];
        for (out, &count) in frequency.iter_mut().zip(frequencies) {
            *out = u64::from(count);
        }
        frequency[256] = 1;
        let mut code_size = [0u32; 257];
        let mut others = [usize::MAX; 257];
        loop {
            // The two least frequent symbols (ties to the larger symbol), merged.
            let (mut c1, mut c2) = (usize::MAX, usize::MAX);
            let (mut v1, mut v2) = (u64::MAX, u64::MAX);
            for (symbol, &f) in frequency.iter().enumerate() {
                if f == 0 {
                    continue;
                }
                if f <= v1 {
                    (c2, v2) = (c1, v1);
                    (c1, v1) = (symbol, f);
                } else if f <= v2 {
                    (c2, v2) = (symbol, f);
                }
            }
            if c2 == usize::MAX {
                break;
            }
            frequency[c1] += frequency[c2];
            frequency[c2] = 0;
            code_size[c1] += 1;
            while others[c1] != usize::MAX {
                c1 = others[c1];
                code_size[c1] += 1;
            }
            others[c1] = c2;
            code_size[c2] += 1;
            while others[c2] != usize::MAX {
                c2 = others[c2];
                code_size[c2] += 1;
            }
        }
        // Lengths over 16 bits moved up the tree, as Annex K.3 does.
        // A tree over 257 symbols is at most 256 deep.
        let mut bits = [0u32; 257];
        for &size in code_size.iter().filter(|&&size| size > 0) {
            bits[size as usize] += 1;
        }
        for i in (17..=256).rev() {
            while bits[i] > 0 {
                let mut j = i - 2;
                while bits[j] == 0 {
                    j -= 1;
                }
                bits[i] -= 2;
                bits[i - 1] += 1;
                bits[j + 1] += 2;
                bits[j] -= 1;
            }
        }
        // The reserved symbol's code, the longest, goes.
        if let Some(longest) = (1..=16).rev().find(|&i| bits[i] > 0) {
            bits[longest] -= 1;
        }
        // Symbols by code length (as first assigned), then by value; the lengths then come
        // from `bits`.
        let mut order: Vec<(u32, u8)> = (0..=255u8)
            .map(|symbol| (code_size[usize::from(symbol)], symbol))
            .filter(|&(size, _)| size > 0)
            .collect();
        order.sort_unstable();
        let mut symbols: Vec<u8> = order.into_iter().map(|(_, symbol)| symbol).collect();
        let mut counts = [0u8; 16];
        for (out, &count) in counts.iter_mut().zip(&bits[1..=16]) {
            *out = count as u8;
        }
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        symbols.truncate(total);
        // Canonical codes, in order of length.
        let mut codes = [0u32; 256];
        let mut code = 0u32;
        let mut index = 0;
        for (length, &count) in (1..=16u32).zip(&counts) {
            for _ in 0..count {
                codes[usize::from(symbols[index])] = code << 8 | length;
                code += 1;
                index += 1;
            }
            code <<= 1;
        }
        HuffmanCode {
            codes,
            counts,
            symbols,
        }
    }
}

fn write_headers(out: &mut Vec<u8>, ycc: &Ycc, tables: &[[u8; 64]; 2], codes: &[HuffmanCode; 4]) {
    let segment = |out: &mut Vec<u8>, marker: u8, body: &[u8]| {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&(body.len() as u16 + 2).to_be_bytes());
        out.extend_from_slice(body);
    };
    out.extend_from_slice(&[0xFF, 0xD8]);
    // JFIF 1.02, no units, square pixels, no thumbnail.
    segment(out, 0xE0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
    let mut dqt = Vec::new();
    for (id, table) in tables.iter().enumerate() {
        dqt.push(id as u8);
        dqt.extend(NATURAL.iter().map(|&at| table[usize::from(at)]));
    }
    segment(out, 0xDB, &dqt);
    let (width, height) = (ycc.width as u16, ycc.height as u16);
    let luma_sampling = if ycc.subsampling == (2, 2) {
        0x22
    } else {
        0x11
    };
    let mut sof = vec![8];
    sof.extend_from_slice(&height.to_be_bytes());
    sof.extend_from_slice(&width.to_be_bytes());
    sof.extend_from_slice(&[3, 1, luma_sampling, 0, 2, 0x11, 1, 3, 0x11, 1]);
    segment(out, 0xC0, &sof);
    let mut dht = Vec::new();
    for (index, code) in codes.iter().enumerate() {
        // Class (DC 0, AC 1) and destination (luma 0, chroma 1).
        dht.push((((index % 2) << 4) | (index / 2)) as u8);
        dht.extend_from_slice(&code.counts);
        dht.extend_from_slice(&code.symbols);
    }
    segment(out, 0xC4, &dht);
    segment(out, 0xDA, &[3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
}

/// Writes the tokens with their tables' codes, stuffing a zero after each 0xFF byte and
/// padding the last byte with ones.
fn write_scan(out: &mut Vec<u8>, tokens: &[u32], codes: &[HuffmanCode; 4]) {
    let mut writer = BitWriter {
        out,
        bits: 0,
        count: 0,
    };
    for &token in tokens {
        let table = (token >> 24) as usize;
        let symbol = (token >> 16) & 0xFF;
        let code = codes[table].codes[symbol as usize];
        let size = symbol & 0x0F;
        let bits = u64::from(code >> 8) << size | u64::from(token & 0xFFFF);
        writer.put(bits, (code & 0xFF) + size);
    }
    let padding = (8 - writer.count % 8) % 8;
    writer.put((1 << padding) - 1, padding);
    while writer.count >= 8 {
        writer.count -= 8;
        writer.byte((writer.bits >> writer.count) as u8);
    }
}

/// Collects bits, most significant first, into bytes.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// The bits not yet written, in the low `count` bits.
    bits: u64,
    count: u32,
}

impl BitWriter<'_> {
    /// Appends the low `length` (at most 32) bits of `bits`.
    #[inline]
    fn put(&mut self, bits: u64, length: u32) {
        self.bits = self.bits << length | bits;
        self.count += length;
        if self.count >= 32 {
            self.count -= 32;
            let word = (self.bits >> self.count) as u32;
            // No 0xFF byte (no zero byte in its complement): the four bytes as they are.
            let inverted = !word;
            if inverted.wrapping_sub(0x0101_0101) & !inverted & 0x8080_8080 == 0 {
                self.out.extend_from_slice(&word.to_be_bytes());
            } else {
                for byte in word.to_be_bytes() {
                    self.byte(byte);
                }
            }
        }
    }

    #[inline]
    fn byte(&mut self, byte: u8) {
        self.out.push(byte);
        if byte == 0xFF {
            self.out.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `side` x `side` picture with gradients, texture and hard edges (which make the
    /// coder write 0xFF bytes that need stuffing), as RGB8 and as JFIF YCbCr 4:4:4.
    fn picture(side: u32) -> (Vec<u8>, Ycc) {
        let mut rgb = Vec::new();
        let mut state = 0x2545_F491_u32;
        for y in 0..side {
            for x in 0..side {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let noise = (state % 24) as u8;
                let edge = if (x / 9 + y / 7) % 3 == 0 { 200 } else { 0 };
                rgb.extend_from_slice(&[
                    (x * 255 / side) as u8 ^ noise,
                    edge,
                    (y * 255 / side) as u8 / 2 + noise,
                ]);
            }
        }
        let ycc = crate::chroma::ycbcr_444(&rgb, side);
        (rgb, ycc)
    }

    /// The mean absolute difference between two images of the same layout.
    fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
        assert_eq!(a.len(), b.len());
        let sum: u64 = a
            .iter()
            .zip(b)
            .map(|(&a, &b)| u64::from(a.abs_diff(b)))
            .sum();
        sum as f64 / a.len() as f64
    }

    fn decode_rgb(jpeg: &[u8]) -> (u16, u16, Vec<u8>) {
        let mut decoder = jpeg_decoder::Decoder::new(jpeg);
        let pixels = decoder.decode().expect("jpeg-decoder reads it");
        let info = decoder.info().expect("info");
        assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
        (info.width, info.height, pixels)
    }

    /// Another decoder (jpeg-decoder) reads what this writes, at every size shape (whole and
    /// partial blocks and MCUs) and both chroma layouts, and gets the picture back; finer
    /// quantisation gets it back closer, and at quality 100 with full chroma to within the
    /// transforms' rounding.
    #[test]
    fn another_decoder_reads_it_back() {
        for side in [48, 49, 64, 120, 121, 241] {
            let (rgb, full) = picture(side);
            let half = crate::chroma::ycbcr_420(&rgb, side);
            for (ycc, layout) in [(&full, "4:4:4"), (&half, "4:2:0")] {
                let mut previous = f64::INFINITY;
                for quality in [50, 85, 100] {
                    let jpeg = encode(ycc, quality);
                    let (width, height, decoded) = decode_rgb(&jpeg);
                    assert_eq!((u32::from(width), u32::from(height)), (side, side));
                    let error = mean_difference(&decoded, &rgb);
                    let at = format!("{side} {layout} q{quality}: off by {error}");
                    assert!(error < previous, "{at}");
                    // The picture is noisy and has hard colour edges: at q100 only 4:2:0's
                    // halved chroma loses much of it.
                    let bound = match (quality, layout) {
                        (100, "4:4:4") => 1.0,
                        (100, _) => 15.0,
                        _ => 25.0,
                    };
                    assert!(error < bound, "{at}");
                    previous = error;
                }
            }
        }
    }

    /// The planes come back as they went in, through the planar decoder, to within the
    /// rounding of the transforms at quality 100.
    #[test]
    fn planes_come_back_at_quality_100() {
        let (rgb, _) = picture(200);
        let ycc = crate::chroma::ycbcr_420(&rgb, 200);
        let jpeg = encode(&ycc, 100);
        let decoded = crate::jpeg_planes::decode_scaled_ycc(&jpeg, 8, (200, 200)).expect("planes");
        assert_eq!(decoded.subsampling, (2, 2));
        assert!(mean_difference(&decoded.y, &ycc.y) < 0.6);
        assert!(mean_difference(&decoded.cbcr, &ycc.cbcr) < 0.6);
    }

    /// Against jpeg-encoder, a good JPEG encoder in Rust, on the same picture and quality:
    /// about the same bytes, and no further from the picture.
    #[test]
    fn as_small_and_as_close_as_jpeg_encoder() {
        let side = 256u16;
        let (rgb, ycc) = picture(u32::from(side));
        let ours = encode(&ycc, 85);
        let mut theirs = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut theirs, 85);
        encoder.set_optimized_huffman_tables(true);
        encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_4_4);
        encoder
            .encode(&rgb, side, side, jpeg_encoder::ColorType::Rgb)
            .expect("jpeg-encoder");
        let ratio = ours.len() as f64 / theirs.len() as f64;
        assert!((0.97..=1.02).contains(&ratio), "bytes {ratio}");
        let our_error = mean_difference(&decode_rgb(&ours).2, &rgb);
        let their_error = mean_difference(&decode_rgb(&theirs).2, &rgb);
        assert!(
            our_error <= their_error * 1.01,
            "{our_error} > {their_error}"
        );
    }

    /// The forward DCT is the DCT's formula (scaled as the divisors expect).
    #[test]
    fn forward_dct_is_the_formula() {
        use std::f64::consts::{FRAC_1_SQRT_2, PI};
        let mut block: Block = [[0.0; 8]; 8];
        for (r, row) in block.iter_mut().enumerate() {
            for (c, sample) in row.iter_mut().enumerate() {
                *sample = ((r * 37 + c * 91) % 255) as f32 - 128.0;
            }
        }
        let out = fdct(&block);
        for v in 0..8 {
            for u in 0..8 {
                let c = |k: usize| if k == 0 { FRAC_1_SQRT_2 } else { 1.0 };
                let mut sum = 0.0;
                for (r, row) in block.iter().enumerate() {
                    for (x, &sample) in row.iter().enumerate() {
                        sum += f64::from(sample)
                            * ((2 * x + 1) as f64 * u as f64 * PI / 16.0).cos()
                            * ((2 * r + 1) as f64 * v as f64 * PI / 16.0).cos();
                    }
                }
                let expected = c(u) * c(v) / 4.0 * sum;
                let scale = f64::from(AAN_SCALE[u] * AAN_SCALE[v]) * 8.0;
                let got = f64::from(out[u][v]) / scale;
                assert!(
                    (got - expected).abs() < 1e-3,
                    "{u},{v}: {got} vs {expected}"
                );
            }
        }
    }

    /// libjpeg's scaling of the standard tables: as they are at 50, all ones at 100.
    #[test]
    fn quality_scales_the_standard_tables() {
        assert_eq!(quant_table(&LUMA_TABLE, 50).map(u16::from), LUMA_TABLE);
        assert_eq!(quant_table(&CHROMA_TABLE, 100), [1; 64]);
        assert_eq!(quant_table(&LUMA_TABLE, 85)[0], 5); // (16 * 30 + 50) / 100
        assert_eq!(quant_table(&CHROMA_TABLE, 1), [255; 64]);
    }

    /// The lengths of a code, checked to make a prefix code with no all-ones code (Kraft sum
    /// under one) and none over 16 bits; gives the total bits for `frequencies`.
    fn check_code(code: &HuffmanCode, frequencies: &[u32; 256]) -> u64 {
        let mut kraft = 0.0;
        let mut total = 0;
        for (symbol, &frequency) in frequencies.iter().enumerate() {
            let length = code.codes[symbol] & 0xFF;
            if frequency > 0 {
                assert!((1..=16).contains(&length), "symbol {symbol}: {length} bits");
            }
            if length > 0 {
                kraft += 0.5f64.powi(length as i32);
                total += u64::from(frequency) * u64::from(length);
            }
        }
        assert!(kraft < 1.0, "Kraft sum {kraft}");
        let counted: usize = code.counts.iter().map(|&c| usize::from(c)).sum();
        assert_eq!(counted, code.symbols.len());
        total
    }

    /// Optimal where the answer is known, and within 16 bits where the frequencies would make
    /// longer codes.
    #[test]
    fn huffman_codes_are_optimal_and_limited() {
        // Frequencies halving: lengths 1, 2, 3, ... as far as 16 allows.
        let mut halving = [0u32; 256];
        for (k, frequency) in halving.iter_mut().take(8).enumerate() {
            *frequency = 1 << (10 - k);
        }
        let code = HuffmanCode::optimal(&halving);
        let lengths: Vec<u32> = (0..8).map(|s| code.codes[s] & 0xFF).collect();
        assert_eq!(lengths, [1, 2, 3, 4, 5, 6, 7, 8]);
        check_code(&code, &halving);
        // Four equal symbols: two bits each, but the all-ones code is kept free.
        let mut equal = [0u32; 256];
        equal[..4].fill(100);
        let code = HuffmanCode::optimal(&equal);
        assert_eq!(check_code(&code, &equal), 400 * 2 + 100);
        // Fibonacci frequencies over 40 symbols would need codes of 39 bits.
        let mut fibonacci = [0u32; 256];
        let (mut a, mut b) = (1u32, 1u32);
        for frequency in fibonacci.iter_mut().take(40) {
            *frequency = a;
            (a, b) = (b, a.saturating_add(b));
        }
        check_code(&HuffmanCode::optimal(&fibonacci), &fibonacci);
        // One symbol.
        let mut one = [0u32; 256];
        one[7] = 5;
        assert_eq!(check_code(&HuffmanCode::optimal(&one), &one), 5);
    }

    /// The file holds the JFIF header, the tables, the frame and the scan, and nothing else.
    #[test]
    fn nothing_but_what_a_decoder_needs() {
        let (_, ycc) = picture(64);
        let jpeg = encode(&ycc, 85);
        let mut markers = Vec::new();
        let mut at = 2;
        while jpeg[at] == 0xFF && jpeg[at + 1] != 0xDA {
            markers.push(jpeg[at + 1]);
            at += 2 + usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        }
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        assert_eq!(markers, [0xE0, 0xDB, 0xC0, 0xC4]);
        assert_eq!(&jpeg[6..11], b"JFIF\0");
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9]);
    }
}
