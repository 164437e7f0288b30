//! The `userphoto` command, run as a newcomer would: the README's first command on the
//! committed example photo, a rejected photo, usage errors and the placeholder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

/// The sides of SPEC §1 a 600-pixel usable side yields.
const PORTRAIT_SIDES: [u32; 8] = [48, 64, 96, 120, 240, 360, 432, 504];

fn userphoto(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_userphoto"))
        .args(args)
        .output()
        .expect("running userphoto")
}

fn testdata(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A fresh, absent directory path for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&dir);
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The frame size of a JPEG, read with jpeg-decoder.
fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.decode().expect("a decodable JPEG");
    let info = decoder.info().unwrap();
    (u32::from(info.width), u32::from(info.height))
}

#[test]
fn ingest_writes_every_size_and_the_collection() {
    let out = scratch("ingest");
    let run = userphoto(&[
        "ingest",
        &testdata("portrait.jpg"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "stderr: {}", text(&run.stderr));

    // Exactly <s>x<s>.jpg for each size and photos.json.
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = PORTRAIT_SIDES
        .iter()
        .map(|s| format!("{s}x{s}.jpg"))
        .collect();
    want.push("photos.json".into());
    want.sort();
    assert_eq!(names, want);

    // photos.json: {"value": [...]}, ascending, SPEC §4 fields, ETags of the files' bytes.
    let collection: Value =
        serde_json::from_slice(&std::fs::read(out.join("photos.json")).unwrap()).unwrap();
    let value = collection["value"].as_array().expect("a value array");
    assert_eq!(collection.as_object().unwrap().len(), 1);
    assert_eq!(value.len(), PORTRAIT_SIDES.len());
    let stdout = text(&run.stdout);
    for (entry, side) in value.iter().zip(PORTRAIT_SIDES) {
        let bytes = std::fs::read(out.join(format!("{side}x{side}.jpg"))).unwrap();
        assert_eq!(jpeg_size(&bytes), (side, side));
        let etag = format!("\"{:08X}\"", crc32fast::hash(&bytes));
        assert_eq!(
            entry,
            &json!({
                "@odata.mediaContentType": "image/jpeg",
                "@odata.mediaEtag": etag,
                "Id": format!("{side}X{side}"),
                "Width": side,
                "Height": side,
            })
        );
        // The table names each size, its byte count and its ETag on one line.
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&format!("{side}x{side}")))
            .unwrap_or_else(|| panic!("no line for {side}x{side} in:\n{stdout}"));
        assert!(line.contains(&bytes.len().to_string()), "{line}");
        assert!(line.contains(&etag), "{line}");
    }
    assert!(run.stderr.is_empty(), "stderr: {}", text(&run.stderr));
}

#[test]
fn quality_changes_the_renditions() {
    let (low, high) = (scratch("q30"), scratch("q95"));
    for (dir, q) in [(&low, "30"), (&high, "95")] {
        let run = userphoto(&[
            "ingest",
            &testdata("portrait.jpg"),
            "--out",
            dir.to_str().unwrap(),
            "--quality",
            q,
        ]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    }
    let size = |dir: &Path| std::fs::metadata(dir.join("504x504.jpg")).unwrap().len();
    assert!(size(&low) < size(&high));
}

/// A zlib stream holding `data` in stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = data.chunks(65535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// A valid greyscale PNG of `side` x `side`.
fn grey_png(side: u32) -> Vec<u8> {
    let chunk = |kind: &[u8; 4], data: &[u8]| {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
        out
    };
    let mut ihdr = side.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut rows = Vec::new();
    for y in 0..side {
        rows.push(0);
        rows.extend((0..side).map(|x| ((x + y) * 2) as u8));
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(b"IDAT", &zlib_stored(&rows)));
    png.extend(chunk(b"IEND", &[]));
    png
}

#[test]
fn a_rejected_photo_writes_nothing_and_exits_1() {
    let inputs = scratch("rejected-inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    let small = inputs.join("small.png");
    std::fs::write(&small, grey_png(40)).unwrap();
    let text_file = inputs.join("notes.jpg");
    std::fs::write(&text_file, "not a photo at all\n").unwrap();
    let empty = inputs.join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    // The same PNG at 60 pixels is fine: the rejection is about its size.
    let fine = inputs.join("fine.png");
    std::fs::write(&fine, grey_png(60)).unwrap();
    let ok = userphoto(&[
        "ingest",
        fine.to_str().unwrap(),
        "--out",
        scratch("fine").to_str().unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));

    for (photo, kind) in [
        (testdata("broken.jpg"), "Corrupt"),
        (small.to_string_lossy().into_owned(), "TooSmall"),
        (text_file.to_string_lossy().into_owned(), "UnknownFormat"),
        (empty.to_string_lossy().into_owned(), "Empty"),
    ] {
        let out = scratch(&format!("rejected-{kind}"));
        let run = userphoto(&["ingest", &photo, "--out", out.to_str().unwrap()]);
        assert_eq!(run.status.code(), Some(1), "{photo}: {}", text(&run.stderr));
        let stderr = text(&run.stderr);
        assert_eq!(stderr.lines().count(), 1, "{photo}: stderr {stderr:?}");
        assert!(
            stderr.contains(kind),
            "{photo}: {stderr:?} does not name {kind}"
        );
        assert!(stderr.ends_with('\n'));
        assert!(
            run.stdout.is_empty(),
            "{photo}: stdout {:?}",
            text(&run.stdout)
        );
        assert!(!out.exists(), "{photo}: {} was created", out.display());
    }
}

#[test]
fn usage_errors_exit_2() {
    let photo = testdata("portrait.jpg");
    let out = scratch("usage");
    let out = out.to_str().unwrap();
    for args in [
        &[][..],
        &["ingest"],
        &["ingest", &photo],
        &["ingest", "--out", out],
        &["frobnicate"],
        &["ingest", &photo, "--out", out, "--quality", "0"],
        &["ingest", &photo, "--out", out, "--quality", "101"],
        &["ingest", &photo, "--out", out, "--quality", "high"],
        &["ingest", &photo, "--out", out, "--background", "white"],
        &["ingest", &photo, "--out", out, "--no-such-flag"],
        &["placeholder"],
    ] {
        let run = userphoto(args);
        assert_eq!(
            run.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&run.stderr)
        );
        assert!(!run.stderr.is_empty(), "{args:?}: nothing on stderr");
        assert!(!Path::new(out).exists(), "{args:?} wrote {out}");
    }
    // A photo that cannot be read is not a rejected photo: exit 2, not 1.
    let run = userphoto(&["ingest", "/no/such/photo.jpg", "--out", out]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stderr));
}

#[test]
fn help_names_the_commands() {
    let run = userphoto(&["--help"]);
    assert_eq!(run.status.code(), Some(0));
    let help = text(&run.stdout);
    assert!(
        help.contains("ingest") && help.contains("placeholder"),
        "{help}"
    );
    let run = userphoto(&["ingest", "--help"]);
    assert_eq!(run.status.code(), Some(0));
    let help = text(&run.stdout);
    assert!(
        help.contains("--out") && help.contains("--quality"),
        "{help}"
    );
}

#[test]
fn placeholder_writes_the_gif_and_prints_only_its_metadata() {
    let file = scratch("placeholder.gif");
    let run = userphoto(&["placeholder", "--out", file.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let gif = std::fs::read(&file).unwrap();
    assert!(gif.starts_with(b"GIF89a"), "{gif:?}");
    assert_eq!(&gif[6..10], &[1, 0, 1, 0], "a 1x1 logical screen");
    assert_eq!(gif.last(), Some(&0x3B));
    // stdout is the metadata JSON and nothing else.
    let printed: Value = serde_json::from_slice(&run.stdout).expect("stdout is only JSON");
    assert_eq!(
        printed,
        json!({
            "@odata.mediaContentType": "image/gif",
            "@odata.mediaEtag": "",
            "Id": "1X1",
            "Width": 1,
            "Height": 1
        })
    );
    assert!(run.stderr.is_empty());
}
