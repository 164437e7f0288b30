//! Progressive JPEGs (SOF2): the coefficients come in several scans, DC first, then bands of
//! AC frequencies, each possibly in several bit planes (successive approximation), so every
//! block's coefficients are gathered over all scans before any is transformed.
//!
//! Only what the scale keeps is stored: the `N` x `N` lowest frequencies of each block, and
//! one bit per coefficient saying whether it is non-zero yet, which is all that refining the
//! others needs (their correction bits are read and dropped). At 3/8 that is 26 bytes a
//! block where the whole block takes 128. The decoding follows ITU T.81 G.1.2 as libjpeg does
//! it (`jdphuff.c`), with the same strictness as the baseline path: a progression out of
//! order, a refinement of more than one bit, a band past the block, data that runs out or is
//! left over, are declined as damage.

use super::baseline::{dc_difference, UNKNOWN_CODE};
use super::bits::{extend, Bits};
use super::decoder::{next_scan, Next, Planes};
use super::entropy::{Entropy, Intervals};
use super::huffman::Huffman;
use super::idct::{inverse_dct, IDCT, SLOTS};
use super::markers::Segments;
use super::tables::{Frame, Tables};
use super::Declined;

/// The scans of a file, read one after the other.
pub(super) struct Scans<'a, 't> {
    /// The walk over the file's segments, standing where the current scan's entropy-coded
    /// data starts.
    pub segments: Segments<'a>,
    /// The current scan's header segment.
    pub header: &'a [u8],
    pub tables: &'t mut Tables,
}

/// One scan's header, checked and with its tables resolved.
struct Scan {
    /// The frame's indices of the components in the scan, in order.
    components: Vec<usize>,
    dc: Vec<Option<Huffman>>,
    ac: Vec<Option<Huffman>>,
    /// The band of zigzag positions, and the bit planes: `high` the one refined (0 on a first
    /// pass), `low` the lowest one the scan sends.
    start: usize,
    end: usize,
    high: u8,
    low: u8,
}

/// Every block's kept coefficients and its non-zero flags, for one component, over the
/// component's blocks padded to whole MCUs.
struct Component {
    blocks_x: usize,
    blocks_y: usize,
    /// The blocks' visible extent: non-interleaved scans cover only these.
    visible_x: usize,
    visible_y: usize,
    /// `N` x `N` per block, natural order within the corner.
    corner: Vec<i16>,
    /// Bit `k` set: the coefficient at zigzag position `k` is non-zero.
    nonzero: Vec<u64>,
}

/// Decodes every scan of a progressive file into `planes`, each block as `N` x `N` pixels.
pub(super) fn decode<const N: usize>(
    scans: &mut Scans<'_, '_>,
    frame: &Frame,
    quant: &[[f32; 64]; 3],
    (mcus_x, mcus_y): (usize, usize),
    planes: &mut Planes,
) -> Result<(), Declined> {
    let (h_max, v_max) = (
        usize::from(frame.components[0].h),
        usize::from(frame.components[0].v),
    );
    let mut components: Vec<Component> = frame
        .components
        .iter()
        .map(|c| {
            let (h, v) = (usize::from(c.h), usize::from(c.v));
            let (blocks_x, blocks_y) = (mcus_x * h, mcus_y * v);
            // The component's own size, as a fraction of the frame's, in whole blocks.
            let width = (frame.width as usize * h).div_ceil(h_max);
            let height = (frame.height as usize * v).div_ceil(v_max);
            // Bounded: the planes of the expected size, already allocated, hold as many.
            Component {
                blocks_x,
                blocks_y,
                visible_x: width.div_ceil(8),
                visible_y: height.div_ceil(8),
                corner: vec![0; blocks_x * blocks_y * N * N],
                nonzero: vec![0; blocks_x * blocks_y],
            }
        })
        .collect();
    // For each component and zigzag position, the lowest bit plane sent so far (-1: none).
    let mut progression = [[-1i8; 64]; 3];
    let mut frame_seen = Some(frame.clone());
    loop {
        let scan = read_scan(scans.header, frame, scans.tables)?;
        for &c in &scan.components {
            // No AC band before the component's first DC pass.
            if scan.start > 0 && progression[c][0] < 0 {
                return Err(OUT_OF_ORDER);
            }
            for planes_sent in &mut progression[c][scan.start..=scan.end] {
                let expected = if scan.high == 0 { -1 } else { scan.high as i8 };
                if *planes_sent != expected {
                    return Err(OUT_OF_ORDER);
                }
                *planes_sent = scan.low as i8;
            }
        }
        let entropy = Entropy::read(scans.segments.bytes(), scans.segments.position())?;
        decode_scan::<N>(
            &scan,
            &entropy,
            scans.tables.restart_interval,
            frame,
            &mut components,
        )?;
        scans.segments.resume(entropy.marker_at);
        match next_scan(&mut scans.segments, scans.tables, &mut frame_seen)? {
            Next::Scan(header) => scans.header = header,
            Next::End => break,
        }
    }
    // Every block, now whole, to its pixels.
    let idct = &IDCT[N];
    let mut block = [0i32; 256];
    for (index, component) in components.iter().enumerate() {
        let (plane, stride, step, offset) = if index == 0 {
            (&mut planes.y[..], planes.luma_stride, 1, 0)
        } else {
            (&mut planes.cbcr[..], 2 * planes.chroma_stride, 2, index - 1)
        };
        for (at, corner) in component.corner.chunks_exact(N * N).enumerate() {
            let (block_x, block_y) = (at % component.blocks_x, at / component.blocks_x);
            for (row, values) in corner.chunks_exact(N).enumerate() {
                for (column, &value) in values.iter().enumerate() {
                    block[8 * row + column] = i32::from(value);
                }
            }
            let origin = block_y * N * stride + (block_x * N) * step + offset;
            inverse_dct::<N>(&block, &quant[index], idct, plane, origin, stride, step)?;
        }
    }
    Ok(())
}

/// Scans that come out of the order of a progression: a band refined before it was first
/// sent, or sent before its component's DC.
const OUT_OF_ORDER: Declined = Declined::Damaged("a progression out of order");

/// A scan header that is not one of a progression.
const NOT_A_PROGRESSION: Declined =
    Declined::Damaged("a progressive scan header with a band or bit planes JPEG does not have");

/// Reads a progressive scan's header: which components, which band, which bit planes.
fn read_scan(segment: &[u8], frame: &Frame, tables: &Tables) -> Result<Scan, Declined> {
    let [count, rest @ ..] = segment else {
        return Err(Declined::Damaged("a scan header cut short"));
    };
    let count = usize::from(*count);
    if !(1..=3).contains(&count) || rest.len() != 2 * count + 3 {
        return Err(Declined::Damaged(
            "a scan header's length is not that of its components",
        ));
    }
    let (start, end, bits) = (rest[2 * count], rest[2 * count + 1], rest[2 * count + 2]);
    let (start, end, high, low) = (usize::from(start), usize::from(end), bits >> 4, bits & 0x0F);
    // A DC scan, or a band of one component's AC coefficients; one bit plane more at a time.
    let dc = start == 0;
    let band_ok = if dc {
        end == 0
    } else {
        start <= end && end <= 63 && count == 1
    };
    if !band_ok || low > 13 || (high != 0 && high != low + 1) {
        return Err(NOT_A_PROGRESSION);
    }
    let mut components = Vec::new();
    let (mut dc_tables, mut ac_tables) = (Vec::new(), Vec::new());
    for pair in rest[..2 * count].chunks_exact(2) {
        // In frame order, each once.
        let index = frame
            .components
            .iter()
            .position(|c| c.id == pair[0])
            .ok_or(Declined::Damaged(
                "a scan of a component the frame does not have",
            ))?;
        if components.last().is_some_and(|&last| last >= index) {
            return Err(Declined::Damaged(
                "a scan of the components out of frame order",
            ));
        }
        components.push(index);
        let (dc_id, ac_id) = (usize::from(pair[1] >> 4), usize::from(pair[1] & 0x0F));
        // A first DC pass needs the DC table, an AC pass the AC table; refining DC neither.
        let table = |slots: &[Option<Huffman>; 4], id: usize| {
            slots
                .get(id)
                .and_then(Clone::clone)
                .ok_or(Declined::Damaged(
                    "a scan names a Huffman table that is not there",
                ))
        };
        dc_tables.push(if dc && high == 0 {
            Some(table(&tables.dc, dc_id)?)
        } else {
            None
        });
        ac_tables.push(if dc {
            None
        } else {
            Some(table(&tables.ac, ac_id)?)
        });
    }
    Ok(Scan {
        components,
        dc: dc_tables,
        ac: ac_tables,
        start,
        end,
        high,
        low,
    })
}

/// Decodes one scan's data into `components`.
fn decode_scan<const N: usize>(
    scan: &Scan,
    entropy: &Entropy,
    restart_interval: usize,
    frame: &Frame,
    components: &mut [Component],
) -> Result<(), Declined> {
    // The units the scan codes: MCUs when it interleaves components, else single blocks of
    // the component's visible extent.
    let (units_x, units_y) = if scan.components.len() > 1 {
        let luma = &frame.components[0];
        (
            components[0].blocks_x / usize::from(luma.h),
            components[0].blocks_y / usize::from(luma.v),
        )
    } else {
        let component = &components[scan.components[0]];
        (component.visible_x, component.visible_y)
    };
    let total = units_x * units_y;
    let slots = &SLOTS[N];
    let mut intervals = Intervals::new(entropy, total, restart_interval)?;
    let mut predictions = [0i32; 3];
    let mut end_of_bands = 0u32;
    for unit in 0..total {
        if intervals.start(unit)? {
            predictions = [0; 3];
            end_of_bands = 0;
        }
        let bits = &mut intervals.bits;
        let (unit_x, unit_y) = (unit % units_x, unit / units_x);
        for (slot, &index) in scan.components.iter().enumerate() {
            let c = &frame.components[index];
            let (h, v) = if scan.components.len() > 1 {
                (usize::from(c.h), usize::from(c.v))
            } else {
                (1, 1)
            };
            let component = &mut components[index];
            for block_y in 0..v {
                for block_x in 0..h {
                    let (x, y) = (unit_x * h + block_x, unit_y * v + block_y);
                    let at = y * component.blocks_x + x;
                    let outside = Declined::Damaged("a block outside its component");
                    let corner = component
                        .corner
                        .get_mut(at * N * N..(at + 1) * N * N)
                        .ok_or(outside)?;
                    let nonzero = component.nonzero.get_mut(at).ok_or(outside)?;
                    let mut block = Block {
                        corner,
                        nonzero,
                        slots,
                        n: N,
                    };
                    if scan.start == 0 {
                        let prediction = &mut predictions[index];
                        match &scan.dc[slot] {
                            Some(table) => dc_first(bits, table, prediction, scan.low, &mut block)?,
                            None => dc_refine(bits, scan.low, &mut block),
                        }
                    } else {
                        let table = scan.ac[slot].as_ref().ok_or(NOT_A_PROGRESSION)?;
                        if scan.high == 0 {
                            ac_first(bits, table, scan, &mut end_of_bands, &mut block)?;
                        } else {
                            ac_refine(bits, table, scan, &mut end_of_bands, &mut block)?;
                        }
                    }
                }
            }
        }
    }
    intervals.finish()
}

/// One block's stored state while a scan adds to it.
struct Block<'b> {
    corner: &'b mut [i16],
    nonzero: &'b mut u64,
    slots: &'b [u8; 64],
    n: usize,
}

impl Block<'_> {
    /// The kept coefficient at zigzag position `k`, if it is in the corner.
    #[inline]
    fn kept(&mut self, k: usize) -> Option<&mut i16> {
        let natural = usize::from(self.slots[k]);
        if natural >= 64 {
            return None;
        }
        self.corner.get_mut(natural / 8 * self.n + natural % 8)
    }

    /// Sets the coefficient at `k` (non-zero), keeping it if it is in the corner.
    #[inline]
    fn set(&mut self, k: usize, value: i32) -> Result<(), Declined> {
        let value = i16::try_from(value).map_err(|_| TOO_LARGE)?;
        *self.nonzero |= 1 << k;
        if let Some(kept) = self.kept(k) {
            *kept = value;
        }
        Ok(())
    }

    /// Reads the correction bit of the non-zero coefficient at `k` and applies it: one more
    /// bit of magnitude, at `bit`, away from zero.
    #[inline]
    fn correct(&mut self, k: usize, bits: &mut Bits<'_>, bit: i16) {
        let more = bits.bit();
        if let Some(value) = self.kept(k) {
            if more && *value & bit == 0 {
                // Saturating: a crafted file can bring a coefficient to the edge of 16 bits.
                *value = value.saturating_add(if *value >= 0 { bit } else { -bit });
            }
        }
    }
}

/// A first DC pass: the difference from the previous block's DC, scaled to its bit plane.
fn dc_first(
    bits: &mut Bits<'_>,
    table: &Huffman,
    prediction: &mut i32,
    low: u8,
    block: &mut Block<'_>,
) -> Result<(), Declined> {
    dc_difference(bits, table, prediction)?;
    let value = i16::try_from(*prediction << low).map_err(|_| TOO_LARGE)?;
    if let Some(dc) = block.kept(0) {
        *dc = value;
    }
    Ok(())
}

/// A coefficient past 16 bits, which no 8-bit image has.
const TOO_LARGE: Declined = Declined::Damaged("a coefficient past 16 bits");

/// Coefficients past the band a scan sends.
const PAST_THE_BAND: Declined = Declined::Damaged("coefficients past the end of a band");

/// A DC refinement: one more bit.
fn dc_refine(bits: &mut Bits<'_>, low: u8, block: &mut Block<'_>) {
    let set = bits.bit();
    if let Some(dc) = block.kept(0) {
        if set {
            *dc |= 1 << low;
        }
    }
}

/// A first pass over an AC band: run-length coded coefficients, and runs of blocks with
/// nothing more in the band (`end_of_bands` counts those still to come).
fn ac_first(
    bits: &mut Bits<'_>,
    table: &Huffman,
    scan: &Scan,
    end_of_bands: &mut u32,
    block: &mut Block<'_>,
) -> Result<(), Declined> {
    if *end_of_bands > 0 {
        *end_of_bands -= 1;
        return Ok(());
    }
    let mut k = scan.start;
    while k <= scan.end {
        bits.refill();
        let symbol = bits.symbol(table).ok_or(UNKNOWN_CODE)?;
        let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 0x0F));
        if size == 0 {
            if run < 15 {
                // This block ends the band, and so do the rest of the run's blocks.
                *end_of_bands = end_of_band_run(bits, run) - 1;
                break;
            }
            // Sixteen zeros, within the band.
            k += 16;
            if k > scan.end + 1 {
                return Err(PAST_THE_BAND);
            }
            continue;
        }
        k += run as usize;
        if k > scan.end || size > 10 {
            return Err(PAST_THE_BAND);
        }
        let value = extend(bits.peek(size), size);
        bits.consume(size);
        block.set(k, value << scan.low)?;
        k += 1;
    }
    Ok(())
}

/// The number of blocks an end-of-band symbol with run bits `run` (0..15) stands for: 2^run
/// plus as many bits read after it.
fn end_of_band_run(bits: &mut Bits<'_>, run: u32) -> u32 {
    let mut blocks = 1 << run;
    if run > 0 {
        blocks += bits.peek(run);
        bits.consume(run);
    }
    blocks
}

/// A refinement pass over an AC band: one more bit of every coefficient already non-zero, and
/// the coefficients that become non-zero at this bit plane.
fn ac_refine(
    bits: &mut Bits<'_>,
    table: &Huffman,
    scan: &Scan,
    end_of_bands: &mut u32,
    block: &mut Block<'_>,
) -> Result<(), Declined> {
    let bit = 1i16 << scan.low;
    let mut k = scan.start;
    if *end_of_bands == 0 {
        while k <= scan.end {
            bits.refill();
            let symbol = bits.symbol(table).ok_or(UNKNOWN_CODE)?;
            let (mut run, size) = (i32::from(symbol >> 4), symbol & 0x0F);
            let mut value = 0;
            if size != 0 {
                if size != 1 {
                    return Err(Declined::Damaged("a refinement of more than one bit"));
                }
                let positive = bits.peek(1) == 1;
                bits.consume(1);
                value = if positive {
                    i32::from(bit)
                } else {
                    -i32::from(bit)
                };
            } else if run != 15 {
                *end_of_bands = end_of_band_run(bits, run as u32);
                break;
            }
            // Past the coefficients already non-zero (refining each) and `run` zero ones, to
            // the one this symbol is for.
            loop {
                if *block.nonzero & (1 << k) != 0 {
                    block.correct(k, bits, bit);
                } else {
                    if run == 0 {
                        break;
                    }
                    run -= 1;
                }
                k += 1;
                if k > scan.end {
                    break;
                }
            }
            if value != 0 {
                if k > scan.end {
                    return Err(PAST_THE_BAND);
                }
                block.set(k, value)?;
            }
            k += 1;
        }
    }
    if *end_of_bands > 0 {
        // The rest of the band has nothing new: only the refinements of what is non-zero.
        while k <= scan.end {
            if *block.nonzero & (1 << k) != 0 {
                block.correct(k, bits, bit);
            }
            k += 1;
        }
        *end_of_bands -= 1;
    }
    Ok(())
}
