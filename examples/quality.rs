//! Measures square renditions against a common reference: DSSIM per size, bytes, dimensions.
//!
//! ```text
//! cargo run --release --example quality -- [OPTIONS] SOURCE [LABEL=]DIR...
//! cargo run --release --example quality -- [OPTIONS] --source-dir IN [LABEL=]OUT...
//! ```
//!
//! In the first form each `DIR` holds the renditions of the one photo `SOURCE`; in the second,
//! every file of `IN` is paired with `OUT/<stem>/`. Renditions are named `<s>x<s>.jpg`, as
//! `userphoto` writes them, or `<s>.jpg`, as the peers in `../shared/peers/` write them.
//! Every predefined size no larger than the source's upright short side is expected.
//!
//! The reference for each size is the same for every tool measured: the full decode of the
//! source (jpeg-decoder for JPEG, `image` for the rest, never a scaled decode), converted from
//! its embedded RGB or grey ICC profile to sRGB, alpha composited over white, EXIF orientation
//! applied, the centre square cut out (the extra pixel of an odd margin left on the right or
//! bottom), resized with a separable Lanczos3 in `f32` on sRGB-encoded values (as the tools
//! themselves resize), and rounded to 8-bit sRGB. A rendition whose dimensions are not exactly
//! `s` x `s`, an unexpected size, or (without `--allow-missing`) a missing one is an error.
//!
//! Options:
//!
//! - `--out-dir [LABEL=]DIR`: another output directory (same as a positional one).
//! - `--tsv FILE`: write one line per rendition: `tool photo size width height bytes dssim`.
//! - `--summary FILE`: write one line per tool and size: `tool size photos median_dssim
//!   max_dssim median_bytes`, then per tool a `total` line with the median over photos of
//!   the bytes of all its sizes.
//! - `--allow-missing`: report missing renditions (a rejected photo) instead of failing.
//!
//! The human table goes to standard output.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::fmt::Write as _;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dssim_core::{Dssim, DssimImage};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Rgb32FImage};
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};
use rayon::prelude::*;

/// The predefined sizes, smallest first.
const SIZES: [u32; 9] = [48, 64, 96, 120, 240, 360, 432, 504, 648];

type Res<T> = Result<T, String>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quality: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What to measure: photos, and the tools' output directories.
struct Args {
    /// Each photo and, per tool in `tools` order, the directory holding its renditions.
    photos: Vec<(PathBuf, Vec<PathBuf>)>,
    tools: Vec<String>,
    tsv: Option<PathBuf>,
    summary: Option<PathBuf>,
    allow_missing: bool,
}

const USAGE: &str = "usage: quality [--tsv FILE] [--summary FILE] [--allow-missing] \
                     (SOURCE | --source-dir IN) [--out-dir] [LABEL=]DIR...";

fn parse_args() -> Res<Args> {
    let mut positional = Vec::new();
    let mut outs = Vec::new();
    let (mut source_dir, mut tsv, mut summary, mut allow_missing) = (None, None, None, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--source-dir" => source_dir = Some(PathBuf::from(value(&arg)?)),
            "--out-dir" => outs.push(value(&arg)?),
            "--tsv" => tsv = Some(PathBuf::from(value(&arg)?)),
            "--summary" => summary = Some(PathBuf::from(value(&arg)?)),
            "--allow-missing" => allow_missing = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}\n{USAGE}")),
            _ => positional.push(arg),
        }
    }
    let single_source = match source_dir {
        Some(_) => None,
        None if positional.is_empty() => return Err(USAGE.to_string()),
        None => Some(PathBuf::from(positional.remove(0))),
    };
    outs.extend(positional);
    if outs.is_empty() {
        return Err(format!("no output directory\n{USAGE}"));
    }
    let (tools, roots): (Vec<String>, Vec<PathBuf>) = outs
        .iter()
        .map(|out| match out.split_once('=') {
            Some((label, dir)) => (label.to_string(), PathBuf::from(dir)),
            None => (out.clone(), PathBuf::from(out)),
        })
        .unzip();
    let photos = match (single_source, source_dir) {
        (Some(source), _) => vec![(source, roots)],
        (None, Some(dir)) => {
            let mut files = std::fs::read_dir(&dir)
                .map_err(|e| format!("{}: {e}", dir.display()))?
                .map(|entry| entry.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{}: {e}", dir.display()))?;
            files.retain(|p| p.is_file());
            files.sort();
            files
                .into_iter()
                .map(|file| {
                    let stem = file.file_stem().unwrap_or_default().to_owned();
                    let dirs = roots.iter().map(|root| root.join(&stem)).collect();
                    (file, dirs)
                })
                .collect()
        }
        (None, None) => unreachable!("one of the two forms was chosen above"),
    };
    Ok(Args {
        photos,
        tools,
        tsv,
        summary,
        allow_missing,
    })
}

/// One rendition measured.
struct Row {
    tool: usize,
    photo: String,
    size: u32,
    bytes: u64,
    dssim: f64,
}

fn run() -> Res<()> {
    let args = parse_args()?;
    let dssim = Dssim::new();
    // Identical sources (a directory of copies) share one reference.
    let mut references: HashMap<Vec<u8>, HashMap<u32, DssimImage<f32>>> = HashMap::new();
    let mut rows = Vec::new();
    let mut missing = vec![0usize; args.tools.len()];
    for (source, dirs) in &args.photos {
        let photo = source
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(source).map_err(|e| format!("{}: {e}", source.display()))?;
        if !references.contains_key(&bytes) {
            let sizes = reference_sizes(&bytes, &dssim)
                .map_err(|e| format!("{}: reference: {e}", source.display()))?;
            references.insert(bytes.clone(), sizes);
        }
        let reference = &references[&bytes];
        for (tool, dir) in dirs.iter().enumerate() {
            let found = renditions(dir, reference)?;
            for (&size, _) in sorted(reference) {
                if !found.iter().any(|(s, _)| *s == size) {
                    let what = format!("{}: no {size}x{size} rendition of {photo}", dir.display());
                    if !args.allow_missing {
                        return Err(what);
                    }
                    eprintln!("quality: {what}");
                    missing[tool] += 1;
                }
            }
            let measured: Vec<Res<Row>> = found
                .into_par_iter()
                .map(|(size, path)| {
                    let (bytes, dssim) = measure(&path, size, &reference[&size], &dssim)?;
                    Ok(Row {
                        tool,
                        photo: photo.clone(),
                        size,
                        bytes,
                        dssim,
                    })
                })
                .collect();
            for row in measured {
                rows.push(row?);
            }
        }
    }
    rows.sort_by(|a, b| (a.tool, &a.photo, a.size).cmp(&(b.tool, &b.photo, b.size)));
    let summary = summarise(&args.tools, &rows, &missing);
    if let Some(path) = &args.tsv {
        let mut out = String::from("tool\tphoto\tsize\twidth\theight\tbytes\tdssim\n");
        for r in &rows {
            let (tool, s) = (&args.tools[r.tool], r.size);
            let (photo, bytes, dssim) = (&r.photo, r.bytes, r.dssim);
            writeln!(out, "{tool}\t{photo}\t{s}\t{s}\t{s}\t{bytes}\t{dssim:.8}").unwrap();
        }
        std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(path) = &args.summary {
        std::fs::write(path, summary_tsv(&summary))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    print!("{}", summary_table(&summary));
    Ok(())
}

fn sorted<V>(map: &HashMap<u32, V>) -> Vec<(&u32, &V)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by_key(|(size, _)| **size);
    entries
}

/// The renditions in `dir` by size, checked against the expected sizes.
fn renditions(dir: &Path, expected: &HashMap<u32, DssimImage<f32>>) -> Res<Vec<(u32, PathBuf)>> {
    let mut found: HashMap<u32, PathBuf> = HashMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // A tool that rejected the photo wrote no directory: every size is missing.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let Some(size) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(size_of_name)
        else {
            continue;
        };
        if !expected.contains_key(&size) {
            return Err(format!(
                "{}: size {size} is larger than the source allows",
                path.display()
            ));
        }
        if let Some(other) = found.insert(size, path.clone()) {
            return Err(format!(
                "{} and {} are the same size",
                other.display(),
                path.display()
            ));
        }
    }
    let mut found: Vec<_> = found.into_iter().collect();
    found.sort();
    Ok(found)
}

/// The size a rendition's file name stands for: `240x240.jpg` or `240.jpg`.
fn size_of_name(name: &str) -> Option<u32> {
    let stem = name.strip_suffix(".jpg")?;
    let side = match stem.split_once('x') {
        Some((a, b)) if a == b => a,
        Some(_) => return None,
        None => stem,
    };
    side.parse().ok().filter(|s| SIZES.contains(s))
}

/// Decodes the rendition at `path`, checks it is `size` x `size`, and returns its byte size
/// and its DSSIM against `reference`.
fn measure(path: &Path, size: u32, reference: &DssimImage<f32>, dssim: &Dssim) -> Res<(u64, f64)> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(&bytes));
    let pixels = decoder
        .decode()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let info = decoder.info().expect("decode() read the header");
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if (w, h) != (size, size) {
        return Err(format!(
            "{}: is {w}x{h}, expected {size}x{size}",
            path.display()
        ));
    }
    let rgb: Vec<u8> = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&v| [v, v, v]).collect(),
        other => return Err(format!("{}: unexpected {other:?} JPEG", path.display())),
    };
    let image = dssim_image(&rgb, size, dssim);
    let (value, _) = dssim.compare(reference, image);
    Ok((bytes.len() as u64, f64::from(value)))
}

fn dssim_image(rgb: &[u8], side: u32, dssim: &Dssim) -> DssimImage<f32> {
    let pixels: Vec<_> = rgb
        .chunks_exact(3)
        .map(|p| [p[0], p[1], p[2]].into())
        .collect();
    dssim
        .create_image_rgb(&pixels, side as usize, side as usize)
        .expect("the buffer holds side x side pixels")
}

/// The reference of every size the source allows, ready for DSSIM.
fn reference_sizes(bytes: &[u8], dssim: &Dssim) -> Res<HashMap<u32, DssimImage<f32>>> {
    let (side, square) = upright_square(bytes)?;
    let sizes: Vec<u32> = SIZES.into_iter().filter(|&s| s <= side).collect();
    if sizes.is_empty() {
        return Err(format!("{side} pixels is smaller than the smallest size"));
    }
    Ok(sizes
        .into_par_iter()
        .map(|s| {
            let resized = lanczos3_square(&square, side as usize, s as usize);
            let rgb: Vec<u8> = resized
                .iter()
                .map(|&v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
                .collect();
            (s, dssim_image(&rgb, s, dssim))
        })
        .collect())
}

/// Pixels as decoded, one `f32` per channel in 0..=1.
struct Decoded {
    width: u32,
    height: u32,
    /// 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA).
    channels: usize,
    data: Vec<f32>,
    icc: Option<Vec<u8>>,
    orientation: Orientation,
}

/// The upright centre square of the source as packed RGB `f32` in sRGB, and its side.
fn upright_square(bytes: &[u8]) -> Res<(u32, Vec<f32>)> {
    let decoded = if bytes.starts_with(&[0xFF, 0xD8]) {
        decode_jpeg(bytes)?
    } else {
        decode_other(bytes)?
    };
    let (width, height, orientation) = (decoded.width, decoded.height, decoded.orientation);
    let rgb = to_srgb(decoded)?;
    let mut image = DynamicImage::ImageRgb32F(
        Rgb32FImage::from_raw(width, height, rgb).expect("width x height RGB pixels"),
    );
    image.apply_orientation(orientation);
    let (w, h) = (image.width(), image.height());
    let side = w.min(h);
    let (left, top) = ((w - side) / 2, (h - side) / 2);
    let square = image.crop_imm(left, top, side, side).into_rgb32f();
    Ok((side, square.into_raw()))
}

fn decode_jpeg(bytes: &[u8]) -> Res<Decoded> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(usize::MAX);
    let pixels = decoder.decode().map_err(|e| e.to_string())?;
    let info = decoder.info().expect("decode() read the header");
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let to_f32 = |v: &u8| f32::from(*v) / 255.0;
    let (channels, data) = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => (1, pixels.iter().map(to_f32).collect()),
        jpeg_decoder::PixelFormat::RGB24 => (3, pixels.iter().map(to_f32).collect()),
        // As the library does without a CMYK profile: the textbook formula.
        jpeg_decoder::PixelFormat::CMYK32 => (
            3,
            pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 1.0 - to_f32(&p[3]);
                    [0, 1, 2].map(|c| (1.0 - to_f32(&p[c])) * k)
                })
                .collect(),
        ),
        other => return Err(format!("{other:?} JPEG is not supported here")),
    };
    Ok(Decoded {
        width: u32::from(info.width),
        height: u32::from(info.height),
        channels,
        data,
        icc: decoder.icc_profile(),
        orientation,
    })
}

fn decode_other(bytes: &[u8]) -> Res<Decoded> {
    let mut decoder = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?
        .into_decoder()
        .map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().map_err(|e| e.to_string())?;
    let icc = decoder.icc_profile().map_err(|e| e.to_string())?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    let (width, height) = (image.width(), image.height());
    let (grey, alpha) = (!image.color().has_color(), image.color().has_alpha());
    let (channels, data) = match (grey, alpha) {
        (true, false) => (1, image.to_luma32f().into_raw()),
        (true, true) => (2, image.to_luma_alpha32f().into_raw()),
        (false, false) => (3, image.to_rgb32f().into_raw()),
        (false, true) => (4, image.to_rgba32f().into_raw()),
    };
    Ok(Decoded {
        width,
        height,
        channels,
        data,
        icc,
        orientation,
    })
}

/// Converts from the embedded profile (when it is a usable grey or RGB one) to sRGB, and
/// composites alpha over white: packed RGB.
fn to_srgb(decoded: Decoded) -> Res<Vec<f32>> {
    let (mut data, mut channels) = (decoded.data, decoded.channels);
    if let Some(profile) = decoded
        .icc
        .and_then(|icc| ColorProfile::new_from_slice(&icc).ok())
    {
        let (src, dst, dst_channels, space) = match channels {
            1 => (Layout::Gray, Layout::Rgb, 3, DataColorSpace::Gray),
            2 => (Layout::GrayAlpha, Layout::Rgba, 4, DataColorSpace::Gray),
            3 => (Layout::Rgb, Layout::Rgb, 3, DataColorSpace::Rgb),
            _ => (Layout::Rgba, Layout::Rgba, 4, DataColorSpace::Rgb),
        };
        if profile.color_space == space {
            let srgb = ColorProfile::new_srgb();
            let transform = profile
                .create_transform_f32(src, &srgb, dst, TransformOptions::default())
                .map_err(|e| format!("ICC profile: {e}"))?;
            let pixels = data.len() / channels;
            let mut out = vec![0.0f32; pixels * dst_channels];
            transform
                .transform(&data, &mut out)
                .map_err(|e| format!("ICC profile: {e}"))?;
            out.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
            (data, channels) = (out, dst_channels);
        }
    }
    let over_white = |v: f32, a: f32| v * a + (1.0 - a);
    Ok(match channels {
        1 => data.iter().flat_map(|&v| [v, v, v]).collect(),
        2 => data
            .chunks_exact(2)
            .flat_map(|p| [over_white(p[0], p[1]); 3])
            .collect(),
        3 => data,
        _ => data
            .chunks_exact(4)
            .flat_map(|p| [0, 1, 2].map(|c| over_white(p[c], p[3])))
            .collect(),
    })
}

fn lanczos3(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else if x.abs() < 3.0 {
        let px = PI * x;
        3.0 * px.sin() * (px / 3.0).sin() / (px * px)
    } else {
        0.0
    }
}

/// For each of `dst` output pixels, the first source pixel it reads and the normalised
/// Lanczos3 weights of the source pixels from there (the kernel widened by the scale factor
/// when shrinking; taps past the edge dropped).
fn taps(src: usize, dst: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = src as f64 / dst as f64;
    let widen = scale.max(1.0);
    let support = 3.0 * widen;
    (0..dst)
        .map(|i| {
            let centre = (i as f64 + 0.5) * scale;
            let first = (centre - support).floor().max(0.0) as usize;
            let end = ((centre + support).ceil() as usize).min(src);
            let weights: Vec<f64> = (first..end)
                .map(|j| lanczos3((j as f64 + 0.5 - centre) / widen))
                .collect();
            let sum: f64 = weights.iter().sum();
            (first, weights.iter().map(|w| (w / sum) as f32).collect())
        })
        .collect()
}

/// Resizes a packed RGB square of `side` to `to`: rows first, then columns.
fn lanczos3_square(square: &[f32], side: usize, to: usize) -> Vec<f32> {
    let taps = taps(side, to);
    let mut rows = vec![0.0f32; side * to * 3];
    for (src_row, dst_row) in square
        .chunks_exact(side * 3)
        .zip(rows.chunks_exact_mut(to * 3))
    {
        for ((first, weights), out) in taps.iter().zip(dst_row.chunks_exact_mut(3)) {
            let mut acc = [0.0f32; 3];
            for (k, w) in weights.iter().enumerate() {
                let p = &src_row[(first + k) * 3..][..3];
                acc[0] += p[0] * w;
                acc[1] += p[1] * w;
                acc[2] += p[2] * w;
            }
            out.copy_from_slice(&acc);
        }
    }
    let mut out = vec![0.0f32; to * to * 3];
    for ((first, weights), dst_row) in taps.iter().zip(out.chunks_exact_mut(to * 3)) {
        for (k, w) in weights.iter().enumerate() {
            let src_row = &rows[(first + k) * to * 3..][..to * 3];
            for (d, s) in dst_row.iter_mut().zip(src_row) {
                *d += s * w;
            }
        }
    }
    out
}

/// One tool at one size (`size` 0 for the total of all sizes per photo).
struct Line {
    tool: String,
    size: u32,
    photos: usize,
    missing: usize,
    median_dssim: f64,
    max_dssim: f64,
    median_bytes: f64,
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn summarise(tools: &[String], rows: &[Row], missing: &[usize]) -> Vec<Line> {
    let mut lines = Vec::new();
    for (t, tool) in tools.iter().enumerate() {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.tool == t).collect();
        for size in SIZES {
            let at: Vec<&&Row> = mine.iter().filter(|r| r.size == size).collect();
            if at.is_empty() {
                continue;
            }
            let mut dssims: Vec<f64> = at.iter().map(|r| r.dssim).collect();
            let mut bytes: Vec<f64> = at.iter().map(|r| r.bytes as f64).collect();
            lines.push(Line {
                tool: tool.clone(),
                size,
                photos: at.len(),
                missing: 0,
                max_dssim: dssims.iter().copied().fold(0.0, f64::max),
                median_dssim: median(&mut dssims),
                median_bytes: median(&mut bytes),
            });
        }
        let mut per_photo: HashMap<&str, f64> = HashMap::new();
        for r in &mine {
            *per_photo.entry(&r.photo).or_default() += r.bytes as f64;
        }
        let mut totals: Vec<f64> = per_photo.into_values().collect();
        lines.push(Line {
            tool: tool.clone(),
            size: 0,
            photos: totals.len(),
            missing: missing[t],
            median_dssim: f64::NAN,
            max_dssim: f64::NAN,
            median_bytes: median(&mut totals),
        });
    }
    lines
}

fn size_label(size: u32) -> String {
    if size == 0 {
        "total".to_string()
    } else {
        size.to_string()
    }
}

fn summary_tsv(lines: &[Line]) -> String {
    let mut out =
        String::from("tool\tsize\tphotos\tmedian_dssim\tmax_dssim\tmedian_bytes\tmissing\n");
    for l in lines {
        writeln!(
            out,
            "{}\t{}\t{}\t{:.8}\t{:.8}\t{}\t{}",
            l.tool,
            size_label(l.size),
            l.photos,
            l.median_dssim,
            l.max_dssim,
            l.median_bytes,
            l.missing
        )
        .unwrap();
    }
    out
}

fn summary_table(lines: &[Line]) -> String {
    let width = lines.iter().map(|l| l.tool.len()).max().unwrap_or(4).max(4);
    let mut out = format!(
        "{:<width$}  {:>5}  {:>6}  {:>12}  {:>10}  {:>12}\n",
        "tool", "size", "photos", "median DSSIM", "max DSSIM", "median bytes"
    );
    for l in lines {
        if l.size == 0 {
            let missing = match l.missing {
                0 => String::new(),
                n => format!("  ({n} renditions missing)"),
            };
            writeln!(
                out,
                "{:<width$}  {:>5}  {:>6}  {:>12}  {:>10}  {:>12.0}{missing}",
                l.tool, "total", l.photos, "", "", l.median_bytes
            )
            .unwrap();
        } else {
            writeln!(
                out,
                "{:<width$}  {:>5}  {:>6}  {:>12.6}  {:>10.6}  {:>12.0}",
                l.tool, l.size, l.photos, l.median_dssim, l.max_dssim, l.median_bytes
            )
            .unwrap();
        }
    }
    out
}
