//! The inverse DCT at every eighth of full scale.
//!
//! On a block's `n` x `n` lowest frequencies, an `n`-point inverse DCT gives the block at `n`/8
//! of its size, as libjpeg's scaled IDCTs do (`n` = 1..=8). The smaller scales are matrix
//! products; full scale is libjpeg's `jidctflt` (AAN), eight lanes at a time, four times
//! cheaper than the product.

use std::f32::consts::{FRAC_1_SQRT_2, PI};
use std::sync::LazyLock;

use super::tables::NATURAL;
use super::Declined;

/// The `n`-point inverse DCT of the lowest `n` frequencies of an 8-point JPEG DCT, as a
/// matrix: row `x`, column `u` is `C(u)/2 cos((2x + 1) u pi / 2n)`. On a block's `n` x `n`
/// lowest coefficients it gives the block at `n`/8 of its size (the DC level is kept).
pub(crate) static IDCT: LazyLock<[[[f32; 8]; 8]; 9]> = LazyLock::new(|| {
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

/// Where each coefficient, in zigzag order, is kept when decoding at `n`/8 of full scale: its
/// natural position if it lies in the `n` x `n` corner, else 64 (a slot never read; blocks
/// have 256 slots, so that any `u8` indexes them without a check).
pub(crate) static SLOTS: LazyLock<[[u8; 64]; 9]> = LazyLock::new(|| {
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

/// The range a block's levels may reach before they are clamped to 0..=255. Quantisation makes
/// a photo's levels ring past the sample range by some tens; far beyond it, only coefficients
/// no 8-bit picture has can take them (a fuzzer's), and there decoders part ways: libjpeg wraps
/// such levels round its range-limit table, jpeg-decoder's integer transform overflows, ours
/// clamps. None of them is wrong about a picture that does not exist, so the differential fuzz
/// target compares only blocks within this range: built for fuzzing (`cfg(fuzzing)`), the
/// decoder declines the others as damage. Other builds clamp them and pay nothing for a check.
const LEVELS: std::ops::Range<f32> = -256.0..512.0;

/// Whether blocks are checked against [`LEVELS`]: only in fuzzing builds.
const CHECK_LEVELS: bool = cfg!(fuzzing);

/// A block whose levels leave [`LEVELS`].
const OUT_OF_RANGE: Declined = Declined::Damaged("coefficients no 8-bit picture has");

/// A block's pixels would fall outside its plane: the frame and the planes disagree.
const OUTSIDE: Declined = Declined::Damaged("a block outside its plane");

/// Writes the `N` x `N` pixels of the block's `N` x `N` lowest frequencies, dequantised with
/// `quant`, into `plane`, the first at `origin`, rows `stride` apart and pixels `step` apart.
#[inline]
pub(crate) fn inverse_dct<const N: usize>(
    block: &[i32; 256],
    quant: &[f32; 64],
    idct: &[[f32; 8]; 8],
    plane: &mut [u8],
    origin: usize,
    stride: usize,
    step: usize,
) -> Result<(), Declined> {
    // A block with no variation at this scale (most chroma blocks, many of luma) is one level.
    let flat = block
        .chunks_exact(8)
        .take(N)
        .enumerate()
        .all(|(v, row)| row[usize::from(v == 0)..N].iter().all(|&c| c == 0));
    if N == 8 && !flat {
        return inverse_dct_8(block, quant, plane, origin, stride, step);
    }
    // Luma planes take every pixel, the interleaved chroma plane every other: with the step a
    // constant in each inlined copy, the writes need no bounds check each.
    match step {
        1 => write_block::<N>(block, quant, idct, flat, plane, (origin, stride, 1)),
        2 => write_block::<N>(block, quant, idct, flat, plane, (origin, stride, 2)),
        _ => write_block::<N>(block, quant, idct, flat, plane, (origin, stride, step)),
    }
}

/// [`inverse_dct`] below full scale (or of a flat block) into `plane` at `origin`, rows
/// `stride` apart and pixels `step` apart.
#[inline(always)]
fn write_block<const N: usize>(
    block: &[i32; 256],
    quant: &[f32; 64],
    idct: &[[f32; 8]; 8],
    flat: bool,
    plane: &mut [u8],
    (origin, stride, step): (usize, usize, usize),
) -> Result<(), Declined> {
    let mut levels = [[0u8; N]; N];
    block_levels::<N>(block, quant, idct, flat, &mut levels)?;
    for (y, row) in levels.iter().enumerate() {
        let start = origin + y * stride;
        let out = plane
            .get_mut(start..start + (N - 1) * step + 1)
            .ok_or(OUTSIDE)?;
        for (x, &level) in row.iter().enumerate() {
            out[x * step] = level;
        }
    }
    Ok(())
}

/// The `N` x `N` levels of a block's lowest frequencies (all one level when `flat`).
#[inline]
fn block_levels<const N: usize>(
    block: &[i32; 256],
    quant: &[f32; 64],
    idct: &[[f32; 8]; 8],
    flat: bool,
    levels: &mut [[u8; N]; N],
) -> Result<(), Declined> {
    if flat {
        let level = block[0] as f32 * quant[0] * idct[0][0] * idct[0][0] + 128.5;
        if CHECK_LEVELS && !LEVELS.contains(&level) {
            return Err(OUT_OF_RANGE);
        }
        // Rounded half up: `as` truncates toward zero and saturates at 0 and 255.
        *levels = [[level as u8; N]; N];
        return Ok(());
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
    let mut beyond = false;
    for (weights, out) in idct.iter().zip(levels.iter_mut()) {
        for (x, pixel) in out.iter_mut().enumerate() {
            let mut sum = 0f32;
            for (row, weight) in rows.iter().zip(weights) {
                sum += weight * row[x];
            }
            let level = sum + 128.5;
            beyond |= CHECK_LEVELS && !LEVELS.contains(&level);
            *pixel = level as u8;
        }
    }
    if beyond {
        return Err(OUT_OF_RANGE);
    }
    Ok(())
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
) -> Result<(), Declined> {
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
    let mut beyond = false;
    for y in 0..8 {
        let start = origin + y * stride;
        let out = plane.get_mut(start..start + 7 * step + 1).ok_or(OUTSIDE)?;
        for (x, column) in pixels.iter().enumerate() {
            let level = column[y] + 128.5;
            beyond |= CHECK_LEVELS && !LEVELS.contains(&level);
            out[x * step] = (level as i32).clamp(0, 255) as u8;
        }
    }
    if beyond {
        return Err(OUT_OF_RANGE);
    }
    Ok(())
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
