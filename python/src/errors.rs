//! The exceptions: `userphoto.Error`, a `ValueError`, and one subclass per kind of the library's
//! errors, named as the kind is (`userphoto.TooSmall`), so `except userphoto.TooSmall:` reads
//! as the library's `ErrorKind::TooSmall` does.
//!
//! The classes are made when the module is loaded, one for each of `ErrorKind::ALL`: a kind
//! the library adds gets its class with no change here.

use std::ffi::CString;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use userphoto::ErrorKind;

/// The classes, made once per process by [`register`].
struct Classes {
    /// `userphoto.Error`.
    base: Py<PyType>,
    /// The subclass of each kind.
    kinds: Vec<(ErrorKind, Py<PyType>)>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

const BASE_DOC: &str = "Why userphoto.ingest rejected a photo (a ValueError).\n\n\
     Each kind of problem is a subclass named as the kind is (TooSmall, Corrupt, ...); `kind` \
     holds that name and str(error) says what was wrong in words a user can act on.";

/// Makes the classes (once) and adds them to `module`.
pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    let classes = CLASSES.get_or_try_init(py, || make_classes(py))?;
    module.add("Error", classes.base.bind(py))?;
    for (kind, class) in &classes.kinds {
        module.add(kind.as_str(), class.bind(py))?;
    }
    Ok(())
}

fn make_classes(py: Python<'_>) -> PyResult<Classes> {
    let value_error = py.get_type::<PyValueError>();
    let base = new_class(py, "Error", BASE_DOC, &value_error, None)?;
    let kinds = ErrorKind::ALL
        .iter()
        .map(|&kind| {
            let name = kind.as_str();
            let doc = format!("{} (kind {name:?}).", describe(kind));
            let class = new_class(py, name, &doc, base.bind(py), Some(name))?;
            Ok((kind, class))
        })
        .collect::<PyResult<_>>()?;
    Ok(Classes { base, kinds })
}

/// The exception class `userphoto.<name>`, whose class attribute `kind` is `kind`.
fn new_class(
    py: Python<'_>,
    name: &str,
    doc: &str,
    base: &Bound<'_, PyType>,
    kind: Option<&str>,
) -> PyResult<Py<PyType>> {
    let qualified = CString::new(format!("userphoto.{name}"))?;
    let doc = CString::new(doc)?;
    let class = PyErr::new_type(py, &qualified, Some(&doc), Some(base), None)?;
    if let Some(kind) = kind {
        class.bind(py).setattr("kind", kind)?;
    }
    Ok(class)
}

/// What an error of `kind` means, for its class's docstring.
fn describe(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Empty => "The photo has no bytes at all",
        ErrorKind::TooLarge => "The photo has more bytes than Limits.max_input_bytes",
        ErrorKind::UnknownFormat => {
            "The bytes are not an image format userphoto reads (JPEG, PNG, GIF, WebP, BMP, TIFF)"
        }
        ErrorKind::Unsupported => "The format uses a feature userphoto does not handle",
        ErrorKind::Corrupt => "The file is truncated or malformed",
        ErrorKind::DimensionsTooLarge => {
            "The declared width, height or pixel count is over the Limits"
        }
        ErrorKind::TooSmall => "The photo's shorter side (once upright) is under 48 pixels",
        ErrorKind::Encode => "Encoding a rendition failed: a bug in userphoto, not in the photo",
        ErrorKind::Internal => {
            "A decoder failed unexpectedly on the photo: a bug in userphoto worth reporting \
             with the file"
        }
        _ => "An error of a kind this documentation does not describe yet",
    }
}

/// The exception for a library error: its kind's class, with the library's message.
pub fn to_python(py: Python<'_>, error: &userphoto::Error) -> PyErr {
    raise(py, error.kind(), error.to_string())
}

/// `userphoto.Internal` for a panic in the binding that said `detail`.
pub fn internal(py: Python<'_>, detail: &str) -> PyErr {
    let message = format!(
        "userphoto failed unexpectedly ({detail}); this is a bug in userphoto, please report it \
         with the file"
    );
    raise(py, ErrorKind::Internal, message)
}

fn raise(py: Python<'_>, kind: ErrorKind, message: String) -> PyErr {
    let Some(classes) = CLASSES.get(py) else {
        // Only before the module is loaded, which no caller can be.
        return PyValueError::new_err(message);
    };
    let class = classes
        .kinds
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(&classes.base, |(_, class)| class);
    PyErr::from_type(class.bind(py).clone(), (message,))
}
