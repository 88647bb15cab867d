//! `loadgen cycle`: Entra's initial provisioning cycle for N users, then its second cycle.
//!
//! 1st cycle, per user: `GET /Users?filter=userName eq ".."` (a miss: `totalResults` 0), then `POST /Users` with
//! Entra's create body (201 with an `id`).
//! 2nd cycle, per created user: the filter again (a hit: `totalResults` 1), `GET /Users/{id}`, and a legacy-shape
//! `PATCH` of two attributes (work email, family name).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use reqwest::{Method, StatusCode};

use crate::client::{
    create_user_body, patch_user_body, user_name, user_name_filter, Request, Scim,
};
use crate::report::Recorder;
use crate::{run_jobs, Error, JobFuture, Target};

#[derive(Debug, Args)]
pub struct CycleArgs {
    #[command(flatten)]
    pub target: Target,
    /// How many users Entra provisions.
    #[arg(long)]
    pub users: usize,
    /// userNames are `{prefix}{i}@contoso.com` (use another prefix to run again on the same tenant).
    #[arg(long, default_value = "user")]
    pub prefix: String,
    /// Stop starting new users after this many seconds in each cycle (a bound for slow servers); the rows say
    /// how many users were done.
    #[arg(long)]
    pub time_limit: Option<f64>,
    /// Run the first cycle only.
    #[arg(long)]
    pub first_only: bool,
}

/// Runs both cycles and prints their rows.
pub async fn run(args: CycleArgs) -> Result<(), Error> {
    let scim = args.target.client()?;
    let n = args.users;
    let limit = args.time_limit.map(Duration::from_secs_f64);

    // 1st cycle: every user is new.
    let recorder = Recorder::new()?;
    let ids: Arc<Mutex<Vec<Option<String>>>> = Arc::new(Mutex::new(vec![None; n]));
    eprintln!(
        "loadgen: 1st cycle, {n} users, {} clients",
        args.target.concurrency
    );
    let job = first_cycle_job(&scim, &recorder, &args.prefix, &ids);
    // Printed at once, so that a 2nd cycle cut short by an outer time-out does not lose them.
    args.target
        .print(&timed_cycle(&args.target, "1st cycle", n, limit, &recorder, job).await);

    if !args.first_only {
        // 2nd cycle: every created user is matched, read and updated.
        let created: Vec<(usize, String)> = ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .enumerate()
            .filter_map(|(i, id)| id.clone().map(|id| (i, id)))
            .collect();
        let m = created.len();
        let recorder = Recorder::new()?;
        eprintln!("loadgen: 2nd cycle, {m} users");
        let job = second_cycle_job(&scim, &recorder, &args.prefix, Arc::new(created));
        args.target
            .print_rows(&timed_cycle(&args.target, "2nd cycle", m, limit, &recorder, job).await);
    }
    Ok(())
}

/// Runs one cycle's `n` jobs (none started after `limit`) and returns `recorder`'s rows with the cycle's total.
async fn timed_cycle<F, Fut>(
    target: &Target,
    cycle: &str,
    n: usize,
    limit: Option<Duration>,
    recorder: &Recorder,
    job: F,
) -> Vec<crate::report::Row>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let done = run_jobs(n, target.concurrency, limit.map(|l| started + l), job).await;
    let elapsed = started.elapsed();
    recorder.rows(
        &target.label,
        elapsed,
        Some(&cycle_label(cycle, done, n, elapsed)),
        target.peak_rss(),
    )
}

/// The total row's operation: e.g. "1st cycle, all: 10000 users in 3.2 s", noting a time limit that cut it.
fn cycle_label(cycle: &str, done: usize, wanted: usize, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if done < wanted {
        format!("**{cycle}, all: {done} of {wanted} users in {secs:.1} s (time limit)**")
    } else {
        format!("**{cycle}, all: {done} users in {secs:.1} s**")
    }
}

fn first_cycle_job(
    scim: &Scim,
    recorder: &Recorder,
    prefix: &str,
    ids: &Arc<Mutex<Vec<Option<String>>>>,
) -> impl Fn(usize) -> JobFuture + Send + Sync {
    let (scim, recorder, prefix, ids) = (
        scim.clone(),
        recorder.clone(),
        prefix.to_string(),
        Arc::clone(ids),
    );
    move |i| {
        let (scim, recorder, prefix, ids) = (
            scim.clone(),
            recorder.clone(),
            prefix.clone(),
            Arc::clone(&ids),
        );
        Box::pin(async move {
            let name = user_name(&prefix, i);
            let (Ok(filter_url), Ok(users_url)) = (
                scim.url("Users", &[("filter", &user_name_filter(&name))]),
                scim.url("Users", &[]),
            ) else {
                return;
            };
            scim.call(
                &recorder,
                Request {
                    op: "1st cycle: GET /Users?filter (miss)",
                    method: Method::GET,
                    url: filter_url,
                    body: None,
                    expected: StatusCode::OK,
                },
                |r| r.total_results() == Some(0),
            )
            .await;
            let body = create_user_body(&prefix, i);
            let reply = scim
                .call(
                    &recorder,
                    Request {
                        op: "1st cycle: POST /Users",
                        method: Method::POST,
                        url: users_url,
                        body: Some(&body),
                        expected: StatusCode::CREATED,
                    },
                    |r| r.id().is_some(),
                )
                .await;
            if let Some(id) = reply.id() {
                let mut ids = ids.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Some(slot) = ids.get_mut(i) {
                    *slot = Some(id);
                }
            }
        })
    }
}

fn second_cycle_job(
    scim: &Scim,
    recorder: &Recorder,
    prefix: &str,
    created: Arc<Vec<(usize, String)>>,
) -> impl Fn(usize) -> JobFuture + Send + Sync {
    let (scim, recorder, prefix) = (scim.clone(), recorder.clone(), prefix.to_string());
    move |k| {
        let (scim, recorder, prefix, created) = (
            scim.clone(),
            recorder.clone(),
            prefix.clone(),
            Arc::clone(&created),
        );
        Box::pin(async move {
            let Some((i, created_id)) = created.get(k).cloned() else {
                return;
            };
            let name = user_name(&prefix, i);
            let Ok(filter_url) = scim.url("Users", &[("filter", &user_name_filter(&name))]) else {
                return;
            };
            let hit = scim
                .call(
                    &recorder,
                    Request {
                        op: "2nd cycle: GET /Users?filter (hit)",
                        method: Method::GET,
                        url: filter_url,
                        body: None,
                        expected: StatusCode::OK,
                    },
                    |r| r.total_results() == Some(1) && r.id().as_deref() == Some(&created_id),
                )
                .await;
            // Entra goes on with the id the filter returned.
            let id = hit.id().unwrap_or(created_id);
            let Ok(user_url) = scim.url(&format!("Users/{id}"), &[]) else {
                return;
            };
            scim.call(
                &recorder,
                Request {
                    op: "2nd cycle: GET /Users/{id}",
                    method: Method::GET,
                    url: user_url.clone(),
                    body: None,
                    expected: StatusCode::OK,
                },
                |r| r.id().as_deref() == Some(&id),
            )
            .await;
            let body = patch_user_body(&prefix, i);
            scim.call(
                &recorder,
                Request {
                    op: "2nd cycle: PATCH /Users/{id} (2 attributes)",
                    method: Method::PATCH,
                    url: user_url,
                    body: Some(&body),
                    expected: StatusCode::OK,
                },
                |_| true,
            )
            .await;
        })
    }
}
