//! SPEC §3 and §4: the placeholder is a valid, transparent 1x1 GIF with an empty ETag, and the
//! metadata serialises to exactly the service's fields.

use crate::common;

use serde_json::{json, Value};
use userphoto::{placeholder, ETag, PhotoSize};

#[test]
fn the_placeholder_is_a_transparent_1x1_gif_for_two_decoders() {
    let bytes = placeholder().bytes();
    assert!(bytes.starts_with(b"GIF89a") || bytes.starts_with(b"GIF87a"));
    assert_eq!(bytes.last(), Some(&0x3B), "a GIF ends with its trailer");

    // The gif crate, with the colour table applied.
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(&bytes[..]).expect("gif reads the header");
    assert_eq!((decoder.width(), decoder.height()), (1, 1));
    let frame = decoder
        .read_next_frame()
        .expect("gif reads the frame")
        .expect("there is one frame");
    assert_eq!((frame.width, frame.height), (1, 1));
    assert_eq!(frame.buffer.len(), 4);
    assert_eq!(frame.buffer[3], 0, "the pixel must be transparent");
    assert!(
        decoder.read_next_frame().unwrap().is_none(),
        "one frame only"
    );

    // The image crate.
    let image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Gif)
        .expect("image reads the placeholder")
        .into_rgba8();
    assert_eq!(image.dimensions(), (1, 1));
    assert_eq!(image.get_pixel(0, 0)[3], 0, "the pixel must be transparent");
}

#[test]
fn the_placeholder_is_constant() {
    assert_eq!(placeholder().bytes(), placeholder().bytes());
    assert_eq!(placeholder(), placeholder());
    assert_eq!(placeholder().content_type(), "image/gif");
    assert_eq!((placeholder().width(), placeholder().height()), (1, 1));
    assert!(placeholder().etag().is_empty());
    assert_eq!(placeholder().etag().as_str(), "");
    assert_eq!(placeholder().etag(), ETag::empty());
}

/// SPEC §3: `image/gif`, `Id` "1X1", `Width` 1, `Height` 1 and an empty media ETag, the empty
/// string (`"@odata.mediaEtag": ""`), in the field names of SPEC §4.
#[test]
fn placeholder_metadata_is_exactly_the_spec() {
    let written = serde_json::to_value(placeholder().metadata()).unwrap();
    let spec: Value = serde_json::from_str(
        r#"{
            "@odata.mediaContentType": "image/gif",
            "@odata.mediaEtag": "",
            "Id": "1X1",
            "Width": 1,
            "Height": 1
        }"#,
    )
    .unwrap();
    assert_eq!(written, spec);
}

/// SPEC §4 for a rendition: the fields of the example, the ETag being the quoted upper-case
/// CRC-32 of the bytes (computed here with crc32fast, not by the library).
#[test]
fn rendition_metadata_is_exactly_the_spec() {
    let jpeg = common::synth::jpeg(&common::synth::photo_like(300, 250), 85);
    let set = common::ingest_ok(&jpeg);
    let rendition = set.get(PhotoSize::S240).unwrap();
    let crc = crc32fast::hash(rendition.bytes());
    let written = serde_json::to_value(rendition.metadata()).unwrap();
    let spec = json!({
        "@odata.mediaContentType": "image/jpeg",
        "@odata.mediaEtag": format!("\"{crc:08X}\""),
        "Id": "240X240",
        "Width": 240,
        "Height": 240
    });
    assert_eq!(written, spec);

    // The collection: {"value": [...]}, ascending, one entry per rendition.
    let collection = serde_json::to_value(set.metadata()).unwrap();
    let ids: Vec<&str> = collection["value"]
        .as_array()
        .expect("a value array")
        .iter()
        .map(|v| v["Id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["48X48", "64X64", "96X96", "120X120", "240X240"]);
    assert_eq!(collection.as_object().unwrap().len(), 1, "only `value`");
}

/// The ETag format of SPEC §2, from the service's sample.
#[test]
fn etags_look_like_the_service_sample() {
    let tag = ETag::from_crc32(0xBA09_D118);
    assert_eq!(tag.as_str(), "\"BA09D118\"");
    assert_eq!(serde_json::to_value(tag).unwrap(), json!("\"BA09D118\""));
    // The CRC-32 check value of "123456789" is CBF43926.
    assert_eq!(ETag::of(b"123456789").as_str(), "\"CBF43926\"");
}
