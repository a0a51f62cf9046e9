//! How the start of a read buffer changes the cost of `read(2)` from the page cache:
//! reads FILE in 64 KiB blocks into buffers that start at a page boundary plus 0, 8,
//! 16, 32 and 64 bytes, and into a plain 1 MiB `Vec<u8>`, alternating, REPS times.
//! Put FILE on tmpfs (or read it once first) so that it is all in the page cache.
//!
//! ```text
//! cargo run --release --example copy_alignment -- /dev/shm/some-256MiB-file [REPS]
//! ```
//!
//! See `sansftp::buffer` for why the adapters' buffers are page-aligned.

use std::fs::File;
use std::io::Read;
use std::time::Instant;

use sansftp::buffer::{ALIGN, DataBuffer};

const BLOCK: usize = 64 * 1024;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or_else(|| std::io::Error::other("usage: copy_alignment FILE [REPS]"))?;
    let reps: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut aligned = DataBuffer::new(BLOCK + ALIGN);
    let mut plain = vec![0u8; 1 << 20];
    println!(
        "plain Vec<u8> starts {} bytes past a page boundary",
        plain.as_ptr() as usize % ALIGN
    );
    let offsets = [0usize, 8, 16, 32, 64];
    let mut seconds = vec![Vec::new(); offsets.len() + 1];
    for _ in 0..reps {
        for (i, offset) in offsets.iter().enumerate() {
            seconds[i].push(pass(&path, &mut aligned[*offset..*offset + BLOCK])?);
        }
        seconds[offsets.len()].push(pass(&path, &mut plain[..BLOCK])?);
    }
    for (i, runs) in seconds.iter_mut().enumerate() {
        runs.sort_by(f64::total_cmp);
        let label = match offsets.get(i) {
            Some(offset) => format!("page + {offset:>2} bytes"),
            None => "plain Vec<u8>".to_owned(),
        };
        println!(
            "{label:<16} median {:.3} s (min {:.3}, max {:.3})",
            runs[runs.len() / 2],
            runs[0],
            runs[runs.len() - 1]
        );
    }
    Ok(())
}

/// Seconds to read the whole file through `buf`.
fn pass(path: &str, buf: &mut [u8]) -> std::io::Result<f64> {
    let mut file = File::open(path)?;
    let started = Instant::now();
    while file.read(buf)? > 0 {}
    Ok(started.elapsed().as_secs_f64())
}
