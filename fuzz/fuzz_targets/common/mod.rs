//! What the per-format targets share.

use std::borrow::Cow;
use std::sync::OnceLock;

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
    let _ = userphoto::bench_support::decode(&bytes, options());
}

/// The options every run decodes with. The pixel limit is 4 megapixels, which keeps each run
/// fast while still decoding photos of a useful size; `USERPHOTO_FUZZ_MAX_PIXELS` lowers it for
/// lanes on small inputs, where a header declaring megapixels would otherwise make the decoder
/// fill them on every run (the limit is checked from the header, so the rejection path is
/// exercised either way).
fn options() -> &'static Options {
    static OPTIONS: OnceLock<Options> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let max_pixels = std::env::var("USERPHOTO_FUZZ_MAX_PIXELS")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(4 << 20);
        Options {
            limits: Limits {
                max_pixels,
                ..Limits::default()
            },
            ..Options::default()
        }
    })
}
