//! The build's JPEG backend, chosen here and nowhere else.
//!
//! The default build is pure Rust: the planar decoder for colour photos, jpeg-decoder (called
//! by the pipeline) for the rest. The `turbojpeg` feature swaps in libjpeg-turbo
//! (`backend/turbo.rs`) for what it does faster: packed grey and colour decodes at any eighth of
//! full scale, and progressive colour files. Both builds write renditions with our own writer
//! ([`super::writer`]). [`Active`] is the one that
//! is built; the rest of the crate asks it, never the feature.

#[cfg(feature = "turbojpeg")]
mod turbo;

/// Why an encode failed.
pub(crate) type EncodeError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The packed pixels a backend can decode a JPEG to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Packed {
    Grey,
    Rgb,
}

/// What differs between the builds' JPEG codecs.
pub(crate) trait Backend {
    /// Whether progressive colour files go to the planar decoder (else to [`decode_packed`]).
    ///
    /// [`decode_packed`]: Backend::decode_packed
    const PLANAR_PROGRESSIVE: bool;

    /// Whether [`decode_packed`](Backend::decode_packed) takes grey and colour files at every
    /// eighth of full scale (else only jpeg-decoder's 1/8, 1/4, 1/2 and 1 are there).
    const PACKED_EVERY_EIGHTH: bool;

    /// Decodes `bytes` at `eighths`/8 of full scale in the DCT domain into packed `layout`
    /// pixels, whose size must be `expected` (already checked against the caller's limits),
    /// reading at most `max_scans` scans. `None` for anything the backend does not take or
    /// reports, even as a warning: the caller then decodes with jpeg-decoder, which gives the
    /// answer, or the error, a file gets in both builds.
    fn decode_packed(
        bytes: &[u8],
        eighths: u32,
        layout: Packed,
        expected: (u32, u32),
        max_scans: u32,
    ) -> Option<Vec<u8>>;
}

/// The pure-Rust codec of the default build.
pub(crate) struct PureRust;

// Built in both builds, so that it is checked and tested in both; only the default build
// runs it.
#[cfg_attr(feature = "turbojpeg", allow(dead_code))]
impl Backend for PureRust {
    const PLANAR_PROGRESSIVE: bool = true;
    const PACKED_EVERY_EIGHTH: bool = false;

    fn decode_packed(_: &[u8], _: u32, _: Packed, _: (u32, u32), _: u32) -> Option<Vec<u8>> {
        None
    }
}

/// The backend this build runs.
#[cfg(not(feature = "turbojpeg"))]
pub(crate) type Active = PureRust;
/// The backend this build runs.
#[cfg(feature = "turbojpeg")]
pub(crate) type Active = turbo::LibjpegTurbo;

/// What `PIPELINE_VERSION` says of the backend: the two builds' renditions differ slightly.
#[cfg(not(feature = "turbojpeg"))]
macro_rules! pipeline_suffix {
    () => {
        ""
    };
}
/// What `PIPELINE_VERSION` says of the backend: the two builds' renditions differ slightly.
#[cfg(feature = "turbojpeg")]
macro_rules! pipeline_suffix {
    () => {
        ", libjpeg-turbo"
    };
}
pub(crate) use pipeline_suffix;
