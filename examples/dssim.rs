//! DSSIM between pairs of images of the same size, as the quality example and the tests measure
//! it (dssim-core on 8-bit sRGB).
//!
//! ```text
//! cargo run --release --example dssim < PAIRS
//! ```
//!
//! Each line of standard input is `A<TAB>B`, two image files (any format the `image` crate
//! reads here: PNG, JPEG, GIF, WebP, BMP, TIFF); each line of standard output is the DSSIM of
//! B against A, or `error: ...` when a file cannot be read or the sizes differ. The
//! conformance run (`tests/conformance/`) uses it to compare renditions with Pillow's.

use std::io::{BufRead, Write};

use dssim_core::{Dssim, DssimImage};

fn load(dssim: &Dssim, path: &str) -> Result<((u32, u32), DssimImage<f32>), String> {
    let image = image::open(path)
        .map_err(|e| format!("{path}: {e}"))?
        .into_rgb8();
    let (w, h) = image.dimensions();
    let pixels: Vec<rgb::RGB8> = image
        .pixels()
        .map(|p| rgb::RGB8::new(p[0], p[1], p[2]))
        .collect();
    let prepared = dssim
        .create_image_rgb(&pixels, w as usize, h as usize)
        .ok_or(format!("{path}: too small for DSSIM"))?;
    Ok(((w, h), prepared))
}

fn compare(dssim: &Dssim, line: &str) -> Result<f64, String> {
    let (a, b) = line
        .split_once('\t')
        .ok_or("expected two paths separated by a tab")?;
    let (size_a, a) = load(dssim, a)?;
    let (size_b, b) = load(dssim, b)?;
    if size_a != size_b {
        return Err(format!("sizes differ: {size_a:?} and {size_b:?}"));
    }
    Ok(f64::from(dssim.compare(&a, b).0))
}

fn main() -> std::io::Result<()> {
    let dssim = Dssim::new();
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        match compare(&dssim, &line?) {
            Ok(value) => writeln!(out, "{value:.8}")?,
            Err(e) => writeln!(out, "error: {e}")?,
        }
        out.flush()?;
    }
    Ok(())
}
