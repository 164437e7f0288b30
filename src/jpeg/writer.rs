//! A JPEG encoder for YCbCr planes, in pure Rust: the encoder of both builds.
//!
//! A rendition is at most 648x648, so encoding it is small work done nine times per photo;
//! what costs is the per-coefficient work: the forward DCT, quantisation, and the two passes
//! of optimised Huffman coding (counting the symbols, then writing them). This encoder does
//! the DCT eight lanes at a time (the compiler's vector operations), finds the non-zero
//! coefficients of a block with one bit mask instead of testing each, and turns each block into
//! tokens (symbol and magnitude bits) once, counting them on the way; the tables are then built
//! from the counts and the tokens written with them. The output is a JFIF file with nothing
//! else: the tables [`Settings`] name scaled by quality as libjpeg does, levels rounded or
//! chosen for their bits too ([`rdo`](super::rdo)), 4:4:4 or 4:2:0 chroma, one interleaved
//! baseline scan or libjpeg's progression of scans ([`progression`](super::progression)).

use super::fdct::{fdct, Block, AAN_SCALE};
use super::huffman::HuffmanCode;
use super::markers::{APP0, DHT, DQT, EOI, SOF0, SOF2, SOI, SOS};
use super::progression::{write_scans, Component};
use super::rdo::Search;
use super::tables::NATURAL;
use crate::planes::Ycc;

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

/// The quantisation tables of quality 50 that [`Settings::tables`] names, luma and chroma
/// (natural order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tables {
    /// Annex K's, as libjpeg and most encoders use them.
    AnnexK,
    /// N. Robidoux's (mozjpeg's default), one table for luma and chroma: finer low frequencies,
    /// coarser high ones.
    Robidoux,
    /// mozjpeg's tables tuned for MS-SSIM on the Kodak images (its table 2). Measured for the
    /// sizes' choice and not chosen: more bytes than Robidoux's at the same DSSIM (BENCHMARKS.md,
    /// "Current: pipeline 9").
    MsSsim,
    /// mozjpeg's tables tuned for PSNR-HVS-M (its table 4); measured and not chosen, as
    /// [`Tables::MsSsim`].
    PsnrHvsM,
}

/// N. Robidoux's table, mozjpeg's default for both luma and chroma (natural order).
const ROBIDOUX_TABLE: [u16; 64] = [
    16, 16, 16, 18, 25, 37, 56, 85, 16, 17, 20, 27, 34, 40, 53, 75, 16, 20, 24, 31, 43, 62, 91,
    135, 18, 27, 31, 40, 53, 74, 106, 156, 25, 34, 43, 53, 69, 94, 131, 189, 37, 40, 62, 74, 94,
    124, 169, 238, 56, 53, 91, 106, 131, 169, 226, 311, 85, 75, 135, 156, 189, 238, 311, 418,
];

/// mozjpeg's table 2, MS-SSIM-tuned: luma, then chroma (natural order).
const MS_SSIM_TABLES: [[u16; 64]; 2] = [
    [
        12, 17, 20, 21, 30, 34, 56, 63, 18, 20, 20, 26, 28, 51, 61, 55, 19, 20, 21, 26, 33, 58, 69,
        55, 26, 26, 26, 30, 46, 87, 86, 66, 31, 33, 36, 40, 46, 96, 100, 73, 40, 35, 46, 62, 81,
        100, 111, 91, 46, 66, 76, 86, 102, 121, 120, 101, 68, 90, 90, 96, 113, 102, 105, 103,
    ],
    [
        8, 12, 15, 15, 86, 96, 96, 98, 13, 13, 15, 26, 90, 96, 99, 98, 12, 15, 18, 96, 99, 99, 99,
        99, 17, 16, 90, 96, 99, 99, 99, 99, 96, 96, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ],
];

/// mozjpeg's table 4, PSNR-HVS-M-tuned: luma, then chroma (natural order).
const PSNR_HVS_M_TABLES: [[u16; 64]; 2] = [
    [
        9, 10, 12, 14, 27, 32, 51, 62, 11, 12, 14, 19, 27, 44, 59, 73, 12, 14, 18, 25, 42, 59, 79,
        78, 17, 18, 25, 42, 61, 92, 87, 92, 23, 28, 42, 75, 79, 112, 112, 99, 40, 42, 59, 84, 88,
        124, 132, 111, 42, 64, 78, 95, 105, 126, 125, 99, 70, 75, 100, 102, 116, 100, 107, 98,
    ],
    [
        9, 10, 17, 19, 62, 89, 91, 97, 12, 13, 18, 29, 84, 91, 88, 98, 14, 19, 29, 93, 95, 95, 98,
        97, 20, 26, 84, 88, 95, 95, 98, 94, 26, 86, 91, 93, 97, 99, 98, 99, 99, 100, 98, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 97, 97, 99, 99, 99, 99, 97, 99,
    ],
];

impl Tables {
    /// The luma and chroma tables of quality 50.
    fn base(self) -> [&'static [u16; 64]; 2] {
        match self {
            Tables::AnnexK => [&LUMA_TABLE, &CHROMA_TABLE],
            Tables::Robidoux => [&ROBIDOUX_TABLE, &ROBIDOUX_TABLE],
            Tables::MsSsim => [&MS_SSIM_TABLES[0], &MS_SSIM_TABLES[1]],
            Tables::PsnrHvsM => [&PSNR_HVS_M_TABLES[0], &PSNR_HVS_M_TABLES[1]],
        }
    }
}

/// How a rendition is quantised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The quality the luma table is scaled for, 1..=100, as libjpeg scales it.
    pub luma_quality: u8,
    /// The same for the chroma table.
    pub chroma_quality: u8,
    /// The tables scaled.
    pub tables: Tables,

    /// When set, each block's rounded AC levels are lowered where the bits saved outweigh
    /// the error added ([`rdo`](super::rdo)), errors weighed by this.
    pub rate_distortion: Option<Lambda>,
    /// Whether the blocks go out as libjpeg's standard progression of scans
    /// ([`progression`](super::progression)) instead of one baseline scan.
    pub progressive: bool,
}

impl Settings {
    /// Annex K's tables at `quality` for both, each coefficient rounded: libjpeg's output.
    pub fn rounded(quality: u8) -> Settings {
        Settings {
            luma_quality: quality,
            chroma_quality: quality,
            tables: Tables::AnnexK,
            rate_distortion: None,
            progressive: false,
        }
    }
}

/// The weight of a block's squared quantisation error against its bits, mozjpeg's: λ =
/// 2^`scale1` / (2^`scale2` + the block's mean AC energy). A busy block, whose errors its own
/// texture masks, pays less for them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lambda {
    /// The base-2 logarithm of the numerator.
    pub scale1: f32,
    /// The base-2 logarithm of the energy at which λ is half its value for a flat block.
    pub scale2: f32,
}

impl Lambda {
    /// mozjpeg's defaults.
    pub const MOZJPEG: Lambda = Lambda {
        scale1: 14.75,
        scale2: 16.5,
    };
}

/// Encodes `ycc` (4:4:4 or 4:2:0, sides 1..=65535, consistent) as a JFIF JPEG with optimised
/// Huffman tables, baseline or progressive and quantised as `settings` say.
pub(crate) fn encode(ycc: &Ycc, settings: &Settings) -> Vec<u8> {
    debug_assert!(ycc.is_consistent());
    debug_assert!(matches!(ycc.subsampling, (1, 1) | (2, 2)));
    let [luma, chroma] = settings.tables.base();
    let tables = [
        quant_table(luma, settings.luma_quality),
        quant_table(chroma, settings.chroma_quality),
    ];
    let divisors = tables.map(|table| divisors(&table));
    let search = settings
        .rate_distortion
        .map(|lambda| [0, 1].map(|table| Search::new(&tables[table], table, lambda)));
    let mut out = Vec::new();
    write_headers(&mut out, ycc, &tables, settings.progressive);
    if settings.progressive {
        let components = blocks(ycc, &divisors, search.as_ref());
        write_scans(&mut out, &components, mcus(ycc));
    } else {
        let tokens = tokenize(ycc, &divisors, search.as_ref());
        let codes = tokens.counts.map(|counts| HuffmanCode::optimal(&counts));
        write_tables_and_scan(&mut out, &tokens.tokens, &codes);
    }
    out.extend_from_slice(&[0xFF, EOI]);
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

/// Where each coefficient in zigzag order is in [`fdct`]'s transposed output.
pub(super) static TRANSPOSED_OF_ZIGZAG: std::sync::LazyLock<[u8; 64]> =
    std::sync::LazyLock::new(|| {
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

/// The MCUs of `ycc` across and down.
fn mcus(ycc: &Ycc) -> (usize, usize) {
    let side = 8 * ycc.subsampling.0 as usize;
    (
        (ycc.width as usize).div_ceil(side),
        (ycc.height as usize).div_ceil(side),
    )
}

/// Quantises every block of `ycc`, MCU by MCU as the baseline scan holds them, and hands each
/// to `each` with its component (0 Y, 1 Cb, 2 Cr), its column and row in the component's grid
/// of whole MCUs, and which of its AC levels are non-zero (as [`nonzero`] finds them, bit 0
/// clear).
#[inline]
fn quantize_blocks(
    ycc: &Ycc,
    divisors: &[[f32; 64]; 2],
    search: Option<&[Search; 2]>,
    mut each: impl FnMut(usize, usize, usize, &[i16; 64], u64),
) {
    let (width, height) = (ycc.width as usize, ycc.height as usize);
    let (chroma_width, chroma_height) = (ycc.chroma_width() as usize, ycc.chroma_height() as usize);
    let luma_blocks = ycc.subsampling.0 as usize;
    let (mcus_x, mcus_y) = mcus(ycc);
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
    for mcu_y in 0..mcus_y {
        for mcu_x in 0..mcus_x {
            for (component, plane) in planes.iter().enumerate() {
                let blocks = if component == 0 { luma_blocks } else { 1 };
                let table = usize::from(component > 0);
                for block_y in 0..blocks {
                    for block_x in 0..blocks {
                        let column = mcu_x * blocks + block_x;
                        let row = mcu_y * blocks + block_y;
                        let scaled =
                            scale(&fdct(&plane.block(column * 8, row * 8)), &divisors[table]);
                        let mut coefficients = round(&scaled);
                        let ac = match search {
                            Some(search) => search[table].refine(&mut coefficients, &scaled),
                            None => nonzero(&coefficients) & !1,
                        };
                        each(component, column, row, &coefficients, ac);
                    }
                }
            }
        }
    }
}

/// Quantises and tokenises every block of `ycc`, MCU by MCU as the scan holds them.
fn tokenize(ycc: &Ycc, divisors: &[[f32; 64]; 2], search: Option<&[Search; 2]>) -> Tokens {
    let mut tokens = Tokens {
        tokens: Vec::new(),
        counts: [[0; 256]; TABLES],
    };
    let mut predictions = [0i32; 3];
    quantize_blocks(
        ycc,
        divisors,
        search,
        |component, _, _, coefficients, ac| {
            let table = usize::from(component > 0);
            tokens.block(coefficients, ac, &mut predictions[component], table);
        },
    );
    tokens
}

/// Quantises every block of `ycc` and keeps them, component by component, for the scans of
/// a progressive file.
fn blocks(ycc: &Ycc, divisors: &[[f32; 64]; 2], search: Option<&[Search; 2]>) -> [Component; 3] {
    let (mcus_x, mcus_y) = mcus(ycc);
    let luma_blocks = ycc.subsampling.0 as usize;
    let component = |index: usize| {
        let (sampling, width, height) = if index == 0 {
            (luma_blocks, ycc.width, ycc.height)
        } else {
            (1, ycc.chroma_width(), ycc.chroma_height())
        };
        let count = mcus_x * sampling * mcus_y * sampling;
        Component {
            blocks: vec![[0; 64]; count],
            masks: vec![[0; 4]; count],
            across: mcus_x * sampling,
            sampling,
            width: (width as usize).div_ceil(8),
            height: (height as usize).div_ceil(8),
            table: usize::from(index > 0),
        }
    };
    let mut components = [component(0), component(1), component(2)];
    quantize_blocks(
        ycc,
        divisors,
        search,
        |index, column, row, coefficients, ac| {
            let component = &mut components[index];
            let at = row * component.across + column;
            component.blocks[at] = *coefficients;
            component.masks[at] = Component::masks(coefficients, ac);
        },
    );
    components
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

/// A transposed DCT output in quantisation steps (still transposed).
#[inline]
fn scale(dct: &Block, divisors: &[f32; 64]) -> [f32; 64] {
    let mut scaled = [0f32; 64];
    for ((out, &value), &divisor) in scaled.iter_mut().zip(dct.as_flattened()).zip(divisors) {
        *out = value * divisor;
    }
    scaled
}

/// [`scale`]'s coefficients rounded to the nearest integer (halves to even), in zigzag order.
#[inline]
fn round(scaled: &[f32; 64]) -> [i16; 64] {
    // Adding 1.5 * 2^23 leaves the rounded value in the low mantissa bits of any float under
    // 2^22 in magnitude (coefficients are under 2^11): no conversion, so it vectorises.
    const MAGIC: f32 = 12_582_912.0;
    let mut quantized = [0i32; 64];
    for (out, &value) in quantized.iter_mut().zip(scaled) {
        *out = ((value + MAGIC).to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    }
    let transposed = &*TRANSPOSED_OF_ZIGZAG;
    std::array::from_fn(|k| quantized[usize::from(transposed[k])] as i16)
}

/// A value as JPEG codes it after its symbol: its size in bits (0 for 0), and its bits, a
/// negative value as value - 1 in that many bits.
#[inline]
pub(super) fn size_and_bits(value: i32) -> (u32, u32) {
    let size = 32 - value.unsigned_abs().leading_zeros();
    let bits = if value < 0 { value - 1 } else { value } as u32 & ((1 << size) - 1);
    (size, bits)
}

/// Which of `levels` are non-zero, one bit each, bit k for the level at k.
#[inline]
pub(super) fn nonzero(levels: &[i16; 64]) -> u64 {
    at_least(levels, 1)
}

/// Which of `levels` are at least `magnitude` in magnitude, one bit each, bit k for the level
/// at k.
#[inline]
pub(super) fn at_least(levels: &[i16; 64], magnitude: u16) -> u64 {
    let flags: [u8; 64] = std::array::from_fn(|k| u8::from(levels[k].unsigned_abs() >= magnitude));
    // Eight flags of 0 or 1 in a word: multiplying by 2^56 + 2^49 + ... + 2^7 moves flag i
    // (at bit 8i) to bit 56 + i, and no other product reaches the top byte or carries into it.
    flags
        .chunks_exact(8)
        .enumerate()
        .fold(0u64, |mask, (chunk, flags)| {
            let word = u64::from_le_bytes(flags.try_into().expect("eight flags"));
            mask | (word.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * chunk)
        })
}

impl Tokens {
    /// Appends the tokens of one block of `table` (0 luma, 1 chroma) and counts them; `ac`:
    /// which of its AC levels are non-zero (bit k for position k).
    #[inline]
    fn block(&mut self, coefficients: &[i16; 64], ac: u64, prediction: &mut i32, table: usize) {
        let dc_table = 2 * table;
        let ac_table = dc_table + 1;
        let dc = i32::from(coefficients[0]);
        self.push(dc_table, 0, dc - *prediction);
        *prediction = dc;
        // The non-zero AC coefficients, one bit each, walked from the lowest.
        let mut nonzero = ac >> 1;
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
        let (size, bits) = size_and_bits(value);
        let symbol = run | size;
        self.counts[table][symbol as usize] += 1;
        self.tokens.push((table as u32) << 24 | symbol << 16 | bits);
    }
}

/// Appends a marker segment: the marker, the length of `body` and what follows, and `body`.
pub(super) fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&(body.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(body);
}

/// The file's start up to its first scan's tables: SOI, JFIF, the quantisation tables, and the
/// frame (baseline or progressive).
fn write_headers(out: &mut Vec<u8>, ycc: &Ycc, tables: &[[u8; 64]; 2], progressive: bool) {
    out.extend_from_slice(&[0xFF, SOI]);
    // JFIF 1.02, no units, square pixels, no thumbnail.
    segment(out, APP0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
    let mut dqt = Vec::new();
    for (id, table) in tables.iter().enumerate() {
        dqt.push(id as u8);
        dqt.extend(NATURAL.iter().map(|&at| table[usize::from(at)]));
    }
    segment(out, DQT, &dqt);
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
    segment(out, if progressive { SOF2 } else { SOF0 }, &sof);
}

/// The baseline scan: its four tables, its header, and the tokens written with them.
fn write_tables_and_scan(out: &mut Vec<u8>, tokens: &[u32], codes: &[HuffmanCode; 4]) {
    let mut dht = Vec::new();
    for (index, code) in codes.iter().enumerate() {
        // Class (DC 0, AC 1) and destination (luma 0, chroma 1).
        code.specify(&mut dht, (index % 2) as u8, (index / 2) as u8);
    }
    segment(out, DHT, &dht);
    segment(out, SOS, &[3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);
    write_scan(out, tokens, codes);
}

/// Writes the tokens with their tables' codes, stuffing a zero after each 0xFF byte and
/// padding the last byte with ones.
fn write_scan(out: &mut Vec<u8>, tokens: &[u32], codes: &[HuffmanCode; 4]) {
    let mut writer = BitWriter::new(out);
    for &token in tokens {
        let table = (token >> 24) as usize;
        let symbol = (token >> 16) & 0xFF;
        let code = codes[table].codes[symbol as usize];
        let size = symbol & 0x0F;
        let bits = u64::from(code >> 8) << size | u64::from(token & 0xFFFF);
        writer.put(bits, (code & 0xFF) + size);
    }
    writer.finish();
}

/// Entropy-coded bits into bytes, a zero stuffed after each 0xFF byte.
pub(super) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// The bits not yet written, in the low `count` bits.
    bits: u64,
    count: u32,
}

impl<'a> BitWriter<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>) -> BitWriter<'a> {
        BitWriter {
            out,
            bits: 0,
            count: 0,
        }
    }

    /// Appends the low `length` (at most 32) bits of `bits`.
    #[inline]
    pub(super) fn put(&mut self, bits: u64, length: u32) {
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

    /// Pads the last byte with ones and writes what is left.
    pub(super) fn finish(mut self) {
        let padding = (8 - self.count % 8) % 8;
        self.put((1 << padding) - 1, padding);
        while self.count >= 8 {
            self.count -= 8;
            self.byte((self.bits >> self.count) as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::markers::{Segments, Walk};
    use super::*;

    #[test]
    fn nonzero_has_a_bit_for_each_nonzero_level() {
        let mut state = 0x2545_F491_u32;
        for _ in 0..500 {
            let levels: [i16; 64] = std::array::from_fn(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                match state % 4 {
                    0 => (state >> 8) as i16,
                    1 => -1,
                    _ => 0,
                }
            });
            let expected = (0..64).fold(0u64, |mask, k| mask | u64::from(levels[k] != 0) << k);
            assert_eq!(nonzero(&levels), expected, "{levels:?}");
        }
        assert_eq!(nonzero(&[0; 64]), 0);
        assert_eq!(nonzero(&[-3; 64]), u64::MAX);
    }

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
        let ycc = ycc_of(&rgb, side, false);
        (rgb, ycc)
    }

    /// `rgb` (`side` x `side`) as JFIF YCbCr, with 4:4:4 chroma or, when `half`, 4:2:0 (each
    /// chroma sample the mean of the pixels it spans).
    fn ycc_of(rgb: &[u8], side: u32, half: bool) -> Ycc {
        let jfif = |p: &[u8]| {
            let [r, g, b] = [p[0], p[1], p[2]].map(f64::from);
            [
                0.299 * r + 0.587 * g + 0.114 * b,
                128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b,
                128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b,
            ]
        };
        let level = |v: f64| v.round().clamp(0.0, 255.0) as u8;
        let pixels: Vec<[f64; 3]> = rgb.chunks_exact(3).map(jfif).collect();
        let step = if half { 2 } else { 1 };
        let (side, chroma_side) = (side as usize, side.div_ceil(step) as usize);
        let mut cbcr = Vec::new();
        for cy in 0..chroma_side {
            for cx in 0..chroma_side {
                let mut sum = [0f64; 2];
                let mut count = 0f64;
                for y in cy * step as usize..((cy + 1) * step as usize).min(side) {
                    for x in cx * step as usize..((cx + 1) * step as usize).min(side) {
                        let pixel = pixels[y * side + x];
                        sum = [sum[0] + pixel[1], sum[1] + pixel[2]];
                        count += 1.0;
                    }
                }
                cbcr.extend(sum.map(|s| level(s / count)));
            }
        }
        Ycc {
            width: side as u32,
            height: side as u32,
            subsampling: (step, step),
            y: pixels.iter().map(|p| level(p[0])).collect(),
            cbcr,
        }
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

    /// A progressive file carries exactly the baseline scan's levels: jpeg-decoder and the
    /// crate's own decoder read the same pixels from both, at every size shape (whole and
    /// partial blocks and MCUs), both chroma layouts, coarse and fine tables, with and without
    /// the rate-distortion step.
    #[test]
    fn progressive_carries_the_baseline_levels() {
        for side in [8u32, 13, 64, 200, 241] {
            let (rgb, _) = picture(side);
            for half in [false, true] {
                let ycc = ycc_of(&rgb, side, half);
                for quality in [30, 85, 100] {
                    let mut settings = Settings::rounded(quality);
                    settings.rate_distortion = (quality == 85).then_some(Lambda::MOZJPEG);
                    let baseline = encode(&ycc, &settings);
                    settings.progressive = true;
                    let progressive = encode(&ycc, &settings);
                    let case = format!("{side}x{side}, half chroma {half}, quality {quality}");
                    assert!(progressive.windows(2).any(|m| m == [0xFF, SOF2]), "{case}");
                    assert_eq!(decode_rgb(&progressive), decode_rgb(&baseline), "{case}");
                    let ours = |jpeg: &[u8]| {
                        crate::jpeg::decode_planes(jpeg, 8, (side, side)).expect("planes")
                    };
                    let (ours, theirs) = (ours(&progressive), ours(&baseline));
                    assert!(ours.y == theirs.y && ours.cbcr == theirs.cbcr, "{case}");
                }
            }
        }
    }

    /// The limits of the progression's coding, reached with blocks made for them: a run of
    /// more empty blocks than one end-of-band symbol counts (a flat 4:4:4 picture of 182 x 182
    /// blocks), correction bits held back past libjpeg's bound (blocks of 2s, which the last
    /// refinement sends as bits only), and runs of more than 16 zeros before a level that
    /// becomes non-zero in a refinement. Decoded, each file is the baseline file of the same
    /// blocks.
    #[test]
    fn progression_limits() {
        let mut twos = [2i16; 64];
        twos[63] = 0;
        let mut gap = [0i16; 64];
        gap[1..=5].fill(-2);
        gap[31] = 1;
        gap[50] = -1;
        let mut flat = [0i16; 64];
        flat[0] = 3;
        let cases: [(&str, usize, Vec<[i16; 64]>); 3] = [
            ("empty blocks", 182, vec![flat; 182 * 182]),
            ("held bits", 6, vec![twos; 36]),
            (
                "long runs",
                6,
                (0..36)
                    .map(|n| if n % 3 == 0 { twos } else { gap })
                    .collect(),
            ),
        ];
        for (case, side, luma) in cases {
            let ycc = Ycc {
                width: side as u32 * 8,
                height: side as u32 * 8,
                subsampling: (1, 1),
                y: Vec::new(),
                cbcr: Vec::new(),
            };
            let tables = [[1u8; 64], [1u8; 64]];
            let chroma: Vec<[i16; 64]> = luma.iter().map(|block| block.map(|v| v / 2)).collect();
            let planes = [luma, chroma.clone(), chroma];
            // Baseline: MCU by MCU, a block of each component.
            let mut tokens = Tokens {
                tokens: Vec::new(),
                counts: [[0; 256]; TABLES],
            };
            let mut predictions = [0i32; 3];
            for at in 0..side * side {
                for (component, blocks) in planes.iter().enumerate() {
                    let table = usize::from(component > 0);
                    let ac = nonzero(&blocks[at]) & !1;
                    tokens.block(&blocks[at], ac, &mut predictions[component], table);
                }
            }
            let codes = tokens.counts.map(|counts| HuffmanCode::optimal(&counts));
            let mut baseline = Vec::new();
            write_headers(&mut baseline, &ycc, &tables, false);
            write_tables_and_scan(&mut baseline, &tokens.tokens, &codes);
            baseline.extend_from_slice(&[0xFF, EOI]);
            let components = planes.map(|blocks| Component {
                masks: blocks
                    .iter()
                    .map(|block| Component::masks(block, nonzero(block)))
                    .collect(),
                blocks,
                across: side,
                sampling: 1,
                width: side,
                height: side,
                table: 0,
            });
            let mut progressive = Vec::new();
            write_headers(&mut progressive, &ycc, &tables, true);
            write_scans(&mut progressive, &components, (side, side));
            progressive.extend_from_slice(&[0xFF, EOI]);
            assert_eq!(decode_rgb(&progressive), decode_rgb(&baseline), "{case}");
        }
    }

    /// Another decoder (jpeg-decoder) reads what this writes, at every size shape (whole and
    /// partial blocks and MCUs) and both chroma layouts, and gets the picture back; finer
    /// quantisation gets it back closer, and at quality 100 with full chroma to within the
    /// transforms' rounding.
    #[test]
    fn another_decoder_reads_it_back() {
        for side in [48, 49, 64, 120, 121, 241] {
            let (rgb, full) = picture(side);
            let half = ycc_of(&rgb, side, true);
            for (ycc, layout) in [(&full, "4:4:4"), (&half, "4:2:0")] {
                let mut previous = f64::INFINITY;
                for quality in [50, 85, 100] {
                    let jpeg = encode(ycc, &Settings::rounded(quality));
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
        let ycc = ycc_of(&rgb, 200, true);
        let jpeg = encode(&ycc, &Settings::rounded(100));
        let decoded = crate::jpeg::decode_planes(&jpeg, 8, (200, 200)).expect("planes");
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
        let ours = encode(&ycc, &Settings::rounded(85));
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

    /// Each set of tables is the one the file carries (read back by the decoder's reader of
    /// DQT segments, scaled for the quality), and jpeg-decoder gets the picture back from it.
    #[test]
    fn each_set_of_tables_is_written_and_read_back() {
        let (rgb, ycc) = picture(64);
        for tables in [
            Tables::AnnexK,
            Tables::Robidoux,
            Tables::MsSsim,
            Tables::PsnrHvsM,
        ] {
            let settings = Settings {
                tables,
                ..Settings::rounded(85)
            };
            let jpeg = encode(&ycc, &settings);
            let mut read = crate::jpeg::tables::Tables::default();
            let segments = Segments::after_soi(&jpeg, Walk::Strict).expect("SOI");
            for segment in segments.take_while(|segment| segment.marker != SOS) {
                read.take(segment.marker, segment.body)
                    .expect("our own segments");
            }
            for (slot, base) in tables.base().into_iter().enumerate() {
                let scaled = quant_table(base, 85);
                let zigzag: Vec<u16> = NATURAL
                    .iter()
                    .map(|&k| u16::from(scaled[usize::from(k)]))
                    .collect();
                assert_eq!(
                    read.quant[slot].map(Vec::from),
                    Some(zigzag),
                    "{tables:?} {slot}"
                );
            }
            assert!(
                mean_difference(&decode_rgb(&jpeg).2, &rgb) < 25.0,
                "{tables:?}"
            );
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

    /// The file holds the JFIF header, the tables, the frame and the scan, and nothing else.
    #[test]
    fn nothing_but_what_a_decoder_needs() {
        let (_, ycc) = picture(64);
        let jpeg = encode(&ycc, &Settings::rounded(85));
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
