//! A walk over a JPEG's marker structure, counting its scans before any decoder runs.
//!
//! A progressive JPEG may legally hold any number of scans, and every scan makes the decoder
//! go over the image's coefficients again: a few dozen kilobytes of tiny scans can keep a
//! decoder busy for minutes. jpeg-decoder has no ceiling of its own, so this pre-pass counts
//! the start-of-scan (SOS) markers and the file is refused past [`Limits::MAX_JPEG_SCANS`].
//!
//! The walk reads segment lengths to jump over headers, and inside entropy-coded data looks
//! only for `0xFF` followed by something that is neither stuffing (`0xFF00`), a restart marker
//! (`RST0`–`RST7`) nor fill (`0xFFFF`): that is where the scan ends. It allocates nothing and
//! reads each byte at most once.
//!
//! [`Limits::MAX_JPEG_SCANS`]: crate::Limits::MAX_JPEG_SCANS

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const TEM: u8 = 0x01;

pub(crate) fn is_rst(marker: u8) -> bool {
    (0xD0..=0xD7).contains(&marker)
}

/// The number of scans (SOS markers) in `bytes`, counting no further than `ceiling + 1`.
///
/// The walk stops at the end of the image (EOI) or of the bytes; a truncated or malformed
/// structure is not an error here (the decoder reports it), the count so far is returned.
pub(crate) fn count_scans(bytes: &[u8], ceiling: u32) -> u32 {
    let mut scans = 0u32;
    let mut at = 0usize;
    while let Some(marker_at) = next_marker(bytes, at) {
        let marker = bytes[marker_at];
        at = marker_at + 1;
        match marker {
            EOI => break,
            SOI | TEM => {}
            m if is_rst(m) => {}
            _ => {
                let Some(length) = bytes
                    .get(at..at + 2)
                    .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                else {
                    break;
                };
                // The length counts its own two bytes; less is malformed: step past it.
                at = at.saturating_add(length.max(2));
                if marker == SOS {
                    scans += 1;
                    if scans > ceiling {
                        break;
                    }
                    at = end_of_entropy_coded_data(bytes, at);
                }
            }
        }
    }
    scans
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

/// Where the entropy-coded data starting at `at` ends: the `0xFF` of the first marker that is
/// not a restart marker, or the end of the bytes.
fn end_of_entropy_coded_data(bytes: &[u8], mut at: usize) -> usize {
    loop {
        let Some(ff) = bytes.get(at..).and_then(|rest| memchr::memchr(0xFF, rest)) else {
            return bytes.len();
        };
        let ff = at + ff;
        match bytes.get(ff + 1) {
            None => return bytes.len(),
            // Stuffing, a restart marker, or fill before a marker: still in the scan (fill
            // is looked at again from its last 0xFF).
            Some(&0x00) => at = ff + 2,
            Some(&m) if is_rst(m) => at = ff + 2,
            Some(&0xFF) => at = ff + 1,
            Some(_) => return ff,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, a frame header, then `scans` scans of entropy-coded data holding stuffing,
    /// restart markers and fill, then EOI.
    fn jpeg_with_scans(scans: usize) -> Vec<u8> {
        let mut jpeg = vec![0xFF, SOI];
        jpeg.extend_from_slice(&[0xFF, 0xC2, 0x00, 0x0B, 8, 0, 8, 0, 8, 1, 1, 0x11, 0]);
        for _ in 0..scans {
            jpeg.extend_from_slice(&[0xFF, SOS, 0x00, 0x08, 1, 1, 0, 0, 0, 0]);
            // Entropy-coded bytes that look like markers but are not: stuffed FF DA, a
            // restart marker, fill bytes before RST1.
            jpeg.extend_from_slice(&[0x12, 0xFF, 0x00, 0xDA, 0xFF, 0xD0, 0x34, 0xFF, 0xFF]);
            jpeg.extend_from_slice(&[0xFF, 0xD1, 0x56]);
            // A table between scans, as progressive files have.
            jpeg.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x04, 0xDA, 0xDA]);
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
}
