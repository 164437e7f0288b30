//! Sequential (baseline and extended Huffman) scans: one interleaved scan holds every
//! coefficient of every block, MCU by MCU.
//!
//! Most of a photo's decoding time goes here, so it is laid out for it: an AC code and the
//! magnitude bits after it usually come from one table look-up, two coefficients are read per
//! refill of the bit reader, and coefficients outside the kept corner are read and dropped
//! without a test (their slot is one never read).

use super::bits::Bits;
use super::decoder::Planes;
use super::entropy::{Entropy, Intervals};
use super::huffman::{Huffman, END_OF_BLOCK, LOOKAHEAD};
use super::idct::{inverse_dct, IDCT, SLOTS};
use super::markers::EOI;
use super::tables::{Frame, Tables};
use super::Declined;

/// What the scan needs: tables resolved for each component, and where its data starts.
pub(super) struct Scan {
    quant: [[f32; 64]; 3],
    dc: [Huffman; 3],
    ac: [Huffman; 3],
    restart_interval: usize,
    data_at: usize,
}

/// The header of a baseline file's one scan, with its tables resolved.
pub(super) fn read_scan(
    segment: &[u8],
    frame: &Frame,
    tables: &Tables,
    data_at: usize,
) -> Result<Scan, Declined> {
    let [count, rest @ ..] = segment else {
        return Err(Declined::Damaged("a scan header cut short"));
    };
    // One interleaved scan of the three components, in frame order, every coefficient at
    // full precision: the whole image in one pass.
    if *count != 3 || rest.len() != 9 || rest[6..] != [0, 63, 0] {
        return Err(Declined::Layout("a sequential file of several scans"));
    }
    let mut dc_tables = Vec::new();
    let mut ac_tables = Vec::new();
    for (index, component) in frame.components.iter().enumerate() {
        let (id, selectors) = (rest[2 * index], rest[2 * index + 1]);
        if id != component.id {
            return Err(Declined::Layout(
                "a scan of the components out of frame order",
            ));
        }
        let missing = Declined::Damaged("a scan names a Huffman table that is not there");
        let table = |slots: &[Option<Huffman>; 4], id: u8| {
            slots
                .get(usize::from(id))
                .and_then(Clone::clone)
                .ok_or(missing)
        };
        dc_tables.push(table(&tables.dc, selectors >> 4)?);
        ac_tables.push(table(&tables.ac, selectors & 0x0F)?);
    }
    let three = |tables: Vec<Huffman>| tables.try_into().map_err(|_| missing_component());
    Ok(Scan {
        quant: tables.component_quant(frame)?,
        dc: three(dc_tables)?,
        ac: three(ac_tables)?,
        restart_interval: tables.restart_interval,
        data_at,
    })
}

fn missing_component() -> Declined {
    Declined::Layout("a component count the decoder does not take")
}

/// Decodes the scan's MCUs into `planes`, each block as `N` x `N` pixels.
pub(super) fn decode_scan<const N: usize>(
    bytes: &[u8],
    frame: &Frame,
    scan: &Scan,
    (mcus_x, mcus_y): (usize, usize),
    planes: &mut Planes,
) -> Result<(), Declined> {
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
    intervals.finish()?;
    if entropy.next_marker != EOI {
        return Err(Declined::Layout(
            "more than the end of the image after the scan",
        ));
    }
    Ok(())
}

/// Reads a DC difference with `table` and adds it to `prediction`, the block's DC level.
/// Declined for a code the table does not hold, a size no 8-bit image has, or differences
/// that add up past any DC level.
#[inline]
pub(super) fn dc_difference(
    bits: &mut Bits<'_>,
    table: &Huffman,
    prediction: &mut i32,
) -> Result<(), Declined> {
    bits.refill();
    let size = u32::from(bits.symbol(table).ok_or(UNKNOWN_CODE)?);
    if size > 11 {
        return Err(Declined::Damaged("a DC difference no 8-bit image has"));
    }
    if size > 0 {
        *prediction += bits.value(size);
    }
    if prediction.unsigned_abs() <= 1 << 15 {
        Ok(())
    } else {
        Err(Declined::Damaged(
            "DC differences that add up past any level",
        ))
    }
}

/// A Huffman code the table does not hold.
pub(super) const UNKNOWN_CODE: Declined = Declined::Damaged("a Huffman code no table holds");

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
) -> Result<(), Declined> {
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
                Coefficient::EndOfBlock => return Ok(()),
                Coefficient::Corrupt => {
                    return Err(Declined::Damaged("coefficients past the end of a block"))
                }
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
