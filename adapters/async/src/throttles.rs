//! Waiting for a transfer's speed limits (the core's [`TransferThrottles`]) with
//! [`async_io::Timer`].

use std::time::Instant;

use async_io::Timer;
use sansftp::server::TransferThrottles;

/// The largest block moved at once: big enough that a 1 GiB transfer makes few
/// round trips through the thread pool, small enough for many concurrent transfers.
pub(crate) const BLOCK: usize = 512 * 1024;

/// The block size under a speed limit, so a slow transfer moves steadily rather than
/// in gulps of [`BLOCK`] followed by long pauses.
// The core's TransferThrottles does not expose the burst sizes; this is about the
// default burst of a 160 KiB/s limit.
const LIMITED_BLOCK: usize = 16 * 1024;

/// How many bytes to move at once.
pub(crate) fn block(t: &TransferThrottles) -> usize {
    if t.is_limited() { LIMITED_BLOCK } else { BLOCK }
}

/// Waits until every limit lets `n` bytes move.
pub(crate) async fn wait(t: &TransferThrottles, n: usize) {
    if !t.is_limited() {
        return;
    }
    while let Some(at) = t.ready_at(n as u64, Instant::now()) {
        Timer::at(at).await;
    }
}

/// Records `n` bytes moved.
pub(crate) fn consume(t: &TransferThrottles, n: usize) {
    if t.is_limited() {
        t.consume(n as u64, Instant::now());
    }
}
