//! The one place where failures become HTTP answers: an OData error body
//! `{"error": {"code": "…", "message": "…"}}` with a status and a stable code.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use userphoto::ErrorKind;

use crate::error_code::ErrorCode;

/// A failed request: the status, the OData error code and a message for people.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The OData error code (`"ErrorItemNotFound"`).
    pub code: ErrorCode,
    /// What went wrong, in words.
    pub message: String,
    /// Close the connection after answering (the request body was not read to its end).
    pub close: bool,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            close: false,
        }
    }

    /// The answer to an upload that [`userphoto::ingest`] rejected.
    pub fn rejected(error: &userphoto::Error) -> ApiError {
        let (status, code) = ingest_status(error.kind());
        ApiError::new(status, code, error.to_string())
    }

    /// The request body is over the byte limit; the rest of it was not read.
    pub fn too_large(limit: u64) -> ApiError {
        let (status, code) = ingest_status(ErrorKind::TooLarge);
        ApiError {
            close: true,
            ..ApiError::new(
                status,
                code,
                format!("the photo is over the limit of {limit} bytes"),
            )
        }
    }

    /// 404 for a photo size the user's set does not hold.
    pub fn size_not_found(size: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::ITEM_NOT_FOUND,
            format!("the photo has no {size} size"),
        )
    }

    /// 404 for a path that is no route of the API.
    pub fn no_route(path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::RESOURCE_NOT_FOUND,
            format!("no resource at {path}"),
        )
    }

    /// 405 for a method the resource does not take.
    pub fn method_not_allowed(method: &str, what: &str) -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed on {what}"),
        )
    }

    /// 401: no token, or one that is malformed, badly signed or expired.
    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::INVALID_AUTHENTICATION_TOKEN,
            message,
        )
    }

    /// 403: a valid token without a scope that allows the operation.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, ErrorCode::ACCESS_DENIED, message)
    }

    /// 400 for a request the API cannot take (a malformed user name, …).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::INVALID_REQUEST, message)
    }

    /// 500: the storage failed; the details go to the log, not to the client.
    pub fn storage(error: &dyn std::error::Error) -> ApiError {
        tracing::error!(error = %error, "storage failure");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::INTERNAL_SERVER_ERROR,
            "the photo storage failed; try again",
        )
    }

    /// 500 for a bug (an ingest task that panicked, …).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::INTERNAL_SERVER_ERROR,
            message,
        )
    }
}

/// The status and code for each kind of rejected upload (SPEC §6 and §7).
///
/// - over the byte limit: 413 `RequestEntityTooLarge`;
/// - not an image format we read (unknown, or a recognised format with a feature we do not
///   handle): 415 `UnsupportedMediaType`;
/// - usable side under 48: 400 `ValidationWidthTooSmall`, the code the service answers;
/// - empty, corrupt or over the dimension limits: 400 `ErrorInvalidImage`; so is an upload a
///   decoder panicked on (`Internal`, contained by the library): it is answered like a corrupt
///   one, and the server goes on serving;
/// - an encoder failure (a bug, not the upload's fault): 500.
pub fn ingest_status(kind: ErrorKind) -> (StatusCode, ErrorCode) {
    match kind {
        ErrorKind::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::REQUEST_ENTITY_TOO_LARGE,
        ),
        ErrorKind::UnknownFormat | ErrorKind::Unsupported => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        ErrorKind::TooSmall => (
            StatusCode::BAD_REQUEST,
            ErrorCode::VALIDATION_WIDTH_TOO_SMALL,
        ),
        ErrorKind::Empty
        | ErrorKind::Corrupt
        | ErrorKind::DimensionsTooLarge
        | ErrorKind::Internal => (StatusCode::BAD_REQUEST, ErrorCode::INVALID_IMAGE),
        // `Encode` and any kind added later: the library failed, not the upload.
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::INTERNAL_SERVER_ERROR,
        ),
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&Body {
            error: Inner {
                code: self.code.as_str(),
                message: &self.message,
            },
        })
        .expect("an error body always serialises");
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_status_and_code() {
        for kind in ErrorKind::ALL {
            let (status, code) = ingest_status(kind);
            assert!(
                status.is_client_error() || kind == ErrorKind::Encode,
                "{kind}"
            );
            assert!(!code.as_str().is_empty());
        }
        assert_eq!(
            ingest_status(ErrorKind::TooSmall),
            (
                StatusCode::BAD_REQUEST,
                ErrorCode::VALIDATION_WIDTH_TOO_SMALL
            )
        );
        assert_eq!(
            ingest_status(ErrorKind::UnknownFormat).0,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            ingest_status(ErrorKind::TooLarge).0,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(
            ingest_status(ErrorKind::Corrupt).1,
            ErrorCode::INVALID_IMAGE
        );
        assert_eq!(
            ingest_status(ErrorKind::Internal),
            ingest_status(ErrorKind::Corrupt)
        );
    }
}
