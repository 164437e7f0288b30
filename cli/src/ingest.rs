//! `userphoto ingest` and `userphoto placeholder`, and the file helpers `precompute` shares.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use userphoto::{Options, PhotoSet};

/// Ingests `photo` into `out`. A rejected photo is reported on stderr and gives exit code 1,
/// with nothing written; I/O problems are errors (exit code 2).
pub fn run(photo: &Path, out: &Path, options: &Options) -> Result<ExitCode> {
    let bytes = read_limited(photo, options.limits.max_input_bytes)?;
    let set = match userphoto::ingest(&bytes, options) {
        Ok(set) => set,
        Err(error) => {
            eprintln!("{}: {}: {error}", photo.display(), error.kind());
            return Ok(ExitCode::from(1));
        }
    };
    write_set(&set, out)?;
    println!("{:<9} {:>8}  etag", "size", "bytes");
    for rendition in &set {
        println!(
            "{:<9} {:>8}  {}",
            rendition.size().name(),
            rendition.bytes().len(),
            rendition.etag()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads at most one byte more than `limit`, so an oversized file is reported as too large
/// without being read whole.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    // Reserve the whole file at once (never more than the limit allows) instead of growing
    // the buffer while reading.
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let capacity = len.min(limit.saturating_add(1)).min(usize::MAX as u64) as usize;
    // Bounded: at most the input limit plus one byte, checked on the line above.
    #[allow(clippy::disallowed_methods)]
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(bytes)
}

/// Writes `<s>x<s>.jpg` for each rendition and `photos.json` into `dir`.
pub fn write_set(set: &PhotoSet, dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for rendition in set {
        let path = dir.join(format!("{}.jpg", rendition.size().name()));
        fs::write(&path, rendition.bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let path = dir.join("photos.json");
    let json = serde_json::to_vec_pretty(&set.metadata()).context("cannot serialise metadata")?;
    fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Writes the placeholder GIF to `out` and prints its metadata JSON on stdout.
pub fn placeholder(out: &Path) -> Result<ExitCode> {
    let placeholder = userphoto::placeholder();
    fs::write(out, placeholder.bytes())
        .with_context(|| format!("cannot write {}", out.display()))?;
    let json = serde_json::to_string_pretty(&placeholder.metadata())?;
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}
