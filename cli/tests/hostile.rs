//! Every crafted bomb and every file of the corpus's `hostile/` folder, ingested by the
//! `userphoto` command in a child process capped at 1 GiB of address space and 10 s of CPU:
//! each must be rejected with a typed error (exit code 1, the error kind on stderr), or
//! ingested where that is the right answer, and stay under 256 MiB of peak resident memory.
//!
//! The corpus is read from `USERPHOTO_CORPUS` (default `../shared/corpus` next to the
//! repository); without it only the bombs run, and the test says so.

#[path = "../../tests/integration/common/bombs.rs"]
mod bombs;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Address space the child may map (RLIMIT_AS, in KiB for `ulimit -v`): far above what it
/// needs, far below what any of these files would take unchecked.
const ADDRESS_SPACE_KIB: u64 = 1 << 20;
/// CPU seconds the child may use (RLIMIT_CPU); it is killed past them.
const CPU_SECONDS: u64 = 10;
/// Peak resident memory every file must stay under.
const MAX_RSS_KIB: u64 = 256 << 10;

/// What a file must give.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Exit code 1 and one of these error kinds (any kind when empty).
    Rejected(&'static [&'static str]),
    /// Exit code 0.
    Ingested,
    /// Either: the corpus allows a tolerant decoder to read it.
    Either,
}

/// The typed kinds the command may print; `Encode` is a bug, never an answer to bad input.
const KINDS: [&str; 7] = [
    "Empty",
    "TooLarge",
    "UnknownFormat",
    "Unsupported",
    "Corrupt",
    "DimensionsTooLarge",
    "TooSmall",
];

struct Outcome {
    code: Option<i32>,
    stderr: String,
    peak_rss_kib: Option<u64>,
    cpu_seconds: Option<f64>,
}

fn run_capped(file: &Path, out: &Path) -> Outcome {
    let stats = out.with_extension("stats");
    let time = Path::new("/usr/bin/time");
    let mut command = Command::new("sh");
    command.arg("-c").arg(format!(
        "ulimit -v {ADDRESS_SPACE_KIB} && ulimit -t {CPU_SECONDS} && exec \"$@\""
    ));
    command.arg("sh");
    if time.exists() {
        command.arg(time).args(["-f", "%M %U %S", "-o"]).arg(&stats);
    }
    command
        .arg(env!("CARGO_BIN_EXE_userphoto"))
        .arg("ingest")
        .arg(file)
        .arg("--out")
        .arg(out);
    let output = command.output().expect("the command runs");
    let measured = std::fs::read_to_string(&stats).ok();
    let fields: Vec<&str> = measured
        .as_deref()
        .and_then(|text| text.lines().last())
        .map(|line| line.split_whitespace().collect())
        .unwrap_or_default();
    let number = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    Outcome {
        // /usr/bin/time passes the child's exit code on, and reports a signal as 128 + n
        // with "Command terminated by signal" on its output.
        code: output.status.code().filter(|_| {
            !measured
                .as_deref()
                .is_some_and(|t| t.contains("terminated by signal"))
        }),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        peak_rss_kib: number(0).map(|k| k as u64),
        cpu_seconds: number(1).zip(number(2)).map(|(u, s)| u + s),
    }
}

/// A folder of this test's own (tests run in parallel and each removes its folder).
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("userphoto-hostile-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Checks one file; returns a problem, if any, and prints what it measured.
fn check(name: &str, file: &Path, expect: Expect, work: &Path) -> Option<String> {
    let out = work.join(format!("{name}.out"));
    let outcome = run_capped(file, &out);
    let kind = KINDS
        .into_iter()
        .find(|kind| outcome.stderr.contains(&format!(": {kind}: ")));
    println!(
        "{name:<60} exit {:<4} {:<18} peak RSS {:>7} KiB  CPU {:.2} s",
        outcome.code.map_or("sig".to_owned(), |c| c.to_string()),
        kind.unwrap_or("-"),
        outcome
            .peak_rss_kib
            .map_or("?".to_owned(), |k| k.to_string()),
        outcome.cpu_seconds.unwrap_or(f64::NAN),
    );
    if let Some(rss) = outcome.peak_rss_kib.filter(|&rss| rss > MAX_RSS_KIB) {
        return Some(format!("{name}: peak RSS {rss} KiB over {MAX_RSS_KIB} KiB"));
    }
    let rejected_as = |kinds: &[&str]| {
        outcome.code == Some(1) && kind.is_some_and(|k| kinds.is_empty() || kinds.contains(&k))
    };
    let ok = match expect {
        Expect::Rejected(kinds) => rejected_as(kinds),
        Expect::Ingested => outcome.code == Some(0),
        Expect::Either => outcome.code == Some(0) || rejected_as(&[]),
    };
    (!ok).then(|| {
        format!(
            "{name}: expected {expect:?}, got exit {:?}: {}",
            outcome.code,
            outcome.stderr.trim()
        )
    })
}

#[test]
fn bombs_are_rejected_in_a_capped_child() {
    let work = scratch("bombs");
    let mut problems = Vec::new();
    for bomb in bombs::all() {
        let file = work.join(bomb.name);
        std::fs::write(&file, &bomb.bytes).unwrap();
        let expect = match bomb.expect {
            bombs::Expect::Rejected(kind) => Expect::Rejected(match kind {
                "DimensionsTooLarge" => &["DimensionsTooLarge"],
                "Unsupported" => &["Unsupported"],
                "Corrupt" => &["Corrupt"],
                other => panic!("no mapping for {other}"),
            }),
            bombs::Expect::Ingested { .. } => Expect::Ingested,
        };
        problems.extend(check(bomb.name, &file, expect, &work));
    }
    let _ = std::fs::remove_dir_all(&work);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What the corpus's MANIFEST.tsv note says a hostile file must give: "must ingest" is a
/// success; notes that allow a tolerant decode (or that the file decodes) accept either;
/// everything else must be a typed rejection.
fn expectation(note: &str) -> Expect {
    let note = note.to_lowercase();
    if note.contains("must ingest") && !note.contains("must ingest or") {
        return Expect::Ingested;
    }
    let tolerant = [
        "or tolerate",
        "tolerant",
        "should ingest",
        "must ingest or",
        "ignore icc",
        "partial decode",
        "decodes to noise",
    ];
    if tolerant.iter().any(|t| note.contains(t)) {
        Expect::Either
    } else {
        Expect::Rejected(&[])
    }
}

#[test]
fn hostile_corpus_files_are_rejected_in_a_capped_child() {
    let corpus = std::env::var_os("USERPHOTO_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
        PathBuf::from,
    );
    let Ok(manifest) = std::fs::read_to_string(corpus.join("MANIFEST.tsv")) else {
        // Straight to stderr, which the test harness does not capture.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: no corpus at {} (set USERPHOTO_CORPUS)",
            corpus.display()
        );
        return;
    };
    let work = scratch("corpus");
    let mut problems = Vec::new();
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(note)) = (fields.first(), fields.get(6)) else {
            continue;
        };
        if !path.starts_with("hostile/") {
            continue;
        }
        let name = path.trim_start_matches("hostile/");
        problems.extend(check(name, &corpus.join(path), expectation(note), &work));
        checked += 1;
    }
    let _ = std::fs::remove_dir_all(&work);
    assert!(checked > 0, "MANIFEST.tsv lists no hostile/ file");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn manifest_notes_map_to_expectations() {
    assert_eq!(
        expectation("EXIF hex-edited ... -> must ingest; mode RGB"),
        Expect::Ingested
    );
    assert_eq!(
        expectation("-> must ingest or fail cleanly, never hang"),
        Expect::Either
    );
    assert_eq!(
        expectation("IDAT CRC wrong -> Corrupt or tolerate"),
        Expect::Either
    );
    assert_eq!(
        expectation("zero-byte file -> Empty"),
        Expect::Rejected(&[])
    );
}
