//! PostgreSQL's planner statistics, refreshed by the store itself as its tables grow.
//!
//! diesel keeps every statement prepared for a connection's life, and PostgreSQL plans a prepared statement again
//! only when the statistics of its tables change. With autovacuum (its autoanalyze) off, as some operators run
//! it, a statement first planned while the tables were empty (a new organisation's first cycle) kept its
//! empty-table plan: a look-up by `userName` scanned the organisation's users, 0.03× of `/healthz` at 10k users.
//! So the store counts its writes and, after as many as autovacuum's default would wait for (50 plus 10% of the
//! rows the last refresh found), runs `VACUUM (ANALYZE)` on its tables on a connection of its own, in the
//! background: the new statistics invalidate every connection's cached plans, which are made again on the tables'
//! current size, and the vacuum marks the written pages all-visible, without which the index-only reads of a
//! user's emails and addresses fetch every row from the table as well (0.72× of the look-ups with autovacuum on,
//! with `ANALYZE` alone). With autovacuum on, this only adds a vacuum of the pages written since the last one and
//! an `ANALYZE` (it samples at most 30,000 rows per table) now and then.
//! Each process counts its own writes. SQLite needs none of this: its planner prefers an index whatever the
//! tables' size when it has no statistics, and Humbol never gives it any.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// The tables analysed: every table a request reads.
const TABLES: &str = "users, user_emails, user_addresses, groups, group_members, scim_tokens, orgs";
/// Writes before the first refresh, and the constant part of every later threshold (autovacuum's
/// `autovacuum_analyze_threshold`).
pub const BASE: u64 = 50;
/// The part of the rows found by the last refresh that must be written before the next one (autovacuum's
/// `autovacuum_analyze_scale_factor`, as a divisor: 10%).
const SCALE_DIVISOR: u64 = 10;

/// The counters of one store (see the module's documentation).
pub struct Statistics {
    /// Writes since the last refresh started.
    writes: AtomicU64,
    /// Writes that make the next refresh due.
    due: AtomicU64,
    running: AtomicBool,
    refreshes: AtomicU64,
}

impl Default for Statistics {
    fn default() -> Self {
        Statistics {
            writes: AtomicU64::new(0),
            due: AtomicU64::new(BASE),
            running: AtomicBool::new(false),
            refreshes: AtomicU64::new(0),
        }
    }
}

#[derive(QueryableByName)]
struct Rows {
    #[diesel(sql_type = BigInt)]
    rows: i64,
}

impl Statistics {
    /// Counts `writes` writes; `true` when a refresh is due now and none is running (the caller then runs
    /// [`Statistics::refresh`], or [`Statistics::skip`] if it cannot).
    pub fn count_writes(&self, writes: u64) -> bool {
        let n = self.writes.fetch_add(writes, Ordering::Relaxed) + writes;
        n >= self.due.load(Ordering::Relaxed)
            && self
                .running
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
    }

    /// A due refresh that could not start (no idle connection): the next write tries again.
    pub fn skip(&self) {
        self.running.store(false, Ordering::Release);
    }

    /// `VACUUM (ANALYZE)` on the store's tables, then the next threshold from the rows it found. A failure is
    /// logged (the plans stay as they were; the next threshold is the same).
    pub fn refresh(&self, conn: &mut diesel::PgConnection) {
        self.writes.store(0, Ordering::Relaxed);
        let started = std::time::Instant::now();
        let analysed = diesel::sql_query(format!("VACUUM (ANALYZE) {TABLES}"))
            .execute(conn)
            .and_then(|_| {
                diesel::sql_query(
                    "SELECT COALESCE(SUM(GREATEST(reltuples, 0)), 0)::BIGINT AS rows FROM pg_class \
                     WHERE oid IN ('users'::regclass, 'groups'::regclass, 'group_members'::regclass)",
                )
                .get_result::<Rows>(conn)
            });
        match analysed {
            Ok(r) => {
                let rows = u64::try_from(r.rows).unwrap_or(0);
                self.due
                    .store(BASE + rows / SCALE_DIVISOR, Ordering::Relaxed);
                self.refreshes.fetch_add(1, Ordering::Relaxed);
                log::debug!(
                    "PostgreSQL statistics refreshed ({rows} rows) in {:?}",
                    started.elapsed()
                );
            }
            Err(e) => {
                log::warn!("refreshing PostgreSQL's statistics (VACUUM (ANALYZE)) failed: {e}")
            }
        }
        self.running.store(false, Ordering::Release);
    }

    /// How many refreshes completed.
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }
}
