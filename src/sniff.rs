//! Recognising the format from the first bytes, never from a name or a declared type.

use std::fmt;

/// An input format userphoto reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// JPEG (baseline, progressive, greyscale, CMYK/YCCK; also the first image of MPO).
    Jpeg,
    /// PNG (every bit depth, palette, alpha, interlaced; the default image of APNG).
    Png,
    /// GIF (the first frame).
    Gif,
    /// WebP (lossy, lossless, alpha; the first frame).
    WebP,
    /// Windows bitmap.
    Bmp,
    /// TIFF (the first image).
    Tiff,
}

impl Format {
    /// The format of `bytes`, recognised from their magic number.
    ///
    /// ```
    /// use userphoto::Format;
    ///
    /// assert_eq!(Format::sniff(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
    /// assert_eq!(Format::sniff(b"<svg xmlns=..."), None);
    /// ```
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        let starts = |magic: &[u8]| bytes.starts_with(magic);
        if starts(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if starts(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if starts(b"GIF87a") || starts(b"GIF89a") {
            Some(Format::Gif)
        } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(Format::WebP)
        } else if starts(b"BM") {
            Some(Format::Bmp)
        } else if starts(b"II*\0") || starts(b"MM\0*") || starts(b"II+\0") || starts(b"MM\0+") {
            Some(Format::Tiff)
        } else {
            None
        }
    }

    /// The usual name of the format: `"JPEG"`, `"PNG"`, …
    pub const fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Gif => "GIF",
            Format::WebP => "WebP",
            Format::Bmp => "BMP",
            Format::Tiff => "TIFF",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_magic_numbers_only() {
        assert_eq!(Format::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(Format::sniff(b"GIF89a"), Some(Format::Gif));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::WebP));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(Format::sniff(b"BM"), Some(Format::Bmp));
        assert_eq!(Format::sniff(b"MM\0*"), Some(Format::Tiff));
        for other in [
            &b""[..],
            b"\xFF\xD8",
            b"%PDF-1.4",
            b"\0\0\0\x1cftypavif",
            b"\0\0\x01\0",
        ] {
            assert_eq!(Format::sniff(other), None, "{other:?}");
        }
    }
}
