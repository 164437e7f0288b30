//! The result of an ingest: every rendition, with its tag.

use bytes::Bytes;

use crate::etag::{ETag, SetTag};
use crate::metadata::{PhotoCollection, PhotoMetadata};
use crate::size::PhotoSize;
use crate::sniff::Format;

/// One square JPEG of a photo set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    size: PhotoSize,
    etag: ETag,
    bytes: Bytes,
}

impl Rendition {
    /// The content type of every rendition.
    pub const CONTENT_TYPE: &'static str = "image/jpeg";

    /// A rendition of `size` made of these JPEG bytes, tagged with their CRC-32.
    ///
    /// [`ingest`](crate::ingest) makes renditions; this is for callers that keep them in storage
    /// and rebuild them from the stored bytes. The bytes are not checked.
    pub fn new(size: PhotoSize, bytes: Bytes) -> Rendition {
        Rendition {
            size,
            etag: ETag::of(&bytes),
            bytes,
        }
    }

    /// Which predefined size this is.
    pub fn size(&self) -> PhotoSize {
        self.size
    }

    /// Width in pixels (the size's side).
    pub fn width(&self) -> u32 {
        self.size.side()
    }

    /// Height in pixels (the size's side).
    pub fn height(&self) -> u32 {
        self.size.side()
    }

    /// `"image/jpeg"`.
    pub fn content_type(&self) -> &'static str {
        Rendition::CONTENT_TYPE
    }

    /// The strong ETag of the bytes.
    pub fn etag(&self) -> ETag {
        self.etag
    }

    /// The encoded JPEG; cloning it does not copy.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The rendition-level OData fields (SPEC §4).
    pub fn metadata(&self) -> PhotoMetadata {
        PhotoMetadata {
            media_content_type: Rendition::CONTENT_TYPE.to_owned(),
            media_etag: self.etag,
            id: self.size.id().to_owned(),
            width: self.width(),
            height: self.height(),
        }
    }
}

/// Every rendition of one photo, ascending by size, with a tag for the whole set.
///
/// Never empty: a source too small for the smallest size is rejected by
/// [`ingest`](crate::ingest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoSet {
    renditions: Vec<Rendition>,
    tag: SetTag,
    source: SourceInfo,
}

/// What was learnt about the uploaded image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceInfo {
    /// The format recognised from the bytes.
    pub format: Format,
    /// Width after the EXIF orientation, in pixels.
    pub width: u32,
    /// Height after the EXIF orientation, in pixels.
    pub height: u32,
}

impl PhotoSet {
    /// A set of these renditions, which must be non-empty, of distinct sizes and ascending.
    pub(crate) fn new(renditions: Vec<Rendition>, source: SourceInfo) -> PhotoSet {
        debug_assert!(!renditions.is_empty());
        debug_assert!(renditions.windows(2).all(|w| w[0].size < w[1].size));
        let tag = SetTag::over(
            renditions
                .iter()
                .map(|r| (r.width(), r.bytes.len() as u64, r.etag.crc32().unwrap_or(0))),
        );
        PhotoSet {
            renditions,
            tag,
            source,
        }
    }

    /// The biggest rendition: what `GET …/photo` describes.
    pub fn largest(&self) -> &Rendition {
        self.renditions
            .last()
            .expect("a photo set always holds at least the 48x48 rendition")
    }

    /// The rendition of `size`, if the source was large enough for it.
    pub fn get(&self, size: PhotoSize) -> Option<&Rendition> {
        self.renditions.iter().find(|r| r.size == size)
    }

    /// The renditions, ascending by size.
    pub fn renditions(&self) -> &[Rendition] {
        &self.renditions
    }

    /// An iterator over the renditions, ascending by size.
    pub fn iter(&self) -> std::slice::Iter<'_, Rendition> {
        self.renditions.iter()
    }

    /// How many sizes the set holds (1–9).
    pub fn len(&self) -> usize {
        self.renditions.len()
    }

    /// Always `false`: a set holds at least one rendition.
    pub fn is_empty(&self) -> bool {
        self.renditions.is_empty()
    }

    /// The tag of the whole set, for versioning storage.
    pub fn tag(&self) -> SetTag {
        self.tag
    }

    /// The format and upright dimensions of the source.
    pub fn source(&self) -> SourceInfo {
        self.source
    }

    /// The collection metadata (`{"value": [ … ]}`), ascending.
    pub fn metadata(&self) -> PhotoCollection {
        PhotoCollection {
            value: self.renditions.iter().map(Rendition::metadata).collect(),
        }
    }
}

impl<'a> IntoIterator for &'a PhotoSet {
    type Item = &'a Rendition;
    type IntoIter = std::slice::Iter<'a, Rendition>;

    fn into_iter(self) -> Self::IntoIter {
        self.renditions.iter()
    }
}

impl IntoIterator for PhotoSet {
    type Item = Rendition;
    type IntoIter = std::vec::IntoIter<Rendition>;

    fn into_iter(self) -> Self::IntoIter {
        self.renditions.into_iter()
    }
}
