//! What the per-format targets share.

use std::borrow::Cow;

use userphoto::{Format, Limits, Options};

/// The magic number `format` is recognised by, followed by what a decoder needs before the
/// bytes that vary (RIFF's length field for WebP).
fn magic(format: Format) -> &'static [u8] {
    match format {
        Format::Jpeg => b"\xFF\xD8\xFF",
        Format::Png => b"\x89PNG\r\n\x1a\n",
        Format::Gif => b"GIF89a",
        Format::WebP => b"RIFF\0\0\0\0WEBP",
        Format::Bmp => b"BM",
        Format::Tiff => b"II*\0",
        _ => b"",
    }
}

/// Decodes `data` as `format`, as `ingest` would before resampling: unchanged when it already
/// is one (so seed files are used as they are), otherwise behind the format's magic number, so
/// every input reaches that format's decoder. Stopping before the nine resamples and encodes
/// (which the `ingest` target covers) makes each run hundreds of times cheaper, so the
/// decoders, where the untrusted parsing lives, get far more executions.
pub fn decode_as(format: Format, data: &[u8]) {
    let bytes = if Format::sniff(data) == Some(format) {
        Cow::Borrowed(data)
    } else {
        let mut bytes = magic(format).to_vec();
        bytes.extend_from_slice(data);
        if format == Format::WebP {
            let riff_len = u32::try_from(bytes.len() - 8).unwrap_or(u32::MAX);
            bytes[4..8].copy_from_slice(&riff_len.to_le_bytes());
        }
        Cow::Owned(bytes)
    };
    // 4 megapixels keeps each run fast while still decoding photos of a useful size.
    let options = Options {
        limits: Limits {
            max_pixels: 4 << 20,
            ..Limits::default()
        },
        ..Options::default()
    };
    let _ = userphoto::bench_support::decode(&bytes, &options);
}
