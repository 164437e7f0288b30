//! JPEG's marker codes and the one walk over a file's segments.
//!
//! A JPEG is a sequence of markers (`0xFF`, any number of `0xFF` fill bytes, a code), most of
//! them followed by a segment whose first two bytes give its length, itself included. After a
//! start-of-scan (SOS) segment comes entropy-coded data, which [`entropy`](super::entropy)
//! reads; everything else is found by [`Segments`].

/// Start of image.
pub(crate) const SOI: u8 = 0xD8;
/// End of image.
pub(crate) const EOI: u8 = 0xD9;
/// Start of scan.
pub(crate) const SOS: u8 = 0xDA;
/// Define quantisation tables.
pub(crate) const DQT: u8 = 0xDB;
/// Define number of lines: a frame's height, given after its first scan.
pub(crate) const DNL: u8 = 0xDC;
/// Define restart interval.
pub(crate) const DRI: u8 = 0xDD;
/// Define Huffman tables.
pub(crate) const DHT: u8 = 0xC4;
/// Define arithmetic coding conditioning.
pub(crate) const DAC: u8 = 0xCC;
/// Frame headers: baseline, extended sequential (Huffman), progressive (Huffman).
pub(crate) const SOF0: u8 = 0xC0;
pub(crate) const SOF1: u8 = 0xC1;
pub(crate) const SOF2: u8 = 0xC2;
/// The first restart marker; `RST0 + n` for n = 0..=7.
pub(crate) const RST0: u8 = 0xD0;
/// A marker with no segment, for private use.
pub(crate) const TEM: u8 = 0x01;
/// The first and last application segment (APP0 = JFIF, APP1 = EXIF, ...).
pub(crate) const APP0: u8 = 0xE0;
pub(crate) const APP15: u8 = 0xEF;
/// Adobe's segment, whose transform flag says how colour is stored.
pub(crate) const APP14: u8 = 0xEE;
/// Comment.
pub(crate) const COM: u8 = 0xFE;

/// Whether `marker` is a restart marker (`RST0`–`RST7`).
pub(crate) fn is_rst(marker: u8) -> bool {
    (RST0..=RST0 + 7).contains(&marker)
}

/// Whether `marker` starts a frame of any coding: SOF0–SOF3, SOF5–SOF7 (hierarchical),
/// SOF9–SOF11 and SOF13–SOF15 (arithmetic). DHT (`0xC4`), JPG (`0xC8`) and DAC (`0xCC`) share
/// the range and are not frames.
pub(crate) fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, DHT | 0xC8 | DAC)
}

/// Whether `marker` stands alone, with no segment after it.
fn has_no_segment(marker: u8) -> bool {
    matches!(marker, SOI | EOI | TEM) || is_rst(marker)
}

/// The position of the next marker code (the byte after its `0xFF` and any fill bytes) at or
/// after `at`, skipping bytes that are not part of a marker as tolerant decoders do.
pub(crate) fn next_marker(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at += memchr::memchr(0xFF, bytes.get(at..)?)?;
        while *bytes.get(at)? == 0xFF {
            at += 1;
        }
        // A stuffed zero outside a scan is no marker; keep looking after it.
        if bytes[at] != 0x00 {
            return Some(at);
        }
        at += 1;
    }
}

/// One marker and its segment, as [`Segments`] finds them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment<'a> {
    /// The marker's code.
    pub marker: u8,
    /// Where the code is in the file.
    pub code_at: usize,
    /// The segment after the length field (empty for a marker that has none).
    pub body: &'a [u8],
    /// Where the next marker or, after SOS, the entropy-coded data may start.
    pub end: usize,
}

/// How strictly [`Segments`] reads the bytes between segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    /// Each segment must be followed at once by the next marker (fill bytes allowed), and a
    /// length must cover its own two bytes: anything else ends the walk, as damage.
    Strict,
    /// Bytes between segments are skipped and a length under two is stepped over, as
    /// tolerant decoders do: for a walk that only looks for what is there.
    Tolerant,
}

/// The segments of a JPEG from a position on: the one place that reads marker codes, fill
/// bytes and segment lengths. The walk ends (`None`) where the bytes do, or, when
/// [`Walk::Strict`], at the first thing that is not a marker; it does not step into
/// entropy-coded data: after an SOS segment the caller reads the scan and moves the walk on
/// with [`Segments::resume`].
#[derive(Debug, Clone)]
pub(crate) struct Segments<'a> {
    bytes: &'a [u8],
    at: usize,
    walk: Walk,
}

impl<'a> Segments<'a> {
    /// The segments of `bytes` from `at` on.
    pub fn new(bytes: &'a [u8], at: usize, walk: Walk) -> Self {
        Segments { bytes, at, walk }
    }

    /// The segments after SOI; `None` when `bytes` do not start with SOI.
    pub fn after_soi(bytes: &'a [u8], walk: Walk) -> Option<Self> {
        (bytes.get(..2)? == [0xFF, SOI]).then(|| Segments::new(bytes, 2, walk))
    }

    /// Moves the walk to `at` (the end of a scan's data).
    pub fn resume(&mut self, at: usize) {
        self.at = at;
    }

    /// Where the walk stands: after the last segment read.
    pub fn position(&self) -> usize {
        self.at
    }

    /// The bytes walked.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        let bytes = self.bytes;
        let code_at = match self.walk {
            Walk::Tolerant => next_marker(bytes, self.at)?,
            Walk::Strict => {
                let mut at = self.at;
                if *bytes.get(at)? != 0xFF {
                    return None;
                }
                while *bytes.get(at)? == 0xFF {
                    at += 1;
                }
                at
            }
        };
        let marker = bytes[code_at];
        if has_no_segment(marker) {
            self.at = code_at + 1;
            return Some(Segment {
                marker,
                code_at,
                body: &[],
                end: self.at,
            });
        }
        let length = usize::from(u16::from_be_bytes([
            *bytes.get(code_at + 1)?,
            *bytes.get(code_at + 2)?,
        ]));
        let end = match self.walk {
            Walk::Strict if length < 2 => return None,
            // The length counts its own two bytes; less is malformed: step past it.
            _ => code_at + 1 + length.max(2),
        };
        let body = match self.walk {
            Walk::Strict => bytes.get(code_at + 3..end)?,
            // A segment cut short still ends the walk's view of it at the bytes' end.
            Walk::Tolerant => bytes.get(code_at + 3..end.min(bytes.len()))?,
        };
        self.at = end;
        Some(Segment {
            marker,
            code_at,
            body,
            end,
        })
    }
}

/// The number of scans (SOS markers) in `bytes`, counting no further than `ceiling + 1`.
///
/// A progressive JPEG may legally hold any number of scans, and every scan makes a decoder go
/// over the image's coefficients again: a few dozen kilobytes of tiny scans can keep one busy
/// for minutes. This count, which reads segment lengths to jump over headers and skips
/// entropy-coded data without decoding it, lets the caller refuse such a file first. The walk
/// stops at the end of the image (EOI) or of the bytes; a truncated or malformed structure is
/// not an error here (the decoder reports it), the count so far is returned. It allocates
/// nothing and reads each byte at most once.
pub(crate) fn count_scans(bytes: &[u8], ceiling: u32) -> u32 {
    let mut scans = 0u32;
    let mut segments = Segments::new(bytes, 0, Walk::Tolerant);
    while let Some(segment) = segments.next() {
        match segment.marker {
            EOI => break,
            SOS => {
                scans += 1;
                if scans > ceiling {
                    break;
                }
                segments.resume(super::entropy::end_of_scan(bytes, segment.end));
            }
            _ => {}
        }
    }
    scans
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, a frame header, then `scans` scans of entropy-coded data holding stuffing,
    /// restart markers and fill, then EOI.
    fn jpeg_with_scans(scans: usize) -> Vec<u8> {
        let mut jpeg = vec![0xFF, SOI];
        jpeg.extend_from_slice(&[0xFF, SOF2, 0x00, 0x0B, 8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
        for _ in 0..scans {
            jpeg.extend_from_slice(&[0xFF, SOS, 0x00, 0x08, 1, 1, 0, 0, 0, 0]);
            // Entropy-coded bytes that look like markers but are not: stuffed FF DA, a
            // restart marker, fill bytes before RST1.
            jpeg.extend_from_slice(&[0x12, 0xFF, 0x00, 0xDA, 0xFF, 0xD0, 0x34, 0xFF, 0xFF]);
            jpeg.extend_from_slice(&[0xFF, 0xD1, 0x56]);
            // A table between scans, as progressive files have.
            jpeg.extend_from_slice(&[0xFF, DHT, 0x00, 0x04, 0xDA, 0xDA]);
        }
        jpeg.extend_from_slice(&[0xFF, EOI]);
        jpeg
    }

    #[test]
    fn counts_scans_through_stuffing_and_restarts() {
        for scans in [0, 1, 2, 7, 100] {
            assert_eq!(count_scans(&jpeg_with_scans(scans), 1000), scans as u32);
        }
    }

    #[test]
    fn stops_counting_past_the_ceiling() {
        assert_eq!(count_scans(&jpeg_with_scans(5000), 100), 101);
    }

    #[test]
    fn nothing_after_eoi_counts() {
        let mut jpeg = jpeg_with_scans(3);
        jpeg.extend_from_slice(&jpeg_with_scans(3));
        assert_eq!(count_scans(&jpeg, 1000), 3);
    }

    #[test]
    fn every_truncation_is_counted_without_panicking() {
        let jpeg = jpeg_with_scans(4);
        for end in 0..jpeg.len() {
            assert!(count_scans(&jpeg[..end], 1000) <= 4);
        }
        // A segment length under 2 and garbage between segments do not stall the walk.
        let odd = [
            0xFF, SOI, 0x12, 0xFF, 0xE0, 0x00, 0x00, 0xFF, SOS, 0x00, 0x01, 0xFF, EOI,
        ];
        assert_eq!(count_scans(&odd, 1000), 1);
    }

    #[test]
    fn frames_are_told_from_the_tables_that_share_their_codes() {
        let frames: Vec<u8> = (0xC0..=0xCF).filter(|&m| is_sof(m)).collect();
        assert_eq!(
            frames,
            [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF]
        );
        assert!((0xD0..=0xD7).all(is_rst) && !is_rst(0xD8) && !is_rst(0xCF));
    }

    #[test]
    fn a_strict_walk_stops_at_anything_but_a_marker() {
        // Fill bytes before a marker are fine; a stray byte, or a length under two, is not.
        let good = [0xFF, SOI, 0xFF, 0xFF, COM, 0, 3, 7, 0xFF, EOI];
        let markers: Vec<u8> = Segments::after_soi(&good, Walk::Strict)
            .expect("SOI")
            .map(|s| s.marker)
            .collect();
        assert_eq!(markers, [COM, EOI]);
        let stray = [0xFF, SOI, 0x12, 0xFF, COM, 0, 2, 0xFF, EOI];
        assert_eq!(
            Segments::after_soi(&stray, Walk::Strict).unwrap().count(),
            0
        );
        assert_eq!(
            Segments::after_soi(&stray, Walk::Tolerant).unwrap().count(),
            2
        );
        let short = [0xFF, SOI, 0xFF, COM, 0, 1, 0xFF, EOI];
        assert_eq!(
            Segments::after_soi(&short, Walk::Strict).unwrap().count(),
            0
        );
        assert!(Segments::after_soi(&[0xFF, EOI], Walk::Strict).is_none());
    }
}
