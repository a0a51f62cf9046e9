use std::error::Error as _;
use std::io;

use crate::code::{Code, Mask};
use crate::error::{Error, NoAvailablePort, PathIoError, PathIsNotAbsolute, StatusCodeError};

/// Builds every error type from arbitrary codes and text, renders `Display` and `Debug`,
/// walks `source()`, and converts `NoAvailablePort` into `io::Error`, checking the
/// properties users rely on: one-line messages, consistent classification, and a source
/// chain that ends in the wrapped reason.
pub fn errors(data: &[u8]) {
    let mut input = Input(data);

    // Codes and masks straight from bytes: whatever parses must round-trip.
    let mut expected = Vec::new();
    let mut received = Vec::new();
    for _ in 0..input.byte() % 4 {
        let raw = input.take(3);
        if let Ok(code) = Code::from_digits(raw) {
            assert_eq!(&code.digits()[..], raw);
            assert!((100..=599).contains(&code.value()));
            received.push(code);
        }
        let text = String::from_utf8_lossy(input.take(3)).into_owned();
        if let Ok(mask) = text.parse::<Mask>() {
            assert_eq!(
                mask.to_string().to_ascii_lowercase(),
                text.to_ascii_lowercase()
            );
            if let Some(code) = mask.as_code() {
                assert!(mask.matches(code));
            }
            expected.push(mask);
        }
    }
    let info: Vec<String> = (0..input.byte() % 4)
        .map(|_| {
            let len = usize::from(input.byte());
            String::from_utf8_lossy(input.take(len)).into_owned()
        })
        .collect();

    let status = StatusCodeError::new(expected.clone(), received.clone(), info.clone());
    let shown = status.to_string();
    assert!(
        !shown.contains(['\r', '\n', '\0']),
        "StatusCodeError::to_string is not one line: {shown:?}"
    );
    assert!(shown.starts_with("expected "));
    for code in &received {
        assert!(status.received(code.value()));
        assert!(shown.contains(&code.to_string()));
    }
    match received.last() {
        Some(last) => {
            assert_eq!(status.is_transient(), last.is_transient_negative());
            assert_eq!(status.is_permanent(), last.is_permanent_negative());
        }
        None => assert!(!status.is_transient() && !status.is_permanent()),
    }
    let root = Error::from(status.clone());
    assert_eq!(root.to_string(), shown);
    assert_eq!(root.status_code(), Some(&status));
    render(&root);

    let text = String::from_utf8_lossy(input.take(64)).into_owned();
    render(&Error::from(PathIsNotAbsolute::new(text.clone())));

    let kind = IO_KINDS[usize::from(input.byte()) % IO_KINDS.len()];
    let reason = io::Error::new(kind, text.clone());
    let path_io = if input.byte() % 2 == 0 {
        PathIoError::new(reason)
    } else {
        PathIoError::with_path(text.clone(), reason)
    };
    assert_eq!(path_io.io_kind(), Some(kind));
    let source = path_io.source().map(ToString::to_string);
    assert_eq!(source.as_deref(), Some(text.as_str()));
    let root = Error::from(path_io);
    assert_eq!(root.source().map(ToString::to_string), source);
    render(&root);

    let (a, b) = (input.u16(), input.u16());
    let no_port = if a % 3 == 0 {
        NoAvailablePort::default()
    } else {
        NoAvailablePort::in_range(a.min(b)..=a.max(b))
    };
    let io: io::Error = no_port.clone().into();
    assert_eq!(io.kind(), io::ErrorKind::AddrInUse);
    assert_eq!(io.to_string(), no_port.to_string());
    render(&Error::from(no_port));
    render(&Error::from(io));
    render(&Error::Timeout(text.clone()));
    render(&Error::UnexpectedReply(text));
    render(&Error::ConnectionClosed);
}

const IO_KINDS: &[io::ErrorKind] = &[
    io::ErrorKind::NotFound,
    io::ErrorKind::PermissionDenied,
    io::ErrorKind::AlreadyExists,
    io::ErrorKind::Other,
    io::ErrorKind::InvalidData,
    io::ErrorKind::UnexpectedEof,
];

/// Renders an error every way a user might, and walks its source chain (which must end).
fn render(err: &Error) {
    let _ = format!("{err} {err:?} {err:#?}");
    let mut depth = 0;
    let mut next = err.source();
    while let Some(source) = next {
        let _ = format!("{source} {source:?}");
        depth += 1;
        assert!(depth < 16, "source() chain does not end");
        next = source.source();
    }
}

/// A cursor that yields zeros once the fuzzer's bytes run out.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }
}
