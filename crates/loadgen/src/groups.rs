//! `loadgen groups`: group membership at scale, as Entra drives it.
//!
//! 1. Reads the ids of `--members` + `--samples` existing users (`GET /Users?attributes=id`, paged).
//! 2. Creates a group (`POST /Groups`, Entra's body without members).
//! 3. Fills it to 1,000 members with Entra's legacy `Add members` PATCH, `--batch` members per request.
//! 4. Probes, one request at a time, `--samples` times: add one member, `GET /Groups/{id}?excludedAttributes=members`,
//!    the membership check `filter=id eq ".." and members[value eq ".."]` (hit), remove that member (legacy and
//!    RFC shapes alternately), the check again (miss).
//! 5. Fills the group to `--members`, then probes again.
//!
//! The p50 of each probe at full size against its p50 at 1k shows whether the operation grows with the group.
//! PATCHes go to `/Groups/{id}` without query parameters, as Entra sends them.

use std::time::Instant;

use clap::Args;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::client::{Request, Scim};
use crate::report::{millis, Recorder, Row};
use crate::{run_jobs, Error, Target};

/// The size of the first probe.
const SMALL: usize = 1000;
/// Page size when reading user ids.
const PAGE: usize = 200;

#[derive(Debug, Args)]
pub struct GroupsArgs {
    #[command(flatten)]
    pub target: Target,
    /// Members of the group at the end.
    #[arg(long, default_value_t = 50_000)]
    pub members: usize,
    /// Members per `Add members` PATCH while filling the group.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Probes of each operation at each size (one request at a time).
    #[arg(long, default_value_t = 100)]
    pub samples: usize,
}

/// Runs the scenario and prints its rows, then the p50 ratios full size / 1k.
pub async fn run(args: GroupsArgs) -> Result<(), Error> {
    let scim = args.target.client()?;
    let t = &args.target;
    let need = args.members + args.samples;
    let started = Instant::now();
    let ids = user_ids(&scim, need).await?;
    if ids.len() < need {
        return Err(format!(
            "the tenant has {} users; --members {} with --samples {} needs {need}: seed them first \
             (loadgen seed --users {need})",
            ids.len(),
            args.members,
            args.samples
        )
        .into());
    }
    eprintln!(
        "loadgen: read {} user ids in {:.1} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    let (members, spare) = ids.split_at(args.members);
    let group = create_group(&scim).await?;

    let small = SMALL.min(args.members);
    let mut rows = Vec::new();
    rows.extend(
        fill(
            &scim,
            t,
            &group,
            &members[..small],
            args.batch,
            &format!("fill to {}", size_label(small)),
        )
        .await?,
    );
    let (probe_small, bytes_small) =
        probe(&scim, t, &group, spare, args.samples, &size_label(small)).await?;
    rows.extend(probe_small.clone());
    let second_fill = format!("fill {} → {}", size_label(small), size_label(args.members));
    rows.extend(
        fill(
            &scim,
            t,
            &group,
            &members[small..],
            args.batch,
            &second_fill,
        )
        .await?,
    );
    let (probe_full, bytes_full) = probe(
        &scim,
        t,
        &group,
        spare,
        args.samples,
        &size_label(args.members),
    )
    .await?;
    rows.extend(probe_full.clone());
    t.print(&rows);

    println!();
    println!(
        "p50 at {} members / p50 at {} members:",
        size_label(args.members),
        size_label(small)
    );
    for (a, b) in probe_small.iter().zip(&probe_full) {
        let ratio = if a.p50_ms > 0.0 {
            b.p50_ms / a.p50_ms
        } else {
            0.0
        };
        println!(
            "- {}: {} ms → {} ms ({ratio:.2}×)",
            strip_size(&b.operation),
            millis(a.p50_ms),
            millis(b.p50_ms)
        );
    }
    println!(
        "- size of a single-member PATCH reply: {} bytes at {} members, {} bytes at {} members",
        bytes_small,
        size_label(small),
        bytes_full,
        size_label(args.members)
    );
    Ok(())
}

/// "1k", "50k", or the number itself below 1,000.
fn size_label(n: usize) -> String {
    if n >= 1000 && n % 1000 == 0 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

/// A probe row's operation without its "@ size" suffix.
fn strip_size(op: &str) -> &str {
    op.rsplit_once(" @ ").map_or(op, |(head, _)| head)
}

/// The ids of up to `need` users of the tenant, paged in the server's default order.
async fn user_ids(scim: &Scim, need: usize) -> Result<Vec<String>, Error> {
    let recorder = Recorder::new()?;
    let mut ids: Vec<String> = Vec::with_capacity(need);
    let mut seen = std::collections::HashSet::new();
    let count = PAGE.to_string();
    while ids.len() < need {
        let start = (ids.len() + 1).to_string();
        let url = scim.url(
            "Users",
            &[
                ("attributes", "id"),
                ("count", &count),
                ("startIndex", &start),
            ],
        )?;
        let reply = scim
            .call(
                &recorder,
                Request {
                    op: "GET /Users page",
                    method: Method::GET,
                    url,
                    body: None,
                    expected: StatusCode::OK,
                },
                |_| true,
            )
            .await;
        let page: Vec<String> = reply
            .json()
            .get("Resources")
            .and_then(Value::as_array)
            .map(|resources| {
                resources
                    .iter()
                    .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if page.is_empty() {
            break;
        }
        for id in page {
            if seen.insert(id.clone()) {
                ids.push(id);
            }
        }
    }
    ids.truncate(need);
    Ok(ids)
}

/// Creates the group as Entra does (no members) and returns its id.
async fn create_group(scim: &Scim) -> Result<String, Error> {
    let recorder = Recorder::new()?;
    let name = format!("Bench {}", uuid::Uuid::new_v4().simple());
    let body = json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
        ],
        "externalId": uuid::Uuid::new_v4().to_string(),
        "displayName": name,
        "members": [],
        "meta": {"resourceType": "Group"}
    });
    let reply = scim
        .call(
            &recorder,
            Request {
                op: "POST /Groups",
                method: Method::POST,
                url: scim.url("Groups", &[])?,
                body: Some(&body),
                expected: StatusCode::CREATED,
            },
            |r| r.id().is_some(),
        )
        .await;
    reply.id().ok_or_else(|| {
        format!(
            "POST /Groups failed ({:?}): {}",
            reply.status,
            reply.excerpt()
        )
        .into()
    })
}

/// Entra's legacy `Add members` operation.
fn add_members_body(ids: &[String]) -> Value {
    let members: Vec<Value> = ids
        .iter()
        .map(|id| json!({"$ref": null, "value": id}))
        .collect();
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": "members", "value": members}]
    })
}

/// Removing one member: Entra's legacy shape (`value` lists the members) or the RFC shape (a filtered path).
fn remove_member_body(id: &str, legacy: bool) -> Value {
    let operation = if legacy {
        json!({"op": "Remove", "path": "members", "value": [{"$ref": null, "value": id}]})
    } else {
        json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")})
    };
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [operation]
    })
}

/// Adds `ids` to the group, `batch` per PATCH, on the target's concurrent clients.
async fn fill(
    scim: &Scim,
    t: &Target,
    group: &str,
    ids: &[String],
    batch: usize,
    label: &str,
) -> Result<Vec<Row>, Error> {
    let recorder = Recorder::new()?;
    let batches: Vec<Value> = ids.chunks(batch.max(1)).map(add_members_body).collect();
    let batches = std::sync::Arc::new(batches);
    let url = scim.url(&format!("Groups/{group}"), &[])?;
    let op = format!("{label}: PATCH add {batch} members");
    eprintln!("loadgen: {op} × {}", batches.len());
    let started = Instant::now();
    let job = {
        let (scim, recorder, batches, op) = (scim.clone(), recorder.clone(), batches.clone(), op);
        move |b: usize| {
            let (scim, recorder, batches, url, op) = (
                scim.clone(),
                recorder.clone(),
                batches.clone(),
                url.clone(),
                op.clone(),
            );
            async move {
                if let Some(body) = batches.get(b) {
                    scim.call(
                        &recorder,
                        Request {
                            op: &op,
                            method: Method::PATCH,
                            url,
                            body: Some(body),
                            // Humbol answers a group PATCH with 204 (no member list sent back).
                            expected: StatusCode::NO_CONTENT,
                        },
                        |_| true,
                    )
                    .await;
                }
            }
        }
    };
    run_jobs(batches.len(), t.concurrency, None, job).await;
    Ok(recorder.rows(&t.label, started.elapsed(), None, t.peak_rss()))
}

/// One request at a time, `samples` times: add a spare user, read the group without members, check membership
/// (hit), remove the user, check again (miss). One row per operation, tagged "@ {size}", and the size in bytes of
/// the largest single-member PATCH reply.
async fn probe(
    scim: &Scim,
    t: &Target,
    group: &str,
    spare: &[String],
    samples: usize,
    size: &str,
) -> Result<(Vec<Row>, usize), Error> {
    let recorder = Recorder::new()?;
    let mut patch_reply_bytes = 0;
    let group_url = scim.url(&format!("Groups/{group}"), &[])?;
    let read_url = scim.url(
        &format!("Groups/{group}"),
        &[("excludedAttributes", "members")],
    )?;
    let add = format!("PATCH add 1 member @ {size}");
    let read = format!("GET /Groups/{{id}}?excludedAttributes=members @ {size}");
    let hit = format!("GET membership check (hit) @ {size}");
    let remove = format!("PATCH remove 1 member @ {size}");
    let miss = format!("GET membership check (miss) @ {size}");
    eprintln!("loadgen: probing at {size} members, {samples} samples");
    let started = Instant::now();
    for (k, user) in spare.iter().take(samples).enumerate() {
        let check_url = scim.url(
            "Groups",
            &[
                (
                    "filter",
                    &format!("id eq \"{group}\" and members[value eq \"{user}\"]"),
                ),
                ("excludedAttributes", "members"),
            ],
        )?;
        let patch = |op: &str, body: Value| {
            let url = group_url.clone();
            let op = op.to_string();
            let recorder = recorder.clone();
            async move {
                scim.call(
                    &recorder,
                    Request {
                        op: &op,
                        method: Method::PATCH,
                        url,
                        body: Some(&body),
                        expected: StatusCode::NO_CONTENT,
                    },
                    |_| true,
                )
                .await
                .body_len()
            }
        };
        let get = |op: &str, url: reqwest::Url, total: Option<u64>| {
            let op = op.to_string();
            let recorder = recorder.clone();
            async move {
                scim.call(
                    &recorder,
                    Request {
                        op: &op,
                        method: Method::GET,
                        url,
                        body: None,
                        expected: StatusCode::OK,
                    },
                    |r| total.is_none() || r.total_results() == total,
                )
                .await;
            }
        };
        let added = patch(&add, add_members_body(std::slice::from_ref(user))).await;
        get(&read, read_url.clone(), None).await;
        get(&hit, check_url.clone(), Some(1)).await;
        let removed = patch(&remove, remove_member_body(user, k % 2 == 0)).await;
        patch_reply_bytes = patch_reply_bytes.max(added).max(removed);
        get(&miss, check_url, Some(0)).await;
    }
    // Each operation's requests/s is over the whole probe loop, so it is not a throughput figure: the latency
    // columns are what matter here.
    let rows = recorder.rows(&t.label, started.elapsed(), None, t.peak_rss());
    Ok((rows, patch_reply_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_labels() {
        assert_eq!(size_label(50_000), "50k");
        assert_eq!(size_label(1000), "1k");
        assert_eq!(size_label(300), "300");
        assert_eq!(strip_size("PATCH add 1 member @ 50k"), "PATCH add 1 member");
    }

    #[test]
    fn remove_shapes() {
        let legacy = remove_member_body("u1", true);
        assert_eq!(legacy["Operations"][0]["op"], "Remove");
        assert_eq!(legacy["Operations"][0]["value"][0]["value"], "u1");
        let rfc = remove_member_body("u1", false);
        assert_eq!(rfc["Operations"][0]["path"], "members[value eq \"u1\"]");
    }
}
