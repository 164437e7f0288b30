//! Which inputs a run takes: listing `IN_DIR`, naming each input's output, sharding.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result};

/// One file found in `IN_DIR`.
#[derive(Debug, Clone)]
pub struct Input {
    /// Where to read it.
    pub path: PathBuf,
    /// Its path relative to `IN_DIR`, with `/` separators: the name the manifest uses.
    pub rel: String,
}

/// Every input whose output directory is the same: normally one file, several when
/// `a.jpg` and `a.png` both want `OUT_DIR/a`.
#[derive(Debug, Clone)]
pub struct Group {
    /// The output directory relative to `OUT_DIR`: the relative path without its extension.
    pub key: String,
    /// The inputs, sorted by relative path.
    pub inputs: Vec<Input>,
    /// Whether the key cannot be used as an output directory: another key lives inside it
    /// (`team.jpg` next to a folder `team/`), or it is the name of the manifest.
    pub clash: Option<String>,
}

/// The part of the inputs one machine takes: `--shard I/N`, with I counted from 1.
///
/// An input belongs to shard `1 + fnv1a64(key) % N`, where key is its output directory
/// relative to `OUT_DIR` (the relative path without extension). Hashing the output name rather
/// than the file name keeps every input that competes for one output directory on the same
/// machine, so conflicts are seen and no two machines write the same directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, 1..=count.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl Shard {
    /// Whether the output `key` belongs to this shard.
    pub fn contains(&self, key: &str) -> bool {
        fnv1a64(key.as_bytes()) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let usage = || format!("{text:?} is not a shard; expected I/N with 1 <= I <= N, e.g. 1/4");
        let (index, count) = text.split_once('/').ok_or_else(usage)?;
        let index: u32 = index.trim().parse().map_err(|_| usage())?;
        let count: u32 = count.trim().parse().map_err(|_| usage())?;
        if count == 0 || index == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// 64-bit FNV-1a: stable across runs, machines and Rust versions, unlike std's hasher.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The output directory of the input at `rel`: `sub/alice@contoso.com.jpg` →
/// `sub/alice@contoso.com`.
pub fn key_of(rel: &str) -> String {
    let (dir, name) = match rel.rsplit_once('/') {
        Some((dir, name)) => (Some(dir), name),
        None => (None, rel),
    };
    let stem = Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_owned());
    match dir {
        Some(dir) => format!("{dir}/{stem}"),
        None => stem,
    }
}

/// Whether `key` names one of the run's own files at the top of `OUT_DIR`.
fn reserved(key: &str) -> bool {
    key.starts_with("manifest") && key.ends_with(".jsonl") && !key.contains('/')
}

/// Lists the files of `in_dir` (and, when `recursive`, of its subdirectories), sorted by
/// relative path.
///
/// Names starting with `.` are left out (`.DS_Store`, `._photo.jpg`, editors' temp files), so
/// no output directory ever starts with `.`, the prefix of the run's own temporary names.
/// Symbolic links to files are followed; links to directories are not, so a link loop cannot
/// trap the walk. `skip_dir`, when the walk meets it (an `OUT_DIR` inside `IN_DIR`), is left
/// out.
///
/// # Errors
///
/// When `in_dir` or one of its subdirectories cannot be read.
pub fn list(in_dir: &Path, recursive: bool, skip_dir: Option<&Path>) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    let mut pending = vec![(in_dir.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let entries =
            fs::read_dir(&dir).with_context(|| format!("cannot read directory {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read directory {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let rel = format!("{prefix}{name}");
            let file_type = entry
                .file_type()
                .with_context(|| format!("cannot read {}", path.display()))?;
            if file_type.is_dir() {
                let skip = skip_dir.is_some_and(|skip| {
                    fs::canonicalize(&path).is_ok_and(|canonical| canonical == skip)
                });
                if recursive && !skip {
                    pending.push((path, format!("{rel}/")));
                }
            } else if file_type.is_file()
                || (file_type.is_symlink() && fs::metadata(&path).is_ok_and(|m| m.is_file()))
            {
                inputs.push(Input { path, rel });
            }
        }
    }
    inputs.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(inputs)
}

/// Gathers `inputs` by output directory, keeping only the groups of `shard`, sorted by key.
pub fn group(inputs: Vec<Input>, shard: Option<Shard>) -> Vec<Group> {
    let mut by_key: BTreeMap<String, Vec<Input>> = BTreeMap::new();
    for input in inputs {
        by_key.entry(key_of(&input.rel)).or_default().push(input);
    }
    let clash_of = |key: &str| -> Option<String> {
        if reserved(key) {
            return Some(format!("the output name {key} is reserved for the manifest"));
        }
        let inside = format!("{key}/");
        let nested = by_key
            .range(inside.clone()..)
            .next()
            .filter(|(other, _)| other.starts_with(&inside))?;
        Some(format!(
            "its output directory {key}/ would also hold the outputs of {}",
            nested.1[0].rel
        ))
    };
    let clashes: Vec<Option<String>> = by_key.keys().map(|key| clash_of(key)).collect();
    by_key
        .into_iter()
        .zip(clashes)
        .filter(|((key, _), _)| shard.is_none_or(|shard| shard.contains(key)))
        .map(|((key, inputs), clash)| Group { key, inputs, clash })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_drop_only_the_last_extension() {
        assert_eq!(key_of("alice@contoso.com.jpg"), "alice@contoso.com");
        assert_eq!(key_of("sub/x.jpg"), "sub/x");
        assert_eq!(key_of("sub.d/noext"), "sub.d/noext");
        assert_eq!(key_of("a.b.png"), "a.b");
    }

    #[test]
    fn shards_parse_one_based_and_partition() {
        assert_eq!("2/3".parse(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "1", "a/b", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad:?}");
        }
        for key in ["a", "b", "sub/c", "alice@contoso.com"] {
            let owners = (1..=5)
                .filter(|&index| Shard { index, count: 5 }.contains(key))
                .count();
            assert_eq!(owners, 1, "{key}");
        }
    }

    #[test]
    fn fnv_matches_the_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn groups_flag_shared_and_nested_outputs() {
        let input = |rel: &str| Input {
            path: PathBuf::from(rel),
            rel: rel.to_owned(),
        };
        let groups = group(
            vec![
                input("a.jpg"),
                input("a.png"),
                input("team.jpg"),
                input("team/bob.jpg"),
                input("team-b.jpg"),
                input("manifest.jsonl.png"),
            ],
            None,
        );
        let keys: Vec<&str> = groups.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["a", "manifest.jsonl", "team", "team-b", "team/bob"]);
        assert_eq!(groups[0].inputs.len(), 2);
        assert!(groups[1].clash.is_some());
        assert!(groups[2].clash.as_deref().unwrap().contains("team/bob.jpg"));
        assert!(groups[3].clash.is_none());
        assert!(groups[4].clash.is_none());
    }
}
