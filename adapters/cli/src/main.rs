//! `sansftp`: serve a folder over FTP (`sansftp serve [ROOT]`).
//!
//! ```sh
//! sansftp serve                         # ., 127.0.0.1:2121, anonymous read-only
//! sansftp serve /srv/ftp --user u:p --write --port 2121
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod logger;
mod serve;

/// An FTP server and client built on a sans-IO protocol core.
#[derive(Debug, Parser)]
#[command(name = "sansftp", version, about)]
struct Cli {
    /// Log more (-v: debug, -vv: trace); by default sessions are logged at info level.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Log only warnings and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve a folder (default: the current directory) over FTP.
    Serve(serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logger::init(match (cli.quiet, cli.verbose) {
        (true, _) => log::LevelFilter::Warn,
        (false, 0) => log::LevelFilter::Info,
        (false, 1) => log::LevelFilter::Debug,
        (false, _) => log::LevelFilter::Trace,
    });
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("sansftp: {err}");
            ExitCode::FAILURE
        }
    }
}
