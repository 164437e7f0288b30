//! What a caller chooses: quality, background and `userphoto.Limits`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Ceilings on what a photo may declare, all strict, checked from the file's header before
/// any pixel memory is allocated.
///
/// Limits(*, max_input_bytes=32 MiB, max_pixels=64 megapixels, max_side=16384): the largest
/// accepted photo in bytes, width times height in pixels, and width or height in pixels.
/// Over a limit, ingest raises TooLarge (bytes) or DimensionsTooLarge (the others).
#[pyclass(frozen, eq, module = "userphoto")]
#[derive(Clone, PartialEq, Eq)]
pub struct Limits(pub userphoto::Limits);

#[pymethods]
impl Limits {
    #[new]
    #[pyo3(text_signature = "(*, max_input_bytes=33554432, max_pixels=67108864, max_side=16384)")]
    #[pyo3(signature = (
        *,
        max_input_bytes = userphoto::Limits::DEFAULT_MAX_INPUT_BYTES,
        max_pixels = userphoto::Limits::DEFAULT_MAX_PIXELS,
        max_side = userphoto::Limits::DEFAULT_MAX_SIDE,
    ))]
    fn new(max_input_bytes: u64, max_pixels: u64, max_side: u32) -> Limits {
        Limits(userphoto::Limits {
            max_input_bytes,
            max_pixels,
            max_side,
        })
    }

    /// The largest accepted photo, in bytes (default 32 MiB).
    #[getter]
    fn max_input_bytes(&self) -> u64 {
        self.0.max_input_bytes
    }

    /// The largest accepted width times height, in pixels (default 64 megapixels).
    #[getter]
    fn max_pixels(&self) -> u64 {
        self.0.max_pixels
    }

    /// The largest accepted width or height, in pixels (default 16384).
    #[getter]
    fn max_side(&self) -> u32 {
        self.0.max_side
    }

    fn __repr__(&self) -> String {
        let userphoto::Limits {
            max_input_bytes,
            max_pixels,
            max_side,
        } = self.0;
        format!(
            "Limits(max_input_bytes={max_input_bytes}, max_pixels={max_pixels}, \
             max_side={max_side})"
        )
    }
}

/// The library's options for these arguments of `ingest`.
pub fn options(
    quality: i64,
    background: &str,
    limits: Option<&Limits>,
) -> PyResult<userphoto::Options> {
    let quality = u8::try_from(quality)
        .ok()
        .filter(|q| (1..=100).contains(q))
        .ok_or_else(|| PyValueError::new_err(format!("quality {quality} is not in 1..100")))?;
    let background = userphoto::Background::parse_hex(background).ok_or_else(|| {
        PyValueError::new_err(format!(
            "{background:?} is not a colour; expected hex RRGGBB such as ffffff"
        ))
    })?;
    Ok(userphoto::Options {
        quality,
        background,
        limits: limits.map_or_else(userphoto::Limits::default, |l| l.0),
    })
}
