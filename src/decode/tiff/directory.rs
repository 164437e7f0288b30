//! The first image file directory (IFD) of a TIFF, found in the bytes themselves: to name in
//! an error a value the tiff crate turned away, and to change a few values in a copy of the
//! file that the tiff crate then reads (see [`super::rewrite`](mod@super::rewrite)).

/// The first IFD of a TIFF or BigTIFF file: where its entries are and how numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Directory {
    little_endian: bool,
    /// BigTIFF: 8-byte counts, offsets and value fields, 20-byte entries.
    big: bool,
    /// Where the first entry starts.
    entries_at: usize,
    /// How many entries there are.
    count: usize,
}

/// One entry of a [`Directory`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// The field type: 3 SHORT, 4 LONG, …
    kind: u16,
    count: u64,
    /// Where the entry's value field starts (4 bytes, 8 in BigTIFF).
    value_at: usize,
}

/// Field type 3: 16-bit unsigned.
const SHORT: u16 = 3;
/// Field type 4: 32-bit unsigned.
const LONG: u16 = 4;

impl Directory {
    /// The first IFD of `bytes`, or `None` when the header or the IFD lies outside them.
    pub fn first(bytes: &[u8]) -> Option<Directory> {
        let (little_endian, big) = match bytes.get(..4)? {
            b"II*\0" => (true, false),
            b"MM\0*" => (false, false),
            b"II+\0" => (true, true),
            b"MM\0+" => (false, true),
            _ => return None,
        };
        let mut directory = Directory {
            little_endian,
            big,
            entries_at: 0,
            count: 0,
        };
        let (at, count) = if big {
            let at = usize::try_from(directory.u64_at(bytes, 8)?).ok()?;
            (at, directory.u64_at(bytes, at)?)
        } else {
            let at = usize::try_from(directory.u32_at(bytes, 4)?).ok()?;
            (at, u64::from(directory.u16_at(bytes, at)?))
        };
        directory.entries_at = at.checked_add(if big { 8 } else { 2 })?;
        directory.count = usize::try_from(count).ok()?;
        Some(directory)
    }

    /// The value of `tag` when its entry holds a single SHORT or LONG in itself: how every
    /// TIFF writes the PhotometricInterpretation, Compression and ImageWidth of an image.
    pub fn number(&self, bytes: &[u8], tag: u16) -> Option<u32> {
        let entry = self.entry(bytes, tag)?;
        match (entry.kind, entry.count) {
            (SHORT, 1) => self.u16_at(bytes, entry.value_at).map(u32::from),
            (LONG, 1) => self.u32_at(bytes, entry.value_at),
            _ => None,
        }
    }

    /// Writes `value` over the value of `tag` in `bytes` (a copy of the file this directory was
    /// read from), where [`number`](Directory::number) reads it. `false`, and nothing written,
    /// when the entry is not a single SHORT or LONG or the value does not fit its type.
    pub fn set_number(&self, bytes: &mut [u8], tag: u16, value: u32) -> bool {
        let Some(entry) = self.entry(bytes, tag) else {
            return false;
        };
        let written = match (entry.kind, entry.count) {
            (SHORT, 1) => u16::try_from(value).ok().map(|v| {
                if self.little_endian {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                }
                .to_vec()
            }),
            (LONG, 1) => Some(if self.little_endian {
                value.to_le_bytes().to_vec()
            } else {
                value.to_be_bytes().to_vec()
            }),
            _ => None,
        };
        let Some(written) = written else {
            return false;
        };
        match bytes.get_mut(entry.value_at..entry.value_at + written.len()) {
            Some(field) => {
                field.copy_from_slice(&written);
                true
            }
            None => false,
        }
    }

    /// The entry of `tag`, if the directory has one within the bytes.
    fn entry(&self, bytes: &[u8], tag: u16) -> Option<Entry> {
        let size = if self.big { 20 } else { 12 };
        // Entries past the end of the bytes are not there: stop at the first.
        (0..self.count)
            .map_while(|index| {
                let at = self.entries_at.checked_add(index.checked_mul(size)?)?;
                bytes.get(at..at.checked_add(size)?)?;
                Some(at)
            })
            .find(|&at| self.u16_at(bytes, at) == Some(tag))
            .and_then(|at| {
                let kind = self.u16_at(bytes, at + 2)?;
                let (count, value_at) = if self.big {
                    (self.u64_at(bytes, at + 4)?, at + 12)
                } else {
                    (u64::from(self.u32_at(bytes, at + 4)?), at + 8)
                };
                Some(Entry {
                    kind,
                    count,
                    value_at,
                })
            })
    }

    fn u16_at(&self, bytes: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.little_endian {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32_at(&self, bytes: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.little_endian {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn u64_at(&self, bytes: &[u8], at: usize) -> Option<u64> {
        let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(if self.little_endian {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header and one IFD of the given (tag, type, value) entries, each a single value held
    /// in the entry, in either byte order, classic or BigTIFF.
    fn tiff_of(little: bool, big: bool, entries: &[(u16, u16, u32)]) -> Vec<u8> {
        let order = |b: Vec<u8>| -> Vec<u8> {
            if little {
                b.into_iter().rev().collect()
            } else {
                b
            }
        };
        let u16_bytes = |v: u16| order(v.to_be_bytes().to_vec());
        let u32_bytes = |v: u32| order(v.to_be_bytes().to_vec());
        let u64_bytes = |v: u64| order(v.to_be_bytes().to_vec());
        let mut out = match (little, big) {
            (true, false) => b"II*\0".to_vec(),
            (false, false) => b"MM\0*".to_vec(),
            (true, true) => b"II+\0".to_vec(),
            (false, true) => b"MM\0+".to_vec(),
        };
        if big {
            out.extend(u16_bytes(8));
            out.extend(u16_bytes(0));
            out.extend(u64_bytes(16));
            out.extend(u64_bytes(entries.len() as u64));
        } else {
            out.extend(u32_bytes(8));
            out.extend(u16_bytes(entries.len() as u16));
        }
        for &(tag, kind, value) in entries {
            out.extend(u16_bytes(tag));
            out.extend(u16_bytes(kind));
            let field = if kind == SHORT {
                u16_bytes(value as u16)
            } else {
                u32_bytes(value)
            };
            if big {
                out.extend(u64_bytes(1));
                out.extend(&field);
                out.extend(vec![0; 8 - field.len()]);
            } else {
                out.extend(u32_bytes(1));
                out.extend(&field);
                out.extend(vec![0; 4 - field.len()]);
            }
        }
        out.extend(vec![0; if big { 8 } else { 4 }]);
        out
    }

    #[test]
    fn reads_and_writes_numbers_in_every_layout() {
        for little in [true, false] {
            for big in [false, true] {
                let what = format!("little-endian {little}, BigTIFF {big}");
                let tiff = tiff_of(
                    little,
                    big,
                    &[(256, LONG, 70_000), (259, SHORT, 7), (262, SHORT, 6)],
                );
                let directory = Directory::first(&tiff).expect(&what);
                assert_eq!(directory.number(&tiff, 256), Some(70_000), "{what}");
                assert_eq!(directory.number(&tiff, 259), Some(7), "{what}");
                assert_eq!(directory.number(&tiff, 262), Some(6), "{what}");
                assert_eq!(directory.number(&tiff, 258), None, "{what}");

                let mut copy = tiff.clone();
                assert!(directory.set_number(&mut copy, 262, 1), "{what}");
                assert!(directory.set_number(&mut copy, 256, 3), "{what}");
                // A SHORT cannot take a value over 65535; an absent tag cannot be written.
                assert!(!directory.set_number(&mut copy, 259, 70_000), "{what}");
                assert!(!directory.set_number(&mut copy, 258, 8), "{what}");
                assert_eq!(directory.number(&copy, 262), Some(1), "{what}");
                assert_eq!(directory.number(&copy, 256), Some(3), "{what}");
                assert_eq!(directory.number(&copy, 259), Some(7), "{what}");
                // Nothing else changed: writing the old values back gives the file again.
                assert_ne!(copy, tiff, "{what}");
                assert!(directory.set_number(&mut copy, 262, 6), "{what}");
                assert!(directory.set_number(&mut copy, 256, 70_000), "{what}");
                assert_eq!(copy, tiff, "{what}");

                // Cut anywhere inside the directory: no answer past the cut, and no panic.
                for end in 0..tiff.len() {
                    let cut = &tiff[..end];
                    if let Some(directory) = Directory::first(cut) {
                        let _ = directory.number(cut, 262);
                        let mut cut = cut.to_vec();
                        let _ = directory.set_number(&mut cut, 262, 1);
                    }
                }
            }
        }
        // The IFD offset points past the end.
        assert_eq!(Directory::first(b"II*\0\xff\xff\xff\xff"), None);
        assert_eq!(Directory::first(b"GIF89a"), None);
    }
}
