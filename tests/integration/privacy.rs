//! SPEC §1: no metadata is carried over. Every rendition is parsed marker by marker: no EXIF
//! (APP1), XMP (APP1), GPS, Photoshop/IPTC (APP13) or comment (COM) segment may be present;
//! only JFIF (APP0) and an ICC profile (APP2 `ICC_PROFILE`) are allowed.

use crate::common;

use common::{corpus, ingest_ok, jpeg_markers, jpeg_segments, read, synth};
use userphoto::PhotoSet;

/// Fails if any rendition of `set` holds metadata.
fn assert_clean(set: &PhotoSet, what: &str) {
    for rendition in set {
        let side = rendition.size().side();
        assert_clean_jpeg(rendition.bytes(), &format!("{what} {side}"));
    }
}

/// Fails if the JPEG `bytes` hold metadata.
fn assert_clean_jpeg(bytes: &[u8], what: &str) {
    for (marker, payload) in jpeg_segments(bytes) {
        match marker {
            // Frame, tables, restart interval, scan.
            0xC0..=0xC3 | 0xC4 | 0xDB | 0xDD | 0xDA => {}
            0xE0 => assert!(
                payload.starts_with(b"JFIF\0"),
                "{what}: APP0 that is not JFIF"
            ),
            0xE2 => assert!(
                payload.starts_with(b"ICC_PROFILE\0"),
                "{what}: APP2 that is not an ICC profile"
            ),
            other => panic!("{what}: segment FF{other:02X} carried into a rendition"),
        }
    }
    // Nothing after the scans either (a COM or APPn after the image data).
    let markers = jpeg_markers(bytes);
    assert_eq!(markers.first(), Some(&0xD8));
    assert_eq!(markers.last(), Some(&0xD9), "{what}: no EOI at the end");
    assert!(
        markers
            .iter()
            .all(|m| !matches!(m, 0xE1 | 0xE3..=0xEF | 0xFE)),
        "{what}: metadata markers {markers:02X?}"
    );
    for needle in [&b"Exif\0"[..], b"http://ns.adobe.com/xap", b"SecretCam"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{what}: {:?} found in the rendition",
            String::from_utf8_lossy(needle)
        );
    }
}

/// A JPEG carrying everything a phone or an editor leaves: EXIF with a camera make and GPS,
/// XMP with a GPS position, a Photoshop IPTC block and a comment.
#[test]
fn metadata_of_a_generated_jpeg_is_dropped() {
    let picture = synth::photo_like(700, 500);
    let mut jpeg = synth::jpeg(&picture, 90);
    jpeg = synth::insert_segment(&jpeg, 0xFE, b"GPS 51.5N 0.1W taken by SecretCam");
    jpeg = synth::insert_segment(&jpeg, 0xED, b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\0");
    jpeg = synth::insert_segment(&jpeg, 0xE1, &synth::xmp_packet());
    jpeg = synth::insert_segment(&jpeg, 0xE1, &synth::exif_with_gps(6));
    // The input does hold them, and the orientation in the EXIF is honoured.
    let markers: Vec<u8> = jpeg_segments(&jpeg).iter().map(|s| s.0).collect();
    assert!(
        markers.starts_with(&[0xE1, 0xE1, 0xED, 0xFE]),
        "{markers:02X?}"
    );
    let set = ingest_ok(&jpeg);
    assert_eq!((set.source().width, set.source().height), (500, 700));
    assert_clean(&set, "generated");
}

/// The check itself notices metadata: a rendition with an EXIF segment put back fails it.
#[test]
fn the_check_notices_metadata() {
    let set = ingest_ok(&synth::jpeg(&synth::photo_like(100, 100), 90));
    let clean = set.largest().bytes().to_vec();
    assert_clean_jpeg(&clean, "clean");
    for (marker, payload) in [
        (0xE1, synth::exif_with_gps(1)),
        (0xFE, b"a comment".to_vec()),
        (0xE1, synth::xmp_packet()),
        (0xED, b"Photoshop 3.0\0".to_vec()),
    ] {
        let dirty = synth::insert_segment(&clean, marker, &payload);
        let caught = std::panic::catch_unwind(|| assert_clean_jpeg(&dirty, "dirty")).is_err();
        assert!(caught, "FF{marker:02X} went unnoticed");
    }
}

/// Real photos with GPS EXIF, maker notes, large XMP packets and ICC profiles.
#[test]
fn corpus_photos_with_gps_and_xmp_come_out_clean() {
    let Some(corpus) = corpus() else { return };
    for name in [
        "photos/photo_iphone6_hdr_gps_3264x2448.jpg",
        "photos/photo_canon_sx60_orientation6_2048x1536.jpg",
        "photos/photo_iphone7_displayp3_orientation6_4032x3024.jpg",
        "photos/photo_nokia83_ultrawide_4608x1976.jpg",
        "photos/photo_adobergb_big_xmp_2000x1072.jpg",
        "photos/photo_olympus_ep3_12mp_4032x3024.jpg",
        "formats/webp_lossy_exif_480x360.webp",
        "orientation/orientation_6_png_exif_chunk_400x400.png",
    ] {
        let bytes = read(&corpus, name);
        if name.ends_with(".jpg") {
            // The input really holds EXIF or XMP.
            let has_app1 = jpeg_segments(&bytes).iter().any(|(m, _)| *m == 0xE1);
            assert!(has_app1, "{name} should carry APP1 metadata");
        }
        assert_clean(&ingest_ok(&bytes), name);
    }
}
