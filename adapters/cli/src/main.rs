//! `sansftp`: serve a folder over FTP (`sansftp serve [ROOT]`), and use FTP servers from
//! the command line (`ls`, `get`, `put`, `mkdir`, `rm`, `mv`, `stat`).
//!
//! ```sh
//! sansftp serve                         # ., 127.0.0.1:2121, anonymous read-only
//! sansftp serve /srv/ftp --user u:p --write --port 2121
//! sansftp passwd                        # an argon2id hash for a --users file
//! sansftp serve /srv/ftp --users users.toml --max-connections-per-ip 4
//!
//! sansftp ls ftp://127.0.0.1:2121/                     # names, anonymous login
//! sansftp ls --long --recursive ftp://u:p@127.0.0.1:2121/pub
//! sansftp ls --json ftp://u:p@127.0.0.1:2121/ | jq '.[].name'
//! sansftp get ftp://u:p@127.0.0.1:2121/pub/big.iso     # -> ./big.iso, progress bar
//! sansftp get --resume ftp://u:p@127.0.0.1:2121/pub/big.iso /tmp/
//! sansftp get --recursive ftp://u:p@127.0.0.1:2121/pub mirror
//! SANSFTP_PASSWORD=p sansftp put --limit-rate 2M report.pdf ftp://u@127.0.0.1:2121/in/
//! sansftp put --recursive --active ./site ftp://u:p@[::1]:2121/www
//! sansftp mkdir --parents ftp://u:p@127.0.0.1:2121/a/b/c
//! sansftp mv ftp://u:p@127.0.0.1:2121/a/old.txt new.txt   # -> a/new.txt
//! sansftp rm --recursive ftp://u:p@127.0.0.1:2121/a
//! sansftp stat --json ftp://u:p@127.0.0.1:2121/pub/big.iso
//! ```
//!
//! URLs are `ftp://[user[:password]@]host[:port]/path`, percent-decoded (see
//! `src/url.rs`). Errors print one line, `sansftp: <message>`, and exit with 1; usage
//! errors exit with 2.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod audit;
mod client;
mod logger;
mod progress;
mod serve;
mod url;
mod users;

/// An FTP server and client built on a sans-IO protocol core.
#[derive(Debug, Parser)]
#[command(name = "sansftp", version, about)]
struct Cli {
    /// Log more (-v: debug, -vv: trace); by default the server logs sessions at info
    /// level and the client only warnings.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Log only warnings and errors (the client: only errors, and no progress bars).
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve a folder (default: the current directory) over FTP.
    // Boxed: the server's options are many times larger than any client command's.
    Serve(Box<serve::Args>),
    /// List a remote directory (or show one file).
    Ls(client::ls::Args),
    /// Download a file, or a directory tree with --recursive.
    Get(client::transfer::GetArgs),
    /// Upload a file, or a directory tree with --recursive.
    Put(client::transfer::PutArgs),
    /// Make a remote directory.
    Mkdir(client::files::MkdirArgs),
    /// Remove a remote file, or a directory tree with --recursive.
    Rm(client::files::RmArgs),
    /// Rename or move a remote file or directory.
    Mv(client::files::MvArgs),
    /// Show what the server says about one remote path.
    Stat(client::files::StatArgs),
    /// Read a password (no echo on a terminal, else one line of standard input) and
    /// print its argon2id hash, for a `--users` file.
    Passwd,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, Command::Serve(_));
    logger::init(log_level(serving, cli.quiet, cli.verbose));
    let show_progress = progress::wanted(cli.quiet);
    let result = match cli.command {
        Command::Serve(args) => serve::run(*args).map_err(client::Error::from),
        Command::Ls(args) => client::ls::run(args),
        Command::Get(args) => client::transfer::get(args, show_progress),
        Command::Put(args) => client::transfer::put(args, show_progress),
        Command::Mkdir(args) => client::files::mkdir(args),
        Command::Rm(args) => client::files::rm(args),
        Command::Mv(args) => client::files::mv(args),
        Command::Stat(args) => client::files::stat(args),
        Command::Passwd => users::passwd()
            .map(|hash| println!("{hash}"))
            .map_err(client::Error::from),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, whatever a server put in its reply.
            let message = err.to_string().replace(['\r', '\n'], " ");
            eprintln!("sansftp: {message}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// The server logs sessions by default; the client keeps quiet unless asked.
fn log_level(serving: bool, quiet: bool, verbose: u8) -> log::LevelFilter {
    use log::LevelFilter::*;
    match (serving, quiet, verbose) {
        (true, true, _) => Warn,
        (true, false, 0) => Info,
        (true, false, 1) => Debug,
        (true, false, _) => Trace,
        (false, true, _) => Error,
        (false, false, 0) => Warn,
        (false, false, 1) => Debug,
        (false, false, _) => Trace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn client_commands_parse_their_options() {
        let cli = Cli::try_parse_from([
            "sansftp",
            "get",
            "--resume",
            "-r",
            "--active",
            "--limit-rate",
            "500K",
            "--timeout",
            "3",
            "ftp://h/x",
            "local",
        ])
        .expect("valid command line");
        let Command::Get(args) = cli.command else {
            panic!("not get: {:?}", cli.command);
        };
        assert!(args.resume && args.recursive && args.connect.active);
        assert_eq!(args.connect.limit_rate, Some(500 * 1024));
        assert_eq!(args.local.as_deref(), Some(std::path::Path::new("local")));
        assert!(
            Cli::try_parse_from(["sansftp", "ls", "--limit-rate", "fast", "ftp://h/"]).is_err()
        );
        assert!(Cli::try_parse_from(["sansftp", "ls", "--long", "--json", "ftp://h/"]).is_err());
    }

    #[test]
    fn help_mentions_the_password_variable() {
        let mut cmd = Cli::command();
        let help = cmd
            .find_subcommand_mut("get")
            .expect("get exists")
            .render_long_help()
            .to_string();
        assert!(help.contains("SANSFTP_PASSWORD"), "{help}");
    }
}
