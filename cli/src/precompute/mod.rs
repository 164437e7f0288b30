//! `userphoto precompute`: every size of every photo in a directory, in parallel, resumable.
//!
//! [`run`] lists `IN_DIR`, gives each input its output directory (`OUT_DIR/<relative path
//! without extension>`), and renders the inputs on a dedicated rayon pool: `jobs` workers each
//! take the next input, read it, render it and write it, so at most `jobs` photos are in memory
//! at once however many there are. See `cli/PRECOMPUTE.md` for the behaviour in full.
//!
//! - **Incremental.** An input is skipped when the manifest of an earlier run records the same
//!   options and [`userphoto::PIPELINE_VERSION`], the same content, and its outputs are intact
//!   ([`output::intact`]). The content is taken as unchanged without reading the file when
//!   its length and modification time equal the recorded ones; otherwise the file is read and
//!   its CRC-32 and length compared. A modification time is only recorded when it is at least
//!   [`TRUSTED_AGE`] older than the run's start, so an edit that keeps the length and lands in
//!   the same clock tick as the recorded time cannot be missed.
//! - **Crash-safe.** Outputs appear whole or not at all ([`output`]); finished inputs are
//!   journaled as they finish, so a killed run resumes where it stopped.
//! - **Conflicts.** Two images that want one output directory (`a.jpg` and `a.png`; or
//!   `team.jpg` next to a folder `team/` with `--recursive`) are both rejected as `Conflict`;
//!   neither overwrites the other, and what an earlier run wrote there stays.

mod manifest;
mod output;
mod report;
mod scan;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};
use userphoto::{Format, Options};

pub use manifest::{Problem, ProblemKind, Record, RenderOptions, Source, Status, Written};
pub use report::{ProgressMode, Summary};
pub use scan::Shard;

/// How old a modification time must be, relative to the run's start, to be trusted later.
pub const TRUSTED_AGE: Duration = Duration::from_secs(2);

/// What to precompute and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory of photos.
    pub in_dir: PathBuf,
    /// Where each photo's sizes go, one directory per photo (created if missing).
    pub out_dir: PathBuf,
    /// Quality, background and limits of the renditions.
    pub options: Options,
    /// How many photos to render at once; `None` for one per core.
    pub jobs: Option<usize>,
    /// Whether to descend into subdirectories of `in_dir`.
    pub recursive: bool,
    /// Only the inputs of this shard.
    pub shard: Option<Shard>,
    /// Whether to remove output directories whose input is gone.
    pub prune: bool,
    /// How to show progress.
    pub progress: ProgressMode,
}

/// Runs a precompute: renders every input of `config.in_dir` that needs it, writes the
/// manifest and returns the summary (whose [`exit_code`](Summary::exit_code) says whether
/// some input was rejected).
///
/// # Errors
///
/// Usage and I/O errors that stop the run: `in_dir` unreadable, `out_dir` not writable
/// (including mid-run, for example a full disk: the inputs finished so far are kept in the
/// manifest), or another run of the same shard already working in `out_dir`.
pub fn run(config: &Config) -> Result<Summary> {
    let start = Instant::now();
    let started_at = SystemTime::now();
    let out_dir = &config.out_dir;
    let canonical_out = prepare_directories(config)?;
    let names = manifest::Names::new(config.shard);
    let lock = lock_shard(out_dir, &names)?;
    let groups = list_inputs(config, &canonical_out, &names)?;
    let previous = manifest::load_previous(out_dir, &names);
    let mut journal = manifest::Journal::open(out_dir, &names)?;

    let context = Job {
        out_dir,
        options: &config.options,
        render: RenderOptions::of(&config.options),
        previous: &previous,
        trust_before: started_at.checked_sub(TRUSTED_AGE),
    };
    let mut outcome = render_all(config, &context, &groups, &mut journal)?;
    if config.prune {
        prune(config, &mut outcome);
    }
    let mut summary = finish(out_dir, &names, outcome)?;
    summary.elapsed = start.elapsed();
    drop(lock);
    Ok(summary)
}

/// Checks that `in_dir` is a directory, creates `out_dir` when it is missing, and makes sure
/// the two are not the same directory. Returns `out_dir` resolved, which the listing leaves
/// out (it may lie inside `in_dir`).
fn prepare_directories(config: &Config) -> Result<PathBuf> {
    if !config.in_dir.is_dir() {
        bail!("{} is not a directory", config.in_dir.display());
    }
    let out_dir = &config.out_dir;
    fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create the output directory {}", out_dir.display()))?;
    let canonical_out = fs::canonicalize(out_dir)
        .with_context(|| format!("cannot resolve {}", out_dir.display()))?;
    let canonical_in = fs::canonicalize(&config.in_dir)
        .with_context(|| format!("cannot resolve {}", config.in_dir.display()))?;
    if canonical_in == canonical_out {
        bail!("the output directory must not be the input directory");
    }
    Ok(canonical_out)
}

/// Takes the lock of this shard in `out_dir`, or fails when another run holds it. The lock
/// holds as long as the returned file is open.
fn lock_shard(out_dir: &Path, names: &manifest::Names) -> Result<fs::File> {
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
                return Err(error).with_context(|| format!("cannot lock {}", lock_path.display()))
            }
        }
    }
    Ok(lock)
}

/// Lists this shard's inputs, grouped by output directory and sorted by it, and deletes the
/// temporary folders a killed run of this shard left next to those directories (and at the
/// top of `out_dir`). Only this shard's leftovers are touched: the lock says no other run of
/// it is working.
fn list_inputs(
    config: &Config,
    canonical_out: &Path,
    names: &manifest::Names,
) -> Result<Vec<scan::Group>> {
    let inputs = scan::list(&config.in_dir, config.recursive, Some(canonical_out))?;
    let groups = scan::group(inputs, config.shard);
    let parents: BTreeSet<String> = groups
        .iter()
        .map(|g| g.key.rsplit_once('/').map_or("", |(p, _)| p).to_owned())
        .chain([String::new()])
        .collect();
    output::clean_leftovers(
        &config.out_dir,
        &parents,
        config.shard,
        &names.temp_prefix(),
    )?;
    Ok(groups)
}

/// What the workers did: a record for each input finished (journaled as it came), their
/// counts, and the first error that stopped the run, if any.
struct Outcome {
    records: Vec<Record>,
    summary: Summary,
    fatal: Option<anyhow::Error>,
}

/// Handles every group on a pool of `config.jobs` workers, showing progress. Every finished
/// record is appended to `journal` as soon as it arrives, so a run killed at any point keeps
/// what it finished. After an error (the outputs or the journal cannot be written) no worker
/// takes a new input; what was finished is still returned, with the error.
///
/// # Errors
///
/// Only when the worker threads cannot be started.
fn render_all(
    config: &Config,
    context: &Job<'_>,
    groups: &[scan::Group],
    journal: &mut manifest::Journal,
) -> Result<Outcome> {
    let jobs = config
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("precompute-{i}"))
        .build()
        .context("cannot start the worker threads")?;
    let total: u64 = groups.iter().map(|g| g.inputs.len() as u64).sum();
    let mut progress = report::Progress::new(config.progress, total);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel::<Result<Vec<Record>>>();
    let outcome = std::thread::scope(|threads| {
        let stop = &stop;
        threads.spawn(move || work(pool, jobs, context, groups, stop, sender));
        collect(&receiver, journal, &mut progress, stop, total)
    });
    progress.finish();
    Ok(outcome)
}

/// The workers: `jobs` long-lived tasks on `pool`, each taking the next group, handling it and
/// sending the result, until the groups run out or `stop` is set (which a task does itself
/// when its group fails). Each task renders one photo at a time, so no more than `jobs` photos
/// are ever held in memory; the library's own per-size parallelism runs on the same pool.
/// Returns when every task has ended, dropping the last sender.
fn work(
    pool: rayon::ThreadPool,
    jobs: usize,
    context: &Job<'_>,
    groups: &[scan::Group],
    stop: &AtomicBool,
    sender: mpsc::Sender<Result<Vec<Record>>>,
) {
    let next = AtomicUsize::new(0);
    let next = &next;
    pool.scope(|scope| {
        for _ in 0..jobs {
            let sender = sender.clone();
            scope.spawn(move |_| {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(group) = groups.get(i) else { break };
                    let result = process_group(context, group);
                    if result.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    if sender.send(result).is_err() {
                        break;
                    }
                }
            });
        }
    });
}

/// Takes the workers' results until every worker is done: journals each record, counts it and
/// shows it. Keeps the first error; a journal that cannot be written also sets `stop`.
fn collect(
    receiver: &mpsc::Receiver<Result<Vec<Record>>>,
    journal: &mut manifest::Journal,
    progress: &mut report::Progress,
    stop: &AtomicBool,
    total: u64,
) -> Outcome {
    let mut outcome = Outcome {
        // Bounded by the files listed in IN_DIR: one record each, however they are read.
        #[allow(clippy::disallowed_methods)]
        records: Vec::with_capacity(total as usize),
        summary: Summary::default(),
        fatal: None,
    };
    let tick = progress.tick_interval();
    loop {
        match receiver.recv_timeout(tick) {
            Ok(Ok(done)) => {
                for record in &done {
                    if let Err(error) = journal.append(record) {
                        stop.store(true, Ordering::Relaxed);
                        outcome.fatal.get_or_insert(error);
                    }
                    outcome.summary.count(record);
                }
                progress.advance(done.len() as u64, &done);
                outcome.records.extend(done);
            }
            Ok(Err(error)) => {
                outcome.fatal.get_or_insert(error);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => progress.tick(),
            Err(mpsc::RecvTimeoutError::Disconnected) => return outcome,
        }
    }
}

/// `--prune`, when the run went well so far: removes the output directories of this shard that
/// no input of this run claims (a skipped input claims none), and lists them in the summary.
/// A failure to remove one becomes the run's error.
fn prune(config: &Config, outcome: &mut Outcome) {
    if outcome.fatal.is_some() {
        return;
    }
    let keep: HashSet<String> = outcome
        .records
        .iter()
        .filter(|r| r.status != Status::Skipped)
        .map(|r| r.output.clone())
        .collect();
    match output::prune(&config.out_dir, &keep, config.recursive, config.shard) {
        Ok(pruned) => outcome.summary.pruned = pruned,
        Err(error) => outcome.fatal = Some(error),
    }
}

/// Writes the manifest of a run that went well (which also removes the journal) and returns
/// its summary; after an error, returns the error and leaves the journal for the next run.
fn finish(out_dir: &Path, names: &manifest::Names, outcome: Outcome) -> Result<Summary> {
    let Outcome {
        mut records,
        mut summary,
        fatal,
    } = outcome;
    if let Some(error) = fatal {
        // What was finished is in the journal, which the next run reads.
        return Err(error.context("the run stopped; the photos finished so far are kept"));
    }
    records.sort_by(|a, b| a.path.cmp(&b.path));
    summary.manifest = manifest::write(out_dir, names, &records)?;
    Ok(summary)
}

/// What every job needs to know.
struct Job<'a> {
    out_dir: &'a Path,
    options: &'a Options,
    render: RenderOptions,
    previous: &'a HashMap<String, Record>,
    /// Modification times before this are old enough to record.
    trust_before: Option<SystemTime>,
}

/// Handles every input that wants one output directory. An `Err` is an output-side failure
/// that stops the run; everything about the inputs themselves is a record.
fn process_group(context: &Job<'_>, group: &scan::Group) -> Result<Vec<Record>> {
    if group.inputs.len() == 1 && group.clash.is_none() {
        return Ok(vec![process_one(context, &group.key, &group.inputs[0])?]);
    }
    // Several inputs share the output directory, or it cannot be used: the ones that are
    // not images are skipped as usual; images are rendered only when exactly one remains
    // and the directory is usable.
    let mut records = Vec::new();
    let mut images = Vec::new();
    for input in &group.inputs {
        match screen(context, &group.key, input) {
            Some(record) => records.push(record),
            None => images.push(input),
        }
    }
    match (images.as_slice(), &group.clash) {
        ([only], None) => records.push(process_one(context, &group.key, only)?),
        (images, _) => records.extend(conflicts(context, group, images)),
    }
    records.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(records)
}

/// Looks at the first bytes of an input that shares its output directory. `None` when they
/// are an image's; otherwise the input's record: skipped as empty or as no image format, or
/// rejected as `Unreadable`.
fn screen(context: &Job<'_>, key: &str, input: &scan::Input) -> Option<Record> {
    let (status, kind, message) = match sniff_file(&input.path) {
        Ok((Some(_), _)) => return None,
        Ok((None, 0)) => {
            let error = userphoto::Error::Empty;
            let kind = ProblemKind::Library(error.kind());
            (Status::Skipped, kind, error.to_string())
        }
        Ok((None, _)) => (
            Status::Skipped,
            ProblemKind::Library(userphoto::ErrorKind::UnknownFormat),
            "not a supported image format".to_owned(),
        ),
        Err(error) => (
            Status::Rejected,
            ProblemKind::Unreadable,
            format!("{error:#}"),
        ),
    };
    Some(record_problem(context, key, input, status, kind, message))
}

/// The images of a group that cannot all have its output directory, each rejected as a
/// `Conflict`: the message names the clash that makes the directory unusable, or else every
/// image that wants it.
fn conflicts(context: &Job<'_>, group: &scan::Group, images: &[&scan::Input]) -> Vec<Record> {
    let names: Vec<&str> = images.iter().map(|i| i.rel.as_str()).collect();
    images
        .iter()
        .map(|image| {
            let message = match &group.clash {
                Some(clash) => format!("{} cannot be written: {clash}", image.rel),
                None => format!(
                    "{} all map to the output directory {}; rename all but one",
                    names.join(", "),
                    group.key
                ),
            };
            record_problem(
                context,
                &group.key,
                image,
                Status::Rejected,
                ProblemKind::Conflict,
                message,
            )
        })
        .collect()
}

/// Reads the first bytes of a file: its format, if any, and its length.
fn sniff_file(path: &Path) -> Result<(Option<Format>, u64)> {
    let mut file =
        fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = Vec::new();
    (&mut file)
        .take(16)
        .read_to_end(&mut head)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok((Format::sniff(&head), size))
}

/// The record of an input that is not rendered: `status`, with a problem of `kind`.
fn record_problem(
    context: &Job<'_>,
    key: &str,
    input: &scan::Input,
    status: Status,
    kind: ProblemKind,
    message: String,
) -> Record {
    let size = fs::metadata(&input.path).map_or(0, |m| m.len());
    Record {
        path: input.rel.clone(),
        output: key.to_owned(),
        size,
        mtime_ns: None,
        hash: None,
        options: context.render.clone(),
        status,
        source: None,
        renditions: Vec::new(),
        error: Some(Problem { kind, message }),
    }
}

/// Whether a recorded verdict depends only on the input's bytes and the options (so it can
/// be reused while they are unchanged).
fn reusable(record: &Record, context: &Job<'_>, key: &str) -> bool {
    record.output == key
        && record.options == context.render
        && match record.status {
            Status::Ingested | Status::UpToDate => {
                output::intact(context.out_dir, key, &record.renditions)
            }
            Status::Rejected | Status::Skipped => match record.error.as_ref().map(|e| &e.kind) {
                // A verdict on the bytes (and the options) alone.
                Some(ProblemKind::Library(_)) => true,
                // A verdict on the neighbours or the filesystem, which may have changed; or a
                // kind this build does not know.
                Some(
                    ProblemKind::Conflict | ProblemKind::Unreadable | ProblemKind::Unrecognised(_),
                )
                | None => false,
            },
        }
}

/// What the file system says about an input, looked at before its bytes.
struct Stat {
    /// Its length in bytes.
    size: u64,
    /// Its modification time in nanoseconds since 1970, when the system gives one.
    mtime_ns: Option<u64>,
    /// The same, only when it is at least [`TRUSTED_AGE`] older than the run's start: the
    /// time a record may keep for later runs.
    trusted_mtime: Option<u64>,
}

impl Stat {
    /// Reads the metadata of the file at `path`; modification times before `trust_before`
    /// are trusted.
    fn of(path: &Path, trust_before: Option<SystemTime>) -> Result<Stat> {
        let meta = fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        let modified = meta.modified().ok();
        let mtime_ns = modified
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .and_then(|d| u64::try_from(d.as_nanos()).ok());
        let trusted_mtime = mtime_ns
            .filter(|_| matches!((modified, trust_before), (Some(m), Some(before)) if m < before));
        Ok(Stat {
            size: meta.len(),
            mtime_ns,
            trusted_mtime,
        })
    }

    /// Whether `record` recorded this length and modification time, so that the content can
    /// be taken as unchanged without reading it.
    fn matches(&self, record: &Record) -> bool {
        record.size == self.size && record.mtime_ns.is_some() && record.mtime_ns == self.mtime_ns
    }
}

/// The earlier verdict, carried over to this run.
fn carry_over(previous: &Record, stat: &Stat) -> Record {
    let status = match previous.status {
        Status::Ingested | Status::UpToDate => Status::UpToDate,
        other => other,
    };
    Record {
        size: stat.size,
        mtime_ns: stat.trusted_mtime,
        status,
        ..previous.clone()
    }
}

fn hash_of(bytes: &[u8]) -> String {
    format!("crc32:{:08X}", crc32fast::hash(bytes))
}

/// One input that owns its output directory. An earlier verdict is reused when the content
/// is unchanged (the same length and modification time, or else the same length and hash)
/// and the verdict is [`reusable`]; otherwise the input is rendered. An `Err` is a failure to
/// write the outputs, which stops the run.
fn process_one(context: &Job<'_>, key: &str, input: &scan::Input) -> Result<Record> {
    let unreadable = |error: anyhow::Error| {
        record_problem(
            context,
            key,
            input,
            Status::Rejected,
            ProblemKind::Unreadable,
            format!("{error:#}"),
        )
    };
    let stat = match Stat::of(&input.path, context.trust_before) {
        Ok(stat) => stat,
        Err(error) => return Ok(unreadable(error)),
    };
    let previous = context.previous.get(&input.rel);
    // Same length and modification time as recorded: the content is taken as unchanged.
    if let Some(previous) = previous.filter(|p| stat.matches(p) && reusable(p, context, key)) {
        return Ok(carry_over(previous, &stat));
    }

    let limit = context.options.limits.max_input_bytes;
    let bytes = match crate::ingest::read_limited(&input.path, limit) {
        Ok(bytes) => bytes,
        Err(error) => return Ok(unreadable(error)),
    };
    let hash = hash_of(&bytes);
    // Same content as recorded (only the modification time moved).
    let same_content = |p: &Record| p.size == stat.size && p.hash.as_deref() == Some(hash.as_str());
    if let Some(previous) = previous.filter(|p| same_content(p) && reusable(p, context, key)) {
        return Ok(carry_over(previous, &stat));
    }
    render(context, key, input, &stat, hash, bytes)
}

/// Renders an input's `bytes` (let go of as soon as the library is done with them) and, when
/// they make a photo, replaces its output directory with the renditions. The record says
/// `Ingested`; or `Skipped` or `Rejected` with the library's error (which contains any panic
/// of a decoder as `Internal`). An `Err` is a failure to write the outputs.
fn render(
    context: &Job<'_>,
    key: &str,
    input: &scan::Input,
    stat: &Stat,
    hash: String,
    bytes: Vec<u8>,
) -> Result<Record> {
    let mut record = Record {
        path: input.rel.clone(),
        output: key.to_owned(),
        size: stat.size,
        mtime_ns: stat.trusted_mtime,
        hash: Some(hash),
        options: context.render.clone(),
        status: Status::Skipped,
        source: None,
        renditions: Vec::new(),
        error: None,
    };
    let rendered = userphoto::ingest(&bytes, context.options);
    drop(bytes);
    match rendered {
        Ok(set) => {
            output::replace(context.out_dir, key, &set)?;
            let (source, renditions) = describe(&set);
            record.status = Status::Ingested;
            record.source = Some(source);
            record.renditions = renditions;
        }
        Err(error) => {
            // Bytes of no image format (or none at all) are not photos: skipped, not rejected.
            let not_an_image = matches!(
                error.kind(),
                userphoto::ErrorKind::UnknownFormat | userphoto::ErrorKind::Empty
            );
            record.status = if not_an_image {
                Status::Skipped
            } else {
                Status::Rejected
            };
            record.error = Some(Problem {
                kind: ProblemKind::Library(error.kind()),
                message: error.to_string(),
            });
        }
    }
    Ok(record)
}

/// What the manifest records of a rendered photo: the source as the library saw it, and the
/// files written, ascending.
fn describe(set: &userphoto::PhotoSet) -> (Source, Vec<Written>) {
    let source = set.source();
    let source = Source {
        format: source.format.name().to_owned(),
        width: source.width,
        height: source.height,
    };
    let renditions = set
        .iter()
        .map(|r| Written {
            size: r.size().name().to_owned(),
            bytes: r.bytes().len() as u64,
            etag: r.etag(),
        })
        .collect();
    (source, renditions)
}
