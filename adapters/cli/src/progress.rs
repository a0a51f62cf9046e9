//! Progress bars for `get` and `put` (indicatif, on standard error), drawn only when
//! standard error is a terminal and `--quiet` is not given.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether progress bars should be drawn: stderr is a terminal and the user did not ask
/// for quiet.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// One bar for a transfer (a file, or a whole tree), or nothing when hidden.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `total` bytes (a spinner with a byte count when unknown), labelled
    /// `label`; hidden unless `visible`.
    pub fn new(total: Option<u64>, label: &str, visible: bool) -> Progress {
        if !visible {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = match total {
            Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
                .with_style(style(
                    "{msg:30!} [{bar:30}] {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} {eta:>4}",
                )),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                .with_style(style("{spinner} {msg:30!} {bytes:>10} {bytes_per_sec:>12}")),
        };
        bar.set_message(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar }
    }

    /// `n` more bytes moved (or skipped, when resuming).
    pub fn add(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Shows what is being moved now (the file of a tree).
    pub fn label(&self, label: &str) {
        self.bar.set_message(label.to_owned());
    }

    /// Leaves the finished bar on screen.
    pub fn done(&self) {
        self.bar.finish();
    }

    /// Removes the bar (on errors, so the error line stands alone).
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// A template, or indicatif's default one should it not parse (the templates above are
/// constants, so that only guards against an indicatif change).
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_bars_count_silently() {
        let p = Progress::new(Some(10), "x", false);
        p.add(4);
        p.label("y");
        p.done();
        assert!(p.bar.is_hidden());
        assert_eq!(p.bar.position(), 4);
    }

    #[test]
    fn the_templates_parse() {
        for t in [
            "{msg:30!} [{bar:30}] {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} {eta:>4}",
            "{spinner} {msg:30!} {bytes:>10} {bytes_per_sec:>12}",
        ] {
            assert!(ProgressStyle::with_template(t).is_ok(), "{t}");
        }
    }
}
