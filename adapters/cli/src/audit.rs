//! `sansftp serve --audit-log FILE`: the server's audit records
//! ([`sansftp::server::Audit`]) appended to FILE as JSON lines, one object per action:
//!
//! ```json
//! {"time":"2026-12-06T11:41:19Z","event":"upload","user":"alice","ip":"127.0.0.1","path":"/up.txt","bytes":5}
//! ```
//!
//! `event` is one of `login`, `logout`, `login_failed` (with `login`, `user` null),
//! `upload`, `upload_aborted`, `download` (with `path`, `bytes`), `delete`, `mkdir`,
//! `rmdir` (with `path`), `rename` (with `from`, `to`). The sessions hand records to a
//! channel; one thread writes them, so a slow disk never holds up a session.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::SystemTime;

use sansftp::server::{Audit, AuditAction, AuditSink};
use sansftp::time::DateTime;
use serde_json::{Map, Value, json};

/// Opens (appends to) `path` and returns the sink that writes every record there.
pub fn log_to(path: &Path) -> Result<AuditSink, sansftp::Error> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| sansftp::PathIoError::with_path(path.to_owned(), e))?;
    let (tx, rx) = mpsc::channel::<Audit>();
    let shown = path.display().to_string();
    std::thread::Builder::new()
        .name("audit-log".to_owned())
        .spawn(move || {
            let mut out = BufWriter::new(file);
            for audit in rx {
                let line = to_json(&audit, SystemTime::now()).to_string();
                let written = writeln!(out, "{line}").and_then(|()| out.flush());
                if let Err(e) = written {
                    log::error!("audit log {shown}: {e}");
                }
            }
        })?;
    // The writer lives as long as the process: a send fails only if it died.
    Ok(AuditSink::new(move |audit| {
        let _ = tx.send(audit);
    }))
}

/// One record as a JSON object, stamped with `now` (UTC, seconds).
pub fn to_json(audit: &Audit, now: SystemTime) -> Value {
    let time = DateTime::from_system_time(now).map_or(Value::Null, |t| {
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        Value::String(text)
    });
    let mut object = Map::new();
    object.insert("time".into(), time);
    object.insert("event".into(), json!(audit.action.name()));
    object.insert("user".into(), json!(audit.user));
    object.insert(
        "ip".into(),
        json!(audit.peer.ip().to_canonical().to_string()),
    );
    let path = |p: &sansftp::path::VirtualPath| Value::String(p.to_string());
    match &audit.action {
        AuditAction::LoginFailed { login } => {
            object.insert("login".into(), json!(login));
        }
        AuditAction::Upload { path: p, bytes }
        | AuditAction::UploadAborted { path: p, bytes }
        | AuditAction::Download { path: p, bytes } => {
            object.insert("path".into(), path(p));
            object.insert("bytes".into(), json!(bytes));
        }
        AuditAction::Delete { path: p }
        | AuditAction::MakeDir { path: p }
        | AuditAction::RemoveDir { path: p } => {
            object.insert("path".into(), path(p));
        }
        AuditAction::Rename { from, to } => {
            object.insert("from".into(), path(from));
            object.insert("to".into(), path(to));
        }
        _ => {}
    }
    Value::Object(object)
}
