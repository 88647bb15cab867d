//! What a scenario measured and how it is printed: one latency histogram and error count per operation
//! ([`Recorder`]), turned into markdown table rows ([`Row`]) with requests/s, p50/p99 and the server's peak RSS.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, from 1 µs to 10 minutes, with 3 significant digits.
const MAX_MICROS: u64 = 600_000_000;

/// The table header that [`Row::markdown`] lines go under.
pub const HEADER: &str =
    "| run | operation | requests | req/s | p50 ms | p99 ms | errors | server peak RSS MiB |\n\
                          |---|---|---:|---:|---:|---:|---:|---:|";

/// An empty histogram of the shape every operation uses.
fn new_histogram() -> Result<Histogram<u64>, hdrhistogram::CreationError> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3)
}

/// The latencies and errors of one kind of request.
#[derive(Debug, Clone)]
pub struct OpStats {
    hist: Histogram<u64>,
    errors: u64,
}

impl OpStats {
    fn new() -> Result<OpStats, hdrhistogram::CreationError> {
        Ok(OpStats {
            hist: new_histogram()?,
            errors: 0,
        })
    }

    /// Records one request: its latency, and whether it failed (transport error, unexpected status or
    /// unexpected body).
    pub fn record(&mut self, latency: Duration, ok: bool) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.hist.saturating_record(micros.max(1));
        if !ok {
            self.errors += 1;
        }
    }

    /// How many requests were recorded.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// How many of them failed.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// The latency at `quantile` (0.0..=1.0), in milliseconds.
    pub fn quantile_ms(&self, quantile: f64) -> f64 {
        self.hist.value_at_quantile(quantile) as f64 / 1000.0
    }

    fn merge(&mut self, other: &OpStats) {
        // Same bounds on both sides, so `add` cannot fail; saturate rather than lose a sample if it ever did.
        if self.hist.add(&other.hist).is_err() {
            for v in other.hist.iter_recorded() {
                self.hist
                    .saturating_record_n(v.value_iterated_to(), v.count_at_value());
            }
        }
        self.errors += other.errors;
    }
}

/// Per-operation statistics of one phase, shared by the phase's concurrent clients; operations are kept in the
/// order they were first recorded.
#[derive(Debug, Clone)]
pub struct Recorder {
    ops: Arc<Mutex<Vec<(String, OpStats)>>>,
    template: OpStats,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Result<Recorder, hdrhistogram::CreationError> {
        Ok(Recorder {
            ops: Arc::new(Mutex::new(Vec::new())),
            template: OpStats::new()?,
        })
    }

    /// Records one request of operation `op`.
    pub fn record(&self, op: &str, latency: Duration, ok: bool) {
        let mut ops = self
            .ops
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match ops.iter_mut().find(|(name, _)| name == op) {
            Some((_, stats)) => stats.record(latency, ok),
            None => {
                let mut stats = self.template.clone();
                stats.record(latency, ok);
                ops.push((op.to_string(), stats));
            }
        }
    }

    /// A copy of what was recorded so far: `(operation, stats)` in first-recorded order.
    pub fn snapshot(&self) -> Vec<(String, OpStats)> {
        self.ops
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The table rows of a phase that took `elapsed`: one per operation, then (if there were several and
    /// `total_label` is given) a total row. `rss_mib` is the server's peak RSS at the end of the phase, if known.
    pub fn rows(
        &self,
        run: &str,
        elapsed: Duration,
        total_label: Option<&str>,
        rss_mib: Option<f64>,
    ) -> Vec<Row> {
        let ops = self.snapshot();
        let mut rows: Vec<Row> = ops
            .iter()
            .map(|(op, stats)| Row::from_stats(run, op, stats, elapsed, rss_mib))
            .collect();
        if let (true, Some(total_label)) = (ops.len() > 1, total_label) {
            let mut total = self.template.clone();
            for (_, stats) in &ops {
                total.merge(stats);
            }
            rows.push(Row::from_stats(run, total_label, &total, elapsed, rss_mib));
        }
        rows
    }
}

/// One line of a results table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub run: String,
    pub operation: String,
    pub requests: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub rss_mib: Option<f64>,
}

impl Row {
    /// The row of `stats`, whose requests were spread over `elapsed`.
    pub fn from_stats(
        run: &str,
        operation: &str,
        stats: &OpStats,
        elapsed: Duration,
        rss_mib: Option<f64>,
    ) -> Row {
        let secs = elapsed.as_secs_f64();
        Row {
            run: run.to_string(),
            operation: operation.to_string(),
            requests: stats.count(),
            per_second: if secs > 0.0 {
                stats.count() as f64 / secs
            } else {
                0.0
            },
            p50_ms: stats.quantile_ms(0.50),
            p99_ms: stats.quantile_ms(0.99),
            errors: stats.errors(),
            rss_mib,
        }
    }

    /// The row as a markdown table line (see [`HEADER`]).
    pub fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            self.run,
            self.operation,
            self.requests,
            rate(self.per_second),
            millis(self.p50_ms),
            millis(self.p99_ms),
            self.errors,
            self.rss_mib
                .map_or_else(|| "n/a".to_string(), |m| format!("{m:.1}")),
        )
    }
}

/// Requests per second: whole numbers from 100 up, one decimal below.
pub fn rate(per_second: f64) -> String {
    if per_second >= 100.0 {
        format!("{per_second:.0}")
    } else {
        format!("{per_second:.1}")
    }
}

/// Milliseconds with about three significant digits.
pub fn millis(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_recorded_latencies() {
        let recorder = Recorder::new().unwrap();
        for ms in 1..=100u64 {
            recorder.record("GET", Duration::from_millis(ms), ms != 50);
        }
        let ops = recorder.snapshot();
        let (name, stats) = &ops[0];
        assert_eq!(name, "GET");
        assert_eq!(stats.count(), 100);
        assert_eq!(stats.errors(), 1);
        // 3 significant digits: within 0.1% of the exact value.
        assert!((stats.quantile_ms(0.5) - 50.0).abs() < 0.1);
        assert!((stats.quantile_ms(0.99) - 99.0).abs() < 0.1);
    }

    #[test]
    fn rows_per_operation_then_a_total() {
        let recorder = Recorder::new().unwrap();
        for _ in 0..30 {
            recorder.record("filter", Duration::from_micros(900), true);
            recorder.record("POST", Duration::from_millis(3), true);
        }
        recorder.record("POST", Duration::from_millis(3), false);
        let rows = recorder.rows(
            "sqlite 10k",
            Duration::from_secs(2),
            Some("all"),
            Some(21.26),
        );
        let ops: Vec<&str> = rows.iter().map(|r| r.operation.as_str()).collect();
        assert_eq!(ops, ["filter", "POST", "all"]);
        assert_eq!(rows[2].requests, 61);
        assert_eq!(rows[2].errors, 1);
        assert_eq!(rows[2].per_second, 30.5);
        assert_eq!(
            rows[0].markdown(),
            "| sqlite 10k | filter | 30 | 15.0 | 0.90 | 0.90 | 0 | 21.3 |"
        );
    }

    #[test]
    fn no_total_row_unless_asked_and_useful() {
        let recorder = Recorder::new().unwrap();
        recorder.record("GET", Duration::from_millis(1), true);
        recorder.record("PATCH", Duration::from_millis(2), true);
        assert_eq!(
            recorder.rows("x", Duration::from_secs(1), None, None).len(),
            2
        );
    }

    #[test]
    fn a_single_operation_has_no_total_row_and_rss_may_be_unknown() {
        let recorder = Recorder::new().unwrap();
        recorder.record("GET", Duration::from_millis(120), true);
        let rows = recorder.rows("peer", Duration::from_secs(1), Some("all"), None);
        assert_eq!(rows.len(), 1);
        assert!(rows[0]
            .markdown()
            .ends_with("| 1 | 1.0 | 120 | 120 | 0 | n/a |"));
    }

    #[test]
    fn number_formats() {
        assert_eq!(rate(12345.6), "12346");
        assert_eq!(rate(42.26), "42.3");
        assert_eq!(millis(0.1234), "0.12");
        assert_eq!(millis(12.345), "12.3");
        assert_eq!(millis(123.4), "123");
    }
}
