//! `reel`: inspect, print and demo reel recordings.
//!
//! The binary only wires the library crates together: argument parsing
//! here, one module per subcommand, no logic another tool would want.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;
mod info;
mod print;

/// Log, store and inspect camera images and video.
#[derive(Parser)]
#[command(name = "reel", version, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Summarise a recording: entities, archetypes, timelines, sizes, codecs, damage.
    Info {
        /// The recording (.reel).
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the rows of a recording, per entity in logging order.
    Print {
        /// The recording (.reel).
        file: PathBuf,
        /// Only this entity (e.g. /camera/front).
        #[arg(long, short)]
        entity: Option<String>,
        /// At most this many rows per entity.
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
    },
    /// Log a synthetic camera in every form to a recording and say how to look at it.
    Demo {
        /// Where to write the recording.
        #[arg(long, short, default_value = "demo.reel")]
        out: PathBuf,
        /// Number of frames of the synthetic camera.
        #[arg(long, default_value_t = 150)]
        frames: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info { file, json } => info::run(&file, json),
        Command::Print {
            file,
            entity,
            limit,
        } => print::run(&file, entity.as_deref(), limit),
        Command::Demo { out, frames } => demo::run(&out, frames),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
