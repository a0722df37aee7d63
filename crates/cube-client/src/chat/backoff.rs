//! When to try reconnecting: exponential backoff with jitter that never gets stuck.
//!
//! A reconnect *cycle* is at most `attempts_per_cycle` attempts with growing delays; when a
//! cycle is used up, the next one starts after `cycle_pause` with the delay reset. There is no
//! final give-up (a chat client that stops trying is the "stuck reconnect" users complain
//! about), and every delay is bounded, so a timer is always armed.

use std::time::Duration;

/// The reconnect schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay before the first retry of a cycle.
    pub initial: Duration,
    /// The longest delay between two attempts of a cycle.
    pub max: Duration,
    /// Attempts in one cycle before pausing.
    pub attempts_per_cycle: u32,
    /// The pause between two cycles.
    pub cycle_pause: Duration,
}

impl Default for Backoff {
    /// 0.5 s doubling up to 30 s, 8 attempts per cycle, then a 60 s pause.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            attempts_per_cycle: 8,
            cycle_pause: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The delay before reconnect attempt `attempt` (1-based, counting every attempt since the
    /// connection was lost); `jitter` in `[0, 1)` spreads clients apart (the delay is scaled
    /// into `[1/2, 1)` of itself).
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let per_cycle = self.attempts_per_cycle.max(1);
        let index = attempt.saturating_sub(1) % per_cycle;
        let base = if attempt > 1 && index == 0 {
            self.cycle_pause.max(self.initial)
        } else {
            let exp = index.min(30);
            self.initial.saturating_mul(1u32 << exp).min(self.max)
        };
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        base.mul_f64(0.5 + jitter / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const B: Backoff = Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(1),
        attempts_per_cycle: 4,
        cycle_pause: Duration::from_secs(5),
    };

    #[test]
    fn grows_caps_and_pauses_between_cycles() {
        let d = |a| B.delay(a, 1.0);
        assert_eq!(d(1), Duration::from_millis(100));
        assert_eq!(d(2), Duration::from_millis(200));
        assert_eq!(d(3), Duration::from_millis(400));
        assert_eq!(d(4), Duration::from_millis(800));
        assert_eq!(d(5), Duration::from_secs(5), "a new cycle after a pause");
        assert_eq!(d(6), Duration::from_millis(200));
        assert_eq!(B.delay(1, 0.0), Duration::from_millis(50));
        assert_eq!(B.delay(1, f64::NAN), Duration::from_millis(50));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn every_delay_is_bounded_and_positive(attempt in 1u32.., jitter in 0.0f64..1.0) {
            let d = B.delay(attempt, jitter);
            prop_assert!(d > Duration::ZERO);
            prop_assert!(d <= B.cycle_pause.max(B.max));
        }
    }
}
