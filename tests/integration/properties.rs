//! Property tests of the pure logic against naive references: size selection, size names,
//! ETags, and the metadata JSON.

use proptest::prelude::*;
use userphoto::{ETag, PhotoCollection, PhotoMetadata, PhotoSize};

const SIDES: [u32; 9] = [48, 64, 96, 120, 240, 360, 432, 504, 648];

proptest! {
    #[test]
    fn fitting_keeps_every_size_no_larger_than_the_side(side in any::<u32>()) {
        let naive: Vec<u32> = SIDES.into_iter().filter(|&s| s <= side).collect();
        let fitting: Vec<u32> = PhotoSize::fitting(side).iter().map(|s| s.side()).collect();
        prop_assert_eq!(fitting, naive);
    }

    #[test]
    fn sizes_parse_exactly_the_predefined_names(text in "[0-9]{0,4}[xX]?[0-9]{0,4}") {
        let naive = SIDES.into_iter().find(|side| {
            text == format!("{side}x{side}") || text == format!("{side}X{side}")
        });
        let parsed = text.parse::<PhotoSize>().ok().map(PhotoSize::side);
        prop_assert_eq!(parsed, naive);
    }

    #[test]
    fn size_names_round_trip(index in 0usize..9, upper in any::<bool>()) {
        let size = PhotoSize::ALL[index];
        let text = if upper { size.id().to_owned() } else { size.to_string() };
        prop_assert_eq!(text.parse::<PhotoSize>(), Ok(size));
        prop_assert_eq!(size.name(), format!("{0}x{0}", size.side()));
        prop_assert_eq!(size.id(), format!("{0}X{0}", size.side()));
        prop_assert_eq!(PhotoSize::from_side(size.side()), Some(size));
    }

    #[test]
    fn etags_format_and_parse_like_the_reference(crc in any::<u32>(), lower in any::<bool>()) {
        let tag = ETag::from_crc32(crc);
        let naive = format!("\"{crc:08X}\"");
        prop_assert_eq!(tag.as_str(), naive.as_str());
        prop_assert_eq!(tag.to_string(), naive.clone());
        let written = if lower { naive.to_lowercase() } else { naive };
        prop_assert_eq!(ETag::parse(&written), Some(tag));
        prop_assert_eq!(ETag::parse(&format!("W/{written}")), Some(tag));
        prop_assert_eq!(tag.crc32(), Some(crc));
        let json = serde_json::to_string(&tag).unwrap();
        prop_assert_eq!(serde_json::from_str::<ETag>(&json).unwrap(), tag);
    }

    #[test]
    fn etag_parse_accepts_only_quoted_hex(text in "\"?[0-9a-fA-FgG]{0,10}\"?") {
        let inner = text.strip_prefix('"').and_then(|t| t.strip_suffix('"'));
        let naive = match inner {
            Some("") => Some(ETag::empty()),
            Some(hex) if hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(ETag::from_crc32(u32::from_str_radix(hex, 16).unwrap()))
            }
            _ => None,
        };
        prop_assert_eq!(ETag::parse(&text), naive);
    }

    #[test]
    fn metadata_json_round_trips(
        photos in proptest::collection::vec(
            (".*", proptest::option::of(any::<u32>()), ".*", any::<u32>(), any::<u32>()),
            0..5,
        )
    ) {
        let value: Vec<PhotoMetadata> = photos
            .into_iter()
            .map(|(media_content_type, crc, id, width, height)| PhotoMetadata {
                media_content_type,
                media_etag: crc.map_or(ETag::empty(), ETag::from_crc32),
                id,
                width,
                height,
            })
            .collect();
        for photo in &value {
            let json = serde_json::to_string(photo).unwrap();
            let back: PhotoMetadata = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, photo);
            let object: serde_json::Value = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(object["@odata.mediaEtag"].as_str(), Some(photo.media_etag.as_str()));
            prop_assert_eq!(object["Width"].as_u64(), Some(u64::from(photo.width)));
        }
        let collection = PhotoCollection { value };
        let json = serde_json::to_string(&collection).unwrap();
        prop_assert_eq!(serde_json::from_str::<PhotoCollection>(&json).unwrap(), collection);
    }
}
