//! Waiting: for a transfer's speed limits (the core's [`Flow::grant`]) on tokio's timer, and
//! for work on tokio's blocking pool.

use std::time::Instant;

use sansftp::server::Flow;

/// The largest block moved at once: big enough that a 1 GiB transfer makes few
/// round trips through the blocking pool, small enough for many concurrent transfers.
/// Under a speed limit, [`Flow::block`] makes it smaller.
pub(crate) const BLOCK: usize = 512 * 1024;

/// Waits until the speed limits let (a burst of) `n` bytes move.
pub(crate) async fn pace(flow: &Flow, n: usize) {
    while let Err(at) = flow.grant(n, Instant::now()) {
        tokio::time::sleep_until(at.into()).await;
    }
}

/// Runs `f` on tokio's blocking pool and waits for it. A panic in `f` goes on in the
/// caller's task, as if `f` had run there.
pub(crate) async fn unblock<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Cancelled: only while the runtime shuts down, which drops this task too.
        Err(_) => std::future::pending().await,
    }
}
