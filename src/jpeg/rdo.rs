//! Rate-distortion optimised quantisation: for each block, levels that cost fewer bits for
//! the error they add, instead of each coefficient rounded to the nearest level.
//!
//! Rounding minimises each coefficient's error, not the block's bits: a level of 1 that breaks
//! a run of zeros, or that ends the block, can cost more bits than the error of dropping it is
//! worth, and a 4 costs a bit more than a 3 (the smallest level of a size against the largest
//! of the size below). The choice weighs the squared error of each change, in quantisation
//! steps, against the bits it saves with Annex K's Huffman tables (which approximate the
//! optimised ones the file then gets), with mozjpeg's weight: a busy block, whose texture
//! masks its errors, pays less for them (see [`Lambda`]).
//!
//! mozjpeg searches every path through the block (a trellis: a dynamic programme over the
//! zigzag positions). That search saved 7 % more than the greedy walk here, for 40 % of an
//! ingest's instructions; the walk visits only the non-zero levels and costs about 4 %
//! (BENCHMARKS.md, "History", pipeline 9). Each step it takes lowers the block's cost (bits
//! plus weighted error), so the result never costs more than rounding.
//!
//! The DC coefficient is rounded: its differences from block to block are coded, and a change
//! to one would move the next block's cost.

use super::writer::{nonzero, Lambda, TRANSPOSED_OF_ZIGZAG};

/// Annex K's AC Huffman tables (K.3.3.2), luma then chroma: how many codes have each length
/// 1..=16, and the symbols in order of their codes.
const ANNEX_K_AC_COUNTS: [[u8; 16]; 2] = [
    [
        0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05, 0x04, 0x04, 0x00, 0x00, 0x01,
        0x7D,
    ],
    [
        0x00, 0x02, 0x01, 0x02, 0x04, 0x04, 0x03, 0x04, 0x07, 0x05, 0x04, 0x04, 0x00, 0x01, 0x02,
        0x77,
    ],
];
const ANNEX_K_AC_SYMBOLS: [[u8; 162]; 2] = [
    [
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61,
        0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52,
        0xD1, 0xF0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25,
        0x26, 0x27, 0x28, 0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45,
        0x46, 0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64,
        0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83,
        0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
        0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6,
        0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3,
        0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8,
        0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
    ],
    [
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61,
        0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33,
        0x52, 0xF0, 0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18,
        0x19, 0x1A, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44,
        0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63,
        0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A,
        0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
        0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4,
        0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA,
        0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7,
        0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0xFA,
    ],
];

/// The largest AC level of an 8-bit picture's DCT: 10 bits of magnitude.
const MAX_LEVEL: u16 = 1023;

/// The choice for one component's blocks: its table's steps and the rate model.
pub(crate) struct Search {
    /// Bits of each AC symbol (run << 4 | size) with Annex K's table for the component,
    /// and of the size's magnitude bits.
    rate: [f32; 256],
    /// The bits of a level of each size (1..=15; column 0 is not read) after each run of
    /// zeros (0..=62), the zero-run symbols a run of 16 or more needs included, and its
    /// magnitude bits: row `run`, column `size`.
    symbols: Box<[[f32; 16]; 63]>,
    /// The quantisation step of each coefficient, in the transposed order of the forward
    /// DCT's output, for the block's energy.
    steps: [f32; 64],
    /// 2^`scale1` and 2^`scale2` of the [`Lambda`].
    numerator: f32,
    offset: f32,
}

impl Search {
    /// The choice for blocks quantised by `table` (natural order), of luma (`chroma` 0) or
    /// chroma (1), weighing errors by `lambda`.
    pub fn new(table: &[u8; 64], chroma: usize, lambda: Lambda) -> Search {
        let mut rate = [0f32; 256];
        let mut symbols = ANNEX_K_AC_SYMBOLS[chroma].iter();
        for (length, &count) in (1..=16u8).zip(&ANNEX_K_AC_COUNTS[chroma]) {
            for &symbol in symbols.by_ref().take(usize::from(count)) {
                rate[usize::from(symbol)] = f32::from(length) + f32::from(symbol & 15);
            }
        }
        let symbols = Box::new(std::array::from_fn(|run| {
            std::array::from_fn(|size| {
                (run >> 4) as f32 * rate[0xF0] + rate[(run & 15) << 4 | size]
            })
        }));
        Search {
            rate,
            symbols,
            steps: std::array::from_fn(|at| f32::from(table[8 * (at % 8) + at / 8])),
            numerator: lambda.scale1.exp2(),
            offset: lambda.scale2.exp2(),
        }
    }

    /// The weight of a squared error of one quantisation step in a block of `scaled`
    /// coefficients (in steps, the forward DCT's transposed order), against bits: mozjpeg's
    /// λ for the block's mean AC energy, taken on its DCT's scale (eight times the
    /// orthonormal one), as it weighs errors measured on that scale in steps.
    fn weight(&self, scaled: &[f32; 64]) -> f32 {
        // Eight sums side by side, so that the loop vectorises.
        let mut sums = [0f32; 8];
        for (values, steps) in scaled.chunks_exact(8).zip(self.steps.chunks_exact(8)) {
            for ((sum, &value), &step) in sums.iter_mut().zip(values).zip(steps) {
                let coefficient = value * step;
                *sum += coefficient * coefficient;
            }
        }
        let energy: f32 = sums.iter().sum();
        let dc = scaled[0] * self.steps[0];
        let energy = (energy - dc * dc) * (64.0 / 63.0);
        64.0 * self.numerator / (self.offset + energy)
    }

    /// Lowers the rounded `levels` of a block (zigzag order) where the bits saved outweigh
    /// the error added; `scaled` holds the block's coefficients in steps, in the forward
    /// DCT's transposed order. Walking up the block, a level that is the smallest of its size
    /// (2, 4, 8, …) drops to the largest of the size below, and a level of 1 to zero, weighing
    /// the runs on either side; then levels of 1 at the end of the block are dropped while
    /// that pays. Returns which AC levels are left non-zero, one bit each (bit k for position
    /// k), as [`nonzero`] would find them.
    pub fn refine(&self, levels: &mut [i16; 64], scaled: &[f32; 64]) -> u64 {
        let mut nonzero = nonzero(levels) & !1;
        if nonzero == 0 {
            return 0;
        }
        let weight = self.weight(scaled);
        let transposed = &*TRANSPOSED_OF_ZIGZAG;
        let magnitude = |k: usize| scaled[usize::from(transposed[k])].abs();
        // The bits of the symbol that codes a level of `size` bits after `run` zeros, with
        // the zero-run symbols a run of 16 or more needs, and its magnitude bits.
        let symbol = |run: usize, size: usize| self.symbols[run][size];
        let size_of = |level: i16| 16 - level.unsigned_abs().leading_zeros() as usize;
        let end_of_block = self.rate[0x00];
        let mut previous = 0usize;
        let mut rest = nonzero;
        while rest != 0 {
            let k = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let level = levels[k].unsigned_abs().min(MAX_LEVEL);
            let run = k - previous - 1;
            if level >= 2 && level.is_power_of_two() {
                let size = size_of(levels[k]);
                let saved = symbol(run, size) - symbol(run, size - 1);
                let added = 1.0 - 2.0 * (f32::from(level) - magnitude(k));
                if saved > weight * added {
                    levels[k] -= levels[k].signum();
                }
                previous = k;
            } else if level == 1 {
                let (kept, dropped) = if rest == 0 {
                    let eob = if k < 63 { end_of_block } else { 0.0 };
                    (symbol(run, 1) + eob, end_of_block)
                } else {
                    let next = rest.trailing_zeros() as usize;
                    let size = size_of(levels[next]);
                    (
                        symbol(run, 1) + symbol(next - k - 1, size),
                        symbol(next - previous - 1, size),
                    )
                };
                if kept - dropped > weight * (2.0 * magnitude(k) - 1.0) {
                    levels[k] = 0;
                    nonzero &= !(1 << k);
                } else {
                    previous = k;
                }
            } else {
                previous = k;
            }
        }
        // The block's tail: a last level of 1 whose symbol costs more than its error saves.
        while nonzero != 0 {
            let last = 63 - nonzero.leading_zeros() as usize;
            if levels[last].unsigned_abs() != 1 {
                break;
            }
            let before = nonzero & !(1 << last);
            let previous = 63 - (before | 1).leading_zeros() as usize;
            let eob = if last < 63 { end_of_block } else { 0.0 };
            let saved = symbol(last - previous - 1, 1) + eob - end_of_block;
            if saved <= weight * (2.0 * magnitude(last) - 1.0) {
                break;
            }
            levels[last] = 0;
            nonzero = before;
        }
        nonzero
    }

    /// What the choice lowers for one block: the bits of its AC symbols with Annex K's table
    /// and their magnitude bits, plus its weighted squared error in steps (`scaled` in the
    /// forward DCT's transposed order, `levels` in zigzag order).
    #[cfg(test)]
    pub fn cost(&self, scaled: &[f32; 64], levels: &[i16; 64]) -> f32 {
        let weight = self.weight(scaled);
        let transposed = &*TRANSPOSED_OF_ZIGZAG;
        let mut total = 0f32;
        let mut run = 0;
        for k in 1..64 {
            let error = f32::from(levels[k]) - scaled[usize::from(transposed[k])];
            total += weight * error * error;
            if levels[k] == 0 {
                run += 1;
                continue;
            }
            total += (run >> 4) as f32 * self.rate[0xF0];
            let size = 16 - levels[k].unsigned_abs().leading_zeros() as usize;
            total += self.rate[(run & 15) << 4 | size];
            run = 0;
        }
        if run > 0 {
            total += self.rate[0x00];
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of coefficients in steps (transposed order), as photos give them: large at low
    /// frequencies, mostly under one step at high ones, some busy, some flat.
    fn blocks() -> Vec<[f32; 64]> {
        let mut state = 0x9E37_79B9_u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 2.0 - 1.0
        };
        (0..2000)
            .map(|n| {
                let busy = [0.2, 1.0, 4.0, 30.0][n % 4];
                let zigzag: [f32; 64] =
                    std::array::from_fn(|k| next() * busy * 8.0 / (1.0 + k as f32 / 4.0));
                let mut transposed = [0f32; 64];
                for (k, &value) in zigzag.iter().enumerate() {
                    transposed[usize::from(TRANSPOSED_OF_ZIGZAG[k])] = value;
                }
                transposed
            })
            .collect()
    }

    /// The block rounded, in zigzag order.
    fn rounded(scaled: &[f32; 64]) -> [i16; 64] {
        std::array::from_fn(|k| {
            scaled[usize::from(TRANSPOSED_OF_ZIGZAG[k])].round_ties_even() as i16
        })
    }

    fn refined(search: &Search, scaled: &[f32; 64]) -> [i16; 64] {
        let mut levels = rounded(scaled);
        let left = search.refine(&mut levels, scaled);
        assert_eq!(left, nonzero(&levels) & !1, "the mask of the levels left");
        levels
    }

    /// Every step lowers the cost, so the chosen levels never cost more than rounding, for
    /// either component, fine or coarse tables, any λ; and they often cost less.
    #[test]
    fn never_costs_more_than_rounding() {
        let tables = [[2u8; 64], [8; 64], std::array::from_fn(|k| 4 + k as u8)];
        let lambdas = [
            Lambda::MOZJPEG,
            Lambda {
                scale1: 10.0,
                scale2: 0.0,
            },
            Lambda {
                scale1: 20.0,
                scale2: 16.5,
            },
        ];
        let mut better = 0;
        for table in &tables {
            for chroma in 0..2 {
                for &lambda in &lambdas {
                    let search = Search::new(table, chroma, lambda);
                    for block in blocks() {
                        let chosen = refined(&search, &block);
                        let (ours, plain) = (
                            search.cost(&block, &chosen),
                            search.cost(&block, &rounded(&block)),
                        );
                        // Costs are sums of f32: equal ones may come out a little apart.
                        assert!(
                            ours <= plain + plain.abs() * 1e-5 + 1e-3,
                            "{ours} > {plain}"
                        );
                        assert_eq!(chosen[0], rounded(&block)[0], "DC is rounded");
                        better += usize::from(ours < plain - 1e-3);
                    }
                }
            }
        }
        assert!(better > 2000, "better in {better} blocks");
    }

    /// Each level kept is the rounded one, zero (from a rounded 1), or one less than a rounded
    /// power of two, with the coefficient's sign.
    #[test]
    fn levels_only_step_down() {
        let search = Search::new(&[4; 64], 0, Lambda::MOZJPEG);
        for block in blocks() {
            let before = rounded(&block);
            let chosen = refined(&search, &block);
            for (&level, &was) in chosen[1..].iter().zip(&before[1..]) {
                let (level, was) = (i32::from(level), i32::from(was));
                assert!(
                    level == was
                        || (level == 0 && was.abs() == 1)
                        || (level == was - was.signum() && was.unsigned_abs().is_power_of_two()),
                    "{level} for a rounded {was}"
                );
            }
        }
    }

    /// The choice sees the weight it is given: with errors weighed heavily it keeps the
    /// rounded levels; with errors nearly free it drops a block of 1s altogether, and lowers a
    /// block of 2s to 1s where a 5 at the end keeps them from being the block's tail.
    #[test]
    fn lambda_moves_the_balance() {
        let block = |value: f32, last: f32| {
            let mut block = [value; 64];
            block[usize::from(TRANSPOSED_OF_ZIGZAG[63])] = last;
            block[0] = 10.0;
            block
        };
        let strict = Search::new(
            &[4; 64],
            0,
            Lambda {
                scale1: 40.0,
                scale2: 0.0,
            },
        );
        let loose = Search::new(
            &[4; 64],
            0,
            Lambda {
                scale1: -10.0,
                scale2: 0.0,
            },
        );
        for values in [block(1.4, 1.4), block(2.1, 5.0)] {
            assert_eq!(refined(&strict, &values), rounded(&values));
        }
        let ones = refined(&loose, &block(1.4, 1.4));
        assert!(ones[1..].iter().all(|&level| level == 0), "{ones:?}");
        let twos = refined(&loose, &block(2.1, 5.0));
        assert!(twos[1..63].iter().all(|&level| level == 1), "{twos:?}");
        assert_eq!((twos[0], twos[63]), (10, 5));
    }
}
