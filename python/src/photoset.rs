//! `userphoto.PhotoSet`, `userphoto.Rendition` and `userphoto.SourceInfo`: the library's
//! photo set as Python objects.

use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyIterator, PyTuple};
use serde::Serialize;

/// Every rendition of one photo, ascending by size: what ingest returns.
///
/// Iterating gives the renditions, ascending; `photo_set["240x240"]` is one size (KeyError if
/// the photo was too small for it); `len(photo_set)` how many sizes it holds (1 to 9).
#[pyclass(frozen, module = "userphoto")]
pub struct PhotoSet {
    /// The renditions, ascending.
    renditions: Py<PyTuple>,
    sizes: Vec<userphoto::PhotoSize>,
    metadata: userphoto::PhotoCollection,
    tag: String,
    source: Py<SourceInfo>,
}

impl PhotoSet {
    pub fn new(py: Python<'_>, set: userphoto::PhotoSet) -> PyResult<PhotoSet> {
        let source = Py::new(py, SourceInfo(set.source()))?;
        let renditions = set
            .iter()
            .map(|r| Rendition::of(py, r))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PhotoSet {
            renditions: PyTuple::new(py, renditions)?.unbind(),
            sizes: set.iter().map(userphoto::Rendition::size).collect(),
            metadata: set.metadata(),
            tag: set.tag().to_string(),
            source,
        })
    }

    /// The rendition of the size named `size` ("240x240", either case), if the set holds it.
    fn find<'py>(&self, py: Python<'py>, size: &str) -> Option<Bound<'py, PyAny>> {
        let size: userphoto::PhotoSize = size.parse().ok()?;
        let index = self.sizes.iter().position(|&s| s == size)?;
        self.renditions.bind(py).get_item(index).ok()
    }
}

#[pymethods]
impl PhotoSet {
    fn __len__(&self) -> usize {
        self.sizes.len()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        self.renditions.bind(py).try_iter()
    }

    fn __getitem__<'py>(&self, py: Python<'py>, size: &str) -> PyResult<Bound<'py, PyAny>> {
        self.find(py, size)
            .ok_or_else(|| PyKeyError::new_err(size.to_owned()))
    }

    fn __contains__(&self, py: Python<'_>, size: &str) -> bool {
        self.find(py, size).is_some()
    }

    /// The rendition of `size` ("240x240"), or `default` when the set lacks it.
    #[pyo3(signature = (size, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        size: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> Option<Bound<'py, PyAny>> {
        self.find(py, size).or(default)
    }

    /// The biggest rendition: what `GET .../photo` describes.
    fn largest<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let renditions = self.renditions.bind(py);
        renditions.get_item(renditions.len() - 1)
    }

    /// The names of the sizes the set holds, ascending: ("48x48", ..., "504x504").
    #[getter]
    fn sizes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.sizes.iter().map(|s| s.name()))
    }

    /// The collection metadata, as `userphoto ingest` writes it in photos.json:
    /// {"value": [{"@odata.mediaContentType": "image/jpeg", "@odata.mediaEtag": '"..."',
    /// "Id": "48X48", "Width": 48, "Height": 48}, ...]}, ascending.
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, &self.metadata)
    }

    /// The tag of the whole set, 16 hex digits that change whenever any rendition does: for
    /// versioning storage.
    #[getter]
    fn tag(&self) -> &str {
        &self.tag
    }

    /// The format and upright dimensions of the uploaded photo.
    #[getter]
    fn source(&self, py: Python<'_>) -> Py<SourceInfo> {
        self.source.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        let source = &self.source.get().0;
        let sizes: Vec<&str> = self.sizes.iter().map(|s| s.name()).collect();
        format!(
            "<userphoto.PhotoSet of a {}x{} {}: {}>",
            source.width,
            source.height,
            source.format,
            sizes.join(" ")
        )
    }
}

/// One square image of a photo set (a JPEG), or the placeholder (a GIF).
#[pyclass(frozen, module = "userphoto")]
pub struct Rendition {
    size: String,
    width: u32,
    height: u32,
    etag: String,
    content_type: &'static str,
    data: Py<PyBytes>,
    metadata: userphoto::PhotoMetadata,
}

impl Rendition {
    fn of(py: Python<'_>, rendition: &userphoto::Rendition) -> PyResult<Rendition> {
        Ok(Rendition {
            size: rendition.size().name().to_owned(),
            width: rendition.width(),
            height: rendition.height(),
            etag: rendition.etag().to_string(),
            content_type: rendition.content_type(),
            data: PyBytes::new(py, rendition.bytes()).unbind(),
            metadata: rendition.metadata(),
        })
    }

    pub fn placeholder(py: Python<'_>) -> PyResult<Rendition> {
        let placeholder = userphoto::placeholder();
        Ok(Rendition {
            size: userphoto::Placeholder::ID.to_ascii_lowercase(),
            width: placeholder.width(),
            height: placeholder.height(),
            etag: placeholder.etag().to_string(),
            content_type: placeholder.content_type(),
            data: PyBytes::new(py, &placeholder.bytes()).unbind(),
            metadata: placeholder.metadata(),
        })
    }
}

#[pymethods]
impl Rendition {
    /// The size's name, as in URLs and file names: "240x240" ("1x1" for the placeholder).
    #[getter]
    fn size(&self) -> &str {
        &self.size
    }

    /// Width in pixels.
    #[getter]
    fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    #[getter]
    fn height(&self) -> u32 {
        self.height
    }

    /// The strong ETag of the bytes, quotes included, as it goes in an HTTP ETag header:
    /// '"BA09D118"' (the CRC-32 of the bytes); the placeholder's is empty, '' (SPEC §3).
    #[getter]
    fn etag(&self) -> &str {
        &self.etag
    }

    /// "image/jpeg" ("image/gif" for the placeholder).
    #[getter]
    fn content_type(&self) -> &str {
        self.content_type
    }

    /// The encoded image.
    #[getter]
    fn data(&self, py: Python<'_>) -> Py<PyBytes> {
        self.data.clone_ref(py)
    }

    /// The rendition's metadata, as the service returns it: {"@odata.mediaContentType": ...,
    /// "@odata.mediaEtag": ..., "Id": "240X240", "Width": 240, "Height": 240}.
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, &self.metadata)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<userphoto.Rendition {} {}, {} bytes, etag {}>",
            self.size,
            self.content_type,
            self.data.bind(py).as_bytes().len(),
            self.etag
        )
    }
}

/// What was learnt about the uploaded photo.
#[pyclass(frozen, module = "userphoto")]
pub struct SourceInfo(userphoto::SourceInfo);

#[pymethods]
impl SourceInfo {
    /// The format recognised from the bytes: "JPEG", "PNG", "GIF", "WebP", "BMP" or "TIFF".
    #[getter]
    fn format(&self) -> &'static str {
        self.0.format.name()
    }

    /// Width in pixels, after the EXIF orientation.
    #[getter]
    fn width(&self) -> u32 {
        self.0.width
    }

    /// Height in pixels, after the EXIF orientation.
    #[getter]
    fn height(&self) -> u32 {
        self.0.height
    }

    fn __repr__(&self) -> String {
        let userphoto::SourceInfo {
            format,
            width,
            height,
        } = self.0;
        format!("SourceInfo(format='{format}', width={width}, height={height})")
    }
}

/// `value` as Python data, through the JSON the library's serialisation gives: the same
/// fields, names and values as the files `userphoto ingest` writes.
fn to_dict<'py>(py: Python<'py>, value: &impl Serialize) -> PyResult<Bound<'py, PyDict>> {
    let json = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    let parsed = py.import("json")?.call_method1("loads", (json,))?;
    Ok(parsed.cast_into::<PyDict>()?)
}
