//! The stable OData error codes the server answers with.

use std::fmt;

/// An OData error code: the `code` of `{"error": {"code": …}}`. Clients match on it, so the
/// values never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(&'static str);

impl ErrorCode {
    /// 413: the upload is over the byte limit.
    pub const REQUEST_ENTITY_TOO_LARGE: ErrorCode = ErrorCode("RequestEntityTooLarge");
    /// 415: the upload is not an image format the server reads.
    pub const UNSUPPORTED_MEDIA_TYPE: ErrorCode = ErrorCode("UnsupportedMediaType");
    /// 400: the usable side is under 48 pixels.
    pub const VALIDATION_WIDTH_TOO_SMALL: ErrorCode = ErrorCode("ValidationWidthTooSmall");
    /// 400: the upload is empty, corrupt, or over the dimension limits.
    pub const INVALID_IMAGE: ErrorCode = ErrorCode("ErrorInvalidImage");
    /// 404: the set has no photo of the size asked for.
    pub const ITEM_NOT_FOUND: ErrorCode = ErrorCode("ErrorItemNotFound");
    /// 404: Graph's answer to `photo/$value` for a user with no photo.
    pub const IMAGE_NOT_FOUND: ErrorCode = ErrorCode("ImageNotFound");
    /// 404: no such resource.
    pub const RESOURCE_NOT_FOUND: ErrorCode = ErrorCode("ResourceNotFound");
    /// 405: the resource does not take that method.
    pub const METHOD_NOT_ALLOWED: ErrorCode = ErrorCode("ErrorMethodNotAllowed");
    /// 400: a request the API cannot take.
    pub const INVALID_REQUEST: ErrorCode = ErrorCode("ErrorInvalidRequest");
    /// 400: Graph's answer to `/me` with an application token, which names no user, and to a
    /// JSON batch it cannot take (too many requests, ids repeated, a nested batch, a body that
    /// is no batch).
    pub const BAD_REQUEST: ErrorCode = ErrorCode("BadRequest");
    /// 424: a request of a batch whose dependency failed.
    pub const FAILED_DEPENDENCY: ErrorCode = ErrorCode("FailedDependency");
    /// 401: no token, or a malformed, badly signed or expired one.
    pub const INVALID_AUTHENTICATION_TOKEN: ErrorCode = ErrorCode("InvalidAuthenticationToken");
    /// 403 on the Outlook routes: the token lacks a scope that allows the operation.
    pub const ACCESS_DENIED: ErrorCode = ErrorCode("ErrorAccessDenied");
    /// 403 on the Graph routes.
    pub const AUTHORIZATION_REQUEST_DENIED: ErrorCode = ErrorCode("Authorization_RequestDenied");
    /// 500: storage failure or a bug.
    pub const INTERNAL_SERVER_ERROR: ErrorCode = ErrorCode("ErrorInternalServerError");

    /// The code as written in the body.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
