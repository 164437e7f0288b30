//! Reading entropy-coded data (without its stuffing) bit by bit, most significant first.

use super::huffman::{Huffman, LOOKAHEAD};

/// A bit reader over entropy-coded data from which the stuffing has been taken out and after
/// which at least eight zero bytes follow (see [`Entropy`](super::entropy::Entropy)), so that
/// it can take eight bytes at a time without looking at them.
pub(crate) struct Bits<'a> {
    data: &'a [u8],
    /// The next byte not wholly in `buffer`.
    at: usize,
    /// The next bits, from the most significant end; `count` of them are counted, and the
    /// bits below are either zero or the bits that follow.
    buffer: u64,
    count: u32,
}

impl<'a> Bits<'a> {
    /// The reader of `data` from byte `at` on.
    pub fn new(data: &'a [u8], at: usize) -> Self {
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
    pub fn refill(&mut self) {
        let word = match self.data.get(self.at..self.at + 8) {
            Some(next) => u64::from_be_bytes(next.try_into().unwrap_or_default()),
            None => 0,
        };
        self.buffer |= word >> self.count;
        self.at += ((63 - self.count) >> 3) as usize;
        self.count |= 56;
    }

    /// The position of the next bit to read, in bits from the start of the data.
    pub fn position(&self) -> usize {
        8 * self.at - self.count as usize
    }

    /// Whether the bits read end in the last byte before `end` (the rest of that byte is
    /// padding): no more and no less than the data of an interval ending there was read.
    pub fn ends_at(&self, end: usize) -> bool {
        let position = self.position();
        position <= 8 * end && 8 * end - position < 8
    }

    /// The next `n` bits (1..=16), not consumed; needs at least `n` held.
    #[inline]
    pub fn peek(&self, n: u32) -> u32 {
        (self.buffer >> (64 - n)) as u32
    }

    #[inline]
    pub fn consume(&mut self, n: u32) {
        self.buffer <<= n;
        self.count -= n;
    }

    /// The next bit, as a flag; refills first.
    #[inline]
    pub fn bit(&mut self) -> bool {
        self.refill();
        let set = self.peek(1) == 1;
        self.consume(1);
        set
    }

    /// The next Huffman symbol of `table`; `None` for a code the table does not hold. Needs
    /// at least 16 bits held.
    #[inline]
    pub fn symbol(&mut self, table: &Huffman) -> Option<u8> {
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
    pub fn value(&mut self, size: u32) -> i32 {
        let bits = self.peek(size);
        self.consume(size);
        extend(bits, size)
    }
}

/// The signed value JPEG codes as the `size` (1..=16) bits `bits`: the upper half of the
/// range as it is, the lower half for the negative values.
#[inline]
pub(crate) fn extend(bits: u32, size: u32) -> i32 {
    let bits = bits as i32;
    if bits < 1 << (size - 1) {
        bits - (1 << size) + 1
    } else {
        bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magnitudes_are_extended_as_jpeg_codes_them() {
        assert_eq!(extend(0b1, 1), 1);
        assert_eq!(extend(0b0, 1), -1);
        assert_eq!(extend(0b101, 3), 5);
        assert_eq!(extend(0b010, 3), -5);
        assert_eq!(extend(0, 11), -2047);
    }

    #[test]
    fn bits_come_most_significant_first_and_positions_count_them() {
        let data = [0b1010_0000, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut bits = Bits::new(&data, 0);
        assert!(bits.bit());
        assert!(!bits.bit());
        assert_eq!(bits.position(), 2);
        bits.refill();
        assert_eq!(bits.value(3), 4); // 100: the upper half, as it is
        bits.consume(3);
        assert!(bits.ends_at(1));
        assert_eq!(bits.peek(8), 0xFF);
    }
}
