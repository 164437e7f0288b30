//! Encodes every photo of a folder with several encoder settings, for the quality example to
//! measure: the tool behind the writer's tuning (BENCHMARKS.md, "Tuning the writer").
//!
//! ```text
//! cargo run --release --example sweep -- IN_DIR OUT_DIR LABEL=SPEC...
//! cargo run --release --example quality -- --source-dir IN_DIR --tsv T OUT_DIR/LABEL...
//! ```
//!
//! Each photo is taken through `ingest`'s steps up to the encoder once; each square is then
//! encoded with every `SPEC` into `OUT_DIR/LABEL/<stem>/<s>x<s>.jpg`. A `SPEC` is a
//! comma-separated list of settings applied in order:
//!
//! - `ingest=Q`: what `ingest` does at quality `Q` (start from this, then change it);
//! - `q=Q`, `qy=Q`, `qc=Q`: the quality of both tables, of luma's, of chroma's (1–100);
//! - `tables=annexk`, `tables=robidoux`, `tables=ms-ssim` or `tables=psnr-hvs-m`;
//! - `progressive` or `baseline`: the scans;
//! - `rd`: the rate-distortion choice of levels with mozjpeg's λ, `rounded`: without it;
//!   `l1=X`, `l2=X`: λ's two scales (and the choice on).
//!
//! Without `ingest=`, a spec starts from Annex K's tables at quality 85, rounded.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use userphoto::bench_support::{self, Lambda, Settings, Tables};
use userphoto::Options;

/// One labelled spec: the settings for a rendition of each side.
struct Spec {
    label: String,
    parts: Vec<(String, String)>,
}

impl Spec {
    fn parse(arg: &str) -> Result<Spec, String> {
        let (label, spec) = arg
            .split_once('=')
            .ok_or(format!("{arg}: expected LABEL=SPEC"))?;
        let parts = spec
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (p.to_string(), String::new()),
            })
            .collect();
        let spec = Spec {
            label: label.to_string(),
            parts,
        };
        spec.settings(648)?;
        Ok(spec)
    }

    fn settings(&self, side: u32) -> Result<Settings, String> {
        let mut settings = Settings::rounded(85);
        let number = |v: &str| v.parse::<f32>().map_err(|e| format!("{v}: {e}"));
        let quality = |v: &str| v.parse::<u8>().map_err(|e| format!("{v}: {e}"));
        for (key, value) in &self.parts {
            match key.as_str() {
                "ingest" => settings = bench_support::settings(side, quality(value)?),
                "q" => {
                    settings.luma_quality = quality(value)?;
                    settings.chroma_quality = quality(value)?;
                }
                "qy" => settings.luma_quality = quality(value)?,
                "qc" => settings.chroma_quality = quality(value)?,
                "tables" if value == "annexk" => settings.tables = Tables::AnnexK,
                "tables" if value == "robidoux" => settings.tables = Tables::Robidoux,
                "tables" if value == "ms-ssim" => settings.tables = Tables::MsSsim,
                "tables" if value == "psnr-hvs-m" => settings.tables = Tables::PsnrHvsM,
                "progressive" => settings.progressive = true,
                "baseline" => settings.progressive = false,
                "rd" => settings.rate_distortion = Some(Lambda::MOZJPEG),
                "rounded" => settings.rate_distortion = None,
                "l1" => {
                    let lambda = settings.rate_distortion.get_or_insert(Lambda::MOZJPEG);
                    lambda.scale1 = number(value)?;
                }
                "l2" => {
                    let lambda = settings.rate_distortion.get_or_insert(Lambda::MOZJPEG);
                    lambda.scale2 = number(value)?;
                }
                _ => return Err(format!("{key}={value}: unknown setting")),
            }
        }
        Ok(settings)
    }
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err("usage: sweep IN_DIR OUT_DIR LABEL=SPEC...".into());
    }
    let (input, output) = (PathBuf::from(&args[0]), PathBuf::from(&args[1]));
    let specs = args[2..]
        .iter()
        .map(|a| Spec::parse(a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut photos: Vec<PathBuf> = std::fs::read_dir(&input)
        .map_err(|e| format!("{}: {e}", input.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    photos.sort();
    for photo in &photos {
        let bytes = std::fs::read(photo).map_err(|e| format!("{}: {e}", photo.display()))?;
        let squares = match bench_support::squares(&bytes, &Options::default()) {
            Ok(squares) => squares,
            Err(e) => {
                eprintln!("{}: {e}", photo.display());
                continue;
            }
        };
        let stem = photo.file_stem().unwrap_or_default();
        let jobs: Vec<_> = specs
            .iter()
            .flat_map(|spec| squares.iter().map(move |square| (spec, square)))
            .collect();
        jobs.into_par_iter()
            .try_for_each(|(spec, (size, square))| {
                let dir = output.join(&spec.label).join(stem);
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                let jpeg = bench_support::encode_with(square, &spec.settings(size.side())?)
                    .map_err(|e| e.to_string())?;
                write(&dir.join(format!("{size}.jpg")), &jpeg)
            })?;
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}
