//! Strong ETags of renditions and the tag of a whole set.

use std::fmt;

/// The strong entity tag of a rendition: the CRC-32 of its bytes as 8 upper-case hex digits,
/// quoted, as the service writes it (`"BA09D118"`), or the empty tag of the placeholder.
///
/// The quotes are part of the value: [`as_str`](ETag::as_str) gives exactly what goes in an
/// HTTP `ETag` header and in `@odata.mediaEtag`. The empty tag is the empty string, as the
/// service writes the placeholder's `"@odata.mediaEtag": ""` (SPEC §3); it never goes in a
/// header, since the placeholder's bytes have no `ETag`.
///
/// ```
/// use userphoto::ETag;
///
/// let tag = ETag::of(b"hello");
/// assert_eq!(tag.as_str(), "\"3610A686\"");
/// assert_eq!(tag.crc32(), Some(0x3610A686));
/// assert_eq!(ETag::parse(tag.as_str()), Some(tag));
/// assert_eq!(ETag::empty().as_str(), "");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ETag {
    crc: Option<u32>,
    text: [u8; 10],
}

impl ETag {
    /// The tag of `bytes`: their CRC-32 (IEEE), quoted upper-case hex.
    pub fn of(bytes: &[u8]) -> ETag {
        ETag::from_crc32(crc32fast::hash(bytes))
    }

    /// The tag whose value is the given CRC-32.
    pub fn from_crc32(crc: u32) -> ETag {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut text = [b'"'; 10];
        for (i, slot) in text[1..9].iter_mut().enumerate() {
            *slot = HEX[((crc >> (28 - 4 * i)) & 0xF) as usize];
        }
        ETag {
            crc: Some(crc),
            text,
        }
    }

    /// The empty tag, which the placeholder carries: written as the empty string.
    pub const fn empty() -> ETag {
        ETag {
            crc: None,
            text: [b'"'; 10],
        }
    }

    /// Whether this is the empty tag of the placeholder.
    pub const fn is_empty(&self) -> bool {
        self.crc.is_none()
    }

    /// The CRC-32 this tag carries, `None` for the empty tag.
    pub const fn crc32(&self) -> Option<u32> {
        self.crc
    }

    /// The tag as written in headers and metadata, quotes included; the empty string for the
    /// empty tag.
    pub fn as_str(&self) -> &str {
        let len = if self.crc.is_some() { 10 } else { 0 };
        std::str::from_utf8(&self.text[..len]).expect("the tag is ASCII")
    }

    /// Reads a tag as written in a header: quoted, 8 hex digits (either case) or nothing
    /// (`""`, the empty tag). A weak prefix `W/` and surrounding whitespace are accepted.
    pub fn parse(s: &str) -> Option<ETag> {
        let s = s.trim();
        let s = s.strip_prefix("W/").unwrap_or(s);
        let inner = s.strip_prefix('"')?.strip_suffix('"')?;
        if inner.is_empty() {
            return Some(ETag::empty());
        }
        if inner.len() != 8 || !inner.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(inner, 16).ok().map(ETag::from_crc32)
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ETag({})", self.as_str())
    }
}

impl serde::Serialize for ETag {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ETag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        // The empty string is how metadata writes the empty tag.
        if text.is_empty() {
            return Ok(ETag::empty());
        }
        ETag::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("{text:?} is not an ETag like \"BA09D118\""))
        })
    }
}

/// The tag of a whole photo set: 16 lower-case hex digits that change whenever any rendition
/// changes. Use it to version storage (for example as a directory or key prefix).
///
/// It is a 64-bit FNV-1a hash over every rendition's size, length and CRC-32, so it is as
/// deterministic as the renditions themselves.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SetTag(u64);

impl SetTag {
    /// The tag of a set made of renditions with these `(side, byte length, crc32)` triples,
    /// in ascending order of size.
    pub(crate) fn over(parts: impl IntoIterator<Item = (u32, u64, u32)>) -> SetTag {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut hash = OFFSET;
        for (side, len, crc) in parts {
            let bytes = side
                .to_le_bytes()
                .into_iter()
                .chain(len.to_le_bytes())
                .chain(crc.to_le_bytes());
            for byte in bytes {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(PRIME);
            }
        }
        SetTag(hash)
    }

    /// The 64-bit value.
    pub const fn value(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SetTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for SetTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SetTag({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_service() {
        assert_eq!(ETag::from_crc32(0xBA09_D118).as_str(), "\"BA09D118\"");
        assert_eq!(ETag::from_crc32(0).as_str(), "\"00000000\"");
        // CRC-32 check value of "123456789".
        assert_eq!(ETag::of(b"123456789").as_str(), "\"CBF43926\"");
    }

    #[test]
    fn the_empty_tag_is_the_empty_string_in_json() {
        assert_eq!(serde_json::to_string(&ETag::empty()).unwrap(), r#""""#);
        assert_eq!(
            serde_json::from_str::<ETag>(r#""""#).unwrap(),
            ETag::empty()
        );
        // Indexes written when the empty tag was written as its header form still read.
        assert_eq!(
            serde_json::from_str::<ETag>(r#""\"\"""#).unwrap(),
            ETag::empty()
        );
    }

    #[test]
    fn parse_rejects_what_is_not_a_tag() {
        for bad in [
            "",
            "\"",
            "BA09D118",
            "\"BA09D11\"",
            "\"BA09D1188\"",
            "\"BA09D11G\"",
            "*",
        ] {
            assert_eq!(ETag::parse(bad), None, "{bad:?}");
        }
        assert_eq!(
            ETag::parse("W/\"ba09d118\""),
            Some(ETag::from_crc32(0xBA09_D118))
        );
    }

    #[test]
    fn set_tag_depends_on_every_part() {
        let a = SetTag::over([(48, 100, 1), (64, 200, 2)]);
        assert_ne!(a, SetTag::over([(48, 100, 1), (64, 200, 3)]));
        assert_ne!(a, SetTag::over([(48, 100, 1)]));
        assert_eq!(a, SetTag::over([(48, 100, 1), (64, 200, 2)]));
        assert_eq!(a.to_string().len(), 16);
    }
}
