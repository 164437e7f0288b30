//! What the tests of `userphoto precompute` share: test photos, and checks of what a run
//! wrote that decode the outputs rather than trust them.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A photo-like test pattern: smooth gradients with a few edges, different for every seed.
pub fn pattern(width: u32, height: u32, seed: u32) -> image::RgbImage {
    image::RgbImage::from_fn(width, height, |x, y| {
        let r = (x * 255 / width.max(1)) as u8 ^ (seed as u8).wrapping_mul(37);
        let g = (y * 255 / height.max(1)) as u8;
        let b = if ((x / 40) + (y / 40) + seed).is_multiple_of(2) {
            200
        } else {
            40
        };
        image::Rgb([r, g, b])
    })
}

pub fn png(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    pattern(width, height, seed)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("PNG encodes");
    bytes
}

pub fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode(
            pattern(width, height, seed).as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("JPEG encodes");
    bytes
}

/// A manifest's records by path.
pub fn manifest_records(text: &[u8]) -> BTreeMap<String, Value> {
    String::from_utf8_lossy(text)
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).expect("each line is JSON");
            (value["path"].as_str().expect("a path").to_owned(), value)
        })
        .collect()
}

pub fn status(record: &Value) -> &str {
    record["status"].as_str().expect("a status")
}

pub fn kind(record: &Value) -> &str {
    record["error"]["kind"].as_str().unwrap_or("")
}

/// The number the summary on stdout gives after `label` (`"ingested"`, `"Corrupt"`, …).
pub fn summary_count(stdout: &str, label: &str) -> Option<u64> {
    stdout.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix(label)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Checks one output folder, `label`, given its `photos.json` (if any) and its `.jpg`
/// files: each file `photos.json` lists exists, its CRC-32 is the listed ETag and it decodes
/// fully (jpeg-decoder) to s x s; no `.jpg` lies outside the listed set. A folder of JPEGs
/// without `photos.json` is a failure unless `allow_unfinished`. Returns whether the folder
/// holds a set.
pub fn check_folder(
    label: &str,
    photos_json: Option<&[u8]>,
    jpgs: &BTreeMap<String, Vec<u8>>,
    allow_unfinished: bool,
) -> bool {
    let Some(json) = photos_json else {
        assert!(
            allow_unfinished || jpgs.is_empty(),
            "{label}: JPEGs without photos.json"
        );
        return false;
    };
    let collection: Value =
        serde_json::from_slice(json).unwrap_or_else(|e| panic!("{label}/photos.json: {e}"));
    let mut listed = Vec::new();
    for photo in collection["value"].as_array().expect("a value array") {
        let side = photo["Width"].as_u64().unwrap() as u16;
        assert_eq!(photo["Height"].as_u64(), Some(u64::from(side)));
        let id = photo["Id"].as_str().unwrap();
        assert_eq!(id, format!("{side}X{side}"));
        let file = format!("{side}x{side}.jpg");
        let bytes = jpgs
            .get(&file)
            .unwrap_or_else(|| panic!("{label}/{file} is listed but missing"));
        let etag = format!("\"{:08X}\"", crc32fast::hash(bytes));
        assert_eq!(photo["@odata.mediaEtag"].as_str(), Some(etag.as_str()));
        let mut decoder = jpeg_decoder::Decoder::new(&bytes[..]);
        let pixels = decoder
            .decode()
            .unwrap_or_else(|e| panic!("{label}/{file} does not decode: {e}"));
        let info = decoder.info().unwrap();
        assert_eq!((info.width, info.height), (side, side));
        assert_eq!(pixels.len(), usize::from(side) * usize::from(side) * 3);
        listed.push(file);
    }
    listed.sort();
    assert_eq!(
        jpgs.keys().cloned().collect::<Vec<_>>(),
        listed,
        "{label}: files and photos.json differ"
    );
    true
}

/// Starts `command` (output discarded) and kills it with SIGKILL as soon as `done()` counts
/// `enough` or more (polled every 15 ms, for two minutes at most). Returns whether it was
/// killed, rather than ending on its own first.
pub fn kill_part_way(
    command: &mut Command,
    enough: usize,
    mut done: impl FnMut() -> usize,
) -> bool {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let killed = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if done() >= enough || Instant::now() > deadline {
            child.kill().unwrap();
            break true;
        }
        std::thread::sleep(Duration::from_millis(15));
    };
    child.wait().unwrap();
    killed
}
