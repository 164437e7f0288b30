//! SPEC §2: the same input and options give byte-identical renditions and the same ETags, on
//! every run, whatever the number of threads.

use crate::common;

use common::{corpus, read, synth};
use userphoto::{ingest, ETag, Options, PhotoSet};

/// Everything that must not change: sizes, bytes, ETags, set tag.
fn fingerprint(set: &PhotoSet) -> (Vec<(u32, Vec<u8>, String)>, String) {
    let renditions = set
        .iter()
        .map(|r| {
            (
                r.size().side(),
                r.bytes().to_vec(),
                r.etag().as_str().to_owned(),
            )
        })
        .collect();
    (renditions, set.tag().to_string())
}

fn ingest_in_pool(bytes: &[u8], threads: usize, options: &Options) -> PhotoSet {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool")
        .install(|| ingest(bytes, options))
        .expect("ingest")
}

fn assert_deterministic(bytes: &[u8], what: &str) {
    let options = Options::default();
    let first = ingest(bytes, &options).expect("ingest");
    let again = ingest(bytes, &options).expect("ingest");
    let one = ingest_in_pool(bytes, 1, &options);
    let two = ingest_in_pool(bytes, 2, &options);
    let reference = fingerprint(&first);
    assert_eq!(fingerprint(&again), reference, "{what}: second run differs");
    assert_eq!(fingerprint(&one), reference, "{what}: 1 thread differs");
    assert_eq!(fingerprint(&two), reference, "{what}: 2 threads differ");
    // The ETag is the CRC-32 of the bytes, 8 upper-case hex digits in quotes.
    for rendition in &first {
        let want = format!("\"{:08X}\"", crc32fast::hash(rendition.bytes()));
        assert_eq!(rendition.etag().as_str(), want, "{what}");
        assert_eq!(rendition.etag(), ETag::of(rendition.bytes()));
    }
}

#[test]
fn generated_sources_render_identically() {
    let picture = synth::photo_like(1100, 700);
    assert_deterministic(&synth::jpeg(&picture, 88), "jpeg");
    // A restart marker every 3 of the 69 MCUs of a row: cropped to the square and decoded in
    // two bands when there are two threads, in one piece with one.
    assert_deterministic(
        &synth::jpeg_with_restarts(&picture, 88, 3),
        "jpeg with restart intervals",
    );
    assert_deterministic(
        &synth::with_orientation(&synth::progressive_jpeg(&picture, 88), 6),
        "progressive jpeg, orientation 6",
    );
    assert_deterministic(
        &synth::encode(&synth::photo_like(700, 660), image::ImageFormat::Png),
        "png",
    );
}

#[test]
fn corpus_photos_render_identically() {
    let Some(corpus) = corpus() else { return };
    for name in [
        "photos/photo_iphone7_displayp3_orientation6_4032x3024.jpg",
        "photos/photo_olympus_ep3_12mp_4032x3024.jpg",
        "formats/png_rgba16_displayp3_1000x1000.png",
        "formats/jpeg_ycck_swop_icc_500x333.jpg",
    ] {
        assert_deterministic(&read(&corpus, name), name);
    }
}

/// Options are part of the input: a different quality gives different bytes (and the set tag
/// follows), the same quality the same bytes.
#[test]
fn the_set_tag_follows_the_renditions() {
    let bytes = synth::jpeg(&synth::photo_like(300, 300), 90);
    let q85 = ingest(&bytes, &Options::default()).unwrap();
    let q60 = ingest(
        &bytes,
        &Options {
            quality: 60,
            ..Options::default()
        },
    )
    .unwrap();
    assert_ne!(q85.tag(), q60.tag());
    assert_ne!(q85.largest().etag(), q60.largest().etag());
    assert!(q60.largest().bytes().len() < q85.largest().bytes().len());
    assert_eq!(q85.tag().to_string().len(), 16);
}
