//! What a run shows: a progress bar or periodic lines on stderr, and the summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::manifest::{Record, Status};

/// How a run shows its progress on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, else [`Lines`](ProgressMode::Lines) every 2 seconds.
    Auto,
    /// An indicatif bar (done/total, photos per second, ETA), and a line per problem.
    Bar,
    /// A plain line at the start, every `every`, and at the end, and a line per problem.
    Lines {
        /// Time between two lines.
        every: Duration,
    },
    /// Nothing: only the summary, which the caller prints.
    Quiet,
}

pub(super) enum Progress {
    Bar(ProgressBar),
    Lines {
        every: Duration,
        last: Instant,
        start: Instant,
        done: u64,
        total: u64,
        /// Whether the listing is complete, so that `total` is.
        listed: bool,
    },
    Quiet,
}

impl Progress {
    /// Progress over inputs still being listed: see [`listed`](Progress::listed).
    pub(super) fn new(mode: ProgressMode) -> Progress {
        let mode = match mode {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
            ProgressMode::Auto => ProgressMode::Lines {
                every: Duration::from_secs(2),
            },
            other => other,
        };
        match mode {
            ProgressMode::Bar => {
                let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{elapsed_precise} [{wide_bar}] {pos}/{len} photos, {per_sec}, ETA {eta}",
                    )
                    .expect("the template is valid")
                    .progress_chars("=> "),
                );
                bar.enable_steady_tick(Duration::from_millis(200));
                Progress::Bar(bar)
            }
            ProgressMode::Lines { every } => {
                let now = Instant::now();
                Progress::Lines {
                    every,
                    last: now,
                    start: now,
                    done: 0,
                    total: 0,
                    listed: false,
                }
            }
            ProgressMode::Quiet | ProgressMode::Auto => Progress::Quiet,
        }
    }

    /// How often the caller should call [`tick`](Progress::tick) at least.
    pub(super) fn tick_interval(&self) -> Duration {
        match self {
            Progress::Lines { every, .. } => (*every).min(Duration::from_millis(500)),
            _ => Duration::from_millis(500),
        }
    }

    /// Counts `n` more inputs found by the listing.
    pub(super) fn listed(&mut self, n: u64) {
        match self {
            Progress::Bar(bar) => bar.inc_length(n),
            Progress::Lines { total, .. } => *total += n,
            Progress::Quiet => {}
        }
    }

    /// Notes that the listing is complete (its line says how many inputs there are).
    pub(super) fn listing_done(&mut self) {
        if let Progress::Lines { total, listed, .. } = self {
            *listed = true;
            eprintln!("precompute: {total} inputs");
        }
    }

    /// Counts `n` more inputs done, and reports `records` that went wrong.
    pub(super) fn advance(&mut self, n: u64, records: &[Record]) {
        for record in records {
            if let Some(problem) = &record.error {
                let line = format!(
                    "{} {}: {}: {}",
                    record.status.as_str(),
                    record.path,
                    problem.kind,
                    problem.message
                );
                match self {
                    Progress::Bar(bar) => bar.println(line),
                    Progress::Lines { .. } => eprintln!("{line}"),
                    Progress::Quiet => {}
                }
            }
        }
        match self {
            Progress::Bar(bar) => bar.inc(n),
            Progress::Lines { done, .. } => *done += n,
            Progress::Quiet => {}
        }
        self.tick();
    }

    /// Prints a periodic line when one is due.
    pub(super) fn tick(&mut self) {
        if let Progress::Lines { every, last, .. } = self {
            if last.elapsed() >= *every {
                *last = Instant::now();
                self.line(false);
            }
        }
    }

    fn line(&self, end: bool) {
        if let Progress::Lines {
            start,
            done,
            total,
            listed,
            ..
        } = self
        {
            if !*listed {
                let rate = per_second(*done, start.elapsed());
                eprintln!("precompute: {done}/{total}+ (listing), {rate:.1} photos/s");
                return;
            }
            let elapsed = start.elapsed();
            let rate = per_second(*done, elapsed);
            let percent = if *total == 0 {
                100.0
            } else {
                *done as f64 * 100.0 / *total as f64
            };
            let tail = if end {
                format!("{} elapsed", duration(elapsed))
            } else if rate > 0.0 {
                let left = (*total - *done) as f64 / rate;
                format!("ETA {}", duration(Duration::from_secs_f64(left)))
            } else {
                "ETA unknown".to_owned()
            };
            eprintln!("precompute: {done}/{total} ({percent:.0}%), {rate:.1} photos/s, {tail}");
        }
    }

    pub(super) fn finish(self) {
        match &self {
            Progress::Bar(bar) => bar.finish_and_clear(),
            Progress::Lines { .. } => self.line(true),
            Progress::Quiet => {}
        }
    }
}

fn per_second(count: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

/// `0.42s`, `12.3s`, `4m05s`, `2h03m`.
fn duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 10.0 {
        format!("{seconds:.2}s")
    } else if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else if seconds < 3600.0 {
        let whole = seconds as u64;
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else {
        let whole = seconds as u64;
        format!("{}h{:02}m", whole / 3600, whole % 3600 / 60)
    }
}

/// What a run did, for the summary and the exit code.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Inputs rendered and written.
    pub ingested: u64,
    /// Inputs whose outputs were already up to date.
    pub up_to_date: u64,
    /// Rejected inputs by error kind, with their paths.
    pub rejected: BTreeMap<String, Vec<String>>,
    /// Files that are not images, by kind, with their paths.
    pub skipped: BTreeMap<String, Vec<String>>,
    /// Output directories removed by `--prune`.
    pub pruned: Vec<String>,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// Where the manifest was written (a path, or an object store URL).
    pub manifest: String,
}

impl Summary {
    pub(super) fn count(&mut self, record: &Record) {
        let kind = || {
            record
                .error
                .as_ref()
                .map_or_else(|| "Unknown".to_owned(), |e| e.kind.to_string())
        };
        match record.status {
            Status::Ingested => self.ingested += 1,
            Status::UpToDate => self.up_to_date += 1,
            Status::Rejected => self
                .rejected
                .entry(kind())
                .or_default()
                .push(record.path.clone()),
            Status::Skipped => self
                .skipped
                .entry(kind())
                .or_default()
                .push(record.path.clone()),
        }
    }

    /// How many images were rejected.
    pub fn rejected_count(&self) -> u64 {
        self.rejected.values().map(|paths| paths.len() as u64).sum()
    }

    /// How many files were skipped as not images.
    pub fn skipped_count(&self) -> u64 {
        self.skipped.values().map(|paths| paths.len() as u64).sum()
    }

    /// Images handled per second: ingested, up to date and rejected, over the elapsed time.
    pub fn photos_per_second(&self) -> f64 {
        per_second(
            self.ingested + self.up_to_date + self.rejected_count(),
            self.elapsed,
        )
    }

    /// The process exit code: 0 when every image was ingested or up to date, 1 when some
    /// were rejected.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.rejected.is_empty())
    }

    /// The summary as printed at the end of a run.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let photos = self.ingested + self.up_to_date + self.rejected_count();
        let _ = writeln!(
            text,
            "precompute: {photos} photos in {} ({:.1} photos/s)",
            duration(self.elapsed),
            self.photos_per_second()
        );
        let _ = writeln!(text, "  ingested            {:>7}", self.ingested);
        let _ = writeln!(text, "  already up to date  {:>7}", self.up_to_date);
        let _ = writeln!(text, "  rejected            {:>7}", self.rejected_count());
        list_kinds(&mut text, &self.rejected);
        let _ = writeln!(text, "  skipped, not images {:>7}", self.skipped_count());
        list_kinds(&mut text, &self.skipped);
        if !self.pruned.is_empty() {
            let _ = writeln!(text, "  pruned              {:>7}", self.pruned.len());
        }
        let _ = writeln!(text, "manifest: {}", self.manifest);
        text
    }
}

fn list_kinds(text: &mut String, kinds: &BTreeMap<String, Vec<String>>) {
    const SHOWN: usize = 5;
    for (kind, paths) in kinds {
        let mut names = paths[..paths.len().min(SHOWN)].join(", ");
        if paths.len() > SHOWN {
            let _ = write!(names, ", … ({} more)", paths.len() - SHOWN);
        }
        let _ = writeln!(text, "    {kind:<18}{:>7}  {names}", paths.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_millis(420)), "0.42s");
        assert_eq!(duration(Duration::from_secs(245)), "4m05s");
        assert_eq!(duration(Duration::from_secs(7380)), "2h03m");
    }
}
