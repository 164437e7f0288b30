//! The planar decoder: a colour JPEG straight to its own YCbCr planes, at any eighth of full
//! scale, in pure Rust.
//!
//! Most uploads are camera and phone photos: baseline JPEGs, colour, one interleaved scan,
//! often with restart markers; progressive files are the rest of the colour JPEGs of the web.
//! For them this decoder reads the entropy-coded data once, keeps of each 8x8 block only the
//! `n` x `n` lowest frequencies and turns them into `n` x `n` pixels with an `n`-point inverse
//! DCT ([`idct`](super::idct)), and hands on the luma and chroma planes as they are stored,
//! without upsampling the chroma or converting colour (see [`Ycc`]).
//!
//! It is deliberately narrow and strict. Anything outside that layout (arithmetic or lossless
//! coding, other than three components, a colour transform that is not YCbCr, chroma that is
//! itself subsampled against another chroma plane, a sequential file of several scans) is
//! declined as [`Declined::Layout`]; anything a careful decoder would even warn about (a code
//! no table holds, coefficients past the block, data running out or left over before a
//! marker, a restart marker out of sequence, a progression out of order) as
//! [`Declined::Damaged`]. The caller then decodes the file another way. Every read is
//! bounds-checked and every size is checked against the size the caller expects (already
//! within its limits) before any plane is allocated.

use super::baseline;
use super::markers::{
    Segments, Walk, APP0, APP14, APP15, COM, DAC, DNL, EOI, SOF0, SOF1, SOF2, SOS,
};
use super::progressive;
use super::tables::{Frame, Tables};
use super::Declined;
use crate::planes::Ycc;

/// Decodes the colour JPEG `bytes` at `eighths`/8 of full scale in the DCT domain into its own
/// YCbCr planes; the luma plane must come out `expected` (width, height), the scaled size
/// the caller has already checked against its limits. Declined for any file outside the
/// layout this decoder takes and for anything wrong in it (see the module's documentation).
pub(crate) fn decode_planes(
    bytes: &[u8],
    eighths: u32,
    expected: (u32, u32),
) -> Result<Ycc, Declined> {
    if !(1..=8).contains(&eighths) {
        return Err(Declined::Layout("a scale that is not an eighth"));
    }
    let mut segments =
        Segments::after_soi(bytes, Walk::Strict).ok_or(Declined::Damaged("no start of image"))?;
    let mut tables = Tables::default();
    let mut frame = None;
    let Next::Scan(first_scan) = next_scan(&mut segments, &mut tables, &mut frame)? else {
        return Err(Declined::Damaged("the image ends before its first scan"));
    };
    let frame = frame.ok_or(Declined::Damaged("a scan before the frame header"))?;
    let data_at = segments.position();
    let n = eighths as usize;
    let scaled = |side: u32| (side * eighths).div_ceil(8);
    if (scaled(frame.width), scaled(frame.height)) != expected {
        return Err(Declined::Damaged(
            "a frame of another size than the one expected",
        ));
    }
    let (h, v) = (
        usize::from(frame.components[0].h),
        usize::from(frame.components[0].v),
    );
    let mcus_x = (frame.width as usize).div_ceil(8 * h);
    let mcus_y = (frame.height as usize).div_ceil(8 * v);
    // The planes as decoded, whole MCUs: luma `h` x `v` blocks of `n` x `n` per MCU, each
    // chroma plane one block; the chroma planes interleaved. Bounded: `expected`, within the
    // limits, is these sizes less under one MCU of padding.
    let luma_stride = mcus_x * h * n;
    let chroma_stride = mcus_x * n;
    let mut planes = Planes {
        y: vec![0u8; luma_stride * mcus_y * v * n],
        cbcr: vec![0u8; 2 * chroma_stride * mcus_y * n],
        luma_stride,
        chroma_stride,
    };
    let mcus = (mcus_x, mcus_y);
    if frame.is_progressive() {
        let quant = tables.component_quant(&frame)?;
        let mut scans = progressive::Scans {
            segments,
            header: first_scan,
            tables: &mut tables,
        };
        match n {
            1 => progressive::decode::<1>(&mut scans, &frame, &quant, mcus, &mut planes),
            2 => progressive::decode::<2>(&mut scans, &frame, &quant, mcus, &mut planes),
            3 => progressive::decode::<3>(&mut scans, &frame, &quant, mcus, &mut planes),
            4 => progressive::decode::<4>(&mut scans, &frame, &quant, mcus, &mut planes),
            5 => progressive::decode::<5>(&mut scans, &frame, &quant, mcus, &mut planes),
            6 => progressive::decode::<6>(&mut scans, &frame, &quant, mcus, &mut planes),
            7 => progressive::decode::<7>(&mut scans, &frame, &quant, mcus, &mut planes),
            _ => progressive::decode::<8>(&mut scans, &frame, &quant, mcus, &mut planes),
        }?;
    } else {
        let scan = baseline::read_scan(first_scan, &frame, &tables, data_at)?;
        match n {
            1 => baseline::decode_scan::<1>(bytes, &frame, &scan, mcus, &mut planes),
            2 => baseline::decode_scan::<2>(bytes, &frame, &scan, mcus, &mut planes),
            3 => baseline::decode_scan::<3>(bytes, &frame, &scan, mcus, &mut planes),
            4 => baseline::decode_scan::<4>(bytes, &frame, &scan, mcus, &mut planes),
            5 => baseline::decode_scan::<5>(bytes, &frame, &scan, mcus, &mut planes),
            6 => baseline::decode_scan::<6>(bytes, &frame, &scan, mcus, &mut planes),
            7 => baseline::decode_scan::<7>(bytes, &frame, &scan, mcus, &mut planes),
            _ => baseline::decode_scan::<8>(bytes, &frame, &scan, mcus, &mut planes),
        }?;
    }

    // Keep the visible part: the expected luma size, and the chroma samples it spans.
    let (width, height) = (expected.0 as usize, expected.1 as usize);
    let subsampling = (
        u32::from(frame.components[0].h),
        u32::from(frame.components[0].v),
    );
    let chroma_width = width.div_ceil(h);
    let chroma_height = height.div_ceil(v);
    let mut y = planes.y;
    compact_rows(&mut y, luma_stride, width, height);
    let mut cbcr = planes.cbcr;
    compact_rows(
        &mut cbcr,
        2 * chroma_stride,
        2 * chroma_width,
        chroma_height,
    );
    let ycc = Ycc {
        width: expected.0,
        height: expected.1,
        subsampling,
        y,
        cbcr,
    };
    if ycc.is_consistent() {
        Ok(ycc)
    } else {
        Err(Declined::Damaged("planes that do not hold their size"))
    }
}

/// Moves the first `width` bytes of each of the first `height` rows of `stride` bytes to be
/// packed, and drops the rest.
fn compact_rows(data: &mut Vec<u8>, stride: usize, width: usize, height: usize) {
    if stride != width {
        for row in 1..height {
            data.copy_within(row * stride..row * stride + width, row * width);
        }
    }
    data.truncate(width * height);
}

/// The decoded planes, padded to whole MCUs.
pub(super) struct Planes {
    pub y: Vec<u8>,
    /// Cb and Cr interleaved.
    pub cbcr: Vec<u8>,
    pub luma_stride: usize,
    /// In chroma samples (the row holds twice as many bytes).
    pub chroma_stride: usize,
}

/// What comes next in a file, after any tables.
pub(super) enum Next<'a> {
    /// A scan: its header segment; the entropy-coded data starts where the walk stands.
    Scan(&'a [u8]),
    /// The end of the image.
    End,
}

/// Walks the segments up to the next scan or the end of the image, taking in the tables and
/// (once) the frame on the way, and leaves the walk after the scan header.
pub(super) fn next_scan<'a>(
    segments: &mut Segments<'a>,
    tables: &mut Tables,
    frame: &mut Option<Frame>,
) -> Result<Next<'a>, Declined> {
    loop {
        let segment = segments.next().ok_or(Declined::Damaged(
            "the bytes end, or hold no marker, between segments",
        ))?;
        if tables.take(segment.marker, segment.body)? {
            continue;
        }
        match segment.marker {
            SOF0 | SOF1 | SOF2 if frame.is_none() => {
                let parsed = Frame::parse(segment.marker, segment.body, segment.code_at + 3)?;
                check_layout(&parsed)?;
                *frame = Some(parsed);
            }
            // Adobe's transform flag: 1 is YCbCr; 0 (RGB) and 2 (YCCK) are not for here.
            APP14 if segment.body.starts_with(b"Adobe") => match segment.body.get(11) {
                Some(1) => {}
                Some(_) => return Err(Declined::Layout("a colour transform other than YCbCr")),
                None => return Err(Declined::Damaged("an Adobe segment cut short")),
            },
            SOS => return Ok(Next::Scan(segment.body)),
            EOI => return Ok(Next::End),
            APP0..=APP15 | COM => {}
            SOF0 | SOF1 | SOF2 => return Err(Declined::Damaged("a second frame header")),
            DAC => return Err(Declined::Layout("arithmetic coding")),
            DNL => return Err(Declined::Layout("a DNL segment")),
            marker if super::markers::is_sof(marker) => {
                return Err(Declined::Layout(
                    "a coding other than Huffman sequential or progressive",
                ))
            }
            _ => return Err(Declined::Layout("a segment the decoder does not take")),
        }
    }
}

/// Declines the frames outside this decoder's layout: luma at up to twice the chroma's
/// resolution each way, both chroma planes at one block per MCU, 8-bit samples; and not
/// components named R, G, B, which marks RGB stored as it is.
fn check_layout(frame: &Frame) -> Result<(), Declined> {
    if frame.precision != 8 {
        return Err(Declined::Layout("samples of other than 8 bits"));
    }
    let [luma, cb, cr] = frame.components.as_slice() else {
        return Err(Declined::Layout("other than three components"));
    };
    let sampling_ok = (1..=2).contains(&luma.h)
        && (1..=2).contains(&luma.v)
        && [cb, cr].iter().all(|c| (c.h, c.v) == (1, 1));
    if !sampling_ok {
        return Err(Declined::Layout(
            "a chroma subsampling the decoder does not take",
        ));
    }
    if [luma.id, cb.id, cr.id] == *b"RGB" {
        return Err(Declined::Layout("RGB stored as it is"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
