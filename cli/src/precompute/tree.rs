//! Where a run reads its photos and writes their sizes: a local directory ([`super::disk`])
//! or an object store ([`super::bucket`]), behind one pair of traits.
//!
//! The run itself (listing order, grouping, sharding, the incremental check, the manifest's
//! records, pruning) is written once, in terms of these traits; an implementation only moves
//! bytes and names, and says how it makes a photo's outputs appear whole.

use std::collections::{BTreeSet, HashSet};
use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Result;
use userphoto::{PhotoCollection, PhotoSet};

use super::manifest::{Names, Record, Written};
use super::scan::{Input, Shard};

/// `IN` or `OUT` of a run: a local directory, or an object store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local directory (also what a `file://` URL names).
    Dir(PathBuf),
    /// An object store URL: `s3://bucket/prefix`, `gs://…`, `az://…` (see
    /// [`userphoto_stores::open`]).
    Store(String),
}

impl Location {
    /// A command-line argument as a location: a URL with a scheme other than `file` is an
    /// object store; `file:///path` and anything without `://` are local directories.
    pub fn parse(arg: &OsStr) -> Location {
        let Some(text) = arg.to_str() else {
            return Location::Dir(PathBuf::from(arg));
        };
        match text.split_once("://") {
            Some(("file", path)) => Location::Dir(PathBuf::from(path)),
            Some((scheme, _))
                if !scheme.is_empty()
                    && scheme
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'+') =>
            {
                Location::Store(text.trim_end_matches('/').to_owned())
            }
            _ => Location::Dir(PathBuf::from(arg)),
        }
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::Dir(path)
    }
}

impl From<&std::path::Path> for Location {
    fn from(path: &std::path::Path) -> Location {
        Location::Dir(path.to_path_buf())
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Dir(path) => write!(f, "{}", path.display()),
            Location::Store(url) => f.write_str(url),
        }
    }
}

/// Where the photos are read.
pub(super) trait Inputs: Send + Sync {
    /// Calls `each` with every file (object) to consider, in ascending order of
    /// [`Input::rel`] (byte order), without holding the whole listing: only the top level
    /// unless `recursive`; names with a segment starting with `.` are left out. Stops at the
    /// first error `each` returns.
    fn list(&self, recursive: bool, each: &mut dyn FnMut(Input) -> Result<()>) -> Result<()>;

    /// The input's bytes, at most `limit + 1` of them (so that an oversized input is seen as
    /// such without being read whole).
    fn read(&self, input: &Input, limit: u64) -> Result<Vec<u8>>;

    /// The input's first bytes (16 at most), enough to recognise a format.
    fn head(&self, input: &Input) -> Result<Vec<u8>>;
}

/// An append-only record of finished inputs, so that a killed run keeps what it finished.
pub(super) trait Journal: Send {
    /// Records one finished input (possibly buffered; see [`flush`](Journal::flush)).
    fn append(&mut self, record: &Record) -> Result<()>;
    /// Makes what was appended durable. Called at least every half second while a run goes.
    fn flush(&mut self) -> Result<()>;
}

/// A top-level file of `OUT` and when it was last written.
pub(super) struct TopFile {
    pub name: String,
    pub modified: Option<SystemTime>,
}

/// Where the sizes go: one folder (prefix) per photo, and the manifests at the top.
pub(super) trait Outputs: Send + Sync {
    /// Keeps other runs of the same shard out while the returned guard lives, where the
    /// storage can (a lock file on disk; object stores have none: a scheduler such as a
    /// Kubernetes Indexed Job runs one worker per shard).
    fn lock(&self, names: &Names) -> Result<Box<dyn Send>>;

    /// The top-level files whose name starts with `prefix`.
    fn top_files(&self, prefix: &str) -> Vec<TopFile>;

    /// A top-level file's bytes, or `None` when it cannot be read.
    fn read_top(&self, name: &str) -> Option<Vec<u8>>;

    /// What the journal of `names` holds from runs that did not finish.
    fn read_journal(&self, names: &Names) -> Vec<u8>;

    /// Opens the journal of `names` for appending.
    fn journal(&self, names: &Names) -> Result<Box<dyn Journal>>;

    /// Writes the manifest of `names` whole (never visible half-written), then removes the
    /// journal. Returns where it was written, as shown to the user.
    fn write_manifest(&self, names: &Names, text: Vec<u8>) -> Result<String>;

    /// Writes `set` as the outputs of `key` (`<s>x<s>.jpg` and `photos.json`), replacing
    /// what was there so that a folder holding a `photos.json` always holds exactly the
    /// renditions it lists, however the run ends.
    fn replace(&self, key: &str, set: &PhotoSet) -> Result<()>;

    /// The bytes of `key`'s `photos.json`, or `None` when there is none (or it cannot be
    /// read).
    fn read_index(&self, key: &str) -> Option<Vec<u8>>;

    /// The lengths of the files `names` in `key`'s folder; `None` for one that is missing.
    fn sizes(&self, key: &str, names: &[String]) -> Vec<Option<u64>>;

    /// Deletes what killed runs of `shard` left in the folders `parents` (relative to `OUT`,
    /// `""` for the top) and the temporary manifests starting with `manifest_temp`.
    fn clean_leftovers(
        &self,
        parents: &BTreeSet<String>,
        shard: Option<Shard>,
        manifest_temp: &str,
    ) -> Result<()>;

    /// The output folders (those holding a `photos.json`): at the top only, or at any depth
    /// when `recursive`.
    fn output_dirs(&self, recursive: bool) -> Result<Vec<String>>;

    /// Removes the output folder `key`, so that it is never seen half-removed with its
    /// `photos.json`.
    fn remove_dir(&self, key: &str) -> Result<()>;
}

/// Whether the output folder `key` holds exactly the renditions `expected` records: each
/// `<size>.jpg` present with the recorded length, and `photos.json` listing the same sizes
/// with the same ETags.
///
/// This costs a look at each file's length and one small read, not a read of every output.
/// It trusts the JPEGs' contents, which a run only ever makes visible whole and listed;
/// something outside the run that rewrites a JPEG with another of exactly the same length
/// goes unnoticed.
pub(super) fn intact(out: &dyn Outputs, key: &str, expected: &[Written]) -> bool {
    if expected.is_empty() {
        return false;
    }
    let Some(json) = out.read_index(key) else {
        return false;
    };
    let Ok(collection) = serde_json::from_slice::<PhotoCollection>(&json) else {
        return false;
    };
    let listed = collection.value.len() == expected.len()
        && collection
            .value
            .iter()
            .zip(expected)
            .all(|(listed, written)| {
                listed.id.eq_ignore_ascii_case(&written.size) && listed.media_etag == written.etag
            });
    if !listed {
        return false;
    }
    let names: Vec<String> = expected.iter().map(|w| format!("{}.jpg", w.size)).collect();
    out.sizes(key, &names)
        .iter()
        .zip(expected)
        .all(|(size, written)| *size == Some(written.bytes))
}

/// The output folders of `shard` that no key of `keep` claims, removed; returns their keys,
/// sorted.
pub(super) fn prune(
    out: &dyn Outputs,
    keep: &HashSet<String>,
    recursive: bool,
    shard: Option<Shard>,
) -> Result<Vec<String>> {
    let mut pruned = Vec::new();
    for key in out.output_dirs(recursive)? {
        let inside_pruned = pruned.iter().any(|p: &String| {
            key.strip_prefix(p.as_str())
                .is_some_and(|r| r.starts_with('/'))
        });
        if inside_pruned {
            continue;
        }
        if shard.is_none_or(|shard| shard.contains(&key)) && !keep.contains(&key) {
            out.remove_dir(&key)?;
            pruned.push(key);
        }
    }
    pruned.sort();
    Ok(pruned)
}

/// The two sides of a run, opened and checked.
pub(super) struct Opened {
    pub inputs: Box<dyn Inputs>,
    pub outputs: Box<dyn Outputs>,
    /// Whether one side is an object store (whose I/O waits on the network).
    pub remote: bool,
}

/// Opens `input` and `output`: checks that the input exists, creates the output when it is a
/// missing directory, and refuses an output that is the input.
pub(super) fn open(input: &Location, output: &Location) -> Result<Opened> {
    let remote = matches!(input, Location::Store(_)) || matches!(output, Location::Store(_));
    let runtime = if remote {
        Some(Arc::new(super::bucket::runtime()?))
    } else {
        None
    };
    let rt = || runtime.clone().expect("a runtime for object stores");
    let (inputs, outputs): (Box<dyn Inputs>, Box<dyn Outputs>) = match (input, output) {
        (Location::Dir(in_dir), Location::Dir(out_dir)) => {
            let (inputs, outputs) = super::disk::open_both(in_dir, out_dir)?;
            (Box::new(inputs), Box::new(outputs))
        }
        (Location::Dir(in_dir), Location::Store(url)) => (
            Box::new(super::disk::DiskInputs::open(in_dir, None)?),
            Box::new(super::bucket::BucketOutputs::open(url, rt())?),
        ),
        (Location::Store(url), Location::Dir(out_dir)) => (
            Box::new(super::bucket::BucketInputs::open(url, None, rt())?),
            Box::new(super::disk::DiskOutputs::open(out_dir)?),
        ),
        (Location::Store(in_url), Location::Store(out_url)) => {
            if in_url == out_url {
                anyhow::bail!("the output must not be the input");
            }
            // An OUT inside IN is left out of the listing.
            let skip = out_url
                .strip_prefix(in_url.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .map(str::to_owned);
            (
                Box::new(super::bucket::BucketInputs::open(in_url, skip, rt())?),
                Box::new(super::bucket::BucketOutputs::open(out_url, rt())?),
            )
        }
    };
    Ok(Opened {
        inputs,
        outputs,
        remote,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_urls_only_with_a_scheme() {
        let parse = |s: &str| Location::parse(OsStr::new(s));
        assert_eq!(parse("photos/"), Location::Dir("photos/".into()));
        assert_eq!(parse("file:///data/x"), Location::Dir("/data/x".into()));
        assert_eq!(parse("s3://b/p/"), Location::Store("s3://b/p".to_owned()));
        assert_eq!(parse("gs://b"), Location::Store("gs://b".to_owned()));
        assert_eq!(parse("./a://b"), Location::Dir("./a://b".into()));
    }
}
