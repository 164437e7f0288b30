//! The JPEG codec: bytes and planes in, planes and bytes out.
//!
//! It knows nothing of photo sizes, limits policy or orientation; the pipeline
//! ([`decode`](crate::decode), [`encode`](crate::encode)) decides what to ask of it. One concern
//! a file, each rule in one place:
//!
//! | file | holds |
//! |---|---|
//! | [`markers`] | marker codes, the one walk over a file's segments, the count of its scans |
//! | [`tables`] | the one reading of frame headers (SOF) and of DQT, DHT and DRI segments |
//! | [`entropy`] | entropy-coded data: stuffing, fill bytes, restart intervals, the end of a scan |
//! | [`bits`] | the bit reader |
//! | [`huffman`] | the decoder's Huffman tables and the encoder's optimal codes |
//! | [`idct`], [`fdct`] | the inverse DCT at every eighth of full scale; the forward DCT |
//! | [`decoder`] | the planar decoder: a colour JPEG to its own YCbCr planes |
//! | [`baseline`], [`progressive`] | its sequential and progressive scans |
//! | [`crop`] | cutting out the restart intervals around a region, in bands |
//! | [`tolerance`] | what libjpeg reads that stricter decoders refuse, made standard once |
//! | [`writer`], [`rdo`], [`progression`] | the JPEG writer; its rate-distortion choice of levels; its progressive scans |
//! | [`backend`] | the build's backend: pure Rust, or libjpeg-turbo with the `turbojpeg` feature |

pub(crate) mod backend;
mod baseline;
mod bits;
pub(crate) mod crop;
mod decoder;
mod entropy;
mod fdct;
mod huffman;
mod idct;
pub(crate) mod markers;
mod progression;
mod progressive;
mod rdo;
mod tables;
#[cfg(test)]
pub(crate) mod testing;
mod tolerance;
pub(crate) mod writer;

use std::fmt;

pub(crate) use decoder::decode_planes;
pub(crate) use markers::count_scans;
pub(crate) use tables::Frame;
pub(crate) use tolerance::normalise;

/// The frame header of the JPEG `bytes`: the first SOF segment.
pub(crate) fn frame(bytes: &[u8]) -> Result<Frame, Declined> {
    let segments = markers::Segments::after_soi(bytes, markers::Walk::Tolerant)
        .ok_or(Declined::Damaged("no start of image"))?;
    for segment in segments {
        if markers::is_sof(segment.marker) {
            return Frame::parse(segment.marker, segment.body, segment.code_at + 3);
        }
        if matches!(segment.marker, markers::SOS | markers::EOI) {
            break;
        }
    }
    Err(Declined::Damaged("no frame header before the first scan"))
}

/// Why the planar decoder declined a file: the caller then decodes it another way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Declined {
    /// A layout or coding this decoder does not take; the file may well be sound.
    Layout(&'static str),
    /// Something wrong in the data, that a careful decoder would at least warn about.
    Damaged(&'static str),
}

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Declined::Layout(what) => {
                write!(f, "a layout the planar decoder does not take: {what}")
            }
            Declined::Damaged(what) => write!(f, "damaged: {what}"),
        }
    }
}
