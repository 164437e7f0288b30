//! Trellis quantisation: for each block, the levels that cost the fewest bits for the error
//! they leave, instead of each coefficient rounded to the nearest level.
//!
//! Rounding minimises each coefficient's error, not the block's bits: a level of 1 that stops a
//! run of zeros can cost more bits than the error of dropping it is worth, and a level of 6
//! costs a bit more than a 7 would (both 3-bit sizes) or one more than a 3. The search weighs
//! the squared error of every choice, in quantisation steps, against the bits it takes with
//! Annex K's Huffman tables (which approximate the optimised ones the file then gets), and
//! keeps the cheapest path through the block: a dynamic programme over the zigzag positions
//! whose states are "the last non-zero level is here", as mozjpeg's `quantize_trellis` (in
//! `jcdctmgr.c`) does it. The candidates at each position are zero, the rounded level, and the
//! largest level of each smaller size (1, 3, 7, …), so plain rounding is one of the paths
//! searched and the chosen one never costs more. The weight of the error is mozjpeg's too: a
//! busy block, whose texture masks its errors, pays less for them (see [`Lambda`]).
//!
//! The DC coefficient is rounded: its differences from block to block are coded, and a change
//! to one would move the next block's cost.

use super::writer::Lambda;

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
const MAX_LEVEL: i32 = 1023;

/// How many of the latest non-zero positions a level may follow (besides the start of the
/// block): a path that drops more non-zero levels in a row is seldom the cheapest. On the
/// corpus photos, looking back over six instead of two saved 0.2 % of the bytes for a sixth
/// more instructions. Rounding's path (each level after the one before) stays among those
/// searched.
const LOOK_BACK: usize = 2;

/// The search of one component's blocks: its table's steps and the rate model.
pub(crate) struct Search {
    /// Bits of each AC symbol (run << 4 | size) with Annex K's table for the component,
    /// before the size's magnitude bits.
    rate: [f32; 256],
    /// The quantisation step of each zigzag position, for the block's energy.
    steps: [f32; 64],
    /// 2^`scale1` and 2^`scale2` of the [`Lambda`].
    numerator: f32,
    offset: f32,
}

impl Search {
    /// The search for blocks quantised by `table` (natural order), of luma (`chroma` 0) or
    /// chroma (1), weighing errors by `lambda`.
    pub fn new(table: &[u8; 64], chroma: usize, lambda: Lambda) -> Search {
        let mut rate = [0f32; 256];
        let mut symbols = ANNEX_K_AC_SYMBOLS[chroma].iter();
        for (length, &count) in (1..=16u8).zip(&ANNEX_K_AC_COUNTS[chroma]) {
            for &symbol in symbols.by_ref().take(usize::from(count)) {
                rate[usize::from(symbol)] = f32::from(length);
            }
        }
        Search {
            rate,
            steps: std::array::from_fn(|k| {
                f32::from(table[usize::from(super::tables::NATURAL[k])])
            }),
            numerator: lambda.scale1.exp2(),
            offset: lambda.scale2.exp2(),
        }
    }

    /// The weight of a squared error of one quantisation step in a block of `scaled`
    /// coefficients (zigzag order, in steps), against bits: mozjpeg's λ for the block's mean
    /// AC energy, taken on its DCT's scale (eight times the orthonormal one), as it weighs
    /// errors measured on that scale in steps.
    fn weight(&self, scaled: &[f32; 64]) -> f32 {
        let mut energy = 0f32;
        for (&value, &step) in scaled[1..].iter().zip(&self.steps[1..]) {
            let coefficient = value * step;
            energy += coefficient * coefficient;
        }
        let energy = energy * (64.0 / 63.0);
        64.0 * self.numerator / (self.offset + energy)
    }

    /// The levels of a block of `scaled` coefficients (zigzag order, in quantisation steps):
    /// DC rounded, the AC levels of the cheapest path.
    pub fn block(&self, scaled: &[f32; 64]) -> [i16; 64] {
        let weight = self.weight(scaled);
        let mut levels = [0i16; 64];
        levels[0] = scaled[0].round_ties_even() as i16;
        // `zero[k]`: the error of every AC coefficient up to k left at zero.
        let mut zero = [0f32; 64];
        // For a path whose last non-zero level is at k: its cost, and where the one before is.
        let mut cost = [0f32; 64];
        let mut before = [0u8; 64];
        // Where a path may have its last non-zero level: the start (0), then every position
        // with a non-zero rounded level, in order.
        let mut ends = [0u8; 64];
        let mut count = 1usize;
        for k in 1..64 {
            let magnitude = scaled[k].abs();
            zero[k] = zero[k - 1] + weight * magnitude * magnitude;
            let rounded = (magnitude + 0.5) as i32;
            if rounded == 0 {
                continue;
            }
            let rounded = rounded.min(MAX_LEVEL);
            let sizes = 32 - rounded.leading_zeros();
            // What each size's candidate adds whatever precedes it: its magnitude bits and
            // its error.
            let mut candidates = [(0i32, 0f32); 10];
            for size in 1..=sizes {
                let level = if size < sizes {
                    (1 << size) - 1
                } else {
                    rounded
                };
                let error = level as f32 - magnitude;
                candidates[size as usize - 1] = (level, size as f32 + weight * error * error);
            }
            let mut best = f32::INFINITY;
            let (mut best_level, mut best_before) = (rounded, 0u8);
            let recent = count.saturating_sub(LOOK_BACK).max(1);
            for &end in std::iter::once(&0).chain(&ends[recent..count]) {
                let end = usize::from(end);
                let run = k - 1 - end;
                let path =
                    cost[end] + zero[k - 1] - zero[end] + (run >> 4) as f32 * self.rate[0xF0];
                let symbols = &self.rate[(run & 15) << 4..];
                for (size, &(level, own)) in candidates[..sizes as usize].iter().enumerate() {
                    let total = path + symbols[size + 1] + own;
                    if total < best {
                        best = total;
                        best_level = level;
                        best_before = end as u8;
                    }
                }
            }
            cost[k] = best;
            before[k] = best_before;
            levels[k] = if scaled[k] < 0.0 {
                -best_level
            } else {
                best_level
            } as i16;
            ends[count] = k as u8;
            count += 1;
        }
        // Where the block's last non-zero level is best left: nowhere (an end of block at
        // once), or after one of the ends, with an end of block unless it is the last position.
        let mut best = zero[63] + self.rate[0x00];
        let mut last = 0;
        for &end in &ends[1..count] {
            let end = usize::from(end);
            let eob = if end < 63 { self.rate[0x00] } else { 0.0 };
            let total = cost[end] + zero[63] - zero[end] + eob;
            if total < best {
                best = total;
                last = end;
            }
        }
        // Back along the path, zeroing the levels it skips.
        levels[last + 1..].fill(0);
        let mut at = last;
        while at > 0 {
            let previous = usize::from(before[at]);
            levels[previous + 1..at].fill(0);
            at = previous;
        }
        levels
    }

    /// What the search minimises for one block: the bits of its AC symbols with Annex K's
    /// table and their magnitude bits, plus its weighted squared error in steps.
    #[cfg(test)]
    pub fn cost(&self, scaled: &[f32; 64], levels: &[i16; 64]) -> f32 {
        let weight = self.weight(scaled);
        let mut total = 0f32;
        let mut run = 0;
        for k in 1..64 {
            let error = f32::from(levels[k]) - scaled[k];
            total += weight * error * error;
            if levels[k] == 0 {
                run += 1;
                continue;
            }
            total += (run >> 4) as f32 * self.rate[0xF0];
            let size = 16 - levels[k].unsigned_abs().leading_zeros() as usize;
            total += self.rate[(run & 15) << 4 | size] + size as f32;
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

    /// Blocks of coefficients in steps, as photos give them: large at low frequencies, mostly
    /// under one step at high ones, some busy, some flat.
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
                std::array::from_fn(|k| next() * busy * 8.0 / (1.0 + k as f32 / 4.0))
            })
            .collect()
    }

    fn rounded(scaled: &[f32; 64]) -> [i16; 64] {
        scaled.map(|v| v.round_ties_even() as i16)
    }

    /// Plain rounding is one of the paths searched, so the chosen levels never cost more, for
    /// either component, fine or coarse tables, any λ.
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
                        let chosen = search.block(&block);
                        let (ours, plain) = (
                            search.cost(&block, &chosen),
                            search.cost(&block, &rounded(&block)),
                        );
                        // The search sums errors as differences of running totals in f32:
                        // equal costs may come out a ten-thousandth apart.
                        assert!(
                            ours <= plain + plain.abs() * 1e-4 + 1e-3,
                            "{ours} > {plain}"
                        );
                        assert_eq!(chosen[0], rounded(&block)[0], "DC is rounded");
                        better += usize::from(ours < plain - 1e-3);
                    }
                }
            }
        }
        // And it finds something better often.
        assert!(better > 2000, "better in {better} blocks");
    }

    /// Each level the search keeps is zero, the rounded level, or a smaller one of the form
    /// 2^n - 1, with the coefficient's sign.
    #[test]
    fn levels_are_candidates() {
        let search = Search::new(&[4; 64], 0, Lambda::MOZJPEG);
        for block in blocks() {
            let chosen = search.block(&block);
            for (&level, &value) in chosen[1..].iter().zip(&block[1..]) {
                let rounded = value.abs().round() as i32;
                let magnitude = i32::from(level).abs();
                assert!(
                    magnitude == 0
                        || magnitude == rounded.min(MAX_LEVEL)
                        || (magnitude < rounded && (magnitude as u32 + 1).is_power_of_two()),
                    "{level} for {value}"
                );
                assert!(
                    level == 0 || (level > 0) == (value > 0.0),
                    "{level} for {value}"
                );
            }
        }
    }

    /// The search sees the cost model it is given: with errors weighed heavily it keeps the
    /// rounded levels, with errors nearly free it drops all but the largest.
    #[test]
    fn lambda_moves_the_balance() {
        let block: [f32; 64] = std::array::from_fn(|k| if k % 3 == 1 { 1.4 } else { 0.2 });
        let strict = Search::new(
            &[4; 64],
            0,
            Lambda {
                scale1: 40.0,
                scale2: 0.0,
            },
        );
        assert_eq!(strict.block(&block), rounded(&block));
        let loose = Search::new(
            &[4; 64],
            0,
            Lambda {
                scale1: -10.0,
                scale2: 0.0,
            },
        );
        assert!(loose.block(&block)[1..].iter().all(|&level| level == 0));
    }
}
