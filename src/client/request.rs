//! [`Request`]: an [`Operation`] together with the typed result it gives, so every
//! adapter's `Client` method is "start the operation, drive it, [`Request::finish`]"
//! and what a result means (`exists` on a `550`, `is_dir` on `type=cdir`) is decided
//! here once.

use std::fmt;

use crate::Error;
use crate::code::Mask;
use crate::listing::Entry;
use crate::reply::Reply;
use crate::time::DateTime;

use super::api::{Features, Item, ListCommand, Operation, Value};

/// An [`Operation`] and how its [`Value`] becomes a `T`.
///
/// ```
/// use sansftp::client::{Operation, Request, Value};
///
/// let request = Request::size("/pub/f.txt");
/// assert_eq!(request.operation(), &Operation::Size(b"/pub/f.txt".to_vec()));
/// assert_eq!(request.finish(Ok(Value::Size(13))).unwrap(), 13);
/// assert!(request.finish(Ok(Value::None)).is_err());
/// ```
pub struct Request<T> {
    operation: Operation,
    output: fn(Result<Value, Error>) -> Result<T, Error>,
}

impl<T> fmt::Debug for Request<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Request").field(&self.operation).finish()
    }
}

impl<T> Request<T> {
    /// The operation to [`start`](super::Session::start).
    pub fn operation(&self) -> &Operation {
        &self.operation
    }

    /// The operation, taken out to start it; pair it with [`Request::finisher`].
    pub fn into_operation(self) -> Operation {
        self.operation
    }

    /// What turns the operation's result into this request's.
    pub fn finisher(&self) -> fn(Result<Value, Error>) -> Result<T, Error> {
        self.output
    }

    /// The typed result of the operation's [`Output::Done`](super::Output::Done).
    pub fn finish(&self, result: Result<Value, Error>) -> Result<T, Error> {
        (self.output)(result)
    }

    fn new(operation: Operation, output: fn(Result<Value, Error>) -> Result<T, Error>) -> Self {
        Request { operation, output }
    }
}

impl Request<()> {
    /// [`Operation::Login`].
    pub fn login(user: &str, password: &str, account: &str) -> Request<()> {
        let (user, password, account) = (user.into(), password.into(), account.into());
        Request::new(
            Operation::Login {
                user,
                password,
                account,
            },
            unit,
        )
    }

    /// [`Operation::ChangeDirectory`].
    pub fn change_directory(path: impl AsRef<[u8]>) -> Request<()> {
        Request::new(Operation::ChangeDirectory(bytes(path)), unit)
    }

    /// [`Operation::MakeDirectory`].
    pub fn make_directory(path: impl AsRef<[u8]>, parents: bool) -> Request<()> {
        let path = bytes(path);
        Request::new(Operation::MakeDirectory { path, parents }, unit)
    }

    /// [`Operation::RemoveFile`].
    pub fn remove_file(path: impl AsRef<[u8]>) -> Request<()> {
        Request::new(Operation::RemoveFile(bytes(path)), unit)
    }

    /// [`Operation::RemoveDirectory`].
    pub fn remove_directory(path: impl AsRef<[u8]>) -> Request<()> {
        Request::new(Operation::RemoveDirectory(bytes(path)), unit)
    }

    /// [`Operation::Remove`].
    pub fn remove(path: impl AsRef<[u8]>) -> Request<()> {
        Request::new(Operation::Remove(bytes(path)), unit)
    }

    /// [`Operation::Rename`].
    pub fn rename(from: impl AsRef<[u8]>, to: impl AsRef<[u8]>) -> Request<()> {
        let (from, to) = (bytes(from), bytes(to));
        Request::new(Operation::Rename { from, to }, unit)
    }

    /// [`Operation::List`]: the entries come as [`Output::Entry`](super::Output::Entry)s.
    pub fn list(path: impl AsRef<[u8]>, recursive: bool, command: ListCommand) -> Request<()> {
        let path = bytes(path);
        Request::new(
            Operation::List {
                path,
                recursive,
                command,
            },
            unit,
        )
    }

    /// [`Operation::Names`]: one directory's entries, unsafe names kept (for a tree
    /// copy, which skips them with a warning).
    pub fn names(path: impl AsRef<[u8]>) -> Request<Vec<Entry>> {
        Request::new(Operation::Names(bytes(path)), |res| match res? {
            Value::Names(entries) => Ok(entries),
            other => Err(wrong("a directory's names", &other)),
        })
    }

    /// [`Operation::Noop`].
    pub fn noop() -> Request<()> {
        Request::new(Operation::Noop, unit)
    }

    /// [`Operation::Quit`].
    pub fn quit() -> Request<()> {
        Request::new(Operation::Quit, unit)
    }

    /// [`Operation::Download`]; the result of the transfer once its data has moved.
    pub fn download(path: impl AsRef<[u8]>, offset: u64, ascii: bool) -> Request<()> {
        let path = bytes(path);
        Request::new(
            Operation::Download {
                path,
                offset,
                ascii,
            },
            unit,
        )
    }

    /// [`Operation::Upload`] (`APPE` with `append`).
    pub fn upload(path: impl AsRef<[u8]>, offset: u64, ascii: bool, append: bool) -> Request<()> {
        let path = bytes(path);
        Request::new(
            Operation::Upload {
                path,
                offset,
                ascii,
                append,
            },
            unit,
        )
    }
}

impl Request<String> {
    /// [`Operation::CurrentDirectory`], lossily decoded.
    pub fn current_directory() -> Request<String> {
        Request::new(Operation::CurrentDirectory, |res| match res? {
            Value::Path(p) => Ok(String::from_utf8_lossy(&p).into_owned()),
            other => Err(wrong("a path", &other)),
        })
    }
}

impl Request<Item> {
    /// [`Operation::Stat`]: a missing path is an error that received `550`.
    pub fn stat(path: impl AsRef<[u8]>) -> Request<Item> {
        Request::new(Operation::Stat(bytes(path)), entry)
    }
}

impl Request<bool> {
    /// Whether `path` exists: a [`stat`](Request::stat) answered `550` is `false`.
    pub fn exists(path: impl AsRef<[u8]>) -> Request<bool> {
        Request::new(Operation::Stat(bytes(path)), |res| {
            missing_is_false(entry(res).map(|_| true))
        })
    }

    /// Whether `path` is a directory (`type=dir`, `cdir` or `pdir`); `false` when
    /// missing.
    pub fn is_dir(path: impl AsRef<[u8]>) -> Request<bool> {
        Request::new(Operation::Stat(bytes(path)), |res| {
            missing_is_false(entry(res).map(|i| i.entry.is_dir()))
        })
    }

    /// Whether `path` is a regular file; `false` when missing.
    pub fn is_file(path: impl AsRef<[u8]>) -> Request<bool> {
        Request::new(Operation::Stat(bytes(path)), |res| {
            missing_is_false(entry(res).map(|i| i.entry.is_file()))
        })
    }
}

impl Request<u64> {
    /// [`Operation::Size`].
    pub fn size(path: impl AsRef<[u8]>) -> Request<u64> {
        Request::new(Operation::Size(bytes(path)), |res| match res? {
            Value::Size(n) => Ok(n),
            other => Err(wrong("a size", &other)),
        })
    }
}

impl Request<DateTime> {
    /// [`Operation::Modified`].
    pub fn modified(path: impl AsRef<[u8]>) -> Request<DateTime> {
        Request::new(Operation::Modified(bytes(path)), |res| match res? {
            Value::Modified(t) => Ok(t),
            other => Err(wrong("a time", &other)),
        })
    }
}

impl Request<Features> {
    /// [`Operation::Features`].
    pub fn features() -> Request<Features> {
        Request::new(Operation::Features, |res| match res? {
            Value::Features(f) => Ok(f),
            other => Err(wrong("features", &other)),
        })
    }
}

impl Request<Option<Reply>> {
    /// [`Operation::Command`]: sends `text` (nothing when empty), skips replies matching
    /// `wait`, checks the last against `expected`; `None` when nothing was read (both
    /// lists empty).
    pub fn command(text: &str, expected: &[Mask], wait: &[Mask]) -> Request<Option<Reply>> {
        Request::new(
            Operation::Command {
                text: Some(text.to_owned()),
                expected: expected.to_vec(),
                wait: wait.to_vec(),
            },
            |res| match res? {
                Value::Reply(r) => Ok(Some(r)),
                _ => Ok(None),
            },
        )
    }
}

fn bytes(path: impl AsRef<[u8]>) -> Vec<u8> {
    path.as_ref().to_vec()
}

/// An operation that reports only success (an aborted transfer is one too).
fn unit(res: Result<Value, Error>) -> Result<(), Error> {
    res.map(drop)
}

fn entry(res: Result<Value, Error>) -> Result<Item, Error> {
    match res? {
        Value::Entry(item) => Ok(item),
        other => Err(wrong("an entry", &other)),
    }
}

/// A `550` (no such file) answers a yes/no question with no.
fn missing_is_false(res: Result<bool, Error>) -> Result<bool, Error> {
    match res {
        Err(e) if e.received(550) => Ok(false),
        other => other,
    }
}

/// The operation ended with a value of the wrong kind: a core bug, reported.
fn wrong(what: &str, got: &Value) -> Error {
    Error::UnexpectedReply(format!("expected {what}, the operation gave {got:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::{Entry, Kind};
    use crate::{Code, StatusCodeError};

    fn item(kind: Kind) -> Result<Value, Error> {
        let mut entry = Entry::dir(b"d".to_vec());
        entry.kind = kind;
        Ok(Value::Entry(Item {
            path: b"/d".to_vec(),
            entry,
        }))
    }

    fn status(code: Code) -> Result<Value, Error> {
        Err(StatusCodeError::new([Mask::COMPLETION], [code], ["no"]).into())
    }

    #[test]
    fn cdir_and_pdir_are_directories() {
        for kind in [Kind::Dir, Kind::CurrentDir, Kind::ParentDir] {
            assert!(
                Request::is_dir("/d").finish(item(kind)).unwrap(),
                "{kind:?}"
            );
            assert!(!Request::is_file("/d").finish(item(kind)).unwrap());
        }
        assert!(Request::is_file("/d").finish(item(Kind::File)).unwrap());
        assert!(!Request::is_dir("/d").finish(item(Kind::File)).unwrap());
    }

    #[test]
    fn a_550_is_false_other_errors_stay_errors() {
        let missing = || status(Code::FILE_UNAVAILABLE);
        assert!(!Request::exists("/x").finish(missing()).unwrap());
        assert!(!Request::is_dir("/x").finish(missing()).unwrap());
        assert!(Request::exists("/x").finish(item(Kind::File)).unwrap());
        let refused = status(Code::NOT_LOGGED_IN);
        assert!(
            Request::exists("/x")
                .finish(refused)
                .unwrap_err()
                .received(530)
        );
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_an_error() {
        let e = Request::stat("/x").finish(Ok(Value::None)).unwrap_err();
        assert!(matches!(e, Error::UnexpectedReply(_)), "{e}");
        let none = Request::command("NOOP", &[], &[]).finish(Ok(Value::None));
        assert!(none.unwrap().is_none());
    }
}
