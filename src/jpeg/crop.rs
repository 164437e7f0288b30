//! Dropping the restart intervals of a JPEG that lie wholly outside the centre square, before
//! anything is decoded.
//!
//! Many cameras write baseline JPEGs with restart markers every few MCUs. The coding restarts
//! at each marker (the DC predictions are reset and the bit stream realigned), so an interval
//! can be cut out of the entropy-coded data without decoding it. When the intervals tile every
//! row of MCUs, the ones left and right of the square (and the rows above and below it) are
//! left out, the markers renumbered and the frame header given the smaller size: the result is
//! a valid JPEG of the region around the square whose pixels are the same region of the full
//! decode. On a 4:3 photo a quarter of the entropy decoding, the costliest step of an ingest,
//! goes away.
//!
//! Everything here only moves bytes; the decoder still checks the rebuilt stream. Any layout
//! this does not handle (progressive or arithmetic coding, several scans, no restart interval,
//! intervals that straddle rows, a count of intervals that does not match the frame) gives
//! `None`, and the whole file is decoded as it is.

use super::entropy::{next_interval, Boundary};
use super::markers::{is_sof, Segments, Walk, DRI, EOI, RST0, SOF0, SOF1, SOS};
use super::tables::{restart_interval, Frame};
use crate::geometry::{PixelRect, Rect};

/// A region of the original as JPEGs of horizontal bands, and where the region lies in the
/// original.
#[derive(Debug)]
pub(crate) struct Cropped {
    /// The bands, top to bottom; together they hold every row of the region.
    pub bands: Vec<Band>,
    /// Where the region lies in the original, in its pixels.
    pub region: PixelRect,
}

/// One horizontal band of a [`Cropped`] region: a JPEG of the region's rows `top..top + height`
/// (as wide as the region), of which rows `keep_top..keep_end` are the band's own. The rest,
/// one row of MCUs each side where there is a neighbour band, is decoded only so that chroma
/// upsampling at the seams sees the same neighbours as in a decode of the whole region: the
/// kept rows of the bands, stacked, are that decode exactly.
#[derive(Debug)]
pub(crate) struct Band {
    pub bytes: Vec<u8>,
    pub top: u32,
    pub height: u32,
    pub keep_top: u32,
    pub keep_end: u32,
}

/// Bands are only made when each would hold at least this many rows of MCUs.
const MIN_BAND_MCU_ROWS: u32 = 8;

/// Pixels kept beyond the square on each side (rounded out to whole intervals), so that the
/// decoder's chroma upsampling sees the same neighbours at the square's edges as in a full
/// decode.
const MARGIN: f64 = 32.0;

/// The frame and scan layout this module needs, read from the headers.
struct Layout {
    /// Offset of the frame header's height field (width follows).
    size_at: usize,
    width: u32,
    height: u32,
    /// MCU size in pixels.
    mcu_width: u32,
    mcu_height: u32,
    restart_interval: u32,
    /// Offset of the first byte of entropy-coded data.
    data_at: usize,
}

/// `bytes` without the restart intervals that lie wholly outside `keep` (in stored pixel
/// coordinates, plus a margin), as up to `bands` horizontal bands that can be decoded
/// independently (in parallel). `None` when the file's layout does not allow it, or when
/// nothing would be left out and one band is asked for.
pub(crate) fn crop_to_intervals(bytes: &[u8], keep: Rect, bands: u32) -> Option<Cropped> {
    let layout = read_layout(bytes)?;
    let mcus_x = layout.width.div_ceil(layout.mcu_width);
    let mcus_y = layout.height.div_ceil(layout.mcu_height);
    if mcus_x % layout.restart_interval != 0 {
        return None;
    }
    let per_row = mcus_x / layout.restart_interval;
    let interval_width = f64::from(layout.restart_interval * layout.mcu_width);
    let mcu_height = f64::from(layout.mcu_height);
    let first_col = ((keep.left - MARGIN) / interval_width).floor().max(0.0) as u32;
    let end_col = (((keep.left + keep.width + MARGIN) / interval_width).ceil() as u32).min(per_row);
    let first_row = ((keep.top - MARGIN) / mcu_height).floor().max(0.0) as u32;
    let end_row = (((keep.top + keep.height + MARGIN) / mcu_height).ceil() as u32).min(mcus_y);
    if first_col >= end_col || first_row >= end_row {
        return None;
    }
    let rows = end_row - first_row;
    let bands = bands.clamp(1, (rows / MIN_BAND_MCU_ROWS).max(1));
    if bands == 1 && (first_col, end_col, first_row, end_row) == (0, per_row, 0, mcus_y) {
        return None;
    }

    // Where each kept interval's entropy-coded bytes are, row by row.
    let cols = end_col - first_col;
    let total = u64::from(per_row) * u64::from(mcus_y);
    // Bounded: one entry per interval kept, and each interval holds at least one byte.
    #[allow(clippy::disallowed_methods)]
    let mut kept: Vec<(usize, usize)> = Vec::with_capacity(
        usize::try_from(u64::from(rows) * u64::from(cols))
            .ok()?
            .min(bytes.len()),
    );
    let mut index = 0u64;
    let mut at = layout.data_at;
    loop {
        let (end, next) = next_interval(bytes, at)?;
        let row = index / u64::from(per_row);
        let col = index % u64::from(per_row);
        if (u64::from(first_row)..u64::from(end_row)).contains(&row)
            && (u64::from(first_col)..u64::from(end_col)).contains(&col)
        {
            kept.push((at, end));
        }
        index += 1;
        match next {
            Boundary::Restart { number, resume } => {
                // Markers must come in sequence; anything else is left to the decoder.
                if index >= total || u64::from(number) != (index - 1) % 8 {
                    return None;
                }
                at = resume;
            }
            Boundary::End => break,
        }
    }
    if index != total {
        return None;
    }

    let left = first_col * layout.restart_interval * layout.mcu_width;
    let top = first_row * layout.mcu_height;
    let width = (end_col * layout.restart_interval * layout.mcu_width).min(layout.width) - left;
    let height = (end_row * layout.mcu_height).min(layout.height) - top;
    // Band `i` owns the rows of MCUs `bounds(i)..bounds(i + 1)` of the region.
    let bound = |i: u32| rows * i / bands;
    let band_list = (0..bands)
        .map(|i| {
            let (own_first, own_end) = (bound(i), bound(i + 1));
            let first = own_first.saturating_sub(1);
            let end = if i + 1 < bands { own_end + 1 } else { own_end };
            let pixels = |mcu_row: u32| (mcu_row * layout.mcu_height).min(height);
            let band_height = pixels(end) - pixels(first);
            let intervals = &kept[(first * cols) as usize..(end * cols) as usize];
            Band {
                bytes: write_jpeg(bytes, &layout, (width, band_height), intervals),
                top: pixels(first),
                height: band_height,
                keep_top: pixels(own_first),
                keep_end: pixels(own_end),
            }
        })
        .collect();
    Some(Cropped {
        bands: band_list,
        region: PixelRect {
            left,
            top,
            width,
            height,
        },
    })
}

/// A JPEG of `size` (width, height) made of the headers of `bytes` (with that frame size) and
/// the entropy-coded `intervals` (byte ranges of `bytes`), with restart markers renumbered.
fn write_jpeg(
    bytes: &[u8],
    layout: &Layout,
    size: (u32, u32),
    intervals: &[(usize, usize)],
) -> Vec<u8> {
    let data: usize = intervals.iter().map(|(start, end)| end - start + 2).sum();
    // Bounded: the headers and intervals are parts of the input, plus a marker each.
    #[allow(clippy::disallowed_methods)]
    let mut out = Vec::with_capacity(layout.data_at + data + 2);
    out.extend_from_slice(&bytes[..layout.data_at]);
    // Both fit: they are no larger than the frame's own u16 fields.
    out[layout.size_at..layout.size_at + 2].copy_from_slice(&(size.1 as u16).to_be_bytes());
    out[layout.size_at + 2..layout.size_at + 4].copy_from_slice(&(size.0 as u16).to_be_bytes());
    for (n, &(start, end)) in intervals.iter().enumerate() {
        if n > 0 {
            out.extend_from_slice(&[0xFF, RST0 + ((n - 1) % 8) as u8]);
        }
        out.extend_from_slice(&bytes[start..end]);
    }
    out.extend_from_slice(&[0xFF, EOI]);
    out
}

/// Reads the headers up to the first scan, keeping what a crop needs; `None` for any layout
/// other than one baseline (or extended Huffman) scan of every component with a restart
/// interval, and for anything the frame and table reader declines.
fn read_layout(bytes: &[u8]) -> Option<Layout> {
    let mut frame: Option<Frame> = None;
    let mut interval = 0usize;
    for segment in Segments::after_soi(bytes, Walk::Tolerant)? {
        match segment.marker {
            SOF0 | SOF1 if frame.is_none() => {
                frame = Some(Frame::parse(segment.marker, segment.body, segment.code_at + 3).ok()?);
            }
            // A second frame, or any other frame type (progressive, lossless, arithmetic).
            m if is_sof(m) => return None,
            DRI => interval = restart_interval(segment.body).ok()?,
            SOS => {
                let frame = frame?;
                // One scan holding every component, so that it is the whole image.
                let count = usize::from(*segment.body.first()?);
                if count != frame.components.len() || interval == 0 {
                    return None;
                }
                let (mcu_width, mcu_height) = frame.mcu_size();
                return Some(Layout {
                    size_at: frame.size_at,
                    width: frame.width,
                    height: frame.height,
                    mcu_width,
                    mcu_height,
                    restart_interval: u32::try_from(interval).ok()?,
                    data_at: segment.end,
                });
            }
            EOI => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg::testing::{photo, square};
    use std::io::Write as _;

    fn decode(bytes: &[u8], eighths: u16) -> (u32, u32, Vec<u8>) {
        let mut decoder = jpeg_decoder::Decoder::new(bytes);
        decoder.read_info().unwrap();
        let info = decoder.info().unwrap();
        let (w, h) = decoder
            .scale(
                (info.width * eighths).div_ceil(8),
                (info.height * eighths).div_ceil(8),
            )
            .unwrap();
        let pixels = decoder.decode().unwrap();
        (u32::from(w), u32::from(h), pixels)
    }

    /// The region of a crop decodes to the same pixels as that region of the whole image, at
    /// every DCT scale: the same but for rounding, since jpeg-decoder converts colour in SIMD
    /// chunks with a scalar tail, which fall differently on a narrower row.
    fn assert_same_pixels(full: &[u8], cropped: &Cropped) {
        for eighths in [1u16, 2, 4, 8] {
            let (fw, _, whole) = decode(full, eighths);
            let (cw, ch, part) = decode(&cropped.bands[0].bytes, eighths);
            let scale = |v: u32| v * u32::from(eighths) / 8;
            let (ox, oy) = (scale(cropped.region.left), scale(cropped.region.top));
            let (mut compared, mut differing) = (0usize, 0usize);
            // The region's outermost two pixels may see their chroma upsampled without the
            // neighbours that were cut off: they are not compared.
            for y in 2..ch.saturating_sub(2) {
                for x in 2..cw.saturating_sub(2) {
                    let a = ((y * cw + x) * 3) as usize;
                    let b = (((oy + y) * fw + ox + x) * 3) as usize;
                    for (p, q) in part[a..a + 3].iter().zip(&whole[b..b + 3]) {
                        assert!(
                            p.abs_diff(*q) <= 1,
                            "pixel ({x}, {y}) of the crop at scale {eighths}/8: {p} against {q}"
                        );
                        compared += 1;
                        differing += usize::from(p != q);
                    }
                }
            }
            assert!(compared > 1000 * usize::from(eighths) / 8);
            assert!(
                differing * 100 <= compared,
                "{differing} of {compared} values differ at scale {eighths}/8"
            );
        }
    }

    #[test]
    fn leaves_out_the_columns_beside_a_landscape_square() {
        // 640x480, MCUs of 16x16: 40 per row, one interval every 4 MCUs (64 pixels).
        let full = photo(640, 480, 4, false);
        // With the margin, 80..560 rounds out to every interval: nothing to leave out.
        assert!(crop_to_intervals(&full, square(80.0, 0.0, 480.0), 1).is_none());
        let cropped = crop_to_intervals(&full, square(100.0, 0.0, 440.0), 1).unwrap();
        assert_eq!((cropped.region.left, cropped.region.top), (64, 0));
        assert_eq!((cropped.region.width, cropped.region.height), (512, 480));
        assert_same_pixels(&full, &cropped);
    }

    #[test]
    fn leaves_out_the_rows_above_and_below_a_portrait_square() {
        // 480x720: 30 MCUs per row, intervals of 6 MCUs; the square is rows 120..600.
        let full = photo(480, 720, 6, false);
        let cropped = crop_to_intervals(&full, square(0.0, 120.0, 480.0), 1).unwrap();
        assert_eq!((cropped.region.left, cropped.region.top), (0, 80));
        assert_eq!((cropped.region.width, cropped.region.height), (480, 560));
        assert_same_pixels(&full, &cropped);
    }

    #[test]
    fn keeps_the_partial_last_column_and_row() {
        // 650x500 is not a whole number of MCUs either way.
        let full = photo(650, 500, 1, false);
        let cropped = crop_to_intervals(&full, square(330.0, 180.0, 320.0), 1).unwrap();
        assert_eq!((cropped.region.left, cropped.region.top), (288, 144));
        assert_eq!(
            (cropped.region.width, cropped.region.height),
            (650 - 288, 500 - 144)
        );
        assert_same_pixels(&full, &cropped);
    }

    /// The kept rows of the bands, decoded one by one and stacked, are exactly the decode of
    /// the region in one piece, at every DCT scale.
    fn assert_bands_stack_up(full: &[u8], keep: Rect, bands: u32) {
        let whole = crop_to_intervals(full, keep, 1);
        let split = crop_to_intervals(full, keep, bands).unwrap();
        assert_eq!(split.bands.len(), bands as usize);
        let region = |c: &Cropped| c.region;
        if let Some(whole) = &whole {
            assert_eq!(region(whole), region(&split));
        }
        assert_eq!(split.bands[0].keep_top, 0);
        assert_eq!(
            split.bands[bands as usize - 1].keep_end,
            split.region.height
        );
        for pair in split.bands.windows(2) {
            assert_eq!(pair[0].keep_end, pair[1].keep_top);
        }
        for eighths in [1u16, 2, 4, 8] {
            let one_piece = match &whole {
                Some(whole) => decode(&whole.bands[0].bytes, eighths),
                None => decode(full, eighths),
            };
            let scale = |v: u32| (v * u32::from(eighths)).div_ceil(8);
            let mut stacked = Vec::new();
            for band in &split.bands {
                let (w, h, pixels) = decode(&band.bytes, eighths);
                assert_eq!((w, h), (scale(split.region.width), scale(band.height)));
                let row = w as usize * 3;
                let (from, to) = (
                    scale(band.keep_top - band.top),
                    scale(band.keep_end - band.top),
                );
                stacked.extend_from_slice(&pixels[from as usize * row..to as usize * row]);
            }
            assert!(stacked == one_piece.2, "bands differ at scale {eighths}/8");
        }
    }

    #[test]
    fn bands_stack_up_to_the_region() {
        // 4:2:0, whose chroma upsampling reads the rows above and below.
        let full = photo(640, 480, 4, false);
        assert_bands_stack_up(&full, square(100.0, 0.0, 440.0), 2);
        assert_bands_stack_up(&full, square(100.0, 0.0, 440.0), 3);
        // Nothing to crop, but still split; the last row of MCUs is partial.
        let full = photo(480, 470, 5, false);
        assert_bands_stack_up(&full, square(0.0, 0.0, 480.0), 2);
        // Too few rows of MCUs for two bands of eight: one band.
        let small = photo(640, 240, 4, false);
        assert_eq!(
            crop_to_intervals(&small, square(200.0, 0.0, 240.0), 2)
                .unwrap()
                .bands
                .len(),
            1
        );
    }

    #[test]
    fn leaves_files_it_cannot_crop_alone() {
        let wide = square(200.0, 0.0, 240.0);
        // No restart markers.
        assert!(crop_to_intervals(&photo(640, 240, 0, false), wide, 1).is_none());
        // Intervals that straddle rows of MCUs (40 per row, 3 per interval).
        assert!(crop_to_intervals(&photo(640, 240, 3, false), wide, 1).is_none());
        // Progressive.
        assert!(crop_to_intervals(&photo(640, 240, 4, true), wide, 1).is_none());
        // The square covers every interval.
        assert!(
            crop_to_intervals(&photo(640, 240, 4, false), square(0.0, 0.0, 640.0), 1).is_none()
        );
    }

    #[test]
    fn damaged_streams_are_left_to_the_decoder() {
        let full = photo(640, 480, 4, false);
        let keep = square(100.0, 0.0, 440.0);
        assert!(crop_to_intervals(&full, keep, 1).is_some());
        // Every truncation, and a restart marker out of sequence, give None, never a panic.
        for end in (0..full.len())
            .step_by(97)
            .chain(full.len() - 3..full.len())
        {
            assert!(
                crop_to_intervals(&full[..end], keep, 1).is_none(),
                "cut at {end}"
            );
        }
        let data_at = read_layout(&full).unwrap().data_at;
        let rst = data_at
            + full[data_at..]
                .windows(2)
                .position(|w| w[0] == 0xFF && (0xD0..=0xD7).contains(&w[1]))
                .unwrap();
        let mut swapped = full.clone();
        swapped[rst + 1] = 0xD5;
        assert!(crop_to_intervals(&swapped, keep, 1).is_none());
        // Every single-byte change either crops or gives None.
        for at in (0..data_at + 40).step_by(3) {
            let mut changed = full.clone();
            changed[at] ^= 0xA5;
            let _ = crop_to_intervals(&changed, keep, 1);
            let _ = crop_to_intervals(&changed, keep, 2);
        }
    }

    /// The corpus's 12-megapixel camera photo has a restart marker every four MCUs: the
    /// columns beside its centre square are left out.
    #[test]
    fn the_corpus_camera_photo_is_cropped() {
        let corpus = std::env::var_os("USERPHOTO_CORPUS").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
            std::path::PathBuf::from,
        );
        let path = corpus.join("photos/photo_olympus_ep3_12mp_4032x3024.jpg");
        let Ok(full) = std::fs::read(&path) else {
            // Straight to stderr, which the test harness does not capture.
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {} is not there (set USERPHOTO_CORPUS)",
                path.display()
            );
            return;
        };
        let cropped = crop_to_intervals(&full, square(504.0, 0.0, 3024.0), 1).unwrap();
        // Intervals of 4 MCUs of 16x8: 64 pixels wide; 504 - 32 rounds down to 448.
        assert_eq!((cropped.region.left, cropped.region.top), (448, 0));
        assert_eq!((cropped.region.width, cropped.region.height), (3136, 3024));
        assert!(cropped.bands[0].bytes.len() < full.len() * 85 / 100);
        assert_same_pixels(&full, &cropped);
    }
}
