//! Waiting for a transfer's speed limits (the core's [`Flow::grant`]) with
//! [`async_io::Timer`].

use std::time::Instant;

use async_io::Timer;
use sansftp::server::Flow;

/// The largest block moved at once: big enough that a 1 GiB transfer makes few
/// round trips through the thread pool, small enough for many concurrent transfers.
/// Under a speed limit, [`Flow::block`] makes it smaller.
pub(crate) const BLOCK: usize = 512 * 1024;

/// Waits until the speed limits let (a burst of) `n` bytes move.
pub(crate) async fn pace(flow: &Flow, n: usize) {
    while let Err(at) = flow.grant(n, Instant::now()) {
        Timer::at(at).await;
    }
}
