//! The frame header and the tables: the one reading of SOF, DQT, DHT and DRI segments.
//!
//! These say what any decoder must know; which frames a decoder takes is its own choice (the
//! planar decoder's in [`decoder`](super::decoder), the cropper's in [`crop`](super::crop)).

use super::huffman::Huffman;
use super::markers::{DHT, DQT, DRI, SOF2};
use super::Declined;

/// The natural (row-major) position of each coefficient in zigzag order, the order in which
/// quantisation tables and coefficients are stored.
pub(crate) const NATURAL: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// The most components a frame may have here: grey, YCbCr and CMYK/YCCK need no more.
const MAX_COMPONENTS: usize = 4;

/// One component of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Component {
    pub id: u8,
    /// Sampling factors across and down, 1..=4.
    pub h: u8,
    pub v: u8,
    /// The quantisation table's slot, 0..=3.
    pub quant: usize,
}

/// A frame header (an SOF segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The SOF marker, which names the coding process.
    pub marker: u8,
    /// Bits per sample.
    pub precision: u8,
    pub width: u32,
    pub height: u32,
    pub components: Vec<Component>,
    /// Where the height field is in the file (the width follows it).
    pub size_at: usize,
}

impl Frame {
    /// Reads the SOF segment `body` (after its length field) of frame marker `marker`, which
    /// starts at `body_at` in the file. Declined as damage: a length that is not that of its
    /// components, a zero width, sampling factors or table slots JPEG does not have; as a
    /// layout: a height of zero (given later, by a DNL segment) or more than four components.
    pub fn parse(marker: u8, body: &[u8], body_at: usize) -> Result<Frame, Declined> {
        let [precision, h0, h1, w0, w1, count, specs @ ..] = body else {
            return Err(Declined::Damaged("a frame header cut short"));
        };
        let count = usize::from(*count);
        if specs.len() != 3 * count || count == 0 {
            return Err(Declined::Damaged(
                "a frame header's length is not that of its components",
            ));
        }
        if count > MAX_COMPONENTS {
            return Err(Declined::Layout("more than four components"));
        }
        let (height, width) = (
            u32::from(u16::from_be_bytes([*h0, *h1])),
            u32::from(u16::from_be_bytes([*w0, *w1])),
        );
        if width == 0 {
            return Err(Declined::Damaged("a frame of zero width"));
        }
        if height == 0 {
            return Err(Declined::Layout("a height given by a DNL segment"));
        }
        let components = specs
            .chunks_exact(3)
            .map(|spec| Component {
                id: spec[0],
                h: spec[1] >> 4,
                v: spec[1] & 0x0F,
                quant: usize::from(spec[2]),
            })
            .collect::<Vec<_>>();
        let valid = components
            .iter()
            .all(|c| (1..=4).contains(&c.h) && (1..=4).contains(&c.v) && c.quant < 4);
        if !valid {
            return Err(Declined::Damaged(
                "sampling factors or a table slot JPEG does not have",
            ));
        }
        Ok(Frame {
            marker,
            precision: *precision,
            width,
            height,
            components,
            size_at: body_at + 1,
        })
    }

    /// Whether the frame is coded in several scans of spectral bands and bit planes (SOF2).
    pub fn is_progressive(&self) -> bool {
        self.marker == SOF2
    }

    /// The width and height in pixels of an MCU of a scan of all the components: a scan of
    /// one component has one block per MCU, whatever its sampling factors.
    pub fn mcu_size(&self) -> (u32, u32) {
        if self.components.len() == 1 {
            return (8, 8);
        }
        let h_max = self.components.iter().map(|c| c.h).max().unwrap_or(1);
        let v_max = self.components.iter().map(|c| c.v).max().unwrap_or(1);
        (8 * u32::from(h_max), 8 * u32::from(v_max))
    }
}

/// The restart interval a DRI segment's `body` sets, in MCUs (0: none).
pub(crate) fn restart_interval(body: &[u8]) -> Result<usize, Declined> {
    match body {
        [high, low, ..] => Ok(usize::from(u16::from_be_bytes([*high, *low]))),
        _ => Err(Declined::Damaged("a DRI segment cut short")),
    }
}

/// The quantisation step of a table entry: its value, except that a zero, which JPEG does not
/// allow and some encoders write all the same, is read as 1, the smallest step there is.
pub(crate) fn step(value: u16) -> u16 {
    value.max(1)
}

/// Where the zero entries of the DQT segment `body` are: for each, the offset in `body` of the
/// byte that, set to 1, makes the entry 1 (its only byte, or the low one of two). Stops at
/// anything malformed, which the table reader refuses.
pub(crate) fn zero_steps(mut body: &[u8]) -> Vec<usize> {
    let mut zeros = Vec::new();
    let mut at = 0;
    while let [info, rest @ ..] = body {
        let width = match info >> 4 {
            0 => 1,
            1 => 2,
            _ => break,
        };
        let Some(entries) = rest.get(..64 * width) else {
            break;
        };
        for (k, entry) in entries.chunks_exact(width).enumerate() {
            if entry.iter().all(|&b| b == 0) {
                zeros.push(at + 1 + k * width + width - 1);
            }
        }
        at += 1 + 64 * width;
        body = &rest[64 * width..];
    }
    zeros
}

/// The tables in force at a point of a file.
#[derive(Default)]
pub(crate) struct Tables {
    /// Quantisation tables, in zigzag order.
    pub quant: [Option<[u16; 64]>; 4],
    pub dc: [Option<Huffman>; 4],
    pub ac: [Option<Huffman>; 4],
    pub restart_interval: usize,
}

impl Tables {
    /// Takes in the segment of `marker` if it defines tables (DQT, DHT, DRI); gives whether
    /// it did.
    pub fn take(&mut self, marker: u8, body: &[u8]) -> Result<bool, Declined> {
        match marker {
            DQT => self.read_quant(body)?,
            DHT => self.read_huffman(body)?,
            DRI => self.restart_interval = restart_interval(body)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn read_quant(&mut self, mut segment: &[u8]) -> Result<(), Declined> {
        let cut_short = Declined::Damaged("a DQT segment cut short");
        while let [info, rest @ ..] = segment {
            let (precision, id) = (info >> 4, usize::from(info & 0x0F));
            let mut table = [0u16; 64];
            let used = match precision {
                0 => {
                    for (value, &byte) in table.iter_mut().zip(rest.get(..64).ok_or(cut_short)?) {
                        *value = step(u16::from(byte));
                    }
                    64
                }
                1 => {
                    let pairs = rest.get(..128).ok_or(cut_short)?.chunks_exact(2);
                    for (value, pair) in table.iter_mut().zip(pairs) {
                        *value = step(u16::from_be_bytes([pair[0], pair[1]]));
                    }
                    128
                }
                _ => {
                    return Err(Declined::Damaged(
                        "a quantisation table of unknown precision",
                    ))
                }
            };
            *self
                .quant
                .get_mut(id)
                .ok_or(Declined::Damaged("a quantisation table slot over 3"))? = Some(table);
            segment = &rest[used..];
        }
        Ok(())
    }

    fn read_huffman(&mut self, mut segment: &[u8]) -> Result<(), Declined> {
        let cut_short = Declined::Damaged("a DHT segment cut short");
        while let [info, rest @ ..] = segment {
            let (class, id) = (info >> 4, usize::from(info & 0x0F));
            let counts: [u8; 16] = rest
                .get(..16)
                .and_then(|c| c.try_into().ok())
                .ok_or(cut_short)?;
            let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
            let values = rest.get(16..16 + total).ok_or(cut_short)?;
            let table = Huffman::new(&counts, values).ok_or(Declined::Damaged(
                "a Huffman table that overflows its code space",
            ))?;
            let slots = match class {
                0 => &mut self.dc,
                1 => &mut self.ac,
                _ => return Err(Declined::Damaged("a Huffman table of unknown class")),
            };
            *slots
                .get_mut(id)
                .ok_or(Declined::Damaged("a Huffman table slot over 3"))? = Some(table);
            segment = &rest[16 + total..];
        }
        Ok(())
    }

    /// The quantisation table of each of `frame`'s components, in natural order, as the
    /// inverse DCT takes them.
    pub fn component_quant<const C: usize>(
        &self,
        frame: &Frame,
    ) -> Result<[[f32; 64]; C], Declined> {
        let mut quant = [[0f32; 64]; C];
        if frame.components.len() != C {
            return Err(Declined::Layout(
                "a component count the decoder does not take",
            ));
        }
        for (out, component) in quant.iter_mut().zip(&frame.components) {
            let table = self.quant[component.quant]
                .as_ref()
                .ok_or(Declined::Damaged(
                    "a component's quantisation table is missing",
                ))?;
            for (k, &q) in table.iter().enumerate() {
                out[usize::from(NATURAL[k])] = f32::from(q);
            }
        }
        Ok(quant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg::markers::SOF0;

    fn sof(count: u8, sampling: u8, quant: u8) -> Vec<u8> {
        let mut body = vec![8, 0, 48, 0, 64, count];
        for id in 1..=count {
            body.extend_from_slice(&[id, if id == 1 { sampling } else { 0x11 }, quant]);
        }
        body
    }

    #[test]
    fn reads_a_frame_and_its_mcu() {
        let frame = Frame::parse(SOF0, &sof(3, 0x22, 0), 100).expect("a frame");
        assert_eq!((frame.width, frame.height, frame.precision), (64, 48, 8));
        assert_eq!(frame.components.len(), 3);
        assert_eq!(frame.mcu_size(), (16, 16));
        assert_eq!(frame.size_at, 101);
        assert!(!frame.is_progressive());
        // One component: one block per MCU whatever its factors.
        let grey = Frame::parse(SOF0, &sof(1, 0x22, 0), 0).expect("a frame");
        assert_eq!(grey.mcu_size(), (8, 8));
    }

    #[test]
    fn frames_declined_say_why() {
        let layout = |body: &[u8]| matches!(Frame::parse(SOF0, body, 0), Err(Declined::Layout(_)));
        let damaged =
            |body: &[u8]| matches!(Frame::parse(SOF0, body, 0), Err(Declined::Damaged(_)));
        let mut dnl = sof(3, 0x22, 0);
        dnl[1..3].copy_from_slice(&[0, 0]);
        assert!(layout(&dnl));
        assert!(layout(&sof(5, 0x11, 0)));
        let mut narrow = sof(3, 0x22, 0);
        narrow[3..5].copy_from_slice(&[0, 0]);
        assert!(damaged(&narrow));
        assert!(damaged(&sof(3, 0x52, 0)));
        assert!(damaged(&sof(3, 0x22, 4)));
        let long = [sof(3, 0x22, 0), vec![0]].concat();
        assert!(damaged(&long));
        let body = sof(3, 0x22, 0);
        for end in 0..body.len() {
            assert!(damaged(&body[..end]), "cut at {end}");
        }
    }

    #[test]
    fn zero_steps_are_found_and_read_as_one() {
        let mut dqt = vec![0x00];
        dqt.extend((0..64u8).map(|k| if k % 20 == 3 { 0 } else { k + 1 }));
        dqt.push(0x11);
        dqt.extend((0..64u16).flat_map(|k| (if k == 63 { 0u16 } else { 300 }).to_be_bytes()));
        assert_eq!(zero_steps(&dqt), [4, 24, 44, 64, 1 + 64 + 1 + 63 * 2 + 1]);
        let mut tables = Tables::default();
        assert_eq!(tables.take(DQT, &dqt), Ok(true));
        assert_eq!(tables.quant[0].expect("slot 0")[3], 1);
        assert_eq!(tables.quant[1].expect("slot 1")[63], 1);
        assert_eq!(tables.quant[1].expect("slot 1")[62], 300);
        assert!(zero_steps(&dqt[..30]).is_empty());
    }

    #[test]
    fn reads_tables_and_refuses_damaged_ones() {
        let mut tables = Tables::default();
        let mut dqt = vec![0x01];
        dqt.extend(1..=64u8);
        assert_eq!(tables.take(DQT, &dqt), Ok(true));
        assert_eq!(tables.quant[1].expect("slot 1")[63], 64);
        let mut wide = vec![0x12];
        wide.extend((0..64u16).flat_map(|v| (v + 256).to_be_bytes()));
        assert_eq!(tables.take(DQT, &wide), Ok(true));
        assert_eq!(tables.quant[2].expect("slot 2")[0], 256);
        // Two codes of one bit for symbols 5 and 6.
        let mut dht = vec![0x13, 2];
        dht.extend([0; 15]);
        dht.extend([5, 6]);
        assert_eq!(tables.take(DHT, &dht), Ok(true));
        assert!(tables.ac[3].is_some() && tables.dc[3].is_none());
        assert_eq!(tables.take(DRI, &[0, 4]), Ok(true));
        assert_eq!(tables.restart_interval, 4);
        assert_eq!(tables.take(0xFE, b"comment"), Ok(false));
        // Three codes of one bit; a slot over 3; cut short.
        let mut overflow = vec![0x00, 3];
        overflow.extend([0; 15]);
        overflow.extend([1, 2, 3]);
        assert!(tables.take(DHT, &overflow).is_err());
        assert!(tables.take(DQT, &[0x04; 65]).is_err());
        assert!(tables.take(DQT, &dqt[..40]).is_err());
        assert!(tables.take(DRI, &[1]).is_err());
    }
}
