//! The `userphoto` command: ingest photos into the square renditions a user-photo service serves.
#![forbid(unsafe_code)]

mod ingest;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
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
