//! Bounded-concurrency execution of independent actions.

use futures::stream::{self, StreamExt};
use std::future::Future;

/// Runs `action` on every item with at most `limit` in flight, returning results in input order.
///
/// Actions are independent: one failing never stops the others, since each returns its own
/// outcome rather than short-circuiting. A slot frees as soon as its action finishes, whatever
/// the order: one slow call never holds back the calls behind it.
pub async fn run_bounded<T, O, F, Fut>(items: Vec<T>, limit: usize, mut action: F) -> Vec<O>
where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = O>,
{
    let mut finished: Vec<(usize, O)> = stream::iter(items.into_iter().enumerate())
        .map(|(index, item)| {
            let done = action(item);
            async move { (index, done.await) }
        })
        .buffer_unordered(limit.max(1))
        .collect()
        .await;
    finished.sort_unstable_by_key(|(index, _)| *index);
    finished.into_iter().map(|(_, out)| out).collect()
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
    async fn a_slow_action_does_not_hold_back_the_ones_behind_it() {
        // The first action can only finish once the last has run: with two slots, that needs
        // the second slot to go on serving the queue while the first stays busy.
        let last_ran = Arc::new(tokio::sync::Notify::new());
        let items: Vec<usize> = (0..10).collect();
        let run = run_bounded(items, 2, |i| {
            let last_ran = last_ran.clone();
            async move {
                match i {
                    0 => last_ran.notified().await,
                    9 => last_ran.notify_one(),
                    _ => tokio::task::yield_now().await,
                }
                i
            }
        });
        let out = tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("the queue behind the slow action kept moving");
        assert_eq!(out, (0..10).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn zero_limit_still_makes_progress() {
        let out = run_bounded(vec![1, 2, 3], 0, |i| async move { i + 1 }).await;
        assert_eq!(out, vec![2, 3, 4]);
    }
}
