//! Fuzz entry point for the command-line decoder and encoder.

use crate::command::{Command, LineDecoder, ParseError};

/// Feeds `data[1..]` to a [`LineDecoder`] in one piece and in chunks sized from
/// `data[0]`, and checks both give the same results. Every error must give a reply code
/// and a one-line message; every command must display as one line, encode, and decode
/// back to itself.
///
/// Bits of `data[0]`: 0-3 pick the first chunk size (1-16), bit 7 a small line limit (64)
/// that makes the over-long path reachable.
pub fn command_line(data: &[u8]) {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    let max_line = if seed & 0x80 != 0 { 64 } else { 8192 };
    let whole = decode_chunks(LineDecoder::with_max_line(max_line), [data]);
    let mut size = usize::from(seed & 0x0f) + 1;
    let mut rest = data;
    let mut chunks = Vec::new();
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        chunks.push(chunk);
        rest = tail;
        size = (size * 5 + 3) % 13 + 1;
    }
    let chunked = decode_chunks(LineDecoder::with_max_line(max_line), chunks);
    assert_eq!(whole, chunked, "results depend on how the input was split");

    for item in whole {
        match item {
            Ok(cmd) => check_command(&cmd),
            Err(err) => {
                let code = err.reply_code();
                assert!(
                    matches!(code.value(), 500 | 501 | 504 | 522),
                    "unexpected reply code {code} for {err:?}"
                );
                let reply = err.to_reply();
                assert!(!reply.is_multiline(), "error message spans lines: {err}");
            }
        }
    }
}

fn check_command(cmd: &Command) {
    let shown = cmd.to_string();
    assert!(
        !shown.contains(['\r', '\n']),
        "Display is not one line: {shown:?}"
    );
    assert!(!cmd.verb().is_empty());
    let mut wire = Vec::new();
    // Whatever the server-side parser produces, the client side can send.
    if let Err(err) = cmd.encode(&mut wire) {
        panic!("parsed command {cmd:?} does not encode: {err}");
    }
    let mut decoder = LineDecoder::with_max_line(usize::MAX);
    decoder.push(&wire);
    assert_eq!(
        decoder.next_command(),
        Some(Ok(cmd.clone())),
        "re-encoded command reads back differently: {wire:?}"
    );
    assert_eq!(
        decoder.next_command(),
        None,
        "one command encoded as several lines"
    );
}

fn decode_chunks<'a>(
    mut decoder: LineDecoder,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<Result<Command, ParseError>> {
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.push(chunk);
        while let Some(item) = decoder.next_command() {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typical_session_passes() {
        for seed in [0u8, 7, 0x8f] {
            let mut data = vec![seed];
            data.extend_from_slice(
                b"USER a\r\nPASS \xff\xff\r\nTYPE A\r\nLIST -la /d\r\nEPRT |2|::1|21|\r\n\
                  \xff\xf4\xff\xf2ABOR\r\nPORT 1,2\r\nRETR \0\r\n\r\nQUIT\n",
            );
            command_line(&data);
        }
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            command_line(&data);
        }
    }
}
