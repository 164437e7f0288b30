//! The output directories: written aside and moved into place whole, checked, pruned.
//!
//! A photo's files are written into `<parent>/.tmp-<name>-<pid>` next to their final place
//! `<parent>/<name>`, then the directory is renamed into place. When an older version is
//! there, it is first renamed to `<parent>/.old-<name>-<pid>`, the new one is renamed in, and
//! the old one is deleted. Renames within one file system are atomic, so a directory without
//! a leading `.` is always one photo's complete set: every `.jpg` it holds is whole and is
//! the file its `photos.json` describes. A crash leaves at most hidden `.tmp-`/`.old-`
//! directories, which the next run deletes.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use userphoto::PhotoSet;

use super::scan::Shard;

const TEMP_PREFIX: &str = ".tmp-";
const OLD_PREFIX: &str = ".old-";

fn split_key(out_dir: &Path, key: &str) -> (PathBuf, String) {
    let target = out_dir.join(key);
    let parent = target.parent().unwrap_or(out_dir).to_path_buf();
    let name = key.rsplit('/').next().unwrap_or(key).to_owned();
    (parent, name)
}

/// Writes `set` as the output directory `key` of `out_dir`, replacing what was there in one
/// step (see the module docs).
///
/// # Errors
///
/// When `out_dir` cannot be written: the run cannot go on.
pub fn replace(out_dir: &Path, key: &str, set: &PhotoSet) -> Result<()> {
    let (parent, name) = split_key(out_dir, key);
    let pid = std::process::id();
    let target = parent.join(&name);
    let temp = parent.join(format!("{TEMP_PREFIX}{name}-{pid}"));
    let old = parent.join(format!("{OLD_PREFIX}{name}-{pid}"));
    fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
    remove_any(&temp).with_context(|| format!("cannot remove {}", temp.display()))?;
    crate::ingest::write_set(set, &temp)?;
    let swap = || -> io::Result<()> {
        match fs::symlink_metadata(&target) {
            Ok(_) => {
                remove_any(&old)?;
                fs::rename(&target, &old)?;
                fs::rename(&temp, &target)?;
                remove_any(&old)
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => fs::rename(&temp, &target),
            Err(error) => Err(error),
        }
    };
    swap().with_context(|| format!("cannot move the outputs into {}", target.display()))
}

/// Removes a directory tree, a file, or nothing.
fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// The name of the output a leftover `.tmp-<name>-<pid>` or `.old-<name>-<pid>` belonged to.
fn leftover_name(file_name: &str) -> Option<&str> {
    let rest = file_name
        .strip_prefix(TEMP_PREFIX)
        .or_else(|| file_name.strip_prefix(OLD_PREFIX))?;
    let (name, pid) = rest.rsplit_once('-')?;
    pid.parse::<u32>().ok().map(|_| name)
}

/// Deletes what killed runs left in the directories this run writes to (`parents`, relative
/// to `out_dir`, `""` for `out_dir` itself): `.tmp-` and `.old-` directories of outputs of
/// this shard, and temporary manifests starting with `manifest_temp`. Returns how many.
pub fn clean_leftovers(
    out_dir: &Path,
    parents: &BTreeSet<String>,
    shard: Option<Shard>,
    manifest_temp: &str,
) -> Result<usize> {
    let mut removed = 0;
    for parent in parents {
        let dir = if parent.is_empty() {
            out_dir.to_path_buf()
        } else {
            out_dir.join(parent)
        };
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let ours = match leftover_name(&file_name) {
                Some(name) => {
                    let key = if parent.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{parent}/{name}")
                    };
                    shard.is_none_or(|shard| shard.contains(&key))
                }
                None => parent.is_empty() && file_name.starts_with(manifest_temp),
            };
            if ours {
                let path = entry.path();
                remove_any(&path).with_context(|| format!("cannot remove {}", path.display()))?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// The output directories (those holding a `photos.json`), relative to `out_dir`: one level
/// deep, or at any depth when `recursive`. Hidden names (the run's own temporary folders)
/// are left out.
pub fn output_dirs(out_dir: &Path, recursive: bool) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(prefix) = pending.pop() {
        let dir = out_dir.join(&prefix);
        let entries =
            fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let key = format!("{prefix}{name}");
            if out_dir.join(&key).join("photos.json").is_file() {
                found.push(key.clone());
            }
            if recursive {
                pending.push(format!("{key}/"));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Removes the output directory `key`, renamed aside first so that no half-deleted directory
/// is ever visible.
pub fn remove(out_dir: &Path, key: &str) -> Result<()> {
    let (parent, name) = split_key(out_dir, key);
    let path = parent.join(&name);
    let aside = parent.join(format!("{OLD_PREFIX}{name}-{}", std::process::id()));
    fs::rename(&path, &aside)
        .and_then(|()| fs::remove_dir_all(&aside))
        .with_context(|| format!("cannot remove {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftover_names_need_a_pid() {
        assert_eq!(leftover_name(".tmp-alice-123"), Some("alice"));
        assert_eq!(leftover_name(".old-a-b-c-9"), Some("a-b-c"));
        assert_eq!(leftover_name(".tmp-alice"), None);
        assert_eq!(leftover_name("alice-123"), None);
    }
}
