//! Entropy-coded data: where a scan's data ends, its stuffed bytes, its restart intervals.
//!
//! Inside a scan a `0xFF` byte of data is written as `0xFF 0x00` (stuffing); any other byte
//! after `0xFF` is a marker, which may be preceded by more `0xFF`s (fill). Restart markers
//! (`RST0`–`RST7`, in sequence) cut the data into intervals and belong to the scan; any other
//! marker ends it. [`escape_at`] is the one reading of those bytes; the walk that only skips a
//! scan ([`end_of_scan`]), the planar decoder's copy of a scan without its stuffing
//! ([`Entropy::read`]) and the cropping of intervals ([`next_interval`]) all go through it.

use super::bits::Bits;
use super::markers::{is_rst, RST0};
use super::Declined;

/// What a `0xFF` in entropy-coded data stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// `0xFF 0x00`: a data byte of `0xFF`.
    Stuffed,
    /// A marker, after any fill bytes: its code, and where the byte after the code is.
    Marker { code: u8, after: usize },
    /// Fill bytes followed by `0x00`: neither data nor a marker.
    Damaged,
}

/// What the `0xFF` at `ff` stands for; `None` when the bytes end first.
pub(crate) fn escape_at(bytes: &[u8], ff: usize) -> Option<Escape> {
    let mut code = ff + 1;
    if *bytes.get(code)? == 0x00 {
        return Some(Escape::Stuffed);
    }
    while *bytes.get(code)? == 0xFF {
        code += 1;
    }
    Some(match bytes[code] {
        0x00 => Escape::Damaged,
        code_byte => Escape::Marker {
            code: code_byte,
            after: code + 1,
        },
    })
}

/// The next `0xFF` at or after `at` and what it stands for; `None` when the bytes end first.
fn next_escape(bytes: &[u8], at: usize) -> Option<(usize, Escape)> {
    let ff = at + memchr::memchr(0xFF, bytes.get(at..)?)?;
    Some((ff, escape_at(bytes, ff)?))
}

/// Where the entropy-coded data starting at `at` ends: the first `0xFF` of the first marker
/// that is not a restart marker, or the end of the bytes. Damage is stepped over: this only
/// skips a scan, the decoder judges it.
pub(crate) fn end_of_scan(bytes: &[u8], mut at: usize) -> usize {
    loop {
        match next_escape(bytes, at) {
            None => return bytes.len(),
            Some((ff, Escape::Stuffed)) => at = ff + 2,
            Some((_, Escape::Marker { code, after })) if is_rst(code) => at = after,
            Some((ff, Escape::Damaged)) => at = ff + 1,
            Some((ff, Escape::Marker { .. })) => return ff,
        }
    }
}

/// How a restart interval ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// At restart marker `RSTnumber`, the next interval starting at `resume`.
    Restart { number: u8, resume: usize },
    /// At another marker (normally EOI), or at damage.
    End,
}

/// Where the interval of entropy-coded data starting at `at` ends (its last byte's successor:
/// the first `0xFF` of what follows), and what follows; `None` when the bytes end first.
pub(crate) fn next_interval(bytes: &[u8], mut at: usize) -> Option<(usize, Boundary)> {
    loop {
        let (ff, escape) = next_escape(bytes, at)?;
        match escape {
            Escape::Stuffed => at = ff + 2,
            Escape::Marker { code, after } if is_rst(code) => {
                let boundary = Boundary::Restart {
                    number: code - RST0,
                    resume: after,
                };
                return Some((ff, boundary));
            }
            Escape::Marker { .. } | Escape::Damaged => return Some((ff, Boundary::End)),
        }
    }
}

/// A scan's entropy-coded data with the stuffed zero after each 0xFF taken out, split at its
/// restart markers, followed by zero bytes so that reads need no check for the end.
pub(crate) struct Entropy {
    pub data: Vec<u8>,
    /// Where each restart interval's data ends in `data`, in order.
    pub ends: Vec<usize>,
    /// The code of the marker that ends the scan.
    pub next_marker: u8,
    /// Where that marker starts (its first 0xFF) in the file.
    pub marker_at: usize,
}

/// Zero bytes after the data: a read of eight bytes from anywhere in it stays in the buffer.
pub(crate) const ENTROPY_PADDING: usize = 8;

impl Entropy {
    /// The data of the scan starting at `bytes[at]`. Declined as damage: a restart marker out
    /// of sequence, fill bytes anywhere but before a marker, or no marker at the end.
    pub fn read(bytes: &[u8], mut at: usize) -> Result<Entropy, Declined> {
        let mut data = Vec::new();
        let mut ends = Vec::new();
        loop {
            let (ff, escape) =
                next_escape(bytes, at).ok_or(Declined::Damaged("the scan's data runs out"))?;
            data.extend_from_slice(&bytes[at..ff]);
            match escape {
                Escape::Stuffed => {
                    data.push(0xFF);
                    at = ff + 2;
                }
                Escape::Damaged => {
                    return Err(Declined::Damaged("fill bytes inside entropy-coded data"))
                }
                Escape::Marker { code, after } => {
                    at = after;
                    ends.push(data.len());
                    if is_rst(code) {
                        if usize::from(code - RST0) != (ends.len() - 1) % 8 {
                            return Err(Declined::Damaged("a restart marker out of sequence"));
                        }
                        continue;
                    }
                    data.resize(data.len() + ENTROPY_PADDING, 0);
                    return Ok(Entropy {
                        data,
                        ends,
                        next_marker: code,
                        marker_at: ff,
                    });
                }
            }
        }
    }
}

/// A scan's data read unit by unit (an MCU, or one block of a scan of one component), in the
/// intervals its restart markers cut it into.
pub(crate) struct Intervals<'a> {
    entropy: &'a Entropy,
    /// Units per interval.
    interval: usize,
    /// Where the data proper ends (the padding after it is not data).
    data_end: usize,
    pub bits: Bits<'a>,
}

impl<'a> Intervals<'a> {
    /// The reader of a scan of `total` units with a restart marker every `restart_interval`
    /// (0: none); declined unless the markers cut the data into exactly that many intervals.
    pub fn new(
        entropy: &'a Entropy,
        total: usize,
        restart_interval: usize,
    ) -> Result<Self, Declined> {
        let interval = if restart_interval == 0 {
            total
        } else {
            restart_interval
        };
        if total == 0 || entropy.ends.len() != total.div_ceil(interval) {
            return Err(Declined::Damaged(
                "the restart markers do not cut the scan into its intervals",
            ));
        }
        Ok(Intervals {
            entropy,
            interval,
            data_end: entropy.data.len() - ENTROPY_PADDING,
            bits: Bits::new(&entropy.data, 0),
        })
    }

    /// Before unit `unit`: whether coding restarts there (predictions start afresh), the
    /// interval before read exactly and the reader moved to the next. Declined when it was not
    /// read exactly, or when the data has run out already (damaged now, not after decoding
    /// zeros for the rest of a frame the header may have declared far larger than the file).
    #[inline]
    pub fn start(&mut self, unit: usize) -> Result<bool, Declined> {
        let restart = unit > 0 && unit % self.interval == 0;
        if restart {
            let end = self.entropy.ends[unit / self.interval - 1];
            if !self.bits.ends_at(end) {
                return Err(Declined::Damaged(
                    "a restart interval's data is not read exactly",
                ));
            }
            self.bits = Bits::new(&self.entropy.data, end);
        }
        if self.bits.position() <= 8 * self.data_end {
            Ok(restart)
        } else {
            Err(Declined::Damaged("the scan's data runs out"))
        }
    }

    /// After the last unit: declined unless the last interval's data was read exactly.
    pub fn finish(&self) -> Result<(), Declined> {
        let exact = self
            .entropy
            .ends
            .last()
            .is_some_and(|&end| self.bits.ends_at(end));
        exact
            .then_some(())
            .ok_or(Declined::Damaged("data left over at the end of the scan"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_read_one_way() {
        assert_eq!(escape_at(&[0xFF, 0x00], 0), Some(Escape::Stuffed));
        assert_eq!(
            escape_at(&[0xFF, 0xD3, 7], 0),
            Some(Escape::Marker {
                code: 0xD3,
                after: 2
            })
        );
        // Fill bytes before a marker, and before a zero.
        assert_eq!(
            escape_at(&[0xFF, 0xFF, 0xFF, 0xD9], 0),
            Some(Escape::Marker {
                code: 0xD9,
                after: 4
            })
        );
        assert_eq!(escape_at(&[0xFF, 0xFF, 0x00], 0), Some(Escape::Damaged));
        assert_eq!(escape_at(&[0xFF, 0xFF], 0), None);
        assert_eq!(escape_at(&[0xFF], 0), None);
    }

    #[test]
    fn a_scan_ends_at_its_first_marker_that_is_no_restart() {
        let scan = [
            1, 0xFF, 0x00, 2, 0xFF, 0xD0, 3, 0xFF, 0xFF, 0xD1, 4, 0xFF, 0xFF, 0xD9,
        ];
        assert_eq!(end_of_scan(&scan, 0), 11);
        assert_eq!(end_of_scan(&scan[..10], 0), 10);
        let entropy = Entropy::read(&scan, 0).expect("a scan");
        assert_eq!(&entropy.data[..4], &[1, 0xFF, 2, 3]);
        assert_eq!(entropy.ends, [3, 4, 5]);
        assert_eq!((entropy.next_marker, entropy.marker_at), (0xD9, 11));
        // Out of sequence, damaged, cut short.
        let mut swapped = scan;
        swapped[5] = 0xD4;
        assert!(Entropy::read(&swapped, 0).is_err());
        assert!(Entropy::read(&[1, 0xFF, 0xFF, 0x00, 0xFF, 0xD9], 0).is_err());
        assert!(Entropy::read(&scan[..9], 0).is_err());
    }

    #[test]
    fn intervals_end_at_the_first_byte_of_their_marker() {
        let scan = [1, 0xFF, 0x00, 0xFF, 0xFF, 0xD5, 3, 0xFF, 0xD9];
        assert_eq!(
            next_interval(&scan, 0),
            Some((
                3,
                Boundary::Restart {
                    number: 5,
                    resume: 6
                }
            ))
        );
        assert_eq!(next_interval(&scan, 6), Some((7, Boundary::End)));
        assert_eq!(next_interval(&scan[..5], 0), None);
    }
}
