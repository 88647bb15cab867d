//! Index pagination (`startIndex`/`count`) without scanning the skipped rows.
//!
//! A list page at `startIndex` = s is, by definition, the rows at positions s, s+1, … of the list's order.
//! `OFFSET s - 1` finds them by stepping over the s - 1 rows before, so page k of a walk costs O(k) and a walk
//! of a whole directory O(n²). But a client that walks (Okta's imports, reconciliation jobs, Entra's validation)
//! asks for s = 1, then s = 1 + count, … : when the page ending at position s - 1 was served, the store knows
//! that row's place in the order (its [`Keyset`]), and the page at s is the rows strictly after it: a keyset read
//! on the list's index, whose cost does not depend on s.
//!
//! This cache keeps, per organisation, that mapping: (resource type, `filter`, `sortBy`, `sortOrder`,
//! `startIndex`) → the keyset of the row just before, and the `totalResults` the walk's first counted page
//! found. It is filled whenever a page is served; a miss (an entry that was evicted, expired, or a `startIndex`
//! that no page ended before, e.g. a jump) falls back to `OFFSET`, which gives the same rows on a stable
//! directory.
//!
//! When the directory changes during a walk, a page served from the cache is the rows after the last row of the
//! previous page, as a cursor's would be: a row that existed throughout is neither skipped nor returned twice
//! because of rows added or deleted before it (what `OFFSET` does), and the `totalResults` is the count made at
//! the start of the walk (RFC 7644 §3.4.2.4: index pagination is not a snapshot; clients handle totals that
//! change). Another client asking for the same `startIndex` of the same query shares the entry: it gets the page
//! `OFFSET` gave when the entry was filled. An entry is used for at most [`TTL`] after it was filled, so a stale
//! position does not outlive the walk that made it.
//!
//! Memory is bounded: at most [`PER_ORG`] entries per organisation (the oldest filled is dropped), at most
//! [`ORGS`] organisations (the least recently used is dropped), and no entry for a query longer than
//! [`MAX_QUERY`] bytes. Each process has its own cache; nothing here is shared through the database.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use scim_core::cursor::Keyset;

use crate::Query;

/// How long an entry may be used after it was filled.
pub const TTL: Duration = Duration::from_secs(600);
/// Entries kept per organisation: a few concurrent walks, each with a short window of positions (a retried
/// page finds its entry again).
pub const PER_ORG: usize = 32;
/// Organisations with entries.
pub const ORGS: usize = 256;
/// A query (filter and sort) longer than this is never cached.
pub const MAX_QUERY: usize = 1024;

/// The position a page may start from: the row just before it, and the walk's total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub before: Keyset,
    pub total: u64,
}

/// The key of an entry inside an organisation: the list (resource type, filter, order) and the 0-based offset.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    list: String,
    offset: u64,
}

struct Entry {
    slot: Slot,
    mark: Mark,
    filled: Instant,
}

#[derive(Default)]
struct OrgPages {
    entries: VecDeque<Entry>,
    used: u64,
}

#[derive(Default)]
struct Inner {
    orgs: HashMap<String, OrgPages>,
    tick: u64,
    hits: u64,
    misses: u64,
}

/// What the cache holds and how it served (for tests and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PageCacheStats {
    /// Pages after the first served from an entry (keyset read).
    pub hits: u64,
    /// Pages after the first that found no entry (`OFFSET` read).
    pub misses: u64,
    /// Entries held now, all organisations.
    pub entries: usize,
    /// Organisations with entries now.
    pub orgs: usize,
}

/// See the module's documentation. `Send + Sync`; one per store.
#[derive(Default)]
pub struct PageCache {
    inner: Mutex<Inner>,
}

/// The list part of a slot: resource type, filter, order. `None`: too long to cache.
pub fn list_key(resource: &str, q: &Query) -> Option<String> {
    let filter = q.filter.as_ref().map(|f| f.to_string()).unwrap_or_default();
    let sort = q
        .sort_by
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let key = format!(
        "{resource}\0{filter}\0{sort}\0{}",
        if q.descending { "d" } else { "a" }
    );
    (key.len() <= MAX_QUERY).then_some(key)
}

impl PageCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves only cached positions behind, each a valid keyset: keep using them.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The mark for the page of `list` at `offset` (> 0) in `org`, if one was filled within [`TTL`]; counts a
    /// hit or a miss.
    pub fn get(&self, org: &str, list: &str, offset: u64) -> Option<Mark> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let found = inner.orgs.get_mut(org).and_then(|pages| {
            pages.used = tick;
            pages
                .entries
                .iter()
                .find(|e| e.slot.offset == offset && e.slot.list == list)
                .filter(|e| e.filled.elapsed() < TTL)
                .map(|e| e.mark.clone())
        });
        if found.is_some() {
            inner.hits += 1;
        } else {
            inner.misses += 1;
        }
        found
    }

    /// Records that the page of `list` at `offset` starts after `mark.before` (the last row of the page that
    /// ended just before it).
    pub fn put(&self, org: &str, list: &str, offset: u64, mark: Mark) {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        if !inner.orgs.contains_key(org) && inner.orgs.len() >= ORGS {
            let oldest = inner
                .orgs
                .iter()
                .min_by_key(|(_, p)| p.used)
                .map(|(o, _)| o.clone());
            if let Some(o) = oldest {
                inner.orgs.remove(&o);
            }
        }
        let pages = inner.orgs.entry(org.to_string()).or_default();
        pages.used = tick;
        let slot = Slot {
            list: list.to_string(),
            offset,
        };
        pages.entries.retain(|e| e.slot != slot);
        if pages.entries.len() >= PER_ORG {
            pages.entries.pop_front();
        }
        pages.entries.push_back(Entry {
            slot,
            mark,
            filled: Instant::now(),
        });
    }

    pub fn stats(&self) -> PageCacheStats {
        let inner = self.lock();
        PageCacheStats {
            hits: inner.hits,
            misses: inner.misses,
            entries: inner.orgs.values().map(|p| p.entries.len()).sum(),
            orgs: inner.orgs.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(i: u64) -> Mark {
        Mark {
            before: Keyset {
                sort: None,
                created: i as i64,
                id: format!("id-{i}"),
            },
            total: 1000,
        }
    }

    #[test]
    fn an_entry_is_found_by_its_org_list_and_offset_only() {
        let c = PageCache::default();
        c.put("acme", "users", 100, mark(1));
        assert_eq!(c.get("acme", "users", 100), Some(mark(1)));
        assert_eq!(c.get("globex", "users", 100), None);
        assert_eq!(c.get("acme", "groups", 100), None);
        assert_eq!(c.get("acme", "users", 101), None);
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.entries, s.orgs), (1, 3, 1, 1));
        // Filled again: the new mark replaces the old one.
        c.put("acme", "users", 100, mark(2));
        assert_eq!(c.get("acme", "users", 100), Some(mark(2)));
        assert_eq!(c.stats().entries, 1);
    }

    #[test]
    fn entries_are_bounded_per_org_and_in_orgs() {
        let c = PageCache::default();
        for i in 0..(PER_ORG as u64 * 3) {
            c.put("acme", "users", 100 * (i + 1), mark(i));
        }
        assert_eq!(c.stats().entries, PER_ORG);
        // The oldest went first; the newest are there.
        assert_eq!(c.get("acme", "users", 100), None);
        let last = 100 * (PER_ORG as u64 * 3);
        assert!(c.get("acme", "users", last).is_some());
        for o in 0..(ORGS * 2) {
            c.put(&format!("org-{o}"), "users", 100, mark(o as u64));
        }
        let s = c.stats();
        assert_eq!(s.orgs, ORGS);
        assert!(s.entries <= ORGS * PER_ORG);
        // The least recently used organisations were dropped, the latest kept.
        assert_eq!(c.get("acme", "users", last), None);
        assert!(c
            .get(&format!("org-{}", ORGS * 2 - 1), "users", 100)
            .is_some());
    }

    #[test]
    fn long_queries_are_not_cached() {
        let q = Query {
            filter: Some(
                format!("userName eq \"{}\"", "x".repeat(MAX_QUERY))
                    .parse()
                    .unwrap(),
            ),
            ..Query::default()
        };
        assert_eq!(list_key("users", &q), None);
        assert!(list_key("users", &Query::default()).is_some());
    }
}
