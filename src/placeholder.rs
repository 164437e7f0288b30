//! The 1x1 transparent GIF served to users who have no photo.

use bytes::Bytes;

use crate::etag::ETag;
use crate::metadata::PhotoMetadata;

/// A valid 43-byte GIF89a: one pixel, colour index 0, which the graphic control extension
/// marks transparent. The LZW data is complete (clear code, the pixel, end-of-information).
const GIF: &[u8; 43] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\
\x21\xf9\x04\x01\x00\x00\x00\x00\
\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\
\x02\x02\x44\x01\x00\x3b";

/// The placeholder photo (SPEC §3): a constant 1x1 transparent GIF with an empty ETag.
///
/// ```
/// let placeholder = userphoto::placeholder();
/// assert_eq!(placeholder.content_type(), "image/gif");
/// assert!(placeholder.etag().is_empty());
/// assert_eq!(placeholder.metadata().id, "1X1");
/// assert!(placeholder.bytes().starts_with(b"GIF89a"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Placeholder;

/// The placeholder served when a user has no photo.
pub fn placeholder() -> Placeholder {
    Placeholder
}

impl Placeholder {
    /// `"image/gif"`.
    pub const CONTENT_TYPE: &'static str = "image/gif";
    /// `"1X1"`.
    pub const ID: &'static str = "1X1";

    /// The GIF bytes (static; cloning does not copy).
    pub fn bytes(&self) -> Bytes {
        Bytes::from_static(GIF)
    }

    /// `"image/gif"`.
    pub fn content_type(&self) -> &'static str {
        Placeholder::CONTENT_TYPE
    }

    /// The empty ETag `""`.
    pub fn etag(&self) -> ETag {
        ETag::empty()
    }

    /// 1.
    pub fn width(&self) -> u32 {
        1
    }

    /// 1.
    pub fn height(&self) -> u32 {
        1
    }

    /// Its metadata: `image/gif`, ETag `""`, `Id` `"1X1"`, 1 by 1.
    pub fn metadata(&self) -> PhotoMetadata {
        PhotoMetadata {
            media_content_type: Placeholder::CONTENT_TYPE.to_owned(),
            media_etag: ETag::empty(),
            id: Placeholder::ID.to_owned(),
            width: 1,
            height: 1,
        }
    }
}
