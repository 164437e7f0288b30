//! The JSON bodies: SPEC §4's PascalCase entities for the Outlook routes, Graph's camelCase
//! ones for `/v1.0` and `/beta`.

use serde::Serialize;
use userphoto::{ETag, PhotoMetadata};

/// One photo as the Outlook REST API writes it: the library's metadata with `@odata.context`
/// (on a single entity) and `@odata.id`.
#[derive(Debug, Clone, Serialize)]
pub struct OutlookPhoto {
    /// `@odata.context`, on a single entity only.
    #[serde(rename = "@odata.context", skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `@odata.id`: the URL of this photo.
    #[serde(rename = "@odata.id")]
    pub id: String,
    /// The rendition-level fields.
    #[serde(flatten)]
    pub metadata: PhotoMetadata,
}

/// One photo as Microsoft Graph writes it (camelCase fields, no `@odata.id`).
#[derive(Debug, Clone, Serialize)]
pub struct GraphPhoto {
    /// `@odata.context`, on a single entity only.
    #[serde(rename = "@odata.context", skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `@odata.mediaContentType`.
    #[serde(rename = "@odata.mediaContentType")]
    pub media_content_type: String,
    /// `@odata.mediaEtag`.
    #[serde(rename = "@odata.mediaEtag")]
    pub media_etag: ETag,
    /// `id`: `"240X240"`.
    pub id: String,
    /// `height` in pixels.
    pub height: u32,
    /// `width` in pixels.
    pub width: u32,
}

impl GraphPhoto {
    /// The Graph form of the library's metadata.
    pub fn new(context: Option<String>, metadata: &PhotoMetadata) -> GraphPhoto {
        GraphPhoto {
            context,
            media_content_type: metadata.media_content_type.clone(),
            media_etag: metadata.media_etag,
            id: metadata.id.clone(),
            height: metadata.height,
            width: metadata.width,
        }
    }
}

/// A collection: `{"@odata.context": …, "value": [ … ]}`.
#[derive(Debug, Clone, Serialize)]
pub struct Collection<T> {
    /// `@odata.context`.
    #[serde(rename = "@odata.context")]
    pub context: String,
    /// The photos, ascending by size.
    pub value: Vec<T>,
}

/// Quotes a user name as an OData string literal: `'o''brien@contoso.com'`.
pub fn literal(user: &str) -> String {
    format!("'{}'", user.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlook_photo_is_spec_json() {
        let photo = OutlookPhoto {
            context: Some("https://host/api/v2.0/$metadata#Me/photo/$entity".into()),
            id: "https://host/api/v2.0/Users('user@contoso.com')/photo".into(),
            metadata: PhotoMetadata {
                media_content_type: "image/jpeg".into(),
                media_etag: ETag::from_crc32(0xBA09_D118),
                id: "240X240".into(),
                width: 240,
                height: 240,
            },
        };
        assert_eq!(
            serde_json::to_string(&photo).unwrap(),
            concat!(
                r#"{"@odata.context":"https://host/api/v2.0/$metadata#Me/photo/$entity","#,
                r#""@odata.id":"https://host/api/v2.0/Users('user@contoso.com')/photo","#,
                r#""@odata.mediaContentType":"image/jpeg","@odata.mediaEtag":"\"BA09D118\"","#,
                r#""Id":"240X240","Width":240,"Height":240}"#
            )
        );
    }

    #[test]
    fn literals_double_quotes() {
        assert_eq!(literal("o'brien@x.com"), "'o''brien@x.com'");
    }
}
