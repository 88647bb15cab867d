//! `loadgen`: Humbol's benchmark client (issue 7). Entra-shaped SCIM load against a running server, and bulk
//! seeding straight into a database. The lookup scenario uses `wrk` (see `bench/lookup.lua`); `bench/run`
//! runs everything with one command.
//!
//! - `loadgen seed --database-url URL --org ORG --users N`: bulk-loads N users (`{prefix}{i}@contoso.com`);
//! - `loadgen cycle --url BASE --token T --users N`: Entra's initial cycle (filter miss + POST per user), then a
//!   second cycle (filter hit, GET, PATCH of two attributes);
//! - `loadgen groups --url BASE --token T --members 50000`: a group filled to 50k members in Entra's PATCH
//!   batches, and single-member add/remove/check measured at 1k and at 50k members;
//! - `loadgen walk --url BASE --token T --users N`: every user read in pages of 100, by index and by cursor.
//!
//! Each scenario prints markdown table rows (`--header` for the table header first): requests/s, p50/p99
//! latency, errors and, with `--server-pid`, the server's peak RSS (`VmHWM`).

use std::future::Future;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};

mod client;
mod cycle;
mod groups;
mod report;
mod seed;
mod walk;

/// One job of [`run_jobs`] (e.g. one user's requests), boxed so that job factories can be named.
pub type JobFuture = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// Any failure that stops a scenario.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Entra-shaped SCIM load for Humbol's benchmarks (docs/benchmarks.md)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Bulk-load users straight into a database (creates the organisation if needed); prints the time taken.
    Seed(seed::SeedArgs),
    /// Entra's initial cycle (filter miss + POST per user), then a second cycle (filter hit, GET, PATCH).
    Cycle(cycle::CycleArgs),
    /// A group filled to --members members; add/remove one member and the membership check at 1k and at the
    /// full size. The tenant needs --members + --samples users (see `seed`).
    Groups(groups::GroupsArgs),
    /// Reads every user with `count` per page, by index and by cursor (RFC 9865); the first and the last
    /// page's p50 in each mode. The tenant needs --users users (see `seed`).
    Walk(walk::WalkArgs),
}

/// Where a scenario runs and how its results are labelled.
#[derive(Debug, Args)]
pub struct Target {
    /// The tenant's SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2/orgs/bench (`/Users` is appended).
    #[arg(long)]
    pub url: String,
    /// The SCIM bearer token (or env LOADGEN_TOKEN).
    #[arg(long, env = "LOADGEN_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// The `run` column of the result rows, e.g. "SQLite, 10k users".
    #[arg(long, default_value = "")]
    pub label: String,
    /// Print the markdown table header before the rows.
    #[arg(long)]
    pub header: bool,
    /// The server's process id: its peak RSS (VmHWM) is reported after each phase.
    #[arg(long)]
    pub server_pid: Option<u32>,
}

impl Target {
    /// A SCIM client for the target.
    pub fn client(&self) -> Result<client::Scim, Error> {
        client::Scim::new(&self.url, &self.token, Duration::from_secs(self.timeout))
    }

    /// Prints result rows (and first the header, if asked).
    pub fn print(&self, rows: &[report::Row]) {
        if self.header {
            println!("{}", report::HEADER);
        }
        self.print_rows(rows);
    }

    /// Prints more rows of a table already started with [`Target::print`].
    pub fn print_rows(&self, rows: &[report::Row]) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for row in rows {
            // Nothing useful to do if stdout is gone.
            let _ = writeln!(out, "{}", row.markdown());
        }
        let _ = out.flush();
    }

    /// The server's peak RSS now, in MiB, if `--server-pid` was given.
    pub fn peak_rss(&self) -> Option<f64> {
        client::peak_rss_mib(self.server_pid)
    }
}

/// Runs `job(i)` for `i` in `0..n` on `concurrency` tasks, each taking the next index when it is free; no new
/// job starts after `deadline`. Returns how many jobs ran.
pub async fn run_jobs<F, Fut>(
    n: usize,
    concurrency: usize,
    deadline: Option<Instant>,
    job: F,
) -> usize
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let ran = Arc::new(AtomicUsize::new(0));
    let job = Arc::new(job);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (next, ran, job) = (Arc::clone(&next), Arc::clone(&ran), Arc::clone(&job));
        tasks.spawn(async move {
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                job(i).await;
                ran.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(e) = joined {
            eprintln!("loadgen: a client task failed: {e}");
        }
    }
    ran.load(Ordering::Relaxed)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Seed(args) => seed::run(&args),
        Command::Cycle(args) => block_on(cycle::run(args)),
        Command::Groups(args) => block_on(groups::run(args)),
        Command::Walk(args) => block_on(walk::run(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn block_on(scenario: impl Future<Output = Result<(), Error>>) -> Result<(), Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_once_each() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let ran = block_on(async move {
            let n = run_jobs(100, 8, None, move |i| {
                let record = Arc::clone(&record);
                async move { record.lock().unwrap().push(i) }
            })
            .await;
            assert_eq!(n, 100);
            Ok(())
        });
        assert!(ran.is_ok());
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn no_job_starts_after_the_deadline() {
        let ran = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(run_jobs(1000, 4, Some(Instant::now()), |_| async {}));
        assert_eq!(ran, 0);
    }
}
