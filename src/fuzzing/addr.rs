//! Fuzz target `addr`: every address parser of [`crate::addr`], the `257` path quoting
//! and [`VirtualPath`] normalisation, fed the same bytes.
//!
//! Properties checked: whatever parses formats back to the same value; a path that
//! normalises keeps every [`VirtualPath`] invariant and maps under a root without leaving
//! it.

use std::path::{Component, Path};

use crate::addr::{
    format_eprt_arg, format_epsv_reply_text, format_pasv_reply_text, format_port_arg,
    parse_eprt_arg, parse_epsv_reply, parse_pasv_reply, parse_port_arg,
};
use crate::path::{MAX_COMPONENT_LEN, MAX_PATH_LEN, VirtualPath, parse_257, quote_257};

/// Runs every parser on `data` and checks round trips and path invariants.
pub fn addr(data: &[u8]) {
    if let Ok(a) = parse_pasv_reply(data) {
        let text = format_pasv_reply_text(a);
        assert_eq!(parse_pasv_reply(text.as_bytes()), Ok(a));
    }
    if let Ok(port) = parse_epsv_reply(data) {
        assert_ne!(port, 0);
        let text = format_epsv_reply_text(port);
        assert_eq!(parse_epsv_reply(text.as_bytes()), Ok(port));
    }
    if let Ok(a) = parse_port_arg(data) {
        assert_eq!(parse_port_arg(format_port_arg(a).as_bytes()), Ok(a));
    }
    if let Ok(a) = parse_eprt_arg(data) {
        assert_eq!(parse_eprt_arg(format_eprt_arg(a).as_bytes()), Ok(a));
    }
    if let Some(p) = parse_257(data) {
        assert_eq!(parse_257(&quote_257(&p)), Some(p));
    }

    // LF can never be in a path, so it splits the input into a cwd and an argument
    // without hiding any path byte from the fuzzer.
    let (cwd, arg) = match memchr::memchr(b'\n', data) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"/"[..], data),
    };
    let cwd = VirtualPath::parse(cwd).unwrap_or_default();
    check_path(&cwd);
    if let Ok(p) = VirtualPath::parse(arg) {
        check_path(&p);
    }
    if let Ok(p) = cwd.join(arg) {
        check_path(&p);
        if arg.first() == Some(&b'/') {
            assert_eq!(VirtualPath::parse(arg).as_ref(), Ok(&p));
        }
    }
}

fn check_path(p: &VirtualPath) {
    let b = p.as_bytes();
    assert_eq!(b.first(), Some(&b'/'));
    assert!(b.len() <= MAX_PATH_LEN);
    assert!(!b.iter().any(|&c| matches!(c, 0 | b'\r' | b'\n')));
    assert!(p.is_root() || !b.ends_with(b"/"));
    for c in p.components() {
        assert!(!c.is_empty() && c != b"." && c != b"..");
        assert!(c.len() <= MAX_COMPONENT_LEN && !c.contains(&b'/'));
    }
    // Normalisation is idempotent.
    assert_eq!(VirtualPath::parse(b).as_ref(), Ok(p));
    let root = Path::new("/srv/ftp/user");
    let real = p.under(root);
    assert!(real.starts_with(root));
    assert!(!real.components().any(|c| matches!(c, Component::ParentDir)));
    // Each component stays one name: nothing in it acted as a separator.
    #[cfg(unix)]
    assert_eq!(real.components().count(), 4 + p.components().count());
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    proptest::proptest! {
        #[test]
        fn arbitrary_inputs_keep_the_properties(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..6),
                    proptest::sample::select(vec![
                        &b".."[..], b"/", b"\\", b",", b"|", b"(", b")", b"\"", b"\n",
                        b"255", b"1", b"0", b"::", b"ffff", b".", b" ",
                    ]).prop_map(<[u8]>::to_vec),
                ],
                0..24,
            )
        ) {
            addr(&pieces.concat());
        }
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for data in [
            &b""[..],
            b"\n",
            b"\n\n",
            b"/a/b\n../../..\\x",
            b"\0",
            b"\xff\xfe\n\xff",
            b"(|||",
            b"|2|",
            b"\"",
        ] {
            addr(data);
        }
    }
}
