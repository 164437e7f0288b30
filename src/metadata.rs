//! The OData JSON of SPEC §4: the rendition-level fields, and collections of them.

use serde::{Deserialize, Serialize};

use crate::etag::ETag;

/// The rendition-level fields the service returns for one photo (SPEC §4).
///
/// A server adds `@odata.context` and `@odata.id` around them (for example by flattening this
/// struct into its own).
///
/// ```
/// use userphoto::{ETag, PhotoMetadata};
///
/// let metadata = PhotoMetadata {
///     media_content_type: "image/jpeg".into(),
///     media_etag: ETag::from_crc32(0xBA09D118),
///     id: "240X240".into(),
///     width: 240,
///     height: 240,
/// };
/// assert_eq!(
///     serde_json::to_string(&metadata)?,
///     r#"{"@odata.mediaContentType":"image/jpeg","@odata.mediaEtag":"\"BA09D118\"","Id":"240X240","Width":240,"Height":240}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PhotoMetadata {
    /// `@odata.mediaContentType`: `image/jpeg`, or `image/gif` for the placeholder.
    #[serde(rename = "@odata.mediaContentType")]
    pub media_content_type: String,
    /// `@odata.mediaEtag`: the quoted ETag, the empty string for the placeholder.
    #[serde(rename = "@odata.mediaEtag")]
    pub media_etag: ETag,
    /// `Id`: the size, upper-case (`"240X240"`, `"1X1"`).
    #[serde(rename = "Id")]
    pub id: String,
    /// `Width` in pixels.
    #[serde(rename = "Width")]
    pub width: u32,
    /// `Height` in pixels.
    #[serde(rename = "Height")]
    pub height: u32,
}

/// A collection of photo metadata, `{"value": [ … ]}`, ascending by size (SPEC §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct PhotoCollection {
    /// The photos, ascending by size.
    pub value: Vec<PhotoMetadata>,
}
