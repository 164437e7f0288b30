//! The `userphoto` command: ingest photos into the square renditions a user-photo service serves.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use userphoto_cli::{ingest, precompute};

/// Turn profile photos into the square JPEG renditions a user-photo service serves
/// (48, 64, 96, 120, 240, 360, 432, 504 and 648 pixels, each no larger than the photo).
///
/// Exit codes: 0 success, 1 a photo was rejected, 2 usage or I/O error.
#[derive(Parser, Debug)]
#[command(name = "userphoto", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Render every size of one photo into a folder.
    ///
    /// Writes OUT/<s>x<s>.jpg for each size no larger than the photo's shorter side, and
    /// OUT/photos.json, the collection metadata. Prints a table of size, bytes and ETag.
    ///
    /// Example: userphoto ingest testdata/portrait.jpg --out sizes/
    Ingest {
        /// The photo: JPEG, PNG, GIF, WebP, BMP or TIFF (recognised from its bytes).
        photo: PathBuf,
        /// The folder to write the sizes into (created if missing).
        #[arg(long, short)]
        out: PathBuf,
        /// JPEG quality of the renditions, 1-100.
        #[arg(long, short, default_value_t = userphoto::Options::DEFAULT_QUALITY,
              value_parser = clap::value_parser!(u8).range(1..=100))]
        quality: u8,
        /// Colour that transparent areas are placed on, as hex RRGGBB.
        #[arg(long, default_value = "ffffff", value_parser = parse_background)]
        background: userphoto::Background,
    },
    /// Render every size of every photo in a folder: in parallel, incrementally, crash-safely.
    ///
    /// IN and OUT are local folders or object store URLs: s3://bucket/prefix (S3 or any
    /// S3-compatible server, configured by the AWS_* variables: AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, AWS_ALLOW_HTTP …),
    /// gs://bucket/prefix (GOOGLE_* variables), az://container/prefix (AZURE_* variables), or
    /// file:///path (a local folder).
    ///
    /// Each image in IN (recognised by its bytes; other files are reported and skipped)
    /// becomes OUT/<name>/<s>x<s>.jpg plus OUT/<name>/photos.json, where <name> is the
    /// file name without its extension: alice@contoso.com.jpg -> OUT/alice@contoso.com/.
    /// With --recursive, sub/bob.png -> OUT/sub/bob/. Two images that would share a
    /// folder (a.jpg and a.png) are both rejected as a Conflict; neither overwrites the other.
    ///
    /// OUT/manifest.jsonl gets one JSON line per input: its path, size, CRC-32, the
    /// options, the status (ingested, up_to_date, rejected, skipped) and the sizes and ETags
    /// written, or the error kind and message. Run the same command again and only what changed
    /// is redone: an input whose bytes and options are unchanged and whose outputs are intact
    /// is left alone. Each photo's folder is written aside and moved into place whole (in an
    /// object store, its photos.json is written last), so the command can be killed at any
    /// moment and simply run again to finish.
    ///
    /// Exit codes: 0 every image ingested or up to date; 1 some images rejected (the others are
    /// done; see the summary and the manifest); 2 usage or I/O error.
    ///
    /// Examples:
    ///   userphoto precompute photos/ sizes/
    ///   userphoto precompute photos/ sizes/ --jobs 4 --recursive --prune
    ///   userphoto precompute photos/ /shared/sizes --shard 2/8   (on the 2nd of 8 machines)
    ///   userphoto precompute s3://uploads/photos s3://sizes/v1 --recursive
    ///   userphoto precompute s3://uploads s3://sizes --shards 8   (in a Kubernetes Indexed Job)
    #[command(verbatim_doc_comment)]
    Precompute {
        /// The photos (JPEG, PNG, GIF, WebP, BMP or TIFF): a folder or an object store URL.
        #[arg(value_name = "IN")]
        in_dir: std::ffi::OsString,
        /// Where to write: one folder per photo, and manifest.jsonl (a folder is created if
        /// missing), or an object store URL.
        #[arg(value_name = "OUT")]
        out_dir: std::ffi::OsString,
        /// How many photos to render at once [default: one per CPU core].
        #[arg(long, short, value_parser = clap::value_parser!(u32).range(1..=4096))]
        jobs: Option<u32>,
        /// How many photos to read and write at once [default: --jobs on disk, 16 (at least
        /// --jobs) when IN or OUT is an object store].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
        io: Option<u32>,
        /// JPEG quality of the renditions, 1-100.
        #[arg(long, short, default_value_t = userphoto::Options::DEFAULT_QUALITY,
              value_parser = clap::value_parser!(u8).range(1..=100))]
        quality: u8,
        /// Colour that transparent areas are placed on, as hex RRGGBB.
        #[arg(long, default_value = "ffffff", value_parser = parse_background)]
        background: userphoto::Background,
        /// Also take the photos in subfolders of IN (sub/x.jpg -> OUT/sub/x/).
        #[arg(long, short)]
        recursive: bool,
        /// Take only shard I of N (1 <= I <= N), so N machines can share one folder: each
        /// photo falls in exactly one shard, by a hash of its output name. Each shard writes
        /// its own manifest-I-of-N.jsonl.
        #[arg(long, value_name = "I/N")]
        shard: Option<precompute::Shard>,
        /// Take the shard of this worker out of N, numbered from 0 by the environment
        /// variable JOB_COMPLETION_INDEX (as Kubernetes sets it in an Indexed Job): index i
        /// runs --shard (i+1)/N.
        #[arg(long, value_name = "N", conflicts_with = "shard",
              value_parser = clap::value_parser!(u32).range(1..))]
        shards: Option<u32>,
        /// Remove the output folders whose photo is no longer in IN.
        #[arg(long)]
        prune: bool,
        /// Print nothing but the summary (no progress, no per-file lines).
        #[arg(long)]
        quiet: bool,
    },
    /// Write the 1x1 placeholder GIF served to users without a photo, and print its metadata.
    ///
    /// Example: userphoto placeholder --out placeholder.gif
    Placeholder {
        /// The file to write.
        #[arg(long, short)]
        out: PathBuf,
    },
}

fn parse_background(text: &str) -> Result<userphoto::Background, String> {
    userphoto::Background::parse_hex(text)
        .ok_or_else(|| format!("{text:?} is not a colour; expected hex RRGGBB such as ffffff"))
}

/// The shard of this worker of `count`: `JOB_COMPLETION_INDEX` (0-based) plus one.
fn completion_index_shard(count: u32) -> Result<precompute::Shard, String> {
    let index = std::env::var("JOB_COMPLETION_INDEX").map_err(|_| {
        "--shards needs JOB_COMPLETION_INDEX, this worker's index from 0 (Kubernetes sets it \
         in an Indexed Job); or use --shard I/N"
            .to_owned()
    })?;
    let shard = index
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|&i| i < count)
        .map(|i| precompute::Shard {
            index: i + 1,
            count,
        });
    shard.ok_or_else(|| {
        format!(
            "JOB_COMPLETION_INDEX={index:?} is not a worker index from 0 to {}",
            count - 1
        )
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Photo after photo, reuse memory instead of faulting it in again (see its docs).
    userphoto::keep_freed_memory();
    quiet_panics();
    let run = std::panic::catch_unwind(|| run(cli.command));
    run.unwrap_or_else(|_| {
        // Only a bug of the command itself gets here: the library contains its decoders'.
        let what = LAST_PANIC
            .lock()
            .ok()
            .and_then(|mut last| last.take())
            .unwrap_or_default();
        eprintln!("error: internal error, a bug in userphoto: {what}");
        ExitCode::from(101)
    })
}

/// The message and place of the last panic, kept by the hook [`quiet_panics`] sets.
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Keeps panics off the terminal. The library contains a decoder's panic and reports it as an
/// `Internal` error, with its message, in the one line a rejected photo gets; the default hook
/// would print the panic first, as if the command had crashed. The message is kept for the
/// rare panic that is not contained.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(info.to_string());
        }
    }));
}

/// Runs one subcommand and gives its exit code.
fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Ingest {
            photo,
            out,
            quality,
            background,
        } => {
            let options = userphoto::Options {
                quality,
                background,
                ..userphoto::Options::default()
            };
            ingest::run(&photo, &out, &options)
        }
        Command::Precompute {
            in_dir,
            out_dir,
            jobs,
            io,
            quality,
            background,
            recursive,
            shard,
            shards,
            prune,
            quiet,
        } => {
            let shard = match shards {
                Some(count) => match completion_index_shard(count) {
                    Ok(shard) => Some(shard),
                    Err(message) => {
                        eprintln!("error: {message}");
                        return ExitCode::from(2);
                    }
                },
                None => shard,
            };
            let config = precompute::Config {
                input: precompute::Location::parse(&in_dir),
                output: precompute::Location::parse(&out_dir),
                options: userphoto::Options {
                    quality,
                    background,
                    ..userphoto::Options::default()
                },
                jobs: jobs.map(|n| n as usize),
                io: io.map(|n| n as usize),
                recursive,
                shard,
                prune,
                progress: if quiet {
                    precompute::ProgressMode::Quiet
                } else {
                    precompute::ProgressMode::Auto
                },
            };
            precompute::run(&config).map(|summary| {
                print!("{}", summary.render());
                ExitCode::from(summary.exit_code())
            })
        }
        Command::Placeholder { out } => ingest::placeholder(&out),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
