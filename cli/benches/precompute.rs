//! Throughput of `userphoto precompute`, in photos per second, through the library entry
//! point (`userphoto_cli::precompute::run`): no process is started per measurement.
//!
//! - `generated/full`: a directory of generated 12-megapixel-class JPEGs rendered into an
//!   empty `OUT_DIR` (every photo ingested).
//! - `generated/up_to_date`: the same directory again into a filled `OUT_DIR` (the cost of
//!   the incremental check alone).
//! - `corpus_photos/full`: `$USERPHOTO_CORPUS/photos` (default `../shared/corpus`), when
//!   present.
//!
//! Run: `cargo bench -p userphoto-cli --bench precompute`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use userphoto_cli::precompute::{self, Config, ProgressMode};

const GENERATED: u32 = 24;
const WIDTH: u32 = 2016;
const HEIGHT: u32 = 1512;

fn photo(seed: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let r = (x * 255 / WIDTH) as u8 ^ (seed as u8).wrapping_mul(37);
        let g = (y * 255 / HEIGHT) as u8;
        let b = ((x ^ y).wrapping_mul(2654435761u32.wrapping_add(seed)) >> 24) as u8 / 4 + 100;
        image::Rgb([r, g, b])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90)
        .encode(
            image.as_raw(),
            WIDTH,
            HEIGHT,
            image::ExtendedColorType::Rgb8,
        )
        .expect("JPEG encodes");
    bytes
}

fn config(in_dir: &Path, out_dir: &Path) -> Config {
    Config {
        input: in_dir.into(),
        output: out_dir.into(),
        options: userphoto::Options::default(),
        jobs: None,
        io: None,
        recursive: false,
        shard: None,
        prune: false,
        progress: ProgressMode::Quiet,
    }
}

fn count_images(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| {
                    fs::read(e.path())
                        .ok()
                        .and_then(|b| userphoto::Format::sniff(&b))
                        .is_some()
                })
                .count() as u64
        })
        .unwrap_or(0)
}

fn bench_dir(c: &mut Criterion, name: &str, in_dir: &Path) {
    let photos = count_images(in_dir);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(photos));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("full", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("a temp dir"),
            |out| {
                let summary = precompute::run(&config(in_dir, out.path())).expect("runs");
                assert_eq!(summary.ingested + summary.rejected_count(), photos);
                out
            },
            BatchSize::PerIteration,
        )
    });
    let out = tempfile::tempdir().expect("a temp dir");
    precompute::run(&config(in_dir, out.path())).expect("runs");
    group.bench_function("up_to_date", |b| {
        b.iter(|| {
            let summary = precompute::run(&config(in_dir, out.path())).expect("runs");
            assert_eq!(summary.ingested, 0);
        })
    });
    group.finish();
}

fn generated(c: &mut Criterion) {
    let input = tempfile::tempdir().expect("a temp dir");
    for seed in 0..GENERATED {
        fs::write(input.path().join(format!("user{seed:03}.jpg")), photo(seed)).expect("writes");
    }
    bench_dir(
        c,
        &format!("precompute_generated_{GENERATED}x{WIDTH}x{HEIGHT}"),
        input.path(),
    );
}

fn corpus(c: &mut Criterion) {
    let dir = std::env::var_os("USERPHOTO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"))
        .join("photos");
    if !dir.is_dir() {
        eprintln!(
            "skipped precompute_corpus_photos: no corpus at {}",
            dir.display()
        );
        return;
    }
    bench_dir(c, "precompute_corpus_photos", &dir);
}

criterion_group!(benches, generated, corpus);
criterion_main!(benches);
