//! What libjpeg reads in a file that stricter decoders refuse, rewritten once, so that every
//! decoder after it sees a standard file and they all agree.
//!
//! - A DNL segment after the first scan of a frame that declares its height: libjpeg ignores
//!   it (the frame's height is the one that counts), jpeg-decoder refuses any DNL
//!   ("Unsupported: DNL"). It is dropped, whatever height it gives. A DNL is only needed by a
//!   frame of height zero, which is still refused.
//! - A zero in a quantisation table, which JPEG does not allow and jpeg-decoder refuses: read
//!   as the smallest step (see [`tables::step`]), in place.
//!
//! A file with neither comes back borrowed, untouched; the walk costs one pass over the bytes
//! with `memchr`, as the scan count does.

use std::borrow::Cow;

use super::entropy::end_of_scan;
use super::markers::{is_sof, Segments, Walk, DNL, DQT, EOI, SOS};
use super::tables::{self, Frame};

/// `bytes` with what libjpeg tolerates made standard (see the module's documentation).
pub(crate) fn normalise(bytes: &[u8]) -> Cow<'_, [u8]> {
    let Some(mut segments) = Segments::after_soi(bytes, Walk::Tolerant) else {
        return Cow::Borrowed(bytes);
    };
    // Byte ranges to drop, and positions of zero steps to set, in file order.
    let mut drop: Vec<std::ops::Range<usize>> = Vec::new();
    let mut zeros: Vec<usize> = Vec::new();
    let mut height = None;
    let mut scans = 0u32;
    let mut after_scan = false;
    while let Some(segment) = segments.next() {
        let body_at = segment.code_at + 3;
        match segment.marker {
            EOI => break,
            marker if is_sof(marker) && height.is_none() => {
                height = Frame::parse(marker, segment.body, body_at)
                    .ok()
                    .map(|f| f.height);
            }
            DQT => zeros.extend(
                tables::zero_steps(segment.body)
                    .into_iter()
                    .map(|at| body_at + at),
            ),
            DNL if after_scan && scans == 1 && height.is_some_and(|h| h > 0) => {
                // From its first fill byte, so that the data before it ends where it did.
                let first_ff = bytes[..segment.code_at]
                    .iter()
                    .rposition(|&b| b != 0xFF)
                    .map_or(0, |at| at + 1);
                drop.push(first_ff..segment.end.min(bytes.len()));
            }
            _ => {}
        }
        after_scan = false;
        if segment.marker == SOS {
            scans += 1;
            after_scan = true;
            segments.resume(end_of_scan(bytes, segment.end));
        }
    }
    if drop.is_empty() && zeros.is_empty() {
        return Cow::Borrowed(bytes);
    }
    let mut out = bytes.to_vec();
    for at in zeros {
        out[at] = 1;
    }
    for range in drop.into_iter().rev() {
        out.drain(range);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg::testing::photo;

    /// `jpeg` with a DNL segment of `height` between its scan's data and EOI.
    pub(crate) fn with_dnl(jpeg: &[u8], height: u16) -> Vec<u8> {
        let eoi = jpeg.len() - 2;
        let [h0, h1] = height.to_be_bytes();
        [&jpeg[..eoi], &[0xFF, DNL, 0, 4, h0, h1], &jpeg[eoi..]].concat()
    }

    #[test]
    fn a_dnl_after_a_frame_with_a_height_is_dropped() {
        let jpeg = photo(64, 48, 0, false);
        assert!(matches!(normalise(&jpeg), Cow::Borrowed(_)));
        assert_eq!(normalise(&with_dnl(&jpeg, 48)).as_ref(), jpeg.as_slice());
        // The frame's height counts, as libjpeg reads it.
        assert_eq!(normalise(&with_dnl(&jpeg, 50)).as_ref(), jpeg.as_slice());
        // A DNL anywhere but right after the first scan is left to the decoders.
        let eoi = jpeg.len() - 2;
        let twice = [
            &with_dnl(&jpeg, 48)[..eoi + 6],
            &[0xFF, DNL, 0, 4, 0, 48, 0xFF, 0xD9],
        ]
        .concat();
        assert_eq!(normalise(&twice).len(), twice.len() - 6);
    }

    #[test]
    fn zero_steps_become_the_smallest_step() {
        let jpeg = photo(64, 48, 0, false);
        let dqt = jpeg
            .windows(2)
            .position(|w| w == [0xFF, DQT])
            .expect("a DQT");
        // The table's last entry (its highest frequency) set to zero.
        let last = dqt + 4 + 64;
        let mut zeroed = jpeg.clone();
        zeroed[last] = 0;
        let fixed = normalise(&zeroed);
        assert_eq!(fixed[last], 1);
        assert_eq!(fixed.len(), jpeg.len());
        assert_eq!(&fixed[..last], &jpeg[..last]);
        assert_eq!(&fixed[last + 1..], &jpeg[last + 1..]);
    }

    #[test]
    fn anything_cut_short_comes_back_as_it_is() {
        let jpeg = with_dnl(&photo(64, 48, 2, false), 48);
        for end in 0..jpeg.len() - 8 {
            let cut = &jpeg[..end];
            let out = normalise(cut);
            assert!(out.len() <= cut.len(), "cut at {end}");
        }
    }
}
