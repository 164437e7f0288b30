//! Criterion benchmarks of the ingest hot path.
//!
//! Whole ingest per input kind (12-MP baseline JPEG, progressive JPEG, PNG with alpha, small
//! avatar), the decode step alone (everything before resampling, on the 12-MP photo), the
//! resize step alone and the encode step alone. The 12-MP photo is the corpus's
//! `photos/photo_olympus_ep3_12mp_4032x3024.jpg` when `$USERPHOTO_CORPUS` (default
//! `../shared/corpus`) has it, otherwise a generated 4032x3024 JPEG.
//!
//! `cargo bench --bench ingest` (add `--features turbojpeg` for the libjpeg-turbo build)

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use userphoto::{bench_support, ingest, Options, PhotoSize};

/// A photo-like RGB test card: smooth gradients with hard-edged shapes and fine texture, so
/// the encoder and the resampler both have real work.
fn test_card(width: u32, height: u32) -> Vec<u8> {
    // Bounded: the bench's own fixed sizes.
    #[allow(clippy::disallowed_methods)]
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
            let ring = (((fx - 0.5).powi(2) + (fy - 0.5).powi(2)).sqrt() * 40.0).sin();
            let texture = ((x * 7 + y * 13) % 17) as f32;
            pixels.push((fx * 200.0 + texture) as u8);
            pixels.push((fy * 180.0 + ring * 30.0 + 40.0) as u8);
            pixels.push(((1.0 - fx) * 150.0 + texture * 2.0) as u8);
        }
    }
    pixels
}

fn jpeg(width: u32, height: u32, progressive: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(progressive);
    encoder
        .encode(
            &test_card(width, height),
            width as u16,
            height as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encoding the test card");
    out
}

fn png_with_alpha(width: u32, height: u32) -> Vec<u8> {
    let rgb = test_card(width, height);
    let rgba: Vec<u8> = rgb
        .chunks_exact(3)
        .enumerate()
        .flat_map(|(i, p)| [p[0], p[1], p[2], (i % 256) as u8])
        .collect();
    let image = image::RgbaImage::from_raw(width, height, rgba).expect("buffer size");
    let mut out = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encoding PNG");
    out
}

fn twelve_megapixel_jpeg() -> (String, Vec<u8>) {
    let corpus = std::env::var_os("USERPHOTO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    let path = corpus.join("photos/photo_olympus_ep3_12mp_4032x3024.jpg");
    match std::fs::read(&path) {
        Ok(bytes) => ("jpeg_12mp_camera".to_owned(), bytes),
        Err(_) => {
            eprintln!(
                "corpus photo not found at {}; using a generated 12-MP JPEG",
                path.display()
            );
            ("jpeg_12mp_generated".to_owned(), jpeg(4032, 3024, false))
        }
    }
}

fn whole_ingest(c: &mut Criterion) {
    let options = Options::default();
    let (name, camera) = twelve_megapixel_jpeg();
    let inputs = [
        (name, camera),
        ("jpeg_progressive_2mp".to_owned(), jpeg(1920, 1080, true)),
        ("png_alpha_1mp".to_owned(), png_with_alpha(1200, 900)),
        ("jpeg_avatar_256".to_owned(), jpeg(256, 256, false)),
    ];
    let mut group = c.benchmark_group("ingest");
    group.sample_size(20);
    for (name, bytes) in &inputs {
        ingest(bytes, &options).expect("benchmark inputs ingest");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), bytes, |b, bytes| {
            b.iter(|| ingest(black_box(bytes), &options).expect("ingest"))
        });
    }
    group.finish();
}

fn decode_alone(c: &mut Criterion) {
    // Everything before resampling: header, interval skipping, scaled decode, crop, sRGB.
    let options = Options::default();
    let (name, camera) = twelve_megapixel_jpeg();
    let mut group = c.benchmark_group("decode");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(camera.len() as u64));
    group.bench_with_input(BenchmarkId::from_parameter(name), &camera, |b, bytes| {
        b.iter(|| bench_support::decode(black_box(bytes), &options).expect("decode"))
    });
    group.finish();
}

fn resize_alone(c: &mut Criterion) {
    // The square a 12-MP photo decodes to at 1/4 scale.
    let side = 756;
    let pixels = test_card(side, side);
    let planes = bench_support::Square::ycc_420(&pixels, side);
    let square = bench_support::Square::rgb(pixels, side);
    c.bench_function("resize/756_to_all_nine", |b| {
        b.iter(|| bench_support::resize_square(black_box(&square), &PhotoSize::ALL))
    });
    // As camera and phone photos are resampled: luma and 4:2:0 chroma planes.
    c.bench_function("resize/756_planes_to_all_nine", |b| {
        b.iter(|| bench_support::resize_square(black_box(&planes), &PhotoSize::ALL))
    });
}

fn encode_alone(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in [PhotoSize::S648, PhotoSize::S240, PhotoSize::S48] {
        let side = size.side();
        let square = bench_support::Square::rgb(test_card(side, side), side);
        group.throughput(Throughput::Elements(u64::from(side * side)));
        group.bench_with_input(BenchmarkId::from_parameter(size), &square, |b, square| {
            b.iter(|| bench_support::encode(black_box(square), 85).expect("encode"))
        });
    }
    // Planes as a camera photo's 648 rendition reaches the encoder: no conversion first.
    let side = PhotoSize::S648.side();
    let planes = bench_support::Square::ycc_420(&test_card(side, side), side);
    group.throughput(Throughput::Elements(u64::from(side * side)));
    group.bench_with_input(
        BenchmarkId::from_parameter("648_planes"),
        &planes,
        |b, planes| b.iter(|| bench_support::encode(black_box(planes), 85).expect("encode")),
    );
    group.finish();
}

criterion_group!(
    benches,
    whole_ingest,
    decode_alone,
    resize_alone,
    encode_alone
);
criterion_main!(benches);
