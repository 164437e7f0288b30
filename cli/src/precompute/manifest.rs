//! `OUT/manifest.jsonl`: one JSON line per input, what the run did with it.
//!
//! The manifest is what makes reruns incremental. During a run every finished input is also
//! appended to a journal (`OUT/.manifest.jsonl.journal` on disk), so a run that is killed
//! leaves a record of what it completed; at the end the manifest is written whole (see
//! [`Outputs::write_manifest`]) and the journal is removed.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use userphoto::ETag;

use super::tree::Outputs;

/// What the run did with one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Rendered and written in this run.
    Ingested,
    /// Its bytes, the options and the outputs were unchanged: nothing done.
    UpToDate,
    /// An image that cannot be rendered (see `error`); any earlier outputs are left alone.
    Rejected,
    /// Not an image at all (its bytes are no supported format).
    Skipped,
}

impl Status {
    /// The name written in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ingested => "ingested",
            Status::UpToDate => "up_to_date",
            Status::Rejected => "rejected",
            Status::Skipped => "skipped",
        }
    }
}

/// The options that decide the output bytes, recorded with each render: the library's.
pub use userphoto::RenderOptions;

/// The source image as the library saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `JPEG`, `PNG`, …
    pub format: String,
    /// Width after EXIF orientation.
    pub width: u32,
    /// Height after EXIF orientation.
    pub height: u32,
}

/// One file written: `48x48.jpg` and so on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    /// The size name, `"48x48"`; the file is `<size>.jpg`.
    pub size: String,
    /// Length of the file in bytes.
    pub bytes: u64,
    /// Its strong ETag (CRC-32 of the bytes), as in `photos.json`.
    pub etag: ETag,
}

/// Why an input was rejected or skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The kind of problem, written as its name.
    pub kind: ProblemKind,
    /// What was wrong, in words.
    pub message: String,
}

/// The kind of a [`Problem`]: the library's reason for rejecting the bytes, or one of the
/// command's own. The manifest writes it as its name (`"TooSmall"`, `"Conflict"`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// The library's verdict on the bytes (`Corrupt`, `TooSmall`, …; `UnknownFormat` and
    /// `Empty` for files that are not images; `Internal` for a file a decoder panicked on,
    /// which the library contains).
    Library(userphoto::ErrorKind),
    /// Two inputs want the same output directory, or the directory cannot be used.
    Conflict,
    /// The file could not be read.
    Unreadable,
    /// A name this build does not know, read from a manifest that another build wrote. It is
    /// kept as it was written; a record with such a kind is never reused.
    Unrecognised(String),
}

impl ProblemKind {
    /// The kind's name, as the manifest writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ProblemKind::Library(kind) => kind.as_str(),
            ProblemKind::Conflict => "Conflict",
            ProblemKind::Unreadable => "Unreadable",
            ProblemKind::Unrecognised(name) => name,
        }
    }

    /// The kind named `name`; [`Unrecognised`](ProblemKind::Unrecognised) for a name that is
    /// none of this build's kinds.
    pub fn from_name(name: &str) -> ProblemKind {
        let own = [ProblemKind::Conflict, ProblemKind::Unreadable];
        let library = userphoto::ErrorKind::ALL.map(ProblemKind::Library);
        own.into_iter()
            .chain(library)
            .find(|kind| kind.as_str() == name)
            .unwrap_or_else(|| ProblemKind::Unrecognised(name.to_owned()))
    }
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProblemKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProblemKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(ProblemKind::from_name(&name))
    }
}

/// One line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The input, relative to `IN_DIR`, with `/` separators.
    pub path: String,
    /// Its output directory, relative to `OUT_DIR`.
    pub output: String,
    /// The input's length in bytes when it was looked at.
    pub size: u64,
    /// The input's modification time in nanoseconds since 1970, recorded only when it was
    /// old enough to be trusted (see `precompute` docs); `null` otherwise.
    #[serde(default)]
    pub mtime_ns: Option<u64>,
    /// The object store's ETag of the input when it was listed (object stores only): with
    /// `size`, the identity of the content without reading it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `crc32:XXXXXXXX` of the input's bytes (with `size`, the identity of the content);
    /// `null` when the bytes were not read (conflicts, non-images seen by their first bytes).
    #[serde(default)]
    pub hash: Option<String>,
    /// The options the outputs were (or would be) rendered with.
    pub options: RenderOptions,
    /// What happened.
    pub status: Status,
    /// The source's format and upright size, for rendered inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The files in the output directory, ascending, for rendered inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renditions: Vec<Written>,
    /// Why, for rejected and skipped inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

impl Record {
    /// The record as one line of JSON, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        let mut line = serde_json::to_vec(self).expect("a record always serialises");
        line.push(b'\n');
        line
    }
}

/// The file names one run uses at the top of `OUT_DIR`, which depend on its shard.
#[derive(Debug, Clone)]
pub struct Names {
    /// `manifest.jsonl`, or `manifest-I-of-N.jsonl` with `--shard I/N`.
    pub manifest: String,
}

impl Names {
    /// The names for a run of `shard` (or of everything).
    pub fn new(shard: Option<super::Shard>) -> Names {
        let manifest = match shard {
            Some(shard) => format!("manifest-{}-of-{}.jsonl", shard.index, shard.count),
            None => "manifest.jsonl".to_owned(),
        };
        Names { manifest }
    }

    /// The journal of records finished so far.
    pub fn journal(&self) -> String {
        format!(".{}.journal", self.manifest)
    }

    /// The lock that keeps two runs of the same shard apart.
    pub fn lock(&self) -> String {
        format!(".{}.lock", self.manifest)
    }

    /// The prefix of the manifest's temporary file.
    pub fn temp_prefix(&self) -> String {
        format!(".{}.tmp-", self.manifest)
    }
}

/// Reads what earlier runs recorded: every `manifest*.jsonl` at the top of `out` (oldest
/// first, so newer records win), then this shard's journal of a run that did not finish.
/// Unreadable lines (a line cut short by a crash) are ignored: their inputs are simply done
/// again.
pub fn load_previous(out: &dyn Outputs, names: &Names) -> HashMap<String, Record> {
    let mut files: Vec<_> = out
        .top_files("manifest")
        .into_iter()
        .filter(|file| file.name.ends_with(".jsonl"))
        .collect();
    files.sort_by(|a, b| (a.modified, &a.name).cmp(&(b.modified, &b.name)));
    let texts = files
        .iter()
        .filter_map(|file| out.read_top(&file.name))
        .chain([out.read_journal(names)]);
    let mut records = HashMap::new();
    for text in texts {
        for line in String::from_utf8_lossy(&text).lines() {
            if let Ok(record) = serde_json::from_str::<Record>(line) {
                records.insert(record.path.clone(), record);
            }
        }
    }
    records
}

/// The manifest's text: `records`, one line each.
pub fn text(records: &[Record]) -> Vec<u8> {
    let mut text = Vec::new();
    for record in records {
        text.extend_from_slice(&record.to_line());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(kind: ProblemKind) -> Problem {
        Problem {
            kind,
            message: "what was wrong".to_owned(),
        }
    }

    #[test]
    fn every_problem_kind_round_trips_through_its_name() {
        let own = [
            (ProblemKind::Conflict, "Conflict"),
            (ProblemKind::Unreadable, "Unreadable"),
        ];
        let library =
            userphoto::ErrorKind::ALL.map(|kind| (ProblemKind::Library(kind), kind.as_str()));
        for (kind, name) in own.into_iter().chain(library) {
            let json = serde_json::to_string(&problem(kind.clone())).unwrap();
            assert_eq!(
                json,
                format!(r#"{{"kind":"{name}","message":"what was wrong"}}"#)
            );
            let back: Problem = serde_json::from_str(&json).unwrap();
            assert_eq!(back.kind, kind, "{name}");
        }
    }

    #[test]
    fn an_unknown_kind_loads_and_is_written_back_as_it_was() {
        let json = r#"{"kind":"SomethingNew","message":"what was wrong"}"#;
        let loaded: Problem = serde_json::from_str(json).unwrap();
        assert_eq!(
            loaded.kind,
            ProblemKind::Unrecognised("SomethingNew".to_owned())
        );
        assert_eq!(serde_json::to_string(&loaded).unwrap(), json);
    }
}
