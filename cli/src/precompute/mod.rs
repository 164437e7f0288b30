//! `userphoto precompute`: every size of every photo in a directory or object store, in
//! parallel, resumable.
//!
//! [`run`] lists `IN` (a directory, or an object store: [`Location`]) as a stream, gives each
//! input its output folder (`OUT/<relative path without extension>`), and hands the inputs to
//! `io` worker threads that each read one, render it and write it. Rendering runs on a rayon
//! pool of `jobs` threads, so while some workers wait on reads and writes, the others keep
//! every core busy; at most `io` photos are in memory at once however many there are. On disk
//! `io` is `jobs`, and the workers are the pool's own threads: nothing there waits long, and a
//! photo is read, rendered and written by one thread, with no hand-over between threads and
//! its bytes in that core's cache. The storage is behind the [`tree`] traits ([`disk`],
//! [`bucket`]), so the rules below are written once. See `cli/PRECOMPUTE.md` for the
//! behaviour in full.
//!
//! - **Incremental.** An input is skipped when the manifest of an earlier run records the same
//!   options and [`userphoto::PIPELINE_VERSION`], the same content, and its outputs are intact
//!   ([`tree::intact`]). The content is taken as unchanged without reading the file when
//!   its length and modification time (on disk) or ETag (in an object store) equal the
//!   recorded ones; otherwise the file is read and its CRC-32 and length compared. A modification time is only recorded when it is at least
//!   [`TRUSTED_AGE`] older than the run's start, so an edit that keeps the length and lands in
//!   the same clock tick as the recorded time cannot be missed.
//! - **Crash-safe.** Outputs appear whole or not at all ([`output`] on disk; `photos.json`
//!   written last in an object store, [`bucket`]); finished inputs are journaled as they
//!   finish, so a killed run resumes where it stopped.
//! - **Conflicts.** Two images that want one output directory (`a.jpg` and `a.png`; or
//!   `team.jpg` next to a folder `team/` with `--recursive`) are both rejected as `Conflict`;
//!   neither overwrites the other, and what an earlier run wrote there stays.

mod bucket;
mod disk;
mod manifest;
mod output;
mod report;
mod scan;
mod tree;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use userphoto::{Format, Options};

pub use manifest::{Problem, ProblemKind, Record, RenderOptions, Source, Status, Written};
pub use report::{ProgressMode, Summary};
pub use scan::Shard;
pub use tree::Location;

/// How old a modification time must be, relative to the run's start, to be trusted later.
pub const TRUSTED_AGE: Duration = Duration::from_secs(2);

/// How many photos are read and written at once when one side is an object store, unless
/// [`Config::io`] says otherwise.
pub const DEFAULT_REMOTE_IO: usize = 16;

/// What to precompute and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// The photos: a directory or an object store.
    pub input: Location,
    /// Where each photo's sizes go, one folder per photo (a directory is created if missing).
    pub output: Location,
    /// Quality, background and limits of the renditions.
    pub options: Options,
    /// How many photos to render at once; `None` for one per core.
    pub jobs: Option<usize>,
    /// How many photos to read and write at once; `None` for `jobs` on disk and
    /// [`DEFAULT_REMOTE_IO`] (at least `jobs`) when a side is an object store.
    pub io: Option<usize>,
    /// Whether to descend into subdirectories of `input`.
    pub recursive: bool,
    /// Only the inputs of this shard.
    pub shard: Option<Shard>,
    /// Whether to remove output directories whose input is gone.
    pub prune: bool,
    /// How to show progress.
    pub progress: ProgressMode,
}

/// Runs a precompute: renders every input of `config.input` that needs it, writes the
/// manifest and returns the summary (whose [`exit_code`](Summary::exit_code) says whether
/// some input was rejected).
///
/// # Errors
///
/// Usage and I/O errors that stop the run: `input` unreadable, `output` not writable
/// (including mid-run, for example a full disk: the inputs finished so far are kept in the
/// manifest's journal), or another run of the same shard already working in `output`.
pub fn run(config: &Config) -> Result<Summary> {
    let start = Instant::now();
    let started_at = SystemTime::now();
    let opened = tree::open(&config.input, &config.output)?;
    let out = &*opened.outputs;
    let names = manifest::Names::new(config.shard);
    let lock = out.lock(&names)?;
    let previous = manifest::load_previous(out, &names);
    let mut journal = out.journal(&names)?;

    let jobs = config
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let io = match config.io {
        Some(io) => io,
        None if opened.remote => DEFAULT_REMOTE_IO.max(jobs),
        None => jobs,
    }
    .max(1);
    let cpu = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("precompute-{i}"))
        .build()
        .context("cannot start the worker threads")?;
    let context = Job {
        inputs: &*opened.inputs,
        out,
        cpu: &cpu,
        options: &config.options,
        render: RenderOptions::of(&config.options),
        previous: &previous,
        trust_before: started_at.checked_sub(TRUSTED_AGE),
    };
    let workers = if opened.remote {
        Workers::Waiting(io)
    } else {
        Workers::OnThePool(io)
    };
    let (mut outcome, parents) = render_all(config, &context, workers, &mut *journal);
    drop(journal);
    // What killed runs of this shard left (hidden, so harmless until now) goes once this
    // run's own outputs are in place: the lock says no other run of the shard is working.
    if let Err(error) = out.clean_leftovers(&parents, config.shard, &names.temp_prefix()) {
        outcome.fatal.get_or_insert(error);
    }
    if config.prune {
        prune(config, out, &mut outcome);
    }
    let mut summary = finish(out, &names, outcome)?;
    summary.elapsed = start.elapsed();
    drop(lock);
    drop(opened);
    Ok(summary)
}

/// What the workers did: a record for each input finished (journaled as it came), their
/// counts, and the first error that stopped the run, if any.
struct Outcome {
    records: Vec<Record>,
    summary: Summary,
    fatal: Option<anyhow::Error>,
}

/// What the lister and the workers tell the collector.
enum Event {
    /// The listing found a group of this many inputs.
    Listed(u64),
    /// The listing is complete.
    Listing(Result<()>),
    /// A worker finished a group (or failed to write its outputs).
    Done(Result<Vec<Record>>),
}

/// Lists the inputs and handles every group of this shard, showing progress: one thread
/// streams the listing into groups, `io` worker threads each take the next group, read it,
/// render it (on the `jobs` threads of `context.cpu`) and write it. Every finished record is
/// appended to `journal` as soon as it arrives, so a run killed at any point keeps what it
/// finished. After an error (the listing fails, the outputs or the journal cannot be
/// written) no worker takes a new input; what was finished is still returned, with the
/// error. Also returns the parent folders of the outputs listed (`""` for the top).
fn render_all(
    config: &Config,
    context: &Job<'_>,
    workers: Workers,
    journal: &mut dyn tree::Journal,
) -> (Outcome, BTreeSet<String>) {
    let mut progress = report::Progress::new(config.progress);
    let stop = AtomicBool::new(false);
    let (events, received) = mpsc::channel::<Event>();
    let io = match workers {
        Workers::Waiting(io) => io,
        // One more than the pool's threads would be run by a thread waiting inside a photo,
        // holding that photo until the queue ran dry.
        Workers::OnThePool(io) => io.min(context.cpu.current_num_threads()),
    };
    // A few groups ready per worker, so that the listing stays ahead without being held.
    let (groups, queue) = mpsc::sync_channel::<scan::Group>(io * 2);
    let queue = Mutex::new(queue);
    let mut parents = BTreeSet::from([String::new()]);
    let outcome = std::thread::scope(|threads| {
        let stop = &stop;
        let lister_events = events.clone();
        let parents = &mut parents;
        threads.spawn(move || {
            let listed = list(
                config,
                context.inputs,
                stop,
                &groups,
                &lister_events,
                parents,
            );
            let _ = lister_events.send(Event::Listing(listed));
        });
        let queue = &queue;
        match workers {
            Workers::OnThePool(_) => {
                let events = events.clone();
                threads.spawn(move || {
                    context.cpu.scope(|pool| {
                        for _ in 0..io {
                            let events = events.clone();
                            pool.spawn(move |_| work(context, queue, stop, &events));
                        }
                    });
                });
            }
            Workers::Waiting(_) => {
                for _ in 0..io {
                    let events = events.clone();
                    threads.spawn(move || work(context, queue, stop, &events));
                }
            }
        }
        drop(events);
        collect(&received, journal, &mut progress, stop)
    });
    progress.finish();
    (outcome, parents)
}

/// The lister: streams the listing of `inputs` through a [`scan::Grouper`] into `groups`,
/// telling the collector how many inputs each holds, and noting their parent folders.
fn list(
    config: &Config,
    inputs: &dyn tree::Inputs,
    stop: &AtomicBool,
    groups: &mpsc::SyncSender<scan::Group>,
    events: &mpsc::Sender<Event>,
    parents: &mut BTreeSet<String>,
) -> Result<()> {
    let mut grouper = scan::Grouper::new(config.shard);
    let mut hand_on = |group: scan::Group| -> Result<()> {
        if stop.load(Ordering::Relaxed) {
            anyhow::bail!("stopped");
        }
        let parent = group.key.rsplit_once('/').map_or("", |(p, _)| p);
        if !parents.contains(parent) {
            parents.insert(parent.to_owned());
        }
        let _ = events.send(Event::Listed(group.inputs.len() as u64));
        groups.send(group).context("the workers stopped")
    };
    let listed = inputs
        .list(config.recursive, &mut |input| {
            grouper.push(input, &mut hand_on)
        })
        .and_then(|()| grouper.finish(&mut hand_on));
    if stop.load(Ordering::Relaxed) {
        // The run stopped for an error the collector already has.
        return Ok(());
    }
    listed
}

/// A worker: takes the next group, handles it and sends the result, until the groups run
/// out. Once `stop` is set (which a worker does itself when its group fails) the groups
/// still queued are taken and dropped, so the lister never waits on a full queue.
fn work(
    context: &Job<'_>,
    queue: &Mutex<mpsc::Receiver<scan::Group>>,
    stop: &AtomicBool,
    events: &mpsc::Sender<Event>,
) {
    loop {
        let next = queue.lock().map(|queue| queue.recv());
        let Ok(Ok(group)) = next else { return };
        if stop.load(Ordering::Relaxed) {
            continue;
        }
        let result = process_group(context, &group);
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        if events.send(Event::Done(result)).is_err() {
            return;
        }
    }
}

/// Takes the lister's and the workers' events until all are done: journals each record,
/// counts it and shows it. Keeps the first error; one sets `stop`.
fn collect(
    received: &mpsc::Receiver<Event>,
    journal: &mut dyn tree::Journal,
    progress: &mut report::Progress,
    stop: &AtomicBool,
) -> Outcome {
    let mut outcome = Outcome {
        records: Vec::new(),
        summary: Summary::default(),
        fatal: None,
    };
    let fail = |outcome: &mut Outcome, error: anyhow::Error| {
        stop.store(true, Ordering::Relaxed);
        outcome.fatal.get_or_insert(error);
    };
    let tick = progress.tick_interval();
    loop {
        match received.recv_timeout(tick) {
            Ok(Event::Listed(n)) => progress.listed(n),
            Ok(Event::Listing(Ok(()))) => progress.listing_done(),
            Ok(Event::Listing(Err(error))) => {
                // A listing that ends because the run stopped says nothing new.
                if outcome.fatal.is_none() {
                    fail(&mut outcome, error);
                }
            }
            Ok(Event::Done(Ok(done))) => {
                for record in &done {
                    if let Err(error) = journal.append(record) {
                        fail(&mut outcome, error);
                    }
                    outcome.summary.count(record);
                }
                progress.advance(done.len() as u64, &done);
                outcome.records.extend(done);
            }
            Ok(Event::Done(Err(error))) => fail(&mut outcome, error),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(error) = journal.flush() {
                    fail(&mut outcome, error);
                }
                progress.tick();
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if let Err(error) = journal.flush() {
                    outcome.fatal.get_or_insert(error);
                }
                return outcome;
            }
        }
    }
}

/// `--prune`, when the run went well so far: removes the output folders of this shard that
/// no input of this run claims (a skipped input claims none), and lists them in the summary.
/// A failure to remove one becomes the run's error.
fn prune(config: &Config, out: &dyn tree::Outputs, outcome: &mut Outcome) {
    if outcome.fatal.is_some() {
        return;
    }
    let keep: HashSet<String> = outcome
        .records
        .iter()
        .filter(|r| r.status != Status::Skipped)
        .map(|r| r.output.clone())
        .collect();
    match tree::prune(out, &keep, config.recursive, config.shard) {
        Ok(pruned) => outcome.summary.pruned = pruned,
        Err(error) => outcome.fatal = Some(error),
    }
}

/// Writes the manifest of a run that went well (which also removes the journal) and returns
/// its summary; after an error, returns the error and leaves the journal for the next run.
fn finish(out: &dyn tree::Outputs, names: &manifest::Names, outcome: Outcome) -> Result<Summary> {
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
    summary.manifest = out.write_manifest(names, manifest::text(&records))?;
    Ok(summary)
}

/// What every job needs to know.
struct Job<'a> {
    inputs: &'a dyn tree::Inputs,
    out: &'a dyn tree::Outputs,
    /// The pool the renders run on.
    cpu: &'a rayon::ThreadPool,
    options: &'a Options,
    render: RenderOptions,
    previous: &'a HashMap<String, Record>,
    /// Modification times before this are old enough to record.
    trust_before: Option<SystemTime>,
}

/// Where the workers that take the inputs run, and how many there are.
#[derive(Clone, Copy)]
enum Workers {
    /// Threads of their own, beside the pool, which mostly wait on an object store.
    Waiting(usize),
    /// The pool's own threads, no more of them than it has: on disk nothing waits long.
    OnThePool(usize),
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
    let (status, kind, message) = match sniff(context, input) {
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

/// Reads the first bytes of an input: its format, if any, and its length.
fn sniff(context: &Job<'_>, input: &scan::Input) -> Result<(Option<Format>, u64)> {
    let head = context.inputs.head(input)?;
    Ok((Format::sniff(&head), input.size))
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
    Record {
        path: input.rel.clone(),
        output: key.to_owned(),
        size: input.size,
        mtime_ns: None,
        etag: None,
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
                tree::intact(context.out, key, &record.renditions)
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

/// What the listing says about an input, looked at before its bytes.
struct Stat {
    /// Its length in bytes.
    size: u64,
    /// Its modification time in nanoseconds since 1970, when the listing gives one.
    mtime_ns: Option<u64>,
    /// The same, only when it is at least [`TRUSTED_AGE`] older than the run's start: the
    /// time a record may keep for later runs. Never for an object store's input, whose
    /// ETag is kept instead.
    trusted_mtime: Option<u64>,
    /// The object store's ETag of the content.
    etag: Option<String>,
}

impl Stat {
    /// What `input`'s listing says; modification times before `trust_before` are trusted.
    fn of(input: &scan::Input, trust_before: Option<SystemTime>) -> Stat {
        let mtime_ns = input
            .modified
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .and_then(|d| u64::try_from(d.as_nanos()).ok());
        let trusted = input.etag.is_none()
            && matches!((input.modified, trust_before), (Some(m), Some(before)) if m < before);
        Stat {
            size: input.size,
            mtime_ns,
            trusted_mtime: mtime_ns.filter(|_| trusted),
            etag: input.etag.clone(),
        }
    }

    /// Whether `record` recorded this length and modification time (or ETag), so that the
    /// content can be taken as unchanged without reading it.
    fn matches(&self, record: &Record) -> bool {
        let same_time = record.mtime_ns.is_some() && record.mtime_ns == self.mtime_ns;
        let same_etag = record.etag.is_some() && record.etag == self.etag;
        record.size == self.size && (same_time || same_etag)
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
        etag: stat.etag.clone(),
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
    let stat = Stat::of(input, context.trust_before);
    let previous = context.previous.get(&input.rel);
    // Same length and modification time as recorded: the content is taken as unchanged.
    if let Some(previous) = previous.filter(|p| stat.matches(p) && reusable(p, context, key)) {
        return Ok(carry_over(previous, &stat));
    }

    let limit = context.options.limits.max_input_bytes;
    let bytes = match context.inputs.read(input, limit) {
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
        etag: stat.etag.clone(),
        hash: Some(hash),
        options: context.render.clone(),
        status: Status::Skipped,
        source: None,
        renditions: Vec::new(),
        error: None,
    };
    let rendered = context
        .cpu
        .install(|| userphoto::ingest(&bytes, context.options));
    drop(bytes);
    match rendered {
        Ok(set) => {
            context.out.replace(key, &set)?;
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
