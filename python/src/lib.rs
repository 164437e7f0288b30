//! `userphoto._userphoto`, the extension module behind the Python package `userphoto`: the
//! library's [`ingest`](userphoto::ingest), photo set, placeholder and errors, as Python
//! objects. The package's `__init__.py` re-exports everything here; `_userphoto.pyi` types it.
//!
//! The binding converts and nothing more: every decision about a photo is the library's.
//! An ingest runs with the interpreter released (other Python threads go on, and other ingests
//! run in parallel), and no panic ever reaches Python (see [`contained`]).
#![forbid(unsafe_code)]

mod errors;
mod options;
mod photoset;

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMemoryView, PyTuple};

use crate::options::Limits;
use crate::photoset::{PhotoSet, Rendition, SourceInfo};

/// The extension module.
#[pymodule]
fn _userphoto(module: &Bound<'_, PyModule>) -> PyResult<()> {
    // A decoder's panic is contained by the library and reported as `Internal` with what it
    // said; the default hook would first print it on stderr as if the program had crashed.
    std::panic::set_hook(Box::new(|_| {}));
    errors::register(module)?;
    module.add_class::<Limits>()?;
    module.add_class::<PhotoSet>()?;
    module.add_class::<Rendition>()?;
    module.add_class::<SourceInfo>()?;
    module.add_function(wrap_pyfunction!(ingest, module)?)?;
    module.add_function(wrap_pyfunction!(placeholder, module)?)?;
    module.add_function(wrap_pyfunction!(keep_freed_memory, module)?)?;
    let sizes = userphoto::PhotoSize::ALL.map(userphoto::PhotoSize::name);
    module.add("SIZES", PyTuple::new(module.py(), sizes)?)?;
    module.add("PIPELINE_VERSION", userphoto::PIPELINE_VERSION)?;
    // Not in `__all__`: the version, and a hook for the tests.
    module.setattr("__version__", env!("CARGO_PKG_VERSION"))?;
    module.setattr(
        "_ingest_panicking",
        wrap_pyfunction!(ingest_panicking, module)?,
    )?;
    Ok(())
}

/// Renders every size of the photo in `data` (bytes, bytearray, memoryview or any other
/// bytes-like object): the PhotoSet of every predefined size no larger than the photo's
/// shorter side, each a JPEG with a strong ETag.
///
/// `quality` is the JPEG quality, 1 to 100; `background` the colour transparency is composited
/// over, as hex "RRGGBB" or "#RRGGBB"; `limits` the input limits (Limits()), checked before
/// any pixel memory is allocated.
///
/// The interpreter is released for the whole ingest, so threads ingest photos in parallel.
///
/// Raises a subclass of userphoto.Error (a ValueError) when the photo is rejected: Empty,
/// TooLarge, UnknownFormat, Unsupported, Corrupt, DimensionsTooLarge or TooSmall (and
/// Internal, a bug in userphoto, should a decoder fail unexpectedly). Raises ValueError for a
/// quality or background out of range, TypeError when `data` is not bytes-like.
#[pyfunction]
#[pyo3(
    signature = (data, *, quality = i64::from(userphoto::Options::DEFAULT_QUALITY), background = "ffffff", limits = None),
    text_signature = "(data, *, quality=85, background='ffffff', limits=None)"
)]
fn ingest(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    quality: i64,
    background: &str,
    limits: Option<&Limits>,
) -> PyResult<PhotoSet> {
    let options = options::options(quality, background, limits)?;
    ingest_with(py, data, &options, userphoto::ingest)
}

/// Runs `work` on the bytes of `data` with the interpreter released, and turns its answer
/// into Python's.
fn ingest_with(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    options: &userphoto::Options,
    work: fn(&[u8], &userphoto::Options) -> Result<userphoto::PhotoSet, userphoto::Error>,
) -> PyResult<PhotoSet> {
    let bytes = bytes_of(data)?;
    let bytes = bytes.as_bytes();
    let set = match py.detach(|| contained(|| work(bytes, options))) {
        Ok(Ok(set)) => set,
        Ok(Err(error)) => return Err(errors::to_python(py, &error)),
        Err(panic) => return Err(errors::internal(py, &panic)),
    };
    contained(|| PhotoSet::new(py, set)).unwrap_or_else(|panic| Err(errors::internal(py, &panic)))
}

/// The bytes of a bytes-like object, as `bytes`: the object itself when it is one (immutable, so
/// it can be read while the interpreter is released), otherwise a copy (a bytearray or another
/// buffer could change meanwhile).
fn bytes_of<'py>(data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(bytes) = data.cast::<PyBytes>() {
        return Ok(bytes.clone());
    }
    let copy = PyMemoryView::from(data)?.call_method0("tobytes")?;
    Ok(copy.cast_into::<PyBytes>()?)
}

/// Runs `work`, giving what a panic in it said instead of unwinding further, so that it can be
/// raised as `userphoto.Internal`. The library already contains its decoders' panics (as
/// `Internal`); this keeps the promise for the binding's own part too: nothing but a
/// `userphoto.Error` ever comes out of an ingest.
fn contained<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with no message".to_owned())
    })
}

/// The path of [`ingest`] with work that panics, for the tests of [`contained`]: not part of
/// the package's API.
#[pyfunction]
#[pyo3(name = "_ingest_panicking")]
fn ingest_panicking(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<PhotoSet> {
    ingest_with(py, data, &userphoto::Options::default(), |_, _| {
        panic!("a panic in the binding")
    })
}

/// The placeholder served to users without a photo: a Rendition of size "1x1", content type
/// "image/gif", the empty ETag '', and the bytes of a constant 1x1 transparent GIF.
#[pyfunction]
fn placeholder(py: Python<'_>) -> PyResult<Rendition> {
    Rendition::placeholder(py)
}

/// Makes glibc's allocator keep the memory a photo frees for the next photo, instead of
/// giving it back to the system and faulting it in again. Call it once, early, in a process
/// that ingests many photos (a batch job, a worker, a photo server); it is cheap and does
/// nothing else.
#[pyfunction]
fn keep_freed_memory() {
    userphoto::keep_freed_memory();
}
