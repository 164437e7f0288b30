//! `PIPELINE_VERSION`'s promise: builds with the same value give byte-identical renditions for
//! the same input. `testdata/renditions.tsv` records, for each pipeline version, what every
//! corpus file and every file of `testdata/` gave (each rendition's ETag, or the kind of
//! error); a build whose version is recorded there must give exactly that.
//!
//! A change that alters any rendition must change `PIPELINE_VERSION`. The new version's lines
//! are then recorded with
//! `USERPHOTO_RECORD_RENDITIONS=1 cargo test --test integration pipeline_version` (and again
//! with `--features turbojpeg`), which writes only versions not recorded yet: a version's
//! lines are never rewritten.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::corpus;
use userphoto::{ingest, Options, PIPELINE_VERSION};

const RECORD: &str = "testdata/renditions.tsv";

/// What the files give with the default options, by name (`corpus/...` or `testdata/...`):
/// `48:"ETAG" 64:"ETAG" ...`, or `error:Kind`.
fn outcomes(files: &[(String, PathBuf)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(name, path)| {
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
            let outcome = match ingest(&bytes, &Options::default()) {
                Ok(set) => set
                    .iter()
                    .map(|r| format!("{}:{}", r.size().side(), r.etag()))
                    .collect::<Vec<_>>()
                    .join(" "),
                Err(error) => format!("error:{:?}", error.kind()),
            };
            (name.clone(), outcome)
        })
        .collect()
}

/// Every regular file under `dir`, named `prefix/relative path`, in order.
fn files_under(dir: &Path, prefix: &str) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("under dir");
                let name = format!("{prefix}/{}", relative.to_string_lossy().replace('\\', "/"));
                found.push((name, path));
            }
        }
    }
    found.sort();
    found
}

/// The recorded lines: pipeline version -> file name -> outcome.
fn recorded(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut versions: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut fields = line.splitn(3, '\t');
        let (Some(version), Some(name), Some(outcome)) =
            (fields.next(), fields.next(), fields.next())
        else {
            panic!("{RECORD}: malformed line {line:?}");
        };
        versions
            .entry(version.to_owned())
            .or_default()
            .insert(name.to_owned(), outcome.to_owned());
    }
    versions
}

#[test]
fn renditions_are_the_ones_recorded_for_this_pipeline_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<(String, PathBuf)> = files_under(&root.join("testdata"), "testdata")
        .into_iter()
        .filter(|(name, _)| !name.ends_with(".md") && !name.ends_with(".tsv"))
        .collect();
    let corpus = corpus();
    if let Some(corpus) = &corpus {
        files.extend(
            files_under(corpus, "corpus")
                .into_iter()
                .filter(|(name, _)| name != "corpus/MANIFEST.tsv"),
        );
    }
    let ours = outcomes(&files);
    let path = root.join(RECORD);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let versions = recorded(&text);

    let Some(expected) = versions.get(PIPELINE_VERSION) else {
        assert!(
            std::env::var_os("USERPHOTO_RECORD_RENDITIONS").is_some(),
            "{RECORD} has no lines for {PIPELINE_VERSION:?}: record them (see this test's \
             module documentation)"
        );
        assert!(corpus.is_some(), "recording needs the corpus");
        let mut text = text;
        for (name, outcome) in &ours {
            text.push_str(&format!("{PIPELINE_VERSION}\t{name}\t{outcome}\n"));
        }
        std::fs::write(&path, text).expect("writing the record");
        return;
    };
    let mut compared = 0;
    for (name, outcome) in &ours {
        // A corpus file added after the version was recorded has nothing to compare with.
        let Some(want) = expected.get(name) else {
            assert!(name.starts_with("corpus/"), "{name} is not recorded");
            continue;
        };
        assert_eq!(
            outcome, want,
            "{name}: the renditions differ from those recorded for {PIPELINE_VERSION:?}; a \
             change to the output needs a new PIPELINE_VERSION"
        );
        compared += 1;
    }
    assert!(compared >= 4, "only {compared} files compared");
}
