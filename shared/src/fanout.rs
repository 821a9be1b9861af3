//! Bounded-concurrency execution of independent actions.

use futures::stream::{self, StreamExt};
use std::future::Future;

/// Runs `action` on every item with at most `limit` in flight, returning results in input order.
///
/// Actions are independent: one failing never stops the others, since each returns its own
/// outcome rather than short-circuiting.
pub async fn run_bounded<T, O, F, Fut>(items: Vec<T>, limit: usize, action: F) -> Vec<O>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = O>,
{
    stream::iter(items)
        .map(action)
        .buffered(limit.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn keeps_order_and_bounds_concurrency() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let items: Vec<u64> = (0..40).collect();
        let out = run_bounded(items, 4, |i| {
            let in_flight = in_flight.clone();
            let peak = peak.clone();
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Later items finish first, so order must come from the executor, not timing.
                tokio::time::sleep(Duration::from_millis(40 - i)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }
        })
        .await;
        assert_eq!(out, (0..40).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn zero_limit_still_makes_progress() {
        let out = run_bounded(vec![1, 2, 3], 0, |i| async move { i + 1 }).await;
        assert_eq!(out, vec![2, 3, 4]);
    }
}
