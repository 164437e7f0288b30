//! `userphoto precompute`, run as the real binary on directories the tests generate.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use serde_json::Value;

mod common;
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_userphoto");

fn precompute(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut command = Command::new(BIN);
    command.arg("precompute");
    for arg in args {
        command.arg(arg);
    }
    command
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn manifest(out: &Path, name: &str) -> BTreeMap<String, Value> {
    manifest_records(&fs::read(out.join(name)).expect("the manifest exists"))
}

/// Checks every visible output directory under `out` with [`check_folder`]. Returns the
/// directories with a `photos.json`, relative to `out`.
fn check_outputs(out: &Path) -> BTreeSet<String> {
    let mut sets = BTreeSet::new();
    let mut pending = vec![out.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut jpgs = BTreeMap::new();
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else if name.ends_with(".jpg") {
                jpgs.insert(name, fs::read(entry.path()).unwrap());
            }
        }
        let json = fs::read(dir.join("photos.json")).ok();
        if check_folder(&dir.display().to_string(), json.as_deref(), &jpgs, false) {
            let rel = dir
                .strip_prefix(out)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            sets.insert(rel);
        }
    }
    sets
}

/// Modification times of every visible output file (the manifest, rewritten by each run,
/// excepted).
fn mtimes(out: &Path) -> BTreeMap<PathBuf, SystemTime> {
    let mut times = BTreeMap::new();
    let mut pending = vec![out.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.starts_with("manifest") {
                continue;
            }
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                pending.push(entry.path());
            }
            times.insert(entry.path(), meta.modified().unwrap());
        }
    }
    times
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("USERPHOTO_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    dir.is_dir().then_some(dir)
}

#[test]
fn a_mixed_directory_renders_the_good_and_names_the_bad() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: &[u8]| fs::write(input.path().join(name), bytes).unwrap();
    put("alice@contoso.com.jpg", &jpeg(800, 600, 1));
    put("bob.png", &png(300, 300, 2));
    put("notes.txt", b"Remember to send the photos by Friday.\n");
    put("tiny.png", &png(30, 30, 3));
    let whole = jpeg(640, 480, 4);
    put("truncated.jpg", &whole[..whole.len() / 3]);
    put("empty.jpg", b"");
    put("dup.jpg", &jpeg(100, 100, 5));
    put("dup.png", &png(100, 100, 6));
    put("dup.txt", b"a note next to the duplicates");
    let mut hostile = Vec::new();
    match corpus() {
        Some(corpus) => {
            for name in [
                "jpeg_missing_sos_8x8.jpg",
                "png_bad_ihdr_crc.png",
                "bomb_png_65536x65536_1bit_palette_valid.png",
                "gif_truncated_575x800.gif",
            ] {
                let from = corpus.join("hostile").join(name);
                if from.exists() {
                    fs::copy(&from, input.path().join(name)).unwrap();
                    hostile.push(name.to_owned());
                }
            }
        }
        None => eprintln!("corpus absent (USERPHOTO_CORPUS): generated broken files only"),
    }

    let run = precompute(&[&input.path(), &out.path(), &"--quiet"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");

    let records = manifest(out.path(), "manifest.jsonl");
    assert_eq!(records.len(), 9 + hostile.len(), "one line per input");
    assert_eq!(status(&records["alice@contoso.com.jpg"]), "ingested");
    assert_eq!(status(&records["bob.png"]), "ingested");
    let alice = &records["alice@contoso.com.jpg"];
    assert_eq!(alice["output"], "alice@contoso.com");
    assert_eq!(alice["renditions"].as_array().unwrap().len(), 8, "48 … 504");
    assert!(alice["hash"].as_str().unwrap().starts_with("crc32:"));
    assert_eq!(alice["options"]["quality"], 85);
    assert_eq!(status(&records["notes.txt"]), "skipped");
    assert_eq!(kind(&records["notes.txt"]), "UnknownFormat");
    assert_eq!(status(&records["empty.jpg"]), "skipped");
    assert_eq!(kind(&records["empty.jpg"]), "Empty");
    assert_eq!(status(&records["tiny.png"]), "rejected");
    assert_eq!(kind(&records["tiny.png"]), "TooSmall");
    assert_eq!(status(&records["truncated.jpg"]), "rejected");
    assert_eq!(kind(&records["truncated.jpg"]), "Corrupt");
    for dup in ["dup.jpg", "dup.png"] {
        assert_eq!(status(&records[dup]), "rejected", "{dup}");
        assert_eq!(kind(&records[dup]), "Conflict", "{dup}");
        assert!(records[dup]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("dup.jpg, dup.png"));
    }
    assert_eq!(status(&records["dup.txt"]), "skipped");
    for name in &hostile {
        let record = &records[name.as_str()];
        assert_eq!(status(record), "rejected", "{name}");
        assert!(!kind(record).is_empty(), "{name}");
        assert!(!record["error"]["message"].as_str().unwrap().is_empty());
    }

    let sets = check_outputs(out.path());
    let expected: BTreeSet<String> = ["alice@contoso.com", "bob"].map(String::from).into();
    assert_eq!(sets, expected, "outputs only for the valid photos");
    assert_eq!(summary_count(&stdout, "ingested"), Some(2), "{stdout}");
    let too_small = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("TooSmall"));
    assert!(
        too_small.is_some_and(|l| l.contains("tiny.png")),
        "{stdout}"
    );
    assert_eq!(
        summary_count(&stdout, "rejected"),
        Some(4 + hostile.len() as u64)
    );
    assert_eq!(summary_count(&stdout, "Conflict"), Some(2), "{stdout}");
    assert_eq!(summary_count(&stdout, "UnknownFormat"), Some(2), "{stdout}");
    assert!(
        run.stderr.is_empty(),
        "--quiet: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn a_remembered_rejection_is_reused_unless_its_kind_is_unrecognised() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let truncated = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
    fs::write(input.path().join("known.jpg"), truncated).unwrap();
    fs::write(input.path().join("unknown.jpg"), truncated).unwrap();
    let first = precompute(&[&input.path(), &out.path(), &"--quiet"]);
    assert_eq!(first.status.code(), Some(1));
    let records = manifest(out.path(), "manifest.jsonl");
    assert_eq!(kind(&records["known.jpg"]), "Corrupt");
    assert_eq!(kind(&records["unknown.jpg"]), "Corrupt");

    // As if another build had written the manifest: a message of its own for a known kind,
    // and a kind this build has never heard of.
    let edited: String = records
        .values()
        .map(|record| {
            let mut record = record.clone();
            if record["path"] == "known.jpg" {
                record["error"]["message"] = "as recorded".into();
            } else {
                record["error"]["kind"] = "FromANewerBuild".into();
            }
            format!("{record}\n")
        })
        .collect();
    fs::write(out.path().join("manifest.jsonl"), edited).unwrap();

    let second = precompute(&[&input.path(), &out.path(), &"--quiet"]);
    assert_eq!(second.status.code(), Some(1));
    let records = manifest(out.path(), "manifest.jsonl");
    assert_eq!(status(&records["known.jpg"]), "rejected");
    assert_eq!(kind(&records["known.jpg"]), "Corrupt");
    assert_eq!(
        records["known.jpg"]["error"]["message"], "as recorded",
        "carried over"
    );
    assert_eq!(status(&records["unknown.jpg"]), "rejected");
    assert_eq!(kind(&records["unknown.jpg"]), "Corrupt", "judged again");
}

#[test]
fn a_rerun_rewrites_nothing_and_a_change_redoes_only_that_photo() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    for i in 0..4 {
        fs::write(input.path().join(format!("p{i}.jpg")), jpeg(700, 500, i)).unwrap();
    }
    // One input old enough that its modification time is trusted on the rerun.
    let old = fs::File::options()
        .write(true)
        .open(input.path().join("p0.jpg"))
        .unwrap();
    old.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    drop(old);

    let first = precompute(&[&input.path(), &out.path()]);
    assert_eq!(first.status.code(), Some(0));
    let before = mtimes(out.path());
    let before_manifest = manifest(out.path(), "manifest.jsonl");
    assert!(before_manifest["p0.jpg"]["mtime_ns"].is_u64());
    assert!(
        before_manifest["p1.jpg"]["mtime_ns"].is_null(),
        "too recent to trust"
    );
    std::thread::sleep(Duration::from_millis(50));

    let second = precompute(&[&input.path(), &out.path()]);
    assert_eq!(second.status.code(), Some(0));
    let records = manifest(out.path(), "manifest.jsonl");
    assert!(
        records.values().all(|r| status(r) == "up_to_date"),
        "{records:?}"
    );
    assert_eq!(mtimes(out.path()), before, "no output was rewritten");
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert_eq!(
        summary_count(&stdout, "already up to date"),
        Some(4),
        "{stdout}"
    );
    assert_eq!(summary_count(&stdout, "ingested"), Some(0), "{stdout}");

    fs::write(input.path().join("p2.jpg"), jpeg(900, 900, 42)).unwrap();
    let third = precompute(&[&input.path(), &out.path()]);
    assert_eq!(third.status.code(), Some(0));
    let records = manifest(out.path(), "manifest.jsonl");
    for (path, record) in &records {
        let expected = if path == "p2.jpg" {
            "ingested"
        } else {
            "up_to_date"
        };
        assert_eq!(status(record), expected, "{path}");
    }
    assert_eq!(records["p2.jpg"]["renditions"].as_array().unwrap().len(), 9);
    let after = mtimes(out.path());
    for (path, time) in &before {
        let redone = path.starts_with(out.path().join("p2"));
        if !redone {
            assert_eq!(after.get(path), Some(time), "{} rewritten", path.display());
        }
    }
    check_outputs(out.path());

    // Another quality renders everything again.
    let fourth = precompute(&[&input.path(), &out.path(), &"--quality", &"70"]);
    assert_eq!(fourth.status.code(), Some(0));
    let records = manifest(out.path(), "manifest.jsonl");
    assert!(records.values().all(|r| status(r) == "ingested"));
}

#[test]
fn a_killed_run_leaves_only_complete_outputs_and_the_next_run_finishes() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    const PHOTOS: u32 = 48;
    std::thread::scope(|scope| {
        for part in 0..2 {
            let dir = input.path();
            scope.spawn(move || {
                for i in (part..PHOTOS).step_by(2) {
                    fs::write(dir.join(format!("user{i:02}.png")), png(1900, 1400, i)).unwrap();
                }
            });
        }
    });

    let mut kills = 0;
    for _round in 0..3 {
        let done_before = check_outputs(out.path()).len();
        let mut command = Command::new(BIN);
        command
            .arg("precompute")
            .arg(input.path())
            .arg(out.path())
            .args(["--jobs", "1", "--quiet"]);
        let killed = kill_part_way(&mut command, done_before + 2, || {
            fs::read_dir(out.path())
                .unwrap()
                .filter(|e| {
                    let e = e.as_ref().unwrap();
                    !e.file_name().to_string_lossy().starts_with('.')
                        && e.path().join("photos.json").exists()
                })
                .count()
        });
        kills += usize::from(killed);
        // Whatever the moment of the kill, what is visible is whole and consistent.
        check_outputs(out.path());
    }
    eprintln!("killed {kills} of 3 runs part way");

    let last = precompute(&[&input.path(), &out.path(), &"--quiet"]);
    assert_eq!(last.status.code(), Some(0));
    let sets = check_outputs(out.path());
    assert_eq!(sets.len(), PHOTOS as usize);
    let records = manifest(out.path(), "manifest.jsonl");
    assert_eq!(records.len(), PHOTOS as usize);
    let leftovers: Vec<String> = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".tmp-") || name.starts_with(".old-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!out.path().join(".manifest.jsonl.journal").exists());
}

/// From disk to disk the workers run on the render pool: with more `--io` than `--jobs`, and
/// with fewer, every photo is still rendered once and the run ends.
#[test]
fn any_io_and_jobs_on_disk_render_every_photo_once() {
    let input = tempfile::tempdir().unwrap();
    const PHOTOS: u32 = 6;
    for i in 0..PHOTOS {
        fs::write(input.path().join(format!("user{i}.png")), png(300, 200, i)).unwrap();
    }
    for (jobs, io) in [("1", "4"), ("2", "1"), ("3", "3")] {
        let out = tempfile::tempdir().unwrap();
        let run = precompute(&[
            &input.path(),
            &out.path(),
            &"--jobs",
            &jobs,
            &"--io",
            &io,
            &"--quiet",
        ]);
        assert_eq!(run.status.code(), Some(0), "--jobs {jobs} --io {io}");
        assert_eq!(check_outputs(out.path()).len(), PHOTOS as usize);
        let records = manifest(out.path(), "manifest.jsonl");
        assert_eq!(records.len(), PHOTOS as usize, "--jobs {jobs} --io {io}");
        assert!(records.values().all(|r| r["status"] == "ingested"));
    }
}

#[test]
fn shards_together_take_every_input_exactly_once() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let sample = png(64, 64, 9);
    fs::create_dir(input.path().join("team")).unwrap();
    let mut all = BTreeSet::new();
    for i in 0..20 {
        let rel = if i % 4 == 0 {
            format!("team/member{i}.png")
        } else {
            format!("user{i}@contoso.com.png")
        };
        fs::write(input.path().join(&rel), &sample).unwrap();
        all.insert(rel);
    }
    let mut seen = BTreeMap::<String, u32>::new();
    for index in 1..=3 {
        let shard = format!("{index}/3");
        let run = precompute(&[
            &input.path(),
            &out.path(),
            &"--recursive",
            &"--shard",
            &shard,
        ]);
        assert_eq!(run.status.code(), Some(0));
        let records = manifest(out.path(), &format!("manifest-{index}-of-3.jsonl"));
        for path in records.keys() {
            *seen.entry(path.clone()).or_default() += 1;
        }
    }
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), all);
    assert!(seen.values().all(|&n| n == 1), "{seen:?}");
    assert_eq!(check_outputs(out.path()).len(), all.len());
    assert!(out.path().join("team/member0/48x48.jpg").is_file());

    for bad in ["0/3", "4/3", "1/0", "x"] {
        let run = precompute(&[&input.path(), &out.path(), &"--shard", &bad]);
        assert_eq!(run.status.code(), Some(2), "--shard {bad}");
    }
}

#[test]
fn progress_lines_without_a_terminal_and_only_the_summary_when_quiet() {
    let input = tempfile::tempdir().unwrap();
    for i in 0..3 {
        fs::write(input.path().join(format!("p{i}.png")), png(120, 120, i)).unwrap();
    }
    fs::write(input.path().join("bad.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).unwrap();

    let out = tempfile::tempdir().unwrap();
    let run = precompute(&[&input.path(), &out.path()]);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("precompute: 4 inputs"), "{stderr}");
    assert!(stderr.contains("precompute: 4/4 (100%)"), "{stderr}");
    assert!(stderr.contains("photos/s"), "{stderr}");
    assert!(stderr.contains("rejected bad.jpg: Corrupt"), "{stderr}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.starts_with("precompute: 4 photos in"), "{stdout}");

    let out = tempfile::tempdir().unwrap();
    let quiet = precompute(&[&input.path(), &out.path(), &"--quiet"]);
    assert_eq!(quiet.status.code(), Some(1));
    assert!(quiet.stderr.is_empty());
    let stdout = String::from_utf8_lossy(&quiet.stdout);
    assert!(stdout.starts_with("precompute: 4 photos in"), "{stdout}");
    assert_eq!(summary_count(&stdout, "ingested"), Some(3), "{stdout}");
    assert_eq!(summary_count(&stdout, "rejected"), Some(1), "{stdout}");
    let corrupt = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("Corrupt"));
    assert!(corrupt.is_some_and(|l| l.ends_with("bad.jpg")), "{stdout}");
}

#[test]
fn an_unwritable_output_directory_is_exit_code_2() {
    let input = tempfile::tempdir().unwrap();
    fs::write(input.path().join("p.png"), png(64, 64, 1)).unwrap();
    // A path under a regular file cannot be created, even by root.
    let blocker = tempfile::NamedTempFile::new().unwrap();
    let run = precompute(&[&input.path(), &blocker.path().join("out")]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.starts_with("error: cannot create the output directory"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));

    let missing = precompute(&[&input.path().join("nope"), &input.path().join("out")]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("is not a directory"));
}

#[test]
fn recursive_outputs_mirror_folders_and_prune_removes_what_is_gone() {
    let input = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    fs::create_dir_all(input.path().join("sub/deeper")).unwrap();
    fs::write(input.path().join("x.png"), png(64, 64, 1)).unwrap();
    fs::write(input.path().join("sub/x.png"), png(64, 64, 2)).unwrap();
    fs::write(input.path().join("sub/deeper/y.png"), png(64, 64, 3)).unwrap();
    fs::write(input.path().join("gone.png"), png(64, 64, 4)).unwrap();

    let flat = precompute(&[&input.path(), &out.path(), &"--quiet"]);
    assert_eq!(flat.status.code(), Some(0));
    assert_eq!(
        manifest(out.path(), "manifest.jsonl").len(),
        2,
        "no subfolders"
    );

    let deep = precompute(&[&input.path(), &out.path(), &"--recursive", &"--quiet"]);
    assert_eq!(deep.status.code(), Some(0));
    let expected: BTreeSet<String> = ["gone", "sub/deeper/y", "sub/x", "x"]
        .map(String::from)
        .into();
    assert_eq!(check_outputs(out.path()), expected);

    fs::remove_file(input.path().join("gone.png")).unwrap();
    fs::remove_file(input.path().join("sub/deeper/y.png")).unwrap();
    let kept = precompute(&[&input.path(), &out.path(), &"--recursive", &"--quiet"]);
    assert_eq!(kept.status.code(), Some(0));
    assert!(
        out.path().join("gone/photos.json").exists(),
        "kept without --prune"
    );

    let pruned = precompute(&[
        &input.path(),
        &out.path(),
        &"--recursive",
        &"--prune",
        &"--quiet",
    ]);
    assert_eq!(pruned.status.code(), Some(0));
    let expected: BTreeSet<String> = ["sub/x", "x"].map(String::from).into();
    assert_eq!(check_outputs(out.path()), expected);
    let stdout = String::from_utf8_lossy(&pruned.stdout);
    assert_eq!(summary_count(&stdout, "pruned"), Some(2), "{stdout}");
}
