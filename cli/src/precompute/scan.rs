//! Which inputs a run takes: naming each input's output, grouping the inputs that want one
//! output folder as the listing streams by, sharding.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::SystemTime;

use anyhow::{bail, Result};

/// One file (or object) found in `IN`.
#[derive(Debug, Clone)]
pub struct Input {
    /// Its path relative to `IN`, with `/` separators: the name the manifest uses.
    pub rel: String,
    /// Its length in bytes, as listed.
    pub size: u64,
    /// Its modification time, as listed.
    pub modified: Option<SystemTime>,
    /// The store's version tag of its content (an object store's ETag), as listed.
    pub etag: Option<String>,
}

/// Every input whose output directory is the same: normally one file, several when
/// `a.jpg` and `a.png` both want `OUT/a`.
#[derive(Debug, Clone)]
pub struct Group {
    /// The output directory relative to `OUT`: the relative path without its extension.
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

/// Gathers a listing sorted by relative path into [`Group`]s, keeping only those of one
/// shard, while the listing streams by: a group is handed on as soon as no later input can
/// join it, so only the groups whose key is a prefix of the latest input are held.
///
/// Every input with the key `K` has a relative path starting with `K` (the key is the path
/// without its extension), and so does every input nested in a folder `K/`. In byte order
/// those paths are contiguous: once an input arrives that does not start with `K`, the
/// group `K` is complete, clash included.
pub struct Grouper {
    pending: BTreeMap<String, Group>,
    last: Option<String>,
    shard: Option<Shard>,
}

impl Grouper {
    /// A grouper that hands on the groups of `shard` (or all).
    pub fn new(shard: Option<Shard>) -> Grouper {
        Grouper {
            pending: BTreeMap::new(),
            last: None,
            shard,
        }
    }

    /// Takes the next input of the listing, and hands `done` the groups it completes.
    ///
    /// # Errors
    ///
    /// When the listing is not in ascending byte order (the grouping would be wrong), or
    /// when `done` fails.
    pub fn push(&mut self, input: Input, done: &mut dyn FnMut(Group) -> Result<()>) -> Result<()> {
        if let Some(last) = &self.last {
            if input.rel.as_str() <= last.as_str() {
                bail!(
                    "the listing is not in ascending order ({} after {last})",
                    input.rel
                );
            }
        }
        let finished: Vec<String> = self
            .pending
            .keys()
            .filter(|key| !input.rel.starts_with(key.as_str()))
            .cloned()
            .collect();
        for key in finished {
            let group = self.pending.remove(&key).expect("a pending key");
            self.hand_on(group, done)?;
        }
        for (key, group) in &mut self.pending {
            let nested = input
                .rel
                .strip_prefix(key.as_str())
                .is_some_and(|rest| rest.starts_with('/'));
            if nested && group.clash.is_none() {
                group.clash = Some(format!(
                    "its output directory {key}/ would also hold the outputs of {}",
                    input.rel
                ));
            }
        }
        self.last = Some(input.rel.clone());
        let key = key_of(&input.rel);
        let group = self.pending.entry(key.clone()).or_insert_with(|| Group {
            clash: reserved(&key)
                .then(|| format!("the output name {key} is reserved for the manifest")),
            key,
            inputs: Vec::new(),
        });
        group.inputs.push(input);
        Ok(())
    }

    /// Hands on the groups still held, at the end of the listing.
    ///
    /// # Errors
    ///
    /// When `done` fails.
    pub fn finish(mut self, done: &mut dyn FnMut(Group) -> Result<()>) -> Result<()> {
        for group in std::mem::take(&mut self.pending).into_values() {
            self.hand_on(group, done)?;
        }
        Ok(())
    }

    fn hand_on(&self, group: Group, done: &mut dyn FnMut(Group) -> Result<()>) -> Result<()> {
        if self.shard.is_none_or(|shard| shard.contains(&group.key)) {
            done(group)?;
        }
        Ok(())
    }
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

    /// Every group of `inputs` (sorted here), sorted by key.
    fn group(mut inputs: Vec<Input>, shard: Option<Shard>) -> Vec<Group> {
        inputs.sort_by(|a, b| a.rel.cmp(&b.rel));
        let mut grouper = Grouper::new(shard);
        let mut groups = Vec::new();
        let mut done = |group| {
            groups.push(group);
            Ok(())
        };
        for input in inputs {
            grouper.push(input, &mut done).unwrap();
        }
        grouper.finish(&mut done).unwrap();
        groups.sort_by(|a: &Group, b| a.key.cmp(&b.key));
        groups
    }

    fn input(rel: &str) -> Input {
        Input {
            rel: rel.to_owned(),
            size: 0,
            modified: None,
            etag: None,
        }
    }

    #[test]
    fn groups_flag_shared_and_nested_outputs() {
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

    #[test]
    fn streamed_groups_are_those_of_the_whole_listing() {
        let rels = [
            "a",
            "a-b.jpg",
            "a.b.png",
            "a.jpg",
            "a.png",
            "a/x.jpg",
            "a0.jpg",
            "b.jpg",
            "b/c.jpg",
            "b/c/d.jpg",
            "b/c.png",
            "c/d/e.jpg",
        ];
        let groups = group(rels.iter().map(|r| input(r)).collect(), None);
        let summary: Vec<(String, usize, bool)> = groups
            .iter()
            .map(|g| (g.key.clone(), g.inputs.len(), g.clash.is_some()))
            .collect();
        let expected = [
            ("a", 3, true),
            ("a-b", 1, false),
            ("a.b", 1, false),
            ("a/x", 1, false),
            ("a0", 1, false),
            ("b", 1, true),
            ("b/c", 2, true),
            ("b/c/d", 1, false),
            ("c/d/e", 1, false),
        ];
        let expected: Vec<(String, usize, bool)> = expected
            .iter()
            .map(|(k, n, c)| ((*k).to_owned(), *n, *c))
            .collect();
        assert_eq!(summary, expected);
        // Each shard's groups are a part of these, and the parts cover them once.
        let mut keys: Vec<String> = (1..=3)
            .flat_map(|index| {
                group(
                    rels.iter().map(|r| input(r)).collect(),
                    Some(Shard { index, count: 3 }),
                )
            })
            .map(|g| g.key)
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            expected.iter().map(|e| e.0.clone()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_listing_out_of_order_is_an_error() {
        let mut grouper = Grouper::new(None);
        let mut done = |_| Ok(());
        grouper.push(input("b.jpg"), &mut done).unwrap();
        assert!(grouper.push(input("a.jpg"), &mut done).is_err());
    }
}
