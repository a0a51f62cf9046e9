//! Fuzz entry point for the reply decoder and encoder.

use crate::reply::{DEFAULT_MAX_LINE, DEFAULT_MAX_LINES, DecodeError, Decoder, Reply};

/// Decodes `data[1..]` once in one piece and once in chunks whose sizes come from
/// `data[0]`, and checks that both give the same sequence of replies and errors (the
/// decoder goes on after an error, so whole sequences are compared, not only a prefix).
/// Every decoded reply is then re-encoded and must decode to its normal form
/// (`Reply::multiline(code, lines)`).
///
/// Bits of `data[0]`: 0-3 pick the first chunk size (1-16), 4-5 how sizes change,
/// 6-7 the limits (default, or small ones that make the limit paths reachable).
pub fn reply_decoder(data: &[u8]) {
    let Some((&seed, data)) = data.split_first() else {
        return;
    };
    let (max_line, max_lines) = match seed >> 6 {
        0 => (DEFAULT_MAX_LINE, DEFAULT_MAX_LINES),
        1 => (64, 8),
        2 => (8, 3),
        _ => (0, 0),
    };
    let whole = decode_chunks(Decoder::with_limits(max_line, max_lines), [data]);
    let mut size = usize::from(seed & 0x0f) + 1;
    let step = usize::from((seed >> 4) & 0x03);
    let mut rest = data;
    let mut chunks = Vec::new();
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        chunks.push(chunk);
        rest = tail;
        // Vary the sizes so splits land everywhere, CR/LF pairs included.
        size = (size * 3 + step) % 17 + 1;
    }
    let chunked = decode_chunks(Decoder::with_limits(max_line, max_lines), chunks);
    assert_eq!(whole, chunked, "results depend on how the input was split");

    for reply in whole.into_iter().flatten() {
        let mut wire = Vec::new();
        reply.encode(&mut wire);
        // An inner line may gain one leading space when encoded.
        let decoder = Decoder::with_limits(max_line.max(DEFAULT_MAX_LINE) + 1, DEFAULT_MAX_LINES);
        let again = decode_chunks(decoder, [wire.as_slice()]);
        let normal = Reply::multiline(reply.code(), reply.lines());
        assert_eq!(
            again,
            [Ok(normal)],
            "re-encoded reply reads back differently"
        );
    }
}

fn decode_chunks<'a>(
    mut decoder: Decoder,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<Result<Reply, DecodeError>> {
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.push(chunk);
        loop {
            match decoder.next_reply() {
                Ok(None) => break,
                Ok(Some(reply)) => out.push(Ok(reply)),
                Err(err) => {
                    // Display must work on whatever the input was.
                    let _ = err.to_string();
                    out.push(Err(err));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typical_stream_passes() {
        for seed in [0u8, 0x35, 0x4f, 0x80, 0xc1] {
            let mut data = vec![seed];
            data.extend_from_slice(
                b"220-hi\r\n220-there\r\n220 ok\r\n211-Feat\r\n MDTM\r\n123-x\r\n211 End\r\n\
                  150-a\r\n226 b\r\nHTTP\r\n257 \"caf\xe9\"\n200\r\n",
            );
            reply_decoder(&data);
        }
    }

    proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            reply_decoder(&data);
        }

        #[test]
        fn never_panics_on_reply_shaped_input(
            seed in any::<u8>(),
            parts in proptest::collection::vec(
                prop::sample::select(vec![
                    &b"211-"[..], b"211 ", b"211", b"212 ", b"x", b"\r\n", b"\n", b"\r", b" ",
                    b"12", b"\xff",
                ]),
                0..64,
            ),
        ) {
            let mut data = vec![seed];
            data.extend(parts.concat());
            reply_decoder(&data);
        }
    }
}
