//! One work budget per request, charged by every schema engine: parsing, reference resolution,
//! canonicalisation and compatibility checks, for Avro, Protobuf and JSON Schema alike.
//!
//! The work of a request runs on one thread of the blocking pool ([`crate::registry`]'s
//! `on_cpu`), so the meter is thread-local: [`run`] installs a fresh one around the request's
//! work, the engines [`charge`] it as they go and stop early once it is spent, and the caller
//! turns an overrun into `422 {"error_code":42290,…}` ([`Overrun::to_api_error`]). Outside a
//! request (the `check` command, tests) [`ensure`] gives each top-level call the default budget,
//! so the engines are bounded everywhere.
//!
//! Units are abstract: one unit is about one elementary step (a byte parsed or printed, a
//! reader/writer pair or subschema pair compared is worth [`PAIR`] units, a Protobuf message
//! comparison [`MESSAGE`] units). The default allows what the separate step caps allowed before
//! (1M Avro/JSON comparisons, 100k Protobuf message comparisons).

use std::cell::RefCell;
use std::time::{Duration, Instant};

use crate::error::ApiError;

/// Default work allowed per request, in units.
pub const DEFAULT_UNITS: u64 = 50_000_000;
/// Units charged for one reader/writer (or original/update) pair compared.
pub const PAIR: u64 = 50;
/// Units charged for one Protobuf message comparison.
pub const MESSAGE: u64 = 500;
/// Confluent has no code for this; 42290 is in the 422 family and unused by Confluent (its
/// codes are 42201–42212 and the DEK Registry's 42271–42272).
pub const ERROR_CODE: u32 = 42290;

/// How much work one request may do: units, and optionally wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkLimit {
    pub units: u64,
    pub time: Option<Duration>,
}

impl Default for WorkLimit {
    fn default() -> Self {
        Self { units: DEFAULT_UNITS, time: None }
    }
}

/// Which limit a request went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overrun {
    Units(u64),
    Time(Duration),
}

impl Overrun {
    /// The Confluent-shaped answer: 422 with [`ERROR_CODE`] and the limit named.
    pub fn to_api_error(self) -> ApiError {
        let message = match self {
            Overrun::Units(n) => format!(
                "Request work limit exceeded: parsing and checking this schema needs more than {n} units of work (max.request.work)"
            ),
            Overrun::Time(t) => format!(
                "Request work limit exceeded: parsing and checking this schema takes longer than {} ms (max.request.work.ms)",
                t.as_millis()
            ),
        };
        ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, ERROR_CODE, message)
    }
}

struct Meter {
    limit: WorkLimit,
    used: u64,
    deadline: Option<Instant>,
    over: Option<Overrun>,
}

thread_local! {
    static METER: RefCell<Option<Meter>> = const { RefCell::new(None) };
}

/// Run `f` with a fresh budget of `limit` on this thread; the overrun, if it went past it.
/// A budget already running on this thread is put aside for `f` and restored after.
pub fn run<T>(limit: WorkLimit, f: impl FnOnce() -> T) -> (T, Option<Overrun>) {
    let fresh = Meter { limit, used: 0, deadline: limit.time.map(|t| Instant::now() + t), over: None };
    let outer = METER.with(|m| m.borrow_mut().replace(fresh));
    // Restores the outer meter even if `f` panics (the blocking pool reuses threads).
    struct Restore(Option<Meter>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            METER.with(|m| *m.borrow_mut() = outer);
        }
    }
    let restore = Restore(outer);
    let out = f();
    let over = METER.with(|m| m.borrow().as_ref().and_then(|m| m.over));
    drop(restore);
    (out, over)
}

/// Run `f` under the budget already running on this thread, or under the default budget.
pub fn ensure<T>(f: impl FnOnce() -> T) -> T {
    if METER.with(|m| m.borrow().is_some()) {
        f()
    } else {
        run(WorkLimit::default(), f).0
    }
}

/// Charge `units` of work; false once the budget is spent (and from then on). Without a budget
/// on this thread it is free.
pub fn charge(units: u64) -> bool {
    METER.with(|m| {
        let mut m = m.borrow_mut();
        let Some(m) = m.as_mut() else { return true };
        if m.over.is_some() {
            return false;
        }
        let before = m.used;
        m.used = m.used.saturating_add(units);
        if m.used > m.limit.units {
            m.over = Some(Overrun::Units(m.limit.units));
        } else if let (Some(deadline), Some(t)) = (m.deadline, m.limit.time) {
            // The clock is read about every 4096 units.
            if (before >> 12) != (m.used >> 12) && Instant::now() >= deadline {
                m.over = Some(Overrun::Time(t));
            }
        }
        m.over.is_none()
    })
}

/// Charge `units` per item of a count (saturating).
pub fn charge_each(count: usize, units: u64) -> bool {
    charge(u64::try_from(count).unwrap_or(u64::MAX).saturating_mul(units))
}

/// Has the budget on this thread been spent?
pub fn spent() -> bool {
    METER.with(|m| m.borrow().as_ref().is_some_and(|m| m.over.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_until_the_limit_then_stays_spent() {
        let ((), over) = run(WorkLimit { units: 10, time: None }, || {
            assert!(charge(6));
            assert!(charge(4));
            assert!(!spent());
            assert!(!charge(1));
            assert!(spent());
            assert!(!charge(0), "spent is sticky");
        });
        assert_eq!(over, Some(Overrun::Units(10)));
        assert!(charge(1_000_000_000), "no budget outside run");
    }

    #[test]
    fn nested_runs_restore_the_outer_budget() {
        let ((), over) = run(WorkLimit { units: 100, time: None }, || {
            assert!(charge(50));
            let ((), inner) = run(WorkLimit { units: 1, time: None }, || assert!(!charge(2)));
            assert_eq!(inner, Some(Overrun::Units(1)));
            assert!(!spent());
            assert!(charge(50));
            ensure(|| assert!(!charge(1), "ensure uses the running budget"));
        });
        assert_eq!(over, Some(Overrun::Units(100)));
        ensure(|| assert!(!charge(DEFAULT_UNITS + 1), "ensure gives the default budget"));
        assert!(!spent(), "and removes it after");
    }

    #[test]
    fn a_time_limit_stops_long_work() {
        let limit = WorkLimit { units: u64::MAX, time: Some(Duration::from_millis(1)) };
        let ((), over) = run(limit, || {
            std::thread::sleep(Duration::from_millis(5));
            while charge(1) {}
        });
        assert_eq!(over, Some(Overrun::Time(Duration::from_millis(1))));
        let e = over.map(Overrun::to_api_error).expect("over");
        assert_eq!((e.status.as_u16(), e.code), (422, 42290));
        assert!(e.message.contains("max.request.work.ms"), "{}", e.message);
    }
}
