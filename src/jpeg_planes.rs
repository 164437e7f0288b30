//! JPEG's own YCbCr planes, decoded in pure Rust at any eighth of full scale.
//!
//! Most uploads are camera and phone photos: baseline JPEGs, colour, one interleaved scan,
//! often with restart markers; progressive files (see [`progressive`]) are the rest of the
//! colour JPEGs of the web. For them this module decodes the entropy-coded data once,
//! keeps of each 8x8 block only the `n` x `n` lowest frequencies and turns them into `n` x `n`
//! pixels with an `n`-point inverse DCT (`n` = 1..=8, the scale in eighths, as libjpeg's scaled
//! IDCTs do), and hands on the luma and chroma planes as they are stored, without upsampling
//! the chroma or converting colour (see [`Ycc`]). jpeg-decoder, which
//! decodes every other JPEG in the default build, scales only to 1/8, 1/4 or 1/2 and always to
//! RGB; libjpeg-turbo's decode to planes is slower than this, so both builds use it.
//!
//! Most of the time goes to Huffman decoding, so that is laid out for it: the data is first
//! copied without its stuffed zeros and split at the restart markers, which lets the bit reader
//! take eight bytes at a time without looking at them; an AC code and the magnitude bits after
//! it usually come from one table look-up; coefficients outside the kept corner are read and
//! dropped without a test.
//!
//! It is deliberately narrow and strict. Anything outside that layout (arithmetic or lossless
//! coding, other than three components, a colour transform that is not YCbCr, chroma that is
//! itself subsampled against another chroma plane, a sequential file of several scans) and
//! anything a careful decoder would even warn about (a code no table holds, coefficients past
//! the block, data running out or left over before a marker, a restart marker out of
//! sequence, a progression out of order) gives `None`; the caller then decodes the file with jpeg-decoder, which gives the answer,
//! or the error, it always gave. Every read is bounds-checked and every size is checked
//! against the size the caller expects (already within the limits) before any plane is
//! allocated.

use std::f32::consts::{FRAC_1_SQRT_2, PI};
use std::sync::LazyLock;

use crate::raster::Ycc;

mod progressive;

const SOF0: u8 = 0xC0;
const SOF1: u8 = 0xC1;
const SOF2: u8 = 0xC2;
const DHT: u8 = 0xC4;
const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const DQT: u8 = 0xDB;
const DRI: u8 = 0xDD;
const APP14: u8 = 0xEE;

/// Bits looked up at once when decoding a Huffman code; longer codes take the slow path.
const LOOKAHEAD: u32 = 10;

/// The run of an end-of-block entry in [`Huffman::coefficients`]: past the end of any block.
const END_OF_BLOCK: i32 = 64;

/// The natural (row-major) position of each coefficient in zigzag order.
pub(crate) const NATURAL: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// Decodes the colour JPEG `bytes` at `eighths`/8 of full scale in the DCT domain into its own
/// YCbCr planes; the luma plane must come out `expected` (width, height), the scaled size
/// already checked against the limits. `None` for any file outside the layout this module
/// handles and for anything wrong in it (see the module's documentation).
pub(crate) fn decode_scaled_ycc(bytes: &[u8], eighths: u32, expected: (u32, u32)) -> Option<Ycc> {
    if !(1..=8).contains(&eighths) {
        return None;
    }
    let (frame, mut tables, first_scan, data_at) = read_headers(bytes)?;
    let n = eighths as usize;
    let scaled = |side: u32| (side * eighths).div_ceil(8);
    if (scaled(frame.width), scaled(frame.height)) != expected {
        return None;
    }
    let (h, v) = (
        usize::from(frame.components[0].h),
        usize::from(frame.components[0].v),
    );
    let mcus_x = (frame.width as usize).div_ceil(8 * h);
    let mcus_y = (frame.height as usize).div_ceil(8 * v);
    // The planes as decoded, whole MCUs: luma `h` x `v` blocks of `n` x `n` per MCU, each
    // chroma plane one block; the chroma planes interleaved. Bounded: `expected`, within the
    // limits, is these sizes less under one MCU of padding.
    let luma_stride = mcus_x * h * n;
    let chroma_stride = mcus_x * n;
    let mut planes = Planes {
        y: vec![0u8; luma_stride * mcus_y * v * n],
        cbcr: vec![0u8; 2 * chroma_stride * mcus_y * n],
        luma_stride,
        chroma_stride,
    };
    let mcus = (mcus_x, mcus_y);
    if frame.progressive {
        let quant = component_quant(&frame, &tables)?;
        let mut scans = progressive::Scans {
            bytes,
            at: data_at,
            header: first_scan,
            tables: &mut tables,
        };
        match n {
            1 => progressive::decode::<1>(&mut scans, &frame, &quant, mcus, &mut planes),
            2 => progressive::decode::<2>(&mut scans, &frame, &quant, mcus, &mut planes),
            3 => progressive::decode::<3>(&mut scans, &frame, &quant, mcus, &mut planes),
            4 => progressive::decode::<4>(&mut scans, &frame, &quant, mcus, &mut planes),
            5 => progressive::decode::<5>(&mut scans, &frame, &quant, mcus, &mut planes),
            6 => progressive::decode::<6>(&mut scans, &frame, &quant, mcus, &mut planes),
            7 => progressive::decode::<7>(&mut scans, &frame, &quant, mcus, &mut planes),
            _ => progressive::decode::<8>(&mut scans, &frame, &quant, mcus, &mut planes),
        }?;
    } else {
        let scan = read_scan(first_scan, &frame, &tables, data_at)?;
        match n {
            1 => decode_scan::<1>(bytes, &frame, &scan, mcus, &mut planes),
            2 => decode_scan::<2>(bytes, &frame, &scan, mcus, &mut planes),
            3 => decode_scan::<3>(bytes, &frame, &scan, mcus, &mut planes),
            4 => decode_scan::<4>(bytes, &frame, &scan, mcus, &mut planes),
            5 => decode_scan::<5>(bytes, &frame, &scan, mcus, &mut planes),
            6 => decode_scan::<6>(bytes, &frame, &scan, mcus, &mut planes),
            7 => decode_scan::<7>(bytes, &frame, &scan, mcus, &mut planes),
            _ => decode_scan::<8>(bytes, &frame, &scan, mcus, &mut planes),
        }?;
    }

    // Keep the visible part: the expected luma size, and the chroma samples it spans.
    let (width, height) = (expected.0 as usize, expected.1 as usize);
    let subsampling = (
        u32::from(frame.components[0].h),
        u32::from(frame.components[0].v),
    );
    let chroma_width = width.div_ceil(h);
    let chroma_height = height.div_ceil(v);
    let mut y = planes.y;
    compact_rows(&mut y, luma_stride, width, height);
    let mut cbcr = planes.cbcr;
    compact_rows(
        &mut cbcr,
        2 * chroma_stride,
        2 * chroma_width,
        chroma_height,
    );
    let ycc = Ycc {
        width: expected.0,
        height: expected.1,
        subsampling,
        y,
        cbcr,
    };
    ycc.is_consistent().then_some(ycc)
}

/// Moves the first `width` bytes of each of the first `height` rows of `stride` bytes to be
/// packed, and drops the rest.
fn compact_rows(data: &mut Vec<u8>, stride: usize, width: usize, height: usize) {
    if stride != width {
        for row in 1..height {
            data.copy_within(row * stride..row * stride + width, row * width);
        }
    }
    data.truncate(width * height);
}

/// The decoded planes, padded to whole MCUs.
struct Planes {
    y: Vec<u8>,
    /// Cb and Cr interleaved.
    cbcr: Vec<u8>,
    luma_stride: usize,
    /// In chroma samples (the row holds twice as many bytes).
    chroma_stride: usize,
}

#[derive(Clone)]
struct Component {
    id: u8,
    h: u8,
    v: u8,
    quant: usize,
}

#[derive(Clone)]
struct Frame {
    width: u32,
    height: u32,
    components: [Component; 3],
    /// Coded in several scans of spectral bands and bit planes (SOF2), not in one.
    progressive: bool,
}

/// What the scan needs: tables resolved for each component, and where its data starts.
struct Scan {
    quant: [[f32; 64]; 3],
    dc: [Huffman; 3],
    ac: [Huffman; 3],
    restart_interval: usize,
    data_at: usize,
}

/// The tables in force at a point of the file.
#[derive(Default)]
struct Tables {
    quant: [Option<[u16; 64]>; 4],
    dc: [Option<Huffman>; 4],
    ac: [Option<Huffman>; 4],
    restart_interval: usize,
}

/// What comes next in a file, after any tables.
enum Next<'a> {
    /// A scan: its header segment; the entropy-coded data starts where the reading stopped.
    Scan(&'a [u8]),
    /// The end of the image.
    End,
}

/// Reads the markers from `bytes[*at]` up to the next scan or the end of the image, taking in
/// the tables and (once) the frame on the way; leaves `at` after the scan header.
fn next_scan<'a>(
    bytes: &'a [u8],
    at: &mut usize,
    tables: &mut Tables,
    frame: &mut Option<Frame>,
) -> Option<Next<'a>> {
    loop {
        // A marker: 0xFF, any fill bytes, the code; then a segment with its length.
        if *bytes.get(*at)? != 0xFF {
            return None;
        }
        while *bytes.get(*at)? == 0xFF {
            *at += 1;
        }
        let marker = bytes[*at];
        if marker == EOI {
            *at += 1;
            return Some(Next::End);
        }
        let length = usize::from(u16::from_be_bytes([
            *bytes.get(*at + 1)?,
            *bytes.get(*at + 2)?,
        ]));
        let segment = bytes.get(*at + 3..(*at + 1 + length).max(*at + 3))?;
        if length < 2 {
            return None;
        }
        *at += 1 + length;
        match marker {
            SOF0 | SOF1 | SOF2 if frame.is_none() => {
                *frame = Some(read_frame(segment, marker == SOF2)?);
            }
            DHT => read_huffman_tables(segment, &mut tables.dc, &mut tables.ac)?,
            DQT => read_quant_tables(segment, &mut tables.quant)?,
            DRI => {
                tables.restart_interval =
                    usize::from(u16::from_be_bytes([*segment.first()?, *segment.get(1)?]));
            }
            // Adobe's transform flag: 1 is YCbCr; 0 (RGB) and 2 (YCCK) are not for here.
            APP14 if segment.starts_with(b"Adobe") => {
                if *segment.get(11)? != 1 {
                    return None;
                }
            }
            SOS => return Some(Next::Scan(segment)),
            0xE0..=0xEF | 0xFE => {}
            // Any other frame type, a second frame, arithmetic conditioning, DNL, ...
            _ => return None,
        }
    }
}

/// The frame and the tables up to the first scan, that scan's header, and where its data
/// starts.
fn read_headers(bytes: &[u8]) -> Option<(Frame, Tables, &[u8], usize)> {
    if bytes.get(..2)? != [0xFF, SOI] {
        return None;
    }
    let mut at = 2;
    let mut tables = Tables::default();
    let mut frame = None;
    let Next::Scan(scan) = next_scan(bytes, &mut at, &mut tables, &mut frame)? else {
        return None;
    };
    Some((frame?, tables, scan, at))
}

/// The frame's quantisation tables for each component, in natural order, as the inverse DCT
/// takes them.
fn component_quant(frame: &Frame, tables: &Tables) -> Option<[[f32; 64]; 3]> {
    let mut quant = [[0f32; 64]; 3];
    for (out, component) in quant.iter_mut().zip(&frame.components) {
        let table = tables.quant[component.quant].as_ref()?;
        for (k, &q) in table.iter().enumerate() {
            out[usize::from(NATURAL[k])] = f32::from(q);
        }
    }
    Some(quant)
}

fn read_frame(segment: &[u8], progressive: bool) -> Option<Frame> {
    let [precision, h0, h1, w0, w1, count, rest @ ..] = segment else {
        return None;
    };
    let (height, width) = (
        u16::from_be_bytes([*h0, *h1]),
        u16::from_be_bytes([*w0, *w1]),
    );
    if *precision != 8 || *count != 3 || rest.len() != 9 || width == 0 || height == 0 {
        return None;
    }
    let component = |at: usize| Component {
        id: rest[at],
        h: rest[at + 1] >> 4,
        v: rest[at + 1] & 0x0F,
        quant: usize::from(rest[at + 2]),
    };
    let components = [component(0), component(3), component(6)];
    let [luma, cb, cr] = &components;
    // Luma at up to twice the chroma's resolution each way, both chroma planes at one block
    // per MCU; and not named R, G, B, which marks RGB stored as it is.
    let layout_ok = (1..=2).contains(&luma.h)
        && (1..=2).contains(&luma.v)
        && [cb, cr].iter().all(|c| (c.h, c.v) == (1, 1))
        && components.iter().all(|c| c.quant < 4)
        && [luma.id, cb.id, cr.id] != *b"RGB";
    layout_ok.then_some(Frame {
        width: u32::from(width),
        height: u32::from(height),
        components,
        progressive,
    })
}

fn read_quant_tables(mut segment: &[u8], tables: &mut [Option<[u16; 64]>; 4]) -> Option<()> {
    while let [info, rest @ ..] = segment {
        let (precision, id) = (info >> 4, usize::from(info & 0x0F));
        let mut table = [0u16; 64];
        let used = match precision {
            0 => {
                for (value, &byte) in table.iter_mut().zip(rest.get(..64)?) {
                    *value = u16::from(byte);
                }
                64
            }
            1 => {
                for (value, pair) in table.iter_mut().zip(rest.get(..128)?.chunks_exact(2)) {
                    *value = u16::from_be_bytes([pair[0], pair[1]]);
                }
                128
            }
            _ => return None,
        };
        *tables.get_mut(id)? = Some(table);
        segment = &rest[used..];
    }
    Some(())
}

fn read_huffman_tables(
    mut segment: &[u8],
    dc: &mut [Option<Huffman>; 4],
    ac: &mut [Option<Huffman>; 4],
) -> Option<()> {
    while let [info, rest @ ..] = segment {
        let (class, id) = (info >> 4, usize::from(info & 0x0F));
        let counts: [u8; 16] = rest.get(..16)?.try_into().ok()?;
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let values = rest.get(16..16 + total)?;
        let table = Huffman::new(&counts, values)?;
        match class {
            0 => *dc.get_mut(id)? = Some(table),
            1 => *ac.get_mut(id)? = Some(table),
            _ => return None,
        }
        segment = &rest[16 + total..];
    }
    Some(())
}

/// The header of a baseline file's one scan, with its tables resolved.
fn read_scan(segment: &[u8], frame: &Frame, tables: &Tables, data_at: usize) -> Option<Scan> {
    let [count, rest @ ..] = segment else {
        return None;
    };
    // One interleaved scan of the three components, in frame order, every coefficient at
    // full precision: the whole image in one pass.
    if *count != 3 || rest.len() != 9 || rest[6..] != [0, 63, 0] {
        return None;
    }
    let mut dc_tables = Vec::new();
    let mut ac_tables = Vec::new();
    for (index, component) in frame.components.iter().enumerate() {
        let (id, selectors) = (rest[2 * index], rest[2 * index + 1]);
        if id != component.id {
            return None;
        }
        dc_tables.push(tables.dc.get(usize::from(selectors >> 4))?.clone()?);
        ac_tables.push(tables.ac.get(usize::from(selectors & 0x0F))?.clone()?);
    }
    Some(Scan {
        quant: component_quant(frame, tables)?,
        dc: dc_tables.try_into().ok()?,
        ac: ac_tables.try_into().ok()?,
        restart_interval: tables.restart_interval,
        data_at,
    })
}

/// A Huffman table, with a lookup of the codes up to [`LOOKAHEAD`] bits long.
#[derive(Clone)]
struct Huffman {
    /// For each `LOOKAHEAD`-bit prefix: the code's length << 8 | its symbol, or 0 when the
    /// code is longer.
    lookup: Box<[u16; 1 << LOOKAHEAD]>,
    /// For an AC table, each `LOOKAHEAD`-bit prefix that holds a whole code and the magnitude
    /// bits after it: the coefficient << 16 | the zeros before it << 8 | the bits used, with
    /// the end of the block as a run of [`END_OF_BLOCK`]; 0 otherwise. Most coefficients of a
    /// photo take one look here.
    coefficients: Box<[i32; 1 << LOOKAHEAD]>,
    /// For each length, the largest code of that length (-1 for none) and the offset from a
    /// code to its symbol's index in `values`.
    max_code: [i32; 17],
    offset: [i32; 17],
    values: [u8; 256],
}

impl Huffman {
    /// The table of `counts` codes of each length 1..=16 for `values`; `None` when the counts
    /// overflow the code space.
    fn new(counts: &[u8; 16], values: &[u8]) -> Option<Huffman> {
        let mut table = Huffman {
            lookup: Box::new([0; 1 << LOOKAHEAD]),
            coefficients: Box::new([0; 1 << LOOKAHEAD]),
            max_code: [-1; 17],
            offset: [0; 17],
            values: [0; 256],
        };
        if values.len() > 256 {
            return None;
        }
        table.values[..values.len()].copy_from_slice(values);
        let mut code = 0u32;
        let mut index = 0usize;
        for length in 1..=16u32 {
            let count = u32::from(counts[length as usize - 1]);
            if count > 0 {
                table.offset[length as usize] = index as i32 - code as i32;
                for _ in 0..count {
                    if code >= 1 << length {
                        return None;
                    }
                    if length <= LOOKAHEAD {
                        let shift = LOOKAHEAD - length;
                        let entry = (length << 8) as u16 | u16::from(values[index]);
                        let first = (code << shift) as usize;
                        table.lookup[first..first + (1 << shift)].fill(entry);
                    }
                    code += 1;
                    index += 1;
                }
                table.max_code[length as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        for (prefix, &entry) in table.lookup.iter().enumerate() {
            let (length, symbol) = (u32::from(entry >> 8), entry as u8);
            let (run, size) = (i32::from(symbol >> 4), u32::from(symbol & 0x0F));
            if length == 0 || length + size > LOOKAHEAD {
                continue;
            }
            table.coefficients[prefix] = match (run, size) {
                // End of block: a run past any block.
                (0, 0) => END_OF_BLOCK << 8 | length as i32,
                // Sixteen zeros: fifteen, then a zero coefficient.
                (15, 0) => 15 << 8 | length as i32,
                (_, 0) => continue,
                _ => {
                    let bits = (prefix as u32 >> (LOOKAHEAD - length - size)) & ((1 << size) - 1);
                    extend(bits, size) << 16 | run << 8 | (length + size) as i32
                }
            };
        }
        Some(table)
    }
}

/// A scan's entropy-coded data with the stuffed zero after each 0xFF taken out, split at its
/// restart markers, followed by zero bytes so that reads need no check for the end.
struct Entropy {
    data: Vec<u8>,
    /// Where each restart interval's data ends in `data`, in order.
    ends: Vec<usize>,
    /// The code of the marker that ends the scan.
    next_marker: u8,
    /// Where that marker starts (its first 0xFF) in the file.
    marker_at: usize,
}

/// Zero bytes after the data: a read of eight bytes from anywhere in it stays in the buffer.
const ENTROPY_PADDING: usize = 8;

impl Entropy {
    /// The data of the scan starting at `bytes[at]`: `None` for a restart marker out of
    /// sequence, fill bytes anywhere but before a marker, or no marker at the end.
    fn read(bytes: &[u8], mut at: usize) -> Option<Entropy> {
        let mut data = Vec::new();
        let mut ends = Vec::new();
        loop {
            let rest = bytes.get(at..)?;
            let ff = memchr::memchr(0xFF, rest)?;
            data.extend_from_slice(&rest[..ff]);
            let marker_at = at + ff;
            at += ff + 1;
            match *bytes.get(at)? {
                0x00 => {
                    data.push(0xFF);
                    at += 1;
                    continue;
                }
                0xFF => {
                    // Fill bytes: only before a marker.
                    while *bytes.get(at)? == 0xFF {
                        at += 1;
                    }
                    if bytes[at] == 0x00 {
                        return None;
                    }
                }
                _ => {}
            }
            let marker = bytes[at];
            at += 1;
            ends.push(data.len());
            if (0xD0..=0xD7).contains(&marker) {
                if usize::from(marker - 0xD0) != (ends.len() - 1) % 8 {
                    return None;
                }
                continue;
            }
            data.resize(data.len() + ENTROPY_PADDING, 0);
            return Some(Entropy {
                data,
                ends,
                next_marker: marker,
                marker_at,
            });
        }
    }
}

/// A scan's data read unit by unit (an MCU, or one block of a scan of one component), in the
/// intervals its restart markers cut it into.
struct Intervals<'a> {
    entropy: &'a Entropy,
    /// Units per interval.
    interval: usize,
    /// Where the data proper ends (the padding after it is not data).
    data_end: usize,
    bits: Bits<'a>,
}

impl<'a> Intervals<'a> {
    /// The reader of a scan of `total` units with a restart marker every `restart_interval`
    /// (0: none); `None` unless the markers cut the data into exactly that many intervals.
    fn new(entropy: &'a Entropy, total: usize, restart_interval: usize) -> Option<Self> {
        let interval = if restart_interval == 0 {
            total
        } else {
            restart_interval
        };
        if total == 0 || entropy.ends.len() != total.div_ceil(interval) {
            return None;
        }
        Some(Intervals {
            entropy,
            interval,
            data_end: entropy.data.len() - ENTROPY_PADDING,
            bits: Bits::new(&entropy.data, 0),
        })
    }

    /// Before unit `unit`: whether coding restarts there (predictions start afresh), the
    /// interval before read exactly and the reader moved to the next; `None` when it was not
    /// read exactly, or when the data has run out already (corrupt now, not after decoding
    /// zeros for the rest of a frame the header may have declared far larger than the file).
    fn start(&mut self, unit: usize) -> Option<bool> {
        let restart = unit > 0 && unit % self.interval == 0;
        if restart {
            let end = self.entropy.ends[unit / self.interval - 1];
            if !self.bits.ends_at(end) {
                return None;
            }
            self.bits = Bits::new(&self.entropy.data, end);
        }
        (self.bits.position() <= 8 * self.data_end).then_some(restart)
    }

    /// After the last unit: whether the last interval's data was read exactly.
    fn finished(&self) -> bool {
        self.entropy
            .ends
            .last()
            .is_some_and(|&end| self.bits.ends_at(end))
    }
}

/// Reads entropy-coded data (without stuffing) bit by bit, most significant first.
struct Bits<'a> {
    data: &'a [u8],
    /// The next byte not wholly in `buffer`.
    at: usize,
    /// The next bits, from the most significant end; `count` of them are counted, and the
    /// bits below are either zero or the bits that follow.
    buffer: u64,
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], at: usize) -> Self {
        Bits {
            data,
            at,
            buffer: 0,
            count: 0,
        }
    }

    /// Tops the buffer up to at least 56 bits, without a branch on the data: the next eight
    /// bytes are or-ed in below the bits held (those already there are the same bits).
    /// Past the padding it reads zeros, and `position` tells.
    #[inline]
    fn refill(&mut self) {
        let word = match self.data.get(self.at..self.at + 8) {
            Some(next) => u64::from_be_bytes(next.try_into().unwrap_or_default()),
            None => 0,
        };
        self.buffer |= word >> self.count;
        self.at += ((63 - self.count) >> 3) as usize;
        self.count |= 56;
    }

    /// The position of the next bit to read, in bits from the start of the data.
    fn position(&self) -> usize {
        8 * self.at - self.count as usize
    }

    /// Whether the bits read end in the last byte before `end` (the rest of that byte is
    /// padding): no more and no less than the data of an interval ending there was read.
    fn ends_at(&self, end: usize) -> bool {
        let position = self.position();
        position <= 8 * end && 8 * end - position < 8
    }

    /// The next `n` bits (1..=16), not consumed; needs at least `n` held.
    #[inline]
    fn peek(&self, n: u32) -> u32 {
        (self.buffer >> (64 - n)) as u32
    }

    #[inline]
    fn consume(&mut self, n: u32) {
        self.buffer <<= n;
        self.count -= n;
    }

    /// The next Huffman symbol of `table`; `None` for a code the table does not hold. Needs
    /// at least 16 bits held.
    #[inline]
    fn symbol(&mut self, table: &Huffman) -> Option<u8> {
        let entry = table.lookup[self.peek(LOOKAHEAD) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return Some(entry as u8);
        }
        let bits = self.peek(16);
        for length in LOOKAHEAD + 1..=16 {
            let code = (bits >> (16 - length)) as i32;
            if code <= table.max_code[length as usize] {
                self.consume(length);
                let index = code + table.offset[length as usize];
                return table.values.get(usize::try_from(index).ok()?).copied();
            }
        }
        None
    }

    /// The signed value of the next `size` (1..=16) bits, as JPEG codes magnitudes.
    #[inline]
    fn value(&mut self, size: u32) -> i32 {
        let bits = self.peek(size);
        self.consume(size);
        extend(bits, size)
    }
}

/// The signed value JPEG codes as the `size` (1..=16) bits `bits`: the upper half of the
/// range as it is, the lower half for the negative values.
#[inline]
fn extend(bits: u32, size: u32) -> i32 {
    let bits = bits as i32;
    if bits < 1 << (size - 1) {
        bits - (1 << size) + 1
    } else {
        bits
    }
}

/// The `n`-point inverse DCT of the lowest `n` frequencies of an 8-point JPEG DCT, as a
/// matrix: row `x`, column `u` is `C(u)/2 cos((2x + 1) u pi / 2n)`. On a block's `n` x `n`
/// lowest coefficients it gives the block at `n`/8 of its size (the DC level is kept).
static IDCT: LazyLock<[[[f32; 8]; 8]; 9]> = LazyLock::new(|| {
    let mut matrices = [[[0f32; 8]; 8]; 9];
    for (n, matrix) in matrices.iter_mut().enumerate().skip(1) {
        for (x, row) in matrix.iter_mut().enumerate().take(n) {
            for (u, cell) in row.iter_mut().enumerate().take(n) {
                let c = if u == 0 { FRAC_1_SQRT_2 } else { 1.0 };
                let angle = (2 * x + 1) as f32 * u as f32 * PI / (2 * n) as f32;
                *cell = c / 2.0 * angle.cos();
            }
        }
    }
    matrices
});

/// Decodes the scan's MCUs into `planes`, each block as `N` x `N` pixels.
fn decode_scan<const N: usize>(
    bytes: &[u8],
    frame: &Frame,
    scan: &Scan,
    (mcus_x, mcus_y): (usize, usize),
    planes: &mut Planes,
) -> Option<()> {
    let (h, v) = (
        usize::from(frame.components[0].h),
        usize::from(frame.components[0].v),
    );
    let idct = &IDCT[N];
    let slots = &SLOTS[N];
    let total = mcus_x * mcus_y;
    let entropy = Entropy::read(bytes, scan.data_at)?;
    let mut intervals = Intervals::new(&entropy, total, scan.restart_interval)?;
    let mut predictions = [0i32; 3];
    let mut block = [0i32; 256];
    for mcu in 0..total {
        if intervals.start(mcu)? {
            predictions = [0; 3];
        }
        let bits = &mut intervals.bits;
        let (mcu_x, mcu_y) = (mcu % mcus_x, mcu / mcus_x);
        for (component, prediction) in predictions.iter_mut().enumerate() {
            let (blocks_x, blocks_y) = if component == 0 { (h, v) } else { (1, 1) };
            for block_y in 0..blocks_y {
                for block_x in 0..blocks_x {
                    read_block::<N>(bits, scan, component, prediction, slots, &mut block)?;
                    let (plane, stride, step, x, y) = if component == 0 {
                        let x = (mcu_x * h + block_x) * N;
                        let y = (mcu_y * v + block_y) * N;
                        (&mut planes.y[..], planes.luma_stride, 1, x, y)
                    } else {
                        let x = 2 * mcu_x * N + component - 1;
                        (
                            &mut planes.cbcr[..],
                            2 * planes.chroma_stride,
                            2,
                            x,
                            mcu_y * N,
                        )
                    };
                    let quant = &scan.quant[component];
                    inverse_dct::<N>(&block, quant, idct, plane, y * stride + x, stride, step)?;
                }
            }
        }
    }
    // The last interval's data read exactly, and the scan ending the image.
    (intervals.finished() && entropy.next_marker == EOI).then_some(())
}

/// Reads a DC difference with `table` and adds it to `prediction`, the block's DC level.
/// `None` for a size no 8-bit image has, or differences that add up past any DC level.
#[inline]
fn dc_difference(bits: &mut Bits<'_>, table: &Huffman, prediction: &mut i32) -> Option<()> {
    bits.refill();
    let size = u32::from(bits.symbol(table)?);
    if size > 11 {
        return None;
    }
    if size > 0 {
        *prediction += bits.value(size);
    }
    (prediction.unsigned_abs() <= 1 << 15).then_some(())
}

/// Where each coefficient, in zigzag order, is kept when decoding at `n`/8 of full scale: its
/// natural position if it lies in the `n` x `n` corner, else 64 (a slot never read; blocks
/// have 256 slots, so that any `u8` indexes them without a check).
static SLOTS: LazyLock<[[u8; 64]; 9]> = LazyLock::new(|| {
    let mut slots = [[64u8; 64]; 9];
    for (n, slots) in slots.iter_mut().enumerate() {
        for (slot, &at) in slots.iter_mut().zip(&NATURAL) {
            if usize::from(at % 8) < n && usize::from(at / 8) < n {
                *slot = at;
            }
        }
    }
    slots
});

/// Decodes one block's coefficients into `block` (natural order, quantised; only the `N` x
/// `N` corner is meaningful, and it is cleared first).
#[inline]
fn read_block<const N: usize>(
    bits: &mut Bits<'_>,
    scan: &Scan,
    component: usize,
    prediction: &mut i32,
    slots: &[u8; 64],
    block: &mut [i32; 256],
) -> Option<()> {
    for row in block.chunks_exact_mut(8).take(N) {
        row[..N].fill(0);
    }
    dc_difference(bits, &scan.dc[component], prediction)?;
    block[0] = *prediction;
    let table = &scan.ac[component];
    let mut k = 1usize;
    // Two coefficients per refill: 56 bits hold two codes with their magnitude bits.
    loop {
        bits.refill();
        for _ in 0..2 {
            match ac_coefficient(bits, table, slots, block, &mut k) {
                Coefficient::More => {}
                Coefficient::EndOfBlock => return Some(()),
                Coefficient::Corrupt => return None,
            }
        }
    }
}

/// What reading one AC code gave.
enum Coefficient {
    More,
    EndOfBlock,
    Corrupt,
}

/// Reads one AC code (and its magnitude bits) at zigzag position `k`, stores the coefficient
/// in its slot and moves `k` past it. Needs at least 26 bits held.
#[inline(always)]
fn ac_coefficient(
    bits: &mut Bits<'_>,
    table: &Huffman,
    slots: &[u8; 64],
    block: &mut [i32; 256],
    k: &mut usize,
) -> Coefficient {
    let fast = table.coefficients[bits.peek(LOOKAHEAD) as usize];
    if fast != 0 {
        bits.consume((fast & 0xFF) as u32);
        let run = (fast >> 8) & 0xFF;
        *k += run as usize;
        if *k > 63 {
            return if run == END_OF_BLOCK {
                Coefficient::EndOfBlock
            } else {
                Coefficient::Corrupt
            };
        }
        block[usize::from(slots[*k])] = fast >> 16;
        *k += 1;
        return if *k == 64 {
            Coefficient::EndOfBlock
        } else {
            Coefficient::More
        };
    }
    let Some(symbol) = bits.symbol(table) else {
        return Coefficient::Corrupt;
    };
    let (run, size) = (usize::from(symbol >> 4), u32::from(symbol & 0x0F));
    if size == 0 {
        return match run {
            0 => Coefficient::EndOfBlock,
            // Sixteen zeros, at most up to the end of the block.
            15 if *k + 16 <= 64 => {
                *k += 16;
                if *k == 64 {
                    Coefficient::EndOfBlock
                } else {
                    Coefficient::More
                }
            }
            _ => Coefficient::Corrupt,
        };
    }
    *k += run;
    if *k > 63 || size > 10 {
        return Coefficient::Corrupt;
    }
    block[usize::from(slots[*k])] = bits.value(size);
    *k += 1;
    if *k == 64 {
        Coefficient::EndOfBlock
    } else {
        Coefficient::More
    }
}

/// Writes the `N` x `N` pixels of the block's `N` x `N` lowest frequencies, dequantised with
/// `quant`, into `plane`, the first at `origin`, rows `stride` apart and pixels `step` apart.
#[inline]
fn inverse_dct<const N: usize>(
    block: &[i32; 256],
    quant: &[f32; 64],
    idct: &[[f32; 8]; 8],
    plane: &mut [u8],
    origin: usize,
    stride: usize,
    step: usize,
) -> Option<()> {
    // A block with no variation at this scale (most chroma blocks, many of luma) is one level.
    let flat = block
        .chunks_exact(8)
        .take(N)
        .enumerate()
        .all(|(v, row)| row[usize::from(v == 0)..N].iter().all(|&c| c == 0));
    if flat {
        let level = block[0] as f32 * quant[0] * idct[0][0] * idct[0][0];
        let level = ((level + 128.5) as i32).clamp(0, 255) as u8;
        for y in 0..N {
            let start = origin + y * stride;
            let out = plane.get_mut(start..start + (N - 1) * step + 1)?;
            out.iter_mut().step_by(step).for_each(|p| *p = level);
        }
        return Some(());
    }
    if N == 8 {
        return inverse_dct_8(block, quant, plane, origin, stride, step);
    }
    // Rows first: each row of frequencies to N pixels; then each column.
    let mut rows = [[0f32; N]; N];
    for (v, row) in rows.iter_mut().enumerate() {
        for (x, out) in row.iter_mut().enumerate() {
            let mut sum = 0f32;
            for u in 0..N {
                sum += block[8 * v + u] as f32 * quant[8 * v + u] * idct[x][u];
            }
            *out = sum;
        }
    }
    for (y, weights) in idct.iter().enumerate().take(N) {
        let start = origin + y * stride;
        let out = plane.get_mut(start..start + (N - 1) * step + 1)?;
        for x in 0..N {
            let mut sum = 0f32;
            for (row, weight) in rows.iter().zip(weights) {
                sum += weight * row[x];
            }
            // Rounded half up; `as` saturates, and anything below zero clamps to 0 anyway.
            out[x * step] = ((sum + 128.5) as i32).clamp(0, 255) as u8;
        }
    }
    Some(())
}

/// The scale of each coefficient going into [`idct_lanes`] (natural order): the AAN
/// factors of its two frequencies, and the 1/8 of the two passes.
static AAN_IDCT_SCALE: LazyLock<[f32; 64]> = LazyLock::new(|| {
    let aan = |k: usize| {
        if k == 0 {
            1.0
        } else {
            (k as f64 * std::f64::consts::PI / 16.0).cos() * std::f64::consts::SQRT_2
        }
    };
    std::array::from_fn(|at| (aan(at / 8) * aan(at % 8) / 8.0) as f32)
});

/// The whole 8x8 inverse DCT, as libjpeg's `jidctflt` (AAN: 5 multiplications and 29
/// additions a row) eight lanes at a time: a full-scale decode would take four times longer
/// with the matrix products the smaller scales use.
fn inverse_dct_8(
    block: &[i32; 256],
    quant: &[f32; 64],
    plane: &mut [u8],
    origin: usize,
    stride: usize,
    step: usize,
) -> Option<()> {
    let scale = &*AAN_IDCT_SCALE;
    let mut rows = [[0f32; 8]; 8];
    for (at, value) in rows.as_flattened_mut().iter_mut().enumerate() {
        *value = block[at] as f32 * quant[at] * scale[at];
    }
    // Down the columns (lanes: horizontal frequencies), then, transposed, along the rows.
    let columns = idct_lanes(&rows);
    let transposed: [[f32; 8]; 8] = std::array::from_fn(|u| std::array::from_fn(|y| columns[y][u]));
    let pixels = idct_lanes(&transposed);
    // `pixels[x][y]`: transposed back while writing.
    for y in 0..8 {
        let start = origin + y * stride;
        let out = plane.get_mut(start..start + 7 * step + 1)?;
        for (x, column) in pixels.iter().enumerate() {
            out[x * step] = ((column[y] + 128.5) as i32).clamp(0, 255) as u8;
        }
    }
    Some(())
}

/// The eight-point AAN inverse DCT across the eight rows of `d` (frequencies), in each of
/// the eight lanes.
#[inline(always)]
fn idct_lanes(d: &[[f32; 8]; 8]) -> [[f32; 8]; 8] {
    let mut out = [[0f32; 8]; 8];
    for i in 0..8 {
        // Even part.
        let tmp10 = d[0][i] + d[4][i];
        let tmp11 = d[0][i] - d[4][i];
        let tmp13 = d[2][i] + d[6][i];
        let tmp12 = (d[2][i] - d[6][i]) * std::f32::consts::SQRT_2 - tmp13;
        let tmp0 = tmp10 + tmp13;
        let tmp3 = tmp10 - tmp13;
        let tmp1 = tmp11 + tmp12;
        let tmp2 = tmp11 - tmp12;
        // Odd part.
        let z13 = d[5][i] + d[3][i];
        let z10 = d[5][i] - d[3][i];
        let z11 = d[1][i] + d[7][i];
        let z12 = d[1][i] - d[7][i];
        let tmp7 = z11 + z13;
        let tmp11 = (z11 - z13) * std::f32::consts::SQRT_2;
        let z5 = (z10 + z12) * 1.847_759;
        let tmp10 = 1.082_392_2 * z12 - z5;
        let tmp12 = -2.613_126 * z10 + z5;
        let tmp6 = tmp12 - tmp7;
        let tmp5 = tmp11 - tmp6;
        let tmp4 = tmp10 + tmp5;
        out[0][i] = tmp0 + tmp7;
        out[7][i] = tmp0 - tmp7;
        out[1][i] = tmp1 + tmp6;
        out[6][i] = tmp1 - tmp6;
        out[2][i] = tmp2 + tmp5;
        out[5][i] = tmp2 - tmp5;
        out[4][i] = tmp3 + tmp4;
        out[3][i] = tmp3 - tmp4;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg_crop::tests::{gradient, photo};
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
    use std::io::Write as _;

    const LAYOUTS: [(SamplingFactor, (u32, u32)); 4] = [
        (SamplingFactor::R_4_4_4, (1, 1)),
        (SamplingFactor::R_4_2_2, (2, 1)),
        (SamplingFactor::R_4_2_0, (2, 2)),
        (SamplingFactor::R_4_4_0, (1, 2)),
    ];

    fn scaled(side: u16, eighths: u32) -> u32 {
        (u32::from(side) * eighths).div_ceil(8)
    }

    /// jpeg-decoder's RGB decode of `jpeg` at `eighths` (1, 2, 4 or 8) of full scale.
    fn reference(jpeg: &[u8], eighths: u32) -> Vec<u8> {
        let mut decoder = jpeg_decoder::Decoder::new(jpeg);
        decoder.read_info().expect("header");
        let info = decoder.info().expect("info");
        let scale = |side: u16| u16::try_from(scaled(side, eighths)).expect("u16");
        decoder
            .scale(scale(info.width), scale(info.height))
            .expect("scale");
        decoder.decode().expect("decode")
    }

    /// The largest and the mean difference between two images' samples.
    fn difference(ours: &[f64], theirs: &[u8]) -> (f64, f64) {
        assert_eq!(ours.len(), theirs.len());
        let differences = ours
            .iter()
            .zip(theirs)
            .map(|(a, &b)| (a - f64::from(b)).abs());
        let (worst, sum) = differences.fold((0f64, 0f64), |(w, s), d| (w.max(d), s + d));
        (worst, sum / ours.len() as f64)
    }

    /// At the scales jpeg-decoder also decodes to, the luma plane is the luma of its pixels,
    /// and the planes brought back to RGB are its pixels up to its smoother chroma upsampling
    /// (closely where there is none): so the entropy decoding, the dequantisation, the inverse
    /// DCT at each scale and the plane layout are right. jpeg-decoder truncates the levels
    /// at 1/8 where this rounds them, which accounts for about half a level.
    #[test]
    fn planes_are_the_pixels_jpeg_decoder_gives() {
        for (sampling, subsampling) in LAYOUTS {
            let jpeg = gradient(101, 75, sampling);
            assert_jpeg_decoder_agrees(&jpeg, subsampling, &format!("{subsampling:?}"), 1);
        }
    }

    /// At 8/8, 4/8, 2/8 and 1/8, `jpeg` decodes to planes of the `subsampling` expected whose
    /// luma is the luma of jpeg-decoder's pixels, and, down to `chroma_from` eighths, whose
    /// chroma samples are the mean chroma of the pixels they cover. jpeg-decoder's chroma
    /// upsampling interpolates between samples, which keeps those means on smooth colour but
    /// not on texture a few samples across (as a picture scaled to 2/8 has).
    fn assert_jpeg_decoder_agrees(
        jpeg: &[u8],
        subsampling: (u32, u32),
        name: &str,
        chroma_from: u32,
    ) {
        let mut decoder = jpeg_decoder::Decoder::new(jpeg);
        decoder.read_info().expect("header");
        let info = decoder.info().expect("info");
        for eighths in [8, 4, 2, 1] {
            let expected = (scaled(info.width, eighths), scaled(info.height, eighths));
            let ycc = decode_scaled_ycc(jpeg, eighths, expected)
                .unwrap_or_else(|| panic!("{name} at {eighths}/8: no planes"));
            assert_eq!((ycc.width, ycc.height), expected);
            assert_eq!(ycc.subsampling, subsampling);
            assert!(ycc.is_consistent());
            let theirs = reference(jpeg, eighths);
            // JFIF's conversion of jpeg-decoder's pixels back to YCbCr.
            let ycbcr: Vec<[f64; 3]> = theirs
                .chunks_exact(3)
                .map(|p| {
                    let [r, g, b] = [p[0], p[1], p[2]].map(f64::from);
                    [
                        0.299 * r + 0.587 * g + 0.114 * b,
                        128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b,
                        128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b,
                    ]
                })
                .collect();
            let at = format!("{name} at {eighths}/8");
            let luma: Vec<f64> = ycbcr.iter().map(|p| p[0]).collect();
            // Colours outside RGB, which jpeg-decoder's pixels clip, move single pixels by a
            // few levels: the mean says how close the planes are.
            let (worst, mean) = difference(&luma, &ycc.y);
            assert!(
                worst <= 8.0 && mean <= 1.0,
                "{at}: luma off by {worst}, {mean}"
            );
            if eighths < chroma_from {
                continue;
            }
            // Each chroma sample against the mean of the chroma over the pixels it covers.
            let (width, height) = (expected.0 as usize, expected.1 as usize);
            let (across, down) = (subsampling.0 as usize, subsampling.1 as usize);
            let mut means = Vec::new();
            for cy in 0..ycc.chroma_height() as usize {
                for cx in 0..ycc.chroma_width() as usize {
                    let mut sum = [0f64; 2];
                    let mut count = 0f64;
                    for y in cy * down..((cy + 1) * down).min(height) {
                        for x in cx * across..((cx + 1) * across).min(width) {
                            let pixel = ycbcr[y * width + x];
                            sum = [sum[0] + pixel[1], sum[1] + pixel[2]];
                            count += 1.0;
                        }
                    }
                    means.extend(sum.map(|s| s / count));
                }
            }
            let (worst, mean) = difference(&means, &ycc.cbcr);
            assert!(
                worst <= 6.0 && mean <= 1.5,
                "{at}: chroma off by {worst}, {mean}"
            );
        }
    }

    /// Progressive files made by libjpeg (its default script: DC and AC bands, each first sent
    /// short of its last bits, then refined; one with restart markers every three blocks),
    /// of a size that leaves partial blocks and MCUs, decode as jpeg-decoder decodes them.
    #[test]
    fn progressive_files_are_the_pixels_jpeg_decoder_gives() {
        let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        for (name, subsampling) in [
            ("progressive_420_restarts.jpg", (2, 2)),
            ("progressive_422.jpg", (2, 1)),
        ] {
            let jpeg = std::fs::read(testdata.join(name)).expect("testdata");
            assert_jpeg_decoder_agrees(&jpeg, subsampling, name, 4);
        }
    }

    /// The same picture coded progressively (bands, no refinement: jpeg-encoder's way) and in
    /// one scan holds the same coefficients: the planes are identical, at every scale.
    #[test]
    fn progressive_and_sequential_give_the_same_planes() {
        let sequential = photo(150, 100, 0, false);
        let progressive = photo(150, 100, 0, true);
        for eighths in 1..=8 {
            let expected = (scaled(150, eighths), scaled(100, eighths));
            let one = decode_scaled_ycc(&sequential, eighths, expected).expect("sequential");
            let other = decode_scaled_ycc(&progressive, eighths, expected).expect("progressive");
            assert!(one == other, "{eighths}/8");
        }
    }

    /// At every eighth, including those jpeg-decoder has no scale for, each pixel is close
    /// to the mean of the full-scale pixels it covers: the n-point transforms keep the level
    /// and scale the picture, not just its size.
    #[test]
    fn every_eighth_is_the_full_decode_averaged() {
        let (width, height) = (96u16, 64u16);
        let jpeg = gradient(width, height, SamplingFactor::R_4_4_4);
        let full = decode_scaled_ycc(&jpeg, 8, (96, 64)).expect("full scale");
        for eighths in 1..=7u32 {
            let expected = (scaled(width, eighths), scaled(height, eighths));
            let ycc = decode_scaled_ycc(&jpeg, eighths, expected).expect("planes");
            assert!(ycc.is_consistent());
            // Each 8x8 block becomes n x n: compare block by block, where the sizes match.
            let n = eighths as usize;
            let mut worst = 0f64;
            for block_y in 0..8 {
                for block_x in 0..12 {
                    let mean = |plane: &[u8], stride: usize, side: usize, step: usize| {
                        let mut sum = 0f64;
                        for y in 0..side {
                            for x in 0..side {
                                let at = (block_y * side + y) * stride + block_x * side + x;
                                sum += f64::from(plane[at * step]);
                            }
                        }
                        sum / (side * side) as f64
                    };
                    let ours = mean(&ycc.y, ycc.width as usize, n, 1);
                    let theirs = mean(&full.y, 96, 8, 1);
                    worst = worst.max((ours - theirs).abs());
                    let ours = mean(&ycc.cbcr, ycc.width as usize, n, 2);
                    let theirs = mean(&full.cbcr, 96, 8, 2);
                    worst = worst.max((ours - theirs).abs());
                }
            }
            assert!(worst <= 1.0, "{eighths}/8: block means off by {worst}");
        }
    }

    /// Restart markers only cut the coding into intervals: the planes are the same with them.
    #[test]
    fn restart_markers_change_nothing() {
        let plain = photo(200, 120, 0, false);
        let restarted = photo(200, 120, 3, false);
        assert_ne!(plain, restarted);
        for eighths in [3, 8] {
            let expected = (scaled(200, eighths), scaled(120, eighths));
            let one = decode_scaled_ycc(&plain, eighths, expected).expect("plain");
            let other = decode_scaled_ycc(&restarted, eighths, expected).expect("restarted");
            assert!(one == other, "{eighths}/8");
        }
    }

    /// `jpeg` with `segment` (marker and all) inserted after its SOI.
    fn with_segment(jpeg: &[u8], segment: &[u8]) -> Vec<u8> {
        [&jpeg[..2], segment, &jpeg[2..]].concat()
    }

    /// Every layout and every flaw this decoder leaves to jpeg-decoder gives `None`.
    #[test]
    fn refuses_what_it_does_not_handle() {
        let jpeg = photo(64, 48, 2, false);
        let size = (24, 18);
        assert!(decode_scaled_ycc(&jpeg, 3, size).is_some());
        // Sizes and scales other than the file's.
        assert!(decode_scaled_ycc(&jpeg, 3, (24, 19)).is_none());
        assert!(decode_scaled_ycc(&jpeg, 0, (0, 0)).is_none());
        assert!(decode_scaled_ycc(&jpeg, 9, (72, 54)).is_none());
        // Grey.
        let mut grey = Vec::new();
        Encoder::new(&mut grey, 90)
            .encode(&[128; 64 * 48], 64, 48, ColorType::Luma)
            .expect("grey");
        assert!(decode_scaled_ycc(&grey, 3, size).is_none());
        // Adobe's flag for RGB stored as it is; YCbCr is fine.
        let adobe = |transform: u8| {
            let mut segment = vec![0xFF, APP14, 0, 14];
            segment.extend_from_slice(b"Adobe\0\x64\0\0\0\0");
            segment.push(transform);
            with_segment(&jpeg, &segment)
        };
        assert!(decode_scaled_ycc(&adobe(0), 3, size).is_none());
        assert!(decode_scaled_ycc(&adobe(1), 3, size).is_some());
        // Arithmetic-coding conditioning, which only arithmetic files carry.
        let dac = with_segment(&jpeg, &[0xFF, 0xCC, 0, 4, 0x01, 0x10]);
        assert!(decode_scaled_ycc(&dac, 3, size).is_none());
        // A restart marker out of sequence.
        let data_at = read_headers(&jpeg).expect("headers").3;
        let rst = data_at
            + jpeg[data_at..]
                .windows(2)
                .position(|w| w[0] == 0xFF && is_rst(w[1]))
                .expect("a restart marker");
        let mut swapped = jpeg.clone();
        swapped[rst + 1] = 0xD5;
        assert!(decode_scaled_ycc(&swapped, 3, size).is_none());
        // Bytes left over before a marker, and before the end of the image.
        let extra = [&jpeg[..rst], &[0x55], &jpeg[rst..]].concat();
        assert!(decode_scaled_ycc(&extra, 3, size).is_none());
        let eoi = jpeg.len() - 2;
        let extra = [&jpeg[..eoi], &[0x12, 0x34], &jpeg[eoi..]].concat();
        assert!(decode_scaled_ycc(&extra, 3, size).is_none());
        // A frame declared far larger than its data.
        let sof = jpeg
            .windows(2)
            .position(|w| w == [0xFF, SOF0])
            .expect("a frame");
        let mut larger = jpeg.clone();
        larger[sof + 5..sof + 9].copy_from_slice(&[0x0B, 0xB8, 0x0F, 0xA0]); // 4000 x 3000
        assert!(decode_scaled_ycc(&larger, 1, (500, 375)).is_none());
        // Cut short anywhere.
        for end in 0..jpeg.len() - 1 {
            assert!(decode_scaled_ycc(&jpeg[..end], 3, size).is_none(), "{end}");
        }
    }

    fn is_rst(marker: u8) -> bool {
        (0xD0..=0xD7).contains(&marker)
    }

    /// Damage anywhere never panics, and what still decodes has the planes its size says:
    /// in a sequential file with restart markers and in a progressive one with refinements.
    #[test]
    fn damage_never_panics() {
        let progressive = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/progressive_420_restarts.jpg");
        let files: [(Vec<u8>, (u32, u32)); 2] = [
            (photo(80, 64, 3, false), (80, 64)),
            (std::fs::read(progressive).expect("testdata"), (131, 97)),
        ];
        for (jpeg, size) in files {
            let smaller = ((size.0 * 3).div_ceil(8), (size.1 * 3).div_ceil(8));
            for at in 2..jpeg.len() {
                for flip in [0x01, 0x80, 0xFF] {
                    let mut damaged = jpeg.clone();
                    damaged[at] ^= flip;
                    if let Some(ycc) = decode_scaled_ycc(&damaged, 8, size) {
                        assert!(ycc.is_consistent());
                    }
                    let _ = decode_scaled_ycc(&damaged, 3, smaller);
                }
            }
        }
    }

    /// A progressive file whose scans come out of order (a band refined before it was first
    /// sent, a band of AC coefficients before the DC pass) is refused.
    #[test]
    fn refuses_a_progression_out_of_order() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/progressive_422.jpg");
        let jpeg = std::fs::read(path).expect("testdata");
        let size = (131, 97);
        assert!(decode_scaled_ycc(&jpeg, 8, size).is_some());
        let scans: Vec<usize> = jpeg
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w == &[0xFF, SOS])
            .map(|(at, _)| at)
            .collect();
        // The second scan is the first AC band of luma: sent as a refinement instead.
        let second = scans[1];
        let bits_at = second + 4 + 1 + 2 * usize::from(jpeg[second + 4]) + 2;
        assert_eq!(jpeg[bits_at], 0x02);
        let mut refined_first = jpeg.clone();
        refined_first[bits_at] = 0x32;
        assert!(decode_scaled_ycc(&refined_first, 8, size).is_none());
        // Without the DC scan (the first, header and data), the AC bands come before any DC.
        let data_at = scans[0]
            + 2
            + usize::from(u16::from_be_bytes([jpeg[scans[0] + 2], jpeg[scans[0] + 3]]));
        let first_end = data_at
            + jpeg[data_at..]
                .windows(2)
                .position(|w| w[0] == 0xFF && w[1] != 0 && !(0xD0..=0xD7).contains(&w[1]))
                .expect("the next marker");
        let without_dc = [&jpeg[..scans[0]], &jpeg[first_end..]].concat();
        assert!(decode_scaled_ycc(&without_dc, 8, size).is_none());
    }

    /// The corpus's colour JPEGs, photos from cameras, phones and editors and progressive
    /// files from libjpeg, all decode to planes (the layouts this decoder is for), and at 1/8
    /// scale their luma is jpeg-decoder's.
    #[test]
    fn corpus_photos_decode_to_planes() {
        let corpus = std::env::var_os("USERPHOTO_CORPUS").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
            std::path::PathBuf::from,
        );
        let (Ok(photos), Ok(formats)) = (
            std::fs::read_dir(corpus.join("photos")),
            std::fs::read_dir(corpus.join("formats")),
        ) else {
            // Straight to stderr, which the test harness does not capture.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {} is not there (set USERPHOTO_CORPUS)",
                corpus.display()
            );
            return;
        };
        let (mut decoded, mut progressive) = (0, 0);
        for entry in photos.chain(formats) {
            let path = entry.expect("entry").path();
            let jpeg = std::fs::read(&path).expect("read");
            let mut decoder = jpeg_decoder::Decoder::new(jpeg.as_slice());
            let Ok(info) = decoder.read_info().map(|()| decoder.info().expect("info")) else {
                continue;
            };
            let coded = match info.coding_process {
                jpeg_decoder::CodingProcess::DctSequential => true,
                jpeg_decoder::CodingProcess::DctProgressive => {
                    progressive += 1;
                    true
                }
                jpeg_decoder::CodingProcess::Lossless => false,
            };
            if !coded || info.pixel_format != jpeg_decoder::PixelFormat::RGB24 {
                continue;
            }
            let expected = (scaled(info.width, 1), scaled(info.height, 1));
            let planes = decode_scaled_ycc(&jpeg, 1, expected);
            // RGB stored as it is (jpegli's XYB files name their components R, G, B) is
            // not YCbCr, and not for this decoder.
            let sof = jpeg
                .windows(2)
                .position(|w| w[0] == 0xFF && (0xC0..=0xC2).contains(&w[1]));
            let ids = sof.map(|at| [jpeg[at + 10], jpeg[at + 13], jpeg[at + 16]]);
            if ids == Some(*b"RGB") {
                assert!(planes.is_none(), "{}", path.display());
                continue;
            }
            let ycc =
                planes.unwrap_or_else(|| panic!("{} did not decode to planes", path.display()));
            // Luma against the luma of jpeg-decoder's pixels (chroma there is upsampled by
            // interpolation, which at 1/8 of a small picture moves colours a long way).
            let luma: Vec<f64> = reference(&jpeg, 1)
                .chunks_exact(3)
                .map(|p| {
                    0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])
                })
                .collect();
            let (_, mean) = difference(&luma, &ycc.y);
            assert!(
                mean <= 1.0,
                "{}: luma off by {mean} on average",
                path.display()
            );
            decoded += 1;
        }
        assert!(decoded >= 5, "only {decoded} colour JPEGs");
        assert!(progressive >= 2, "only {progressive} progressive JPEGs");
    }

    /// The full-scale AAN transform is the n-point matrix product at n = 8, to a level.
    #[test]
    fn full_scale_transform_is_the_matrix_product() {
        let quant: [f32; 64] = std::array::from_fn(|at| (1 + at % 7) as f32);
        let mut state = 0x9E37_79B9_u32;
        for round in 0..200 {
            let mut block = [0i32; 256];
            for value in block.iter_mut().take(64) {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                // Sparse and mostly small, as quantised coefficients are; a large DC.
                *value = if state % 3 == 0 {
                    (state % 41) as i32 - 20
                } else {
                    0
                };
            }
            block[0] = (round % 50) * 4 - 100;
            let (mut fast, mut exact) = ([0u8; 64], [0u8; 64]);
            inverse_dct_8(&block, &quant, &mut fast, 0, 8, 1).expect("fits");
            // The matrix product, as the smaller scales compute it.
            let idct = &IDCT[8];
            for y in 0..8 {
                for x in 0..8 {
                    let mut sum = 0f64;
                    for v in 0..8 {
                        for u in 0..8 {
                            let f = f64::from(block[8 * v + u]) * f64::from(quant[8 * v + u]);
                            sum += f * f64::from(idct[y][v]) * f64::from(idct[x][u]);
                        }
                    }
                    exact[8 * y + x] = (sum + 128.5).clamp(0.0, 255.0) as u8;
                }
            }
            for (a, b) in fast.iter().zip(&exact) {
                assert!(a.abs_diff(*b) <= 1, "round {round}: {a} vs {b}");
            }
        }
    }
}
