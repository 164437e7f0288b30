//! Why an upload was rejected.

use std::fmt;

use crate::sniff::Format;

/// The error type of decoders and other causes kept in [`Error`]'s `source()`.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why [`ingest`](crate::ingest) rejected an upload.
///
/// Each variant is one kind of problem (see [`ErrorKind`]), so a caller can map it to a status
/// code without reading the message. The message says what was wrong in words a user can act
/// on; where a decoder found the problem, its own error is kept in `source()`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The upload has no bytes at all.
    #[error("the photo is empty (0 bytes)")]
    Empty,

    /// The upload has more bytes than [`Limits::max_input_bytes`](crate::Limits::max_input_bytes).
    #[error("the photo is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The upload's length in bytes.
        size: u64,
        /// The limit it exceeds.
        limit: u64,
    },

    /// The bytes are not any supported image format (text, PDF, HTML, SVG, AVIF, …).
    #[error("not a supported image format (JPEG, PNG, GIF, WebP, BMP or TIFF); the file starts with {start}")]
    UnknownFormat {
        /// The first bytes of the upload, for the message: hex, or text when printable.
        start: String,
    },

    /// A supported format using a feature this crate does not handle.
    #[error("{format} uses a feature that is not supported: {feature}")]
    Unsupported {
        /// The recognised format.
        format: Format,
        /// Which feature, in words.
        feature: String,
        /// The decoder's own error, when it found the problem.
        #[source]
        source: Option<Cause>,
    },

    /// A truncated or malformed file.
    #[error("the {format} file is corrupt: {detail}")]
    Corrupt {
        /// The recognised format.
        format: Format,
        /// What the decoder found.
        detail: String,
        /// The decoder's own error.
        #[source]
        source: Option<Cause>,
    },

    /// The declared width, height or pixel count is over the [`Limits`](crate::Limits).
    #[error("the image declares {width}x{height} pixels, over the limit of {limit}")]
    DimensionsTooLarge {
        /// Declared width in pixels.
        width: u64,
        /// Declared height in pixels.
        height: u64,
        /// The limit exceeded, in words (for example "16384 pixels per side").
        limit: String,
    },

    /// The usable side (the shorter side after orientation) is under 48 pixels.
    #[error("the image is {width}x{height}; its shorter side must be at least {minimum} pixels")]
    TooSmall {
        /// Width after orientation.
        width: u32,
        /// Height after orientation.
        height: u32,
        /// The minimum side, 48.
        minimum: u32,
    },

    /// Encoding a rendition failed. This is a bug in userphoto or a dependency, not a problem
    /// with the upload.
    #[error("encoding the {side}x{side} rendition failed")]
    Encode {
        /// The side of the rendition that failed.
        side: u32,
        /// The encoder's error.
        #[source]
        source: Cause,
    },

    /// A decoder or userphoto itself panicked on this upload. The panic was contained and
    /// nothing was rendered; the upload is most likely malformed in a way some code did not
    /// expect, which is a bug in userphoto or a dependency worth reporting with the file.
    #[error(
        "the {format} file could not be read: a decoder failed unexpectedly ({detail}); this is \
         a bug in userphoto, please report it with the file"
    )]
    Internal {
        /// The recognised format.
        format: Format,
        /// What the panic said.
        detail: String,
    },
}

/// The kind of an [`Error`], without its details: what a server maps to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`Error::Empty`].
    Empty,
    /// See [`Error::TooLarge`].
    TooLarge,
    /// See [`Error::UnknownFormat`].
    UnknownFormat,
    /// See [`Error::Unsupported`].
    Unsupported,
    /// See [`Error::Corrupt`].
    Corrupt,
    /// See [`Error::DimensionsTooLarge`].
    DimensionsTooLarge,
    /// See [`Error::TooSmall`].
    TooSmall,
    /// See [`Error::Encode`].
    Encode,
    /// See [`Error::Internal`].
    Internal,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Empty,
        ErrorKind::TooLarge,
        ErrorKind::UnknownFormat,
        ErrorKind::Unsupported,
        ErrorKind::Corrupt,
        ErrorKind::DimensionsTooLarge,
        ErrorKind::TooSmall,
        ErrorKind::Encode,
        ErrorKind::Internal,
    ];

    /// The stable name of the kind, as SPEC §6 writes it: `"TooSmall"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Empty => "Empty",
            ErrorKind::TooLarge => "TooLarge",
            ErrorKind::UnknownFormat => "UnknownFormat",
            ErrorKind::Unsupported => "Unsupported",
            ErrorKind::Corrupt => "Corrupt",
            ErrorKind::DimensionsTooLarge => "DimensionsTooLarge",
            ErrorKind::TooSmall => "TooSmall",
            ErrorKind::Encode => "Encode",
            ErrorKind::Internal => "Internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Empty => ErrorKind::Empty,
            Error::TooLarge { .. } => ErrorKind::TooLarge,
            Error::UnknownFormat { .. } => ErrorKind::UnknownFormat,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::DimensionsTooLarge { .. } => ErrorKind::DimensionsTooLarge,
            Error::TooSmall { .. } => ErrorKind::TooSmall,
            Error::Encode { .. } => ErrorKind::Encode,
            Error::Internal { .. } => ErrorKind::Internal,
        }
    }

    pub(crate) fn corrupt(format: Format, detail: impl Into<String>) -> Error {
        Error::Corrupt {
            format,
            detail: detail.into(),
            source: None,
        }
    }

    pub(crate) fn unsupported(format: Format, feature: impl Into<String>) -> Error {
        Error::Unsupported {
            format,
            feature: feature.into(),
            source: None,
        }
    }

    pub(crate) fn unknown_format(bytes: &[u8]) -> Error {
        let head = &bytes[..bytes.len().min(8)];
        let start = if head.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            format!("{:?}", String::from_utf8_lossy(head))
        } else {
            let hex: Vec<String> = head.iter().map(|b| format!("{b:02X}")).collect();
            format!("bytes {}", hex.join(" "))
        };
        Error::UnknownFormat { start }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_send_sync_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }

    #[test]
    fn kinds_have_distinct_names() {
        let names: std::collections::HashSet<_> =
            ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn unknown_format_shows_the_start() {
        let text = Error::unknown_format(b"%PDF-1.7\n").to_string();
        assert!(text.contains("\"%PDF-1.7\""), "{text}");
        let binary = Error::unknown_format(&[0, 1, 2]).to_string();
        assert!(binary.contains("bytes 00 01 02"), "{binary}");
    }
}
