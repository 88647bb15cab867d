//! `loadgen walk`: reading a whole directory, as Okta's imports and reconciliation jobs do: one client pages
//! through every user with `count` (100) per page, three times: by index (`startIndex`, RFC 7644) first to last
//! page, as clients walk (the server starts each page after the previous page's last row, on an index); by
//! index last to first page (no page follows the one served before it, so the server skips the rows before
//! each page: `OFFSET`, what every page cost before); and by cursor (`cursor`, RFC 9865). Each walk checks that
//! it returned every user once. Then, one request at a time, `--samples` reads of the first page and of the
//! last page in each mode (for `OFFSET`, a last page that starts one row earlier, where no page ended): the last
//! page's p50 against the first page's says whether a page's cost grows with its position.
//!
//! A walk stops starting pages after `--time-limit` seconds; its row then says how many users it read.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use clap::Args;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::client::{Reply, Request, Scim};
use crate::report::{millis, Recorder};
use crate::{Error, Target};

#[derive(Debug, Args)]
pub struct WalkArgs {
    #[command(flatten)]
    pub target: Target,
    /// Users in the tenant (see `seed`).
    #[arg(long)]
    pub users: usize,
    /// Page size.
    #[arg(long, default_value_t = 100)]
    pub count: usize,
    /// Reads of the first and of the last page in each mode (one at a time).
    #[arg(long, default_value_t = 30)]
    pub samples: usize,
    /// Seconds after which a walk starts no new page.
    #[arg(long, default_value_t = 300)]
    pub time_limit: u64,
}

/// One walk's outcome.
struct Walk {
    users: usize,
    pages: usize,
    elapsed: Duration,
    complete: bool,
    /// The `cursor` of the last page (cursor mode).
    last_cursor: Option<String>,
}

fn ids(reply: &Reply) -> Vec<String> {
    reply
        .json()
        .get("Resources")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|u| u.get("id").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn page(
    scim: &Scim,
    rec: &Recorder,
    op: &str,
    query: &[(&str, &str)],
) -> Result<Reply, Error> {
    let url = scim.url("Users", query)?;
    let reply = scim
        .call(
            rec,
            Request {
                op,
                method: Method::GET,
                url,
                body: None,
                expected: StatusCode::OK,
            },
            |r| r.json().get("Resources").is_some(),
        )
        .await;
    if reply.status != Some(StatusCode::OK) {
        return Err(format!("{op}: reply {:?}: {}", reply.status, reply.excerpt()).into());
    }
    Ok(reply)
}

/// How a walk pages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `startIndex`, first page to last.
    Index,
    /// `startIndex`, last page to first.
    IndexBackwards,
    /// `cursor` and `nextCursor`.
    Cursor,
}

async fn walk(scim: &Scim, args: &WalkArgs, mode: Mode) -> Result<Walk, Error> {
    let by_cursor = mode == Mode::Cursor;
    // Backwards: the start of the last page, then one page earlier each time.
    let last_page = args.users.saturating_sub(1) / args.count.max(1) * args.count.max(1) + 1;
    let rec = Recorder::new()?;
    let count = args.count.to_string();
    let deadline = Instant::now() + Duration::from_secs(args.time_limit);
    let started = Instant::now();
    let mut seen = HashSet::new();
    let first_start = if mode == Mode::IndexBackwards {
        last_page
    } else {
        1usize
    };
    let (mut pages, mut start, mut cursor) = (0, first_start, Some(String::new()));
    let mut last_cursor = None;
    let complete = loop {
        if Instant::now() >= deadline {
            break false;
        }
        let reply = if by_cursor {
            let Some(c) = cursor.take() else {
                break true;
            };
            last_cursor = Some(c.clone());
            page(scim, &rec, "walk", &[("count", &count), ("cursor", &c)]).await?
        } else {
            let s = start.to_string();
            page(scim, &rec, "walk", &[("startIndex", &s), ("count", &count)]).await?
        };
        pages += 1;
        let got = ids(&reply);
        let n = got.len();
        for id in got {
            if !seen.insert(id) {
                return Err("a walk returned a user twice".into());
            }
        }
        if by_cursor {
            cursor = reply
                .json()
                .get("nextCursor")
                .and_then(Value::as_str)
                .map(str::to_string);
        } else if mode == Mode::IndexBackwards {
            if start == 1 {
                break true;
            }
            start = start.saturating_sub(args.count).max(1);
        } else {
            start += n;
            if n == 0 || start > args.users {
                break true;
            }
        }
    };
    if complete && seen.len() != args.users {
        return Err(format!(
            "a complete walk returned {} users of {}",
            seen.len(),
            args.users
        )
        .into());
    }
    Ok(Walk {
        users: seen.len(),
        pages,
        elapsed: started.elapsed(),
        complete,
        last_cursor,
    })
}

/// The p50 in ms of `samples` reads of one page.
async fn p50(scim: &Scim, samples: usize, query: &[(&str, &str)]) -> Result<f64, Error> {
    let rec = Recorder::new()?;
    for _ in 0..samples.max(1) {
        page(scim, &rec, "probe", query).await?;
    }
    Ok(rec
        .snapshot()
        .into_iter()
        .find(|(op, _)| op == "probe")
        .map_or(0.0, |(_, s)| s.quantile_ms(0.5)))
}

/// Runs both walks and the probes; prints the table rows, then the ratios.
pub async fn run(args: WalkArgs) -> Result<(), Error> {
    let scim = args.target.client()?;
    let t = &args.target;
    let count = args.count.to_string();
    let index = walk(&scim, &args, Mode::Index).await?;
    let offset = walk(&scim, &args, Mode::IndexBackwards).await?;
    let cursor = walk(&scim, &args, Mode::Cursor).await?;
    let last_start = args.users.saturating_sub(args.count) + 1;
    let off_start = last_start.saturating_sub(1).max(2).to_string();
    let last_start = last_start.to_string();
    let first_index = p50(
        &scim,
        args.samples,
        &[("startIndex", "1"), ("count", &count)],
    )
    .await?;
    let last_index = p50(
        &scim,
        args.samples,
        &[("startIndex", &last_start), ("count", &count)],
    )
    .await?;
    let last_offset = p50(
        &scim,
        args.samples,
        &[("startIndex", &off_start), ("count", &count)],
    )
    .await?;
    let first_cursor = p50(&scim, args.samples, &[("count", &count), ("cursor", "")]).await?;
    let last = cursor.last_cursor.clone().unwrap_or_default();
    let last_cursor = p50(&scim, args.samples, &[("count", &count), ("cursor", &last)]).await?;
    if t.header {
        println!(
            "| run | pagination | users read | pages | walk s | first page p50 ms | last page p50 ms | last / first |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|---:|");
    }
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    for (name, w, first, last) in [
        (
            "index (startIndex, first to last: keyset)",
            &index,
            first_index,
            last_index,
        ),
        (
            "index (startIndex, last to first: OFFSET)",
            &offset,
            first_index,
            last_offset,
        ),
        (
            "cursor (RFC 9865, keyset)",
            &cursor,
            first_cursor,
            last_cursor,
        ),
    ] {
        println!(
            "| {} | {name} | {}{} | {} | {:.1} | {} | {} | {:.2}× |",
            t.label,
            w.users,
            if w.complete { "" } else { " (time limit)" },
            w.pages,
            w.elapsed.as_secs_f64(),
            millis(first),
            millis(last),
            ratio(last, first)
        );
    }
    println!();
    // Per user, so that a walk cut by the time limit still compares.
    let per_user = |w: &Walk| w.elapsed.as_secs_f64() / w.users.max(1) as f64;
    let stopped = |w: &Walk| {
        if w.complete {
            ""
        } else {
            " (the OFFSET walk stopped at the time limit; it reads the last, dearest pages first, so its time per user is above what the whole walk would average)"
        }
    };
    println!(
        "{}: whole walk (time per user read), OFFSET / index by keyset: {:.1}×, OFFSET / cursor: {:.1}×{}",
        t.label,
        ratio(per_user(&offset), per_user(&index)),
        ratio(per_user(&offset), per_user(&cursor)),
        stopped(&offset)
    );
    Ok(())
}
