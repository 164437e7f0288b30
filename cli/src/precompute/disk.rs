//! A local directory as either side of a run.
//!
//! Outputs appear whole by renaming a folder into place ([`super::output`]); the journal is
//! a file appended to line by line; a lock file keeps two runs of one shard apart.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use userphoto::PhotoSet;

use super::manifest::{Names, Record};
use super::output;
use super::scan::{Input, Shard};
use super::tree::{Inputs, Journal, Outputs, TopFile};

/// A directory of photos.
pub(super) struct DiskInputs {
    root: PathBuf,
    /// A directory the walk leaves out (an output directory inside the input), resolved.
    skip: Option<PathBuf>,
}

impl DiskInputs {
    /// `in_dir`, which must be a directory; the walk leaves out `skip` (resolved).
    pub(super) fn open(in_dir: &Path, skip: Option<PathBuf>) -> Result<DiskInputs> {
        if !in_dir.is_dir() {
            bail!("{} is not a directory", in_dir.display());
        }
        Ok(DiskInputs {
            root: in_dir.to_path_buf(),
            skip,
        })
    }

    /// Walks `dir` (whose inputs are named `prefix…`) in byte order of the relative paths:
    /// a directory's entries sorted by name, a folder's name taken with its `/`.
    fn walk(
        &self,
        dir: &Path,
        prefix: &str,
        recursive: bool,
        each: &mut dyn FnMut(Input) -> Result<()>,
    ) -> Result<()> {
        let mut entries = Vec::new();
        for entry in
            fs::read_dir(dir).with_context(|| format!("cannot read directory {}", dir.display()))?
        {
            let entry =
                entry.with_context(|| format!("cannot read directory {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let file_type = entry
                .file_type()
                .with_context(|| format!("cannot read {}", path.display()))?;
            if file_type.is_dir() {
                let skip = self.skip.as_ref().is_some_and(|skip| {
                    fs::canonicalize(&path).is_ok_and(|canonical| &canonical == skip)
                });
                if recursive && !skip {
                    entries.push((format!("{name}/"), path, None));
                }
            } else if file_type.is_file() || file_type.is_symlink() {
                // Links to files are followed; links to directories are not, so a link loop
                // cannot trap the walk.
                match fs::metadata(&path) {
                    Ok(meta) if meta.is_file() => entries.push((name, path, Some(meta))),
                    _ => {}
                }
            }
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, path, meta) in entries {
            match meta {
                None => self.walk(&path, &format!("{prefix}{name}"), recursive, each)?,
                Some(meta) => each(Input {
                    rel: format!("{prefix}{name}"),
                    size: meta.len(),
                    modified: meta.modified().ok(),
                    etag: None,
                })?,
            }
        }
        Ok(())
    }

    fn path(&self, input: &Input) -> PathBuf {
        self.root.join(&input.rel)
    }
}

impl Inputs for DiskInputs {
    /// Names starting with `.` are left out (`.DS_Store`, `._photo.jpg`, editors' temp
    /// files), so no output directory ever starts with `.`, the prefix of the run's own
    /// temporary names.
    fn list(&self, recursive: bool, each: &mut dyn FnMut(Input) -> Result<()>) -> Result<()> {
        self.walk(&self.root, "", recursive, each)
    }

    fn read(&self, input: &Input, limit: u64) -> Result<Vec<u8>> {
        crate::ingest::read_limited(&self.path(input), limit)
    }

    fn head(&self, input: &Input) -> Result<Vec<u8>> {
        let path = self.path(input);
        let file =
            fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut head = Vec::new();
        file.take(16)
            .read_to_end(&mut head)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(head)
    }
}

/// A directory of output folders and manifests.
pub(super) struct DiskOutputs {
    out_dir: PathBuf,
}

impl DiskOutputs {
    /// `out_dir`, created when missing.
    pub(super) fn open(out_dir: &Path) -> Result<DiskOutputs> {
        fs::create_dir_all(out_dir)
            .with_context(|| format!("cannot create the output directory {}", out_dir.display()))?;
        Ok(DiskOutputs {
            out_dir: out_dir.to_path_buf(),
        })
    }
}

/// Both sides on disk: checks that `in_dir` is a directory, creates `out_dir` when it is
/// missing, makes sure the two are not the same directory, and leaves `out_dir` out of the
/// walk when it lies inside `in_dir`.
pub(super) fn open_both(in_dir: &Path, out_dir: &Path) -> Result<(DiskInputs, DiskOutputs)> {
    if !in_dir.is_dir() {
        bail!("{} is not a directory", in_dir.display());
    }
    let outputs = DiskOutputs::open(out_dir)?;
    let canonical_out = fs::canonicalize(out_dir)
        .with_context(|| format!("cannot resolve {}", out_dir.display()))?;
    let canonical_in =
        fs::canonicalize(in_dir).with_context(|| format!("cannot resolve {}", in_dir.display()))?;
    if canonical_in == canonical_out {
        bail!("the output directory must not be the input directory");
    }
    Ok((DiskInputs::open(in_dir, Some(canonical_out))?, outputs))
}

impl Outputs for DiskOutputs {
    fn lock(&self, names: &Names) -> Result<Box<dyn Send>> {
        let out_dir = &self.out_dir;
        let lock_path = out_dir.join(names.lock());
        let lock = fs::File::create(&lock_path).with_context(|| {
            format!(
                "cannot write to the output directory {} (creating {})",
                out_dir.display(),
                lock_path.display()
            )
        })?;
        if let Err(error) = lock.try_lock() {
            match error {
                fs::TryLockError::WouldBlock => bail!(
                    "another precompute of the same shard is running in {}",
                    out_dir.display()
                ),
                fs::TryLockError::Error(error) => {
                    return Err(error)
                        .with_context(|| format!("cannot lock {}", lock_path.display()))
                }
            }
        }
        Ok(Box::new(lock))
    }

    fn top_files(&self, prefix: &str) -> Vec<TopFile> {
        fs::read_dir(&self.out_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let meta = entry.metadata().ok()?;
                (name.starts_with(prefix) && meta.is_file()).then(|| TopFile {
                    name,
                    modified: meta.modified().ok(),
                })
            })
            .collect()
    }

    fn read_top(&self, name: &str) -> Option<Vec<u8>> {
        fs::read(self.out_dir.join(name)).ok()
    }

    fn read_journal(&self, names: &Names) -> Vec<u8> {
        fs::read(self.out_dir.join(names.journal())).unwrap_or_default()
    }

    fn journal(&self, names: &Names) -> Result<Box<dyn Journal>> {
        let path = self.out_dir.join(names.journal());
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Box::new(FileJournal { file }))
    }

    /// To a temporary file, flushed to disk, then renamed over the old manifest.
    fn write_manifest(&self, names: &Names, text: Vec<u8>) -> Result<String> {
        let out_dir = &self.out_dir;
        let path = out_dir.join(&names.manifest);
        let temp = out_dir.join(format!("{}{}", names.temp_prefix(), std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&temp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            fs::rename(&temp, &path)
        };
        write().with_context(|| format!("cannot write {}", path.display()))?;
        let journal = out_dir.join(names.journal());
        if let Err(error) = fs::remove_file(&journal) {
            if error.kind() != std::io::ErrorKind::NotFound {
                return Err(error).with_context(|| format!("cannot remove {}", journal.display()));
            }
        }
        Ok(path.display().to_string())
    }

    fn replace(&self, key: &str, set: &PhotoSet) -> Result<()> {
        output::replace(&self.out_dir, key, set)
    }

    fn read_index(&self, key: &str) -> Option<Vec<u8>> {
        fs::read(self.out_dir.join(key).join("photos.json")).ok()
    }

    fn sizes(&self, key: &str, names: &[String]) -> Vec<Option<u64>> {
        let dir = self.out_dir.join(key);
        names
            .iter()
            .map(|name| {
                fs::metadata(dir.join(name))
                    .ok()
                    .filter(|meta| meta.is_file())
                    .map(|meta| meta.len())
            })
            .collect()
    }

    fn clean_leftovers(
        &self,
        parents: &BTreeSet<String>,
        shard: Option<Shard>,
        manifest_temp: &str,
    ) -> Result<()> {
        output::clean_leftovers(&self.out_dir, parents, shard, manifest_temp).map(|_| ())
    }

    fn output_dirs(&self, recursive: bool) -> Result<Vec<String>> {
        output::output_dirs(&self.out_dir, recursive)
    }

    fn remove_dir(&self, key: &str) -> Result<()> {
        output::remove(&self.out_dir, key)
    }
}

/// The journal as a file appended to one line per write, so that a crash loses at most the
/// line being written.
struct FileJournal {
    file: fs::File,
}

impl Journal for FileJournal {
    fn append(&mut self, record: &Record) -> Result<()> {
        self.file
            .write_all(&record.to_line())
            .context("cannot write the manifest journal")
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}
