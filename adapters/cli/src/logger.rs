//! A minimal `log` backend: one line per record on standard error, with a UTC time of day.
//! (env_logger would pull in regex and more for what is a dozen lines here.)

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use log::{LevelFilter, Log, Metadata, Record};

/// Installs the logger; records above `level` are dropped.
pub fn init(level: LevelFilter) {
    static LOGGER: Stderr = Stderr;
    // Fails only if a logger is already set, which would be a bug in main.
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}

struct Stderr;

impl Log for Stderr {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (h, m, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
        let target = record.target().split("::").next().unwrap_or("");
        // A failed write to stderr has nowhere better to be reported.
        let _ = writeln!(
            std::io::stderr().lock(),
            "{h:02}:{m:02}:{s:02} {:<5} {target}: {}",
            record.level(),
            record.args()
        );
    }

    fn flush(&self) {}
}
