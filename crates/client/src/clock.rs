//! Time as a service is given it: the wall clock in production, a clock a test or a
//! simulation moves by hand.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// What a service asks of time: the current time and a way to wait.
///
/// Services read the time only through this trait, so that rules about deadlines and
/// schedules can be run at any speed. `now` never goes backwards for one clock; `sleep`
/// returns no earlier than `now() + duration` as that clock counts.
pub trait Clock: Send + Sync + 'static {
    /// Time since the Unix epoch.
    fn now(&self) -> Duration;

    /// Waits `duration` of this clock's time.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64 {
        u64::try_from(self.now().as_millis()).unwrap_or(u64::MAX)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        (**self).sleep(duration)
    }
}

/// The machine's wall clock and tokio's timers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that moves only when told to: [`ManualClock::advance`] moves it and wakes the
/// sleepers whose time has come. A clock made [`skipping`](ManualClock::skipping) moves itself
/// instead: each sleep jumps it to the sleeper's wake-up time, as a simulation with one actor
/// skips the time nobody acts in.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<tokio::sync::watch::Sender<Duration>>,
    skip: bool,
}

impl ManualClock {
    /// A clock that reads `start` until it is advanced.
    pub fn new(start: Duration) -> ManualClock {
        ManualClock {
            now: Arc::new(tokio::sync::watch::Sender::new(start)),
            skip: false,
        }
    }

    /// A clock that reads `start` and jumps forward by each sleep's duration.
    pub fn skipping(start: Duration) -> ManualClock {
        ManualClock {
            skip: true,
            ..ManualClock::new(start)
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|now| *now = now.saturating_add(by));
    }

    /// Moves the clock to `to`, if that is later than now.
    pub fn set(&self, to: Duration) {
        self.now.send_modify(|now| *now = (*now).max(to));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.now.borrow()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        if self.skip {
            self.advance(duration);
            return Box::pin(std::future::ready(()));
        }
        let mut watch = self.now.subscribe();
        let until = watch.borrow().saturating_add(duration);
        Box::pin(async move {
            // The sender lives as long as any clone of the clock; when all are gone nobody can
            // advance time, and the sleeper returns rather than wait forever.
            let _ = watch.wait_for(|now| *now >= until).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_sleeper_wakes_only_when_the_clock_reaches_its_time() {
        let clock = ManualClock::new(Duration::from_secs(100));
        let sleeper = tokio::spawn(clock.sleep(Duration::from_secs(5)));
        clock.advance(Duration::from_secs(4));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(1));
        sleeper.await.unwrap();
        assert_eq!(clock.now_ms(), 105_000);
    }

    #[tokio::test]
    async fn a_skipping_clock_jumps_to_each_sleepers_wake_up_time() {
        let clock = ManualClock::skipping(Duration::from_secs(1));
        clock.sleep(Duration::from_millis(250)).await;
        clock.sleep(Duration::from_millis(250)).await;
        assert_eq!(clock.now_ms(), 1_500);
    }

    #[test]
    fn a_manual_clock_never_goes_backwards() {
        let clock = ManualClock::new(Duration::from_secs(10));
        clock.set(Duration::from_secs(3));
        assert_eq!(clock.now(), Duration::from_secs(10));
    }
}
