//! Waiting for a transfer's speed limits (the core's [`TransferThrottles`]) with
//! [`async_io::Timer`].

use std::time::Instant;

use async_io::Timer;
use sansftp::server::TransferThrottles;

/// The largest block moved at once: big enough that a 1 GiB transfer makes few
/// round trips through the thread pool, small enough for many concurrent transfers.
pub(crate) const BLOCK: usize = 512 * 1024;

/// The smallest block under a speed limit: below this, the per-block overhead (a
/// pool round trip, a timer) outweighs the smoothness gained.
const MIN_LIMITED_BLOCK: usize = 4 * 1024;

/// How many bytes to move at once: [`BLOCK`] at full speed; under a speed limit, the
/// limits' burst (a tenth of a second's worth by default), so a slow transfer moves
/// steadily rather than in gulps of [`BLOCK`] followed by long pauses.
pub(crate) fn block(t: &TransferThrottles) -> usize {
    match t.burst() {
        None => BLOCK,
        Some(burst) => usize::try_from(burst)
            .unwrap_or(BLOCK)
            .clamp(MIN_LIMITED_BLOCK, BLOCK),
    }
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
