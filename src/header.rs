//! The dimensions a file declares, read from its first bytes with no decoder involved, so the
//! limits are enforced before any decoder sees the file.

use crate::sniff::Format;

/// The largest width and height `bytes` declare, when the format puts them in a fixed place:
/// PNG's IHDR, GIF's logical screen and first image descriptor, WebP's VP8X/VP8/VP8L header,
/// BMP's info header. `None` when they cannot be read here (JPEG and TIFF are read by their
/// decoders' header parsers, which allocate nothing for pixels).
pub(crate) fn declared_dimensions(format: Format, bytes: &[u8]) -> Option<(u64, u64)> {
    match format {
        Format::Png => png(bytes),
        Format::Gif => gif(bytes),
        Format::WebP => webp(bytes),
        Format::Bmp => bmp(bytes),
        Format::Jpeg | Format::Tiff => None,
    }
}

/// What is wrong with a PNG's palette, if anything, found by walking its chunks (their
/// lengths only) up to IEND or the end of the bytes: a PLTE chunk must hold whole RGB entries, at most 256 of them. The png crate
/// (0.18.1) indexes past a palette whose length is not a multiple of 3 and panics, so such a
/// file must not reach it.
pub(crate) fn png_palette_problem(bytes: &[u8]) -> Option<String> {
    let mut at = 8usize;
    loop {
        let length = usize::try_from(u32_be(bytes, at)?).ok()?;
        let kind = bytes.get(at + 4..at + 8)?;
        match kind {
            b"PLTE" if length % 3 != 0 || length == 0 || length > 3 * 256 => {
                return Some(format!(
                    "the PLTE chunk is {length} bytes, not 1 to 256 RGB entries of 3 bytes"
                ));
            }
            b"IEND" => return None,
            _ => {}
        }
        // Length, type, data, CRC.
        at = at.checked_add(12)?.checked_add(length)?;
    }
}

/// A copy of a BMP with what Pillow reads past put right, or `None` when nothing needs to be:
///
/// - a pixel offset (`bfOffBits`) pointing back into the headers or into a colour table whose
///   length the header states, where no pixel can be: the pixels are read from right after the
///   table (the image crate would take the palette for pixels);
/// - uncompressed pixel data short only of the last row's padding, which holds no pixel: the
///   padding is added (the image crate would refuse the file as truncated).
pub(crate) fn bmp_repaired(bytes: &[u8]) -> Option<Vec<u8>> {
    const FILE_HEADER: u64 = 14;
    let declared = u32_le(bytes, 10)?;
    let info_size = u32_le(bytes, 14)?;
    let (width, height) = bmp(bytes)?;
    let (bits, compression, colours_used, entry) = if info_size == 12 {
        // OS/2 1.x: no compression or colour count, 3-byte colour entries.
        (u16_le(bytes, 24)?, 0, 0, 3)
    } else {
        (
            u16_le(bytes, 28)?,
            u32_le(bytes, 30)?,
            u32_le(bytes, 46)?,
            4,
        )
    };
    // BI_BITFIELDS and BI_ALPHABITFIELDS put their masks after a 40-byte info header.
    let masks = match (info_size, compression) {
        (40, 3) => 12,
        (40, 6) => 16,
        _ => 0,
    };
    let headers = FILE_HEADER + info_size + masks;
    // A colour table's length is stated (biClrUsed) or implied by the depth; an implied one
    // may be cut short by the offset (OS/2 files do that), a stated one may not.
    let table = match colours_used {
        0 if bits <= 8 => (1 << bits) * entry,
        used => used.checked_mul(entry)?,
    };
    let earliest = if colours_used > 0 {
        headers + table
    } else {
        headers
    };
    let len = bytes.len() as u64;
    let offset = match headers + table {
        after_table if declared < earliest && after_table < len => after_table,
        _ => declared,
    };
    // Rows of whole 4-byte words; the last row's padding holds no pixel.
    let row_bits = width.checked_mul(bits)?;
    let row = row_bits.div_ceil(32) * 4;
    let padding = row - row_bits.div_ceil(8);
    let end = offset.checked_add(row.checked_mul(height)?)?;
    let uncompressed = matches!(compression, 0 | 3 | 6);
    let short = if uncompressed && end > len && end - len <= padding {
        end - len
    } else {
        0
    };
    if offset == declared && short == 0 {
        return None;
    }
    let mut copy = bytes.to_vec();
    copy[10..14].copy_from_slice(&u32::try_from(offset).ok()?.to_le_bytes());
    copy.resize(copy.len() + usize::try_from(short).ok()?, 0);
    Some(copy)
}

fn u32_le(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 4)?;
    Some(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
}

fn u16_le(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 2)?;
    Some(u64::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u24_le(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 3)?;
    Some(u64::from(b[0]) | u64::from(b[1]) << 8 | u64::from(b[2]) << 16)
}

fn u32_be(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 4)?;
    Some(u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
}

fn i32_le_magnitude(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 4)?;
    Some(u64::from(
        i32::from_le_bytes([b[0], b[1], b[2], b[3]]).unsigned_abs(),
    ))
}

fn png(bytes: &[u8]) -> Option<(u64, u64)> {
    (bytes.get(12..16)? == b"IHDR").then_some(())?;
    Some((u32_be(bytes, 16)?, u32_be(bytes, 20)?))
}

/// The logical screen, grown to hold the first image descriptor's frame.
fn gif(bytes: &[u8]) -> Option<(u64, u64)> {
    let (mut width, mut height) = (u16_le(bytes, 6)?, u16_le(bytes, 8)?);
    let flags = *bytes.get(10)?;
    let mut at = 13;
    if flags & 0x80 != 0 {
        at += 3 << ((flags & 0x07) + 1);
    }
    // Skip extensions up to the first image descriptor.
    loop {
        match *bytes.get(at)? {
            0x21 => {
                at += 2;
                loop {
                    let len = usize::from(*bytes.get(at)?);
                    at += 1 + len;
                    if len == 0 {
                        break;
                    }
                }
            }
            0x2C => {
                let (left, top) = (u16_le(bytes, at + 1)?, u16_le(bytes, at + 3)?);
                let (w, h) = (u16_le(bytes, at + 5)?, u16_le(bytes, at + 7)?);
                width = width.max(left + w);
                height = height.max(top + h);
                return Some((width, height));
            }
            _ => return Some((width, height)),
        }
    }
}

fn webp(bytes: &[u8]) -> Option<(u64, u64)> {
    match bytes.get(12..16)? {
        b"VP8X" => Some((u24_le(bytes, 24)? + 1, u24_le(bytes, 27)? + 1)),
        b"VP8 " => Some((u16_le(bytes, 26)? & 0x3FFF, u16_le(bytes, 28)? & 0x3FFF)),
        b"VP8L" => {
            let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
            Some((
                u64::from(bits & 0x3FFF) + 1,
                u64::from((bits >> 14) & 0x3FFF) + 1,
            ))
        }
        _ => None,
    }
}

fn bmp(bytes: &[u8]) -> Option<(u64, u64)> {
    let header_size = u32::from_le_bytes(bytes.get(14..18)?.try_into().ok()?);
    if header_size == 12 {
        Some((u16_le(bytes, 18)?, u16_le(bytes, 20)?))
    } else {
        Some((i32_le_magnitude(bytes, 18)?, i32_le_magnitude(bytes, 22)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_png_ihdr() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&3u32.to_be_bytes());
        assert_eq!(declared_dimensions(Format::Png, &png), Some((100_000, 3)));
        assert_eq!(declared_dimensions(Format::Png, &png[..20]), None);
    }

    #[test]
    fn gif_frame_outside_the_screen_counts() {
        let mut gif = b"GIF89a\x20\x00\x20\x00\x00\x00\x00".to_vec();
        gif.extend_from_slice(b"\x21\xf9\x04\x00\x00\x00\x00\x00");
        gif.extend_from_slice(b"\x2c\x00\x00\x00\xff\xff\xff\x29\x05\x00");
        assert_eq!(
            declared_dimensions(Format::Gif, &gif),
            Some((65535, 65280 + 1321))
        );
    }

    #[test]
    fn reads_bmp_signed_heights() {
        let mut bmp = vec![0u8; 26];
        bmp[..2].copy_from_slice(b"BM");
        bmp[14..18].copy_from_slice(&40u32.to_le_bytes());
        bmp[18..22].copy_from_slice(&640i32.to_le_bytes());
        bmp[22..26].copy_from_slice(&(-480i32).to_le_bytes());
        assert_eq!(declared_dimensions(Format::Bmp, &bmp), Some((640, 480)));
        bmp[22..26].copy_from_slice(&i32::MIN.to_le_bytes());
        assert_eq!(declared_dimensions(Format::Bmp, &bmp), Some((640, 1 << 31)));
    }

    /// A PNG of the given chunks (CRCs are not checked here, so they are left zero).
    fn png_of(chunks: &[(&[u8; 4], usize)]) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, length) in chunks {
            png.extend_from_slice(&(*length as u32).to_be_bytes());
            png.extend_from_slice(*kind);
            png.extend(std::iter::repeat_n(7u8, *length));
            png.extend_from_slice(&[0; 4]);
        }
        png
    }

    #[test]
    fn png_palettes_must_hold_whole_entries() {
        let with_palette =
            |length| png_of(&[(b"IHDR", 13), (b"PLTE", length), (b"IDAT", 9), (b"IEND", 0)]);
        for good in [3, 48, 768] {
            assert_eq!(
                png_palette_problem(&with_palette(good)),
                None,
                "{good} bytes"
            );
        }
        for bad in [0, 1, 25, 770, 771] {
            let problem = png_palette_problem(&with_palette(bad)).expect("a bad palette");
            assert!(problem.contains(&format!("{bad} bytes")), "{problem}");
        }
        // No palette, a truncated file, or a chunk length past the end: nothing to say.
        let plain = png_of(&[(b"IHDR", 13), (b"IDAT", 9), (b"IEND", 0)]);
        assert_eq!(png_palette_problem(&plain), None);
        for end in 0..plain.len() {
            assert_eq!(png_palette_problem(&plain[..end]), None);
        }
        let mut huge = png_of(&[(b"IHDR", 13)]);
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        huge.extend_from_slice(b"tEXt");
        assert_eq!(png_palette_problem(&huge), None);
    }
}
