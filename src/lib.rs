//! Turn an uploaded profile photo into the square renditions a user-photo service stores and
//! serves, the way the Outlook / Exchange Online photo service does.
//!
//! [`ingest`] takes the uploaded bytes and returns a [`PhotoSet`]: a JPEG of every predefined
//! size (48, 64, 96, 120, 240, 360, 432, 504 and 648 pixels square) no larger than the
//! source, each with a strong [`ETag`]. Users without a photo get the [`placeholder`](placeholder()).
//!
//! ```
//! use userphoto::{ingest, Options, PhotoSize};
//!
//! # fn upload() -> Vec<u8> {
//! #     let mut png = Vec::new();
//! #     image::RgbImage::from_pixel(800, 600, image::Rgb([30, 120, 200]))
//! #         .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
//! #         .unwrap();
//! #     png
//! # }
//! let bytes: Vec<u8> = upload(); // an 800x600 photo
//! let set = ingest(&bytes, &Options::default())?;
//!
//! // The usable side is 600, so every size up to 504x504.
//! assert_eq!(set.largest().size(), PhotoSize::S504);
//! assert!(set.get(PhotoSize::S648).is_none());
//! for rendition in &set {
//!     println!("{} {} bytes {}", rendition.size(), rendition.bytes().len(), rendition.etag());
//! }
//! // The collection metadata of SPEC §4.
//! let json = serde_json::to_string(&set.metadata())?;
//! assert!(json.starts_with(r#"{"value":[{"@odata.mediaContentType":"image/jpeg""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The pipeline
//!
//! [`ingest`] recognises the format from the bytes; checks the [`Limits`] against the header
//! before any pixel memory exists; decodes (JPEG directly at a fraction of full scale, in the
//! DCT domain, that still leaves the largest size's worth of pixels); keeps the centre square
//! of the upright image; converts it from its embedded ICC profile to sRGB and composites
//! transparency over the background; resamples each size with Lanczos3; applies the EXIF
//! orientation; and encodes each size as a JPEG with no metadata (baseline up to 240x240,
//! progressive above), in parallel on the rayon pool. A baseline colour JPEG (a camera or
//! phone photo) is decoded to its luma and chroma planes as they are stored; untagged (sRGB),
//! it never becomes RGB: the planes are resampled at their own resolutions and encoded as they
//! are.
//! Outputs are byte-identical for the same input and options, whatever the thread count.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod chroma;
mod color;
mod crop;
mod decode;
mod encode;
mod error;
mod etag;
mod geometry;
mod header;
mod jpeg;
mod memory;
mod metadata;
mod options;
mod orient;
mod photoset;
mod placeholder;
mod planes;
mod raster;
mod resize;
mod size;
mod sniff;

use bytes::Bytes;

pub use crate::error::{Cause, Error, ErrorKind};
pub use crate::etag::{ETag, SetTag};
pub use crate::memory::keep_freed_memory;
pub use crate::metadata::{PhotoCollection, PhotoMetadata};
pub use crate::options::{Background, Limits, Options, RenderOptions};
pub use crate::orient::Orientation;
pub use crate::photoset::{PhotoSet, Rendition, SourceInfo};
pub use crate::placeholder::{placeholder, Placeholder};
pub use crate::size::{ParsePhotoSizeError, PhotoSize};
pub use crate::sniff::Format;

/// Names the rendering pipeline: builds with the same value give byte-identical renditions for
/// the same input bytes and [`Options`].
///
/// It changes with every release of the crate and whenever a change to decoding, colour,
/// resizing or encoding alters the output. Stores of precomputed renditions (such as the
/// manifest `userphoto precompute` keeps) record it to know which photos to render again.
/// Builds with the `turbojpeg` feature decode and encode JPEGs with libjpeg-turbo, whose
/// pixels differ slightly, so their value ends in `, libjpeg-turbo`.
pub const PIPELINE_VERSION: &str = concat!(
    "userphoto ",
    env!("CARGO_PKG_VERSION"),
    ", pipeline 9",
    jpeg::backend::pipeline_suffix!()
);

/// Renders every size of the photo in `bytes`.
///
/// The work of one photo runs on the current rayon pool (its sizes in parallel); call it from
/// many threads to ingest many photos at once.
///
/// # Errors
///
/// An [`Error`] naming the problem: [`Empty`](Error::Empty), [`TooLarge`](Error::TooLarge),
/// [`UnknownFormat`](Error::UnknownFormat), [`Unsupported`](Error::Unsupported),
/// [`Corrupt`](Error::Corrupt), [`DimensionsTooLarge`](Error::DimensionsTooLarge) or
/// [`TooSmall`](Error::TooSmall). Bad input never panics: should a decoder panic all the same,
/// the panic is contained and the answer is [`Internal`](Error::Internal).
pub fn ingest(bytes: &[u8], options: &Options) -> Result<PhotoSet, Error> {
    let format = recognise(bytes, &options.limits)?;
    contained(format, || render(bytes, format, options))
}

/// Every step of [`ingest`] after the format is known.
fn render(bytes: &[u8], format: Format, options: &Options) -> Result<PhotoSet, Error> {
    let decoded = decode::decode(bytes, format, &options.limits)?;
    let source = SourceInfo {
        format,
        width: decoded.upright_size.0,
        height: decoded.upright_size.1,
    };
    let pixels = color::to_srgb(decoded.pixels, decoded.icc.as_deref(), options.background);
    let quality = options.effective_quality();
    // Each size is encoded as soon as it is resampled, while the others are.
    let encode = |size: PhotoSize, pixels: &raster::Pixels| {
        let upright = decoded.orientation.apply_to_rendition(pixels);
        let jpeg = encode::encode_jpeg(&upright, quality)?;
        Ok(Rendition::new(size, Bytes::from(jpeg)))
    };
    let renditions = resize::resize_all(&pixels, decoded.square, decoded.sizes, &encode)
        .into_iter()
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(PhotoSet::new(renditions, source))
}

/// Runs `work` on a file of `format`, turning a panic anywhere in it (a decoder's assertion
/// on a file it did not expect, or a bug of ours), on this thread or on the rayon tasks it
/// started, into [`Error::Internal`]: no panic crosses [`ingest`], so a server or a batch job
/// that calls it keeps going. Nothing `work` built survives a panic (it owns no shared state),
/// so unwinding through it is safe.
fn contained<T>(format: Format, work: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with no message".to_owned());
        Err(Error::Internal { format, detail })
    })
}

/// The format of `bytes`, once they are known to be neither empty nor over the input limit.
fn recognise(bytes: &[u8], limits: &Limits) -> Result<Format, Error> {
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let size = bytes.len() as u64;
    if size > limits.max_input_bytes {
        return Err(Error::TooLarge {
            size,
            limit: limits.max_input_bytes,
        });
    }
    Format::sniff(bytes).ok_or_else(|| Error::unknown_format(bytes))
}

/// Steps of [`ingest`] exposed for the crate's own benchmarks (`benches/ingest.rs`) and fuzz
/// targets (`fuzz/`), so the hot path can be timed, and the decoders fuzzed, alone. Not part
/// of the stable API.
#[doc(hidden)]
pub mod bench_support;

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic in the work, on this thread or on a rayon task it started, comes back as
    /// `Internal` with what the panic said; and the same thread goes on working.
    #[test]
    fn panics_are_contained() {
        let on_this_thread = contained(Format::Tiff, || -> Result<(), Error> {
            panic!("assertion failed: chunk_dims")
        });
        let Err(Error::Internal { format, detail }) = on_this_thread else {
            panic!("not contained: {on_this_thread:?}");
        };
        assert_eq!(
            (format, detail.as_str()),
            (Format::Tiff, "assertion failed: chunk_dims")
        );
        let on_the_pool = contained(Format::Png, || -> Result<(), Error> {
            rayon::join(|| (), || panic!("index {} out of range", 7));
            Ok(())
        });
        let error = on_the_pool.expect_err("contained");
        assert_eq!(error.kind(), ErrorKind::Internal);
        assert!(
            error.to_string().contains("index 7 out of range"),
            "{error}"
        );
        assert!(error.to_string().contains("a bug in userphoto"), "{error}");
        assert!(contained(Format::Png, || Ok(3)).is_ok_and(|v| v == 3));
    }
}

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
