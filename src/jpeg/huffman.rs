//! Huffman codes: the decoder's tables, read from DHT segments, and the encoder's optimal
//! codes, built from symbol counts as JPEG's Annex K.2 describes.

use super::bits::extend;

/// Bits looked up at once when decoding a Huffman code; longer codes take the slow path.
pub(crate) const LOOKAHEAD: u32 = 10;

/// The run of an end-of-block entry in [`Huffman::coefficients`]: past the end of any block.
pub(crate) const END_OF_BLOCK: i32 = 64;

/// A Huffman table, with a lookup of the codes up to [`LOOKAHEAD`] bits long.
#[derive(Clone)]
pub(crate) struct Huffman {
    /// For each `LOOKAHEAD`-bit prefix: the code's length << 8 | its symbol, or 0 when the
    /// code is longer.
    pub lookup: Box<[u16; 1 << LOOKAHEAD]>,
    /// For an AC table, each `LOOKAHEAD`-bit prefix that holds a whole code and the magnitude
    /// bits after it: the coefficient << 16 | the zeros before it << 8 | the bits used, with
    /// the end of the block as a run of [`END_OF_BLOCK`]; 0 otherwise. Most coefficients of a
    /// photo take one look here.
    pub coefficients: Box<[i32; 1 << LOOKAHEAD]>,
    /// For each length, the largest code of that length (-1 for none) and the offset from a
    /// code to its symbol's index in `values`.
    pub max_code: [i32; 17],
    pub offset: [i32; 17],
    pub values: [u8; 256],
}

impl Huffman {
    /// The table of `counts` codes of each length 1..=16 for `values`; `None` when the counts
    /// overflow the code space.
    pub fn new(counts: &[u8; 16], values: &[u8]) -> Option<Huffman> {
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

/// A Huffman code: each symbol's code and length, and the table as JPEG stores it.
pub(crate) struct HuffmanCode {
    /// For each symbol: code << 8 | length (0 for a symbol with no code).
    pub codes: [u32; 256],
    /// How many codes have each length 1..=16.
    pub counts: [u8; 16],
    /// The symbols, by code.
    pub symbols: Vec<u8>,
}

impl HuffmanCode {
    /// Appends the table's specification as a DHT segment holds it: class (0 DC, 1 AC) and
    /// destination in one byte, the count of codes of each length, the symbols.
    pub fn specify(&self, dht: &mut Vec<u8>, class: u8, destination: u8) {
        dht.push(class << 4 | destination);
        dht.extend_from_slice(&self.counts);
        dht.extend_from_slice(&self.symbols);
    }

    /// The optimal code for `frequencies` with codes at most 16 bits long and none all ones,
    /// as JPEG's Annex K.2 (and libjpeg's `jpeg_gen_optimal_table`) builds it.
    pub fn optimal(frequencies: &[u32; 256]) -> HuffmanCode {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
