//! The delivery worker. Every instance runs one: it scans for events no
//! write produces at one instant (see [`super::scan`]) every
//! `webhooks.scan_interval_secs`, and claims due deliveries
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so two instances never attempt
//! the same delivery at once; SQLite: the claim is a write transaction,
//! which SQLite runs one at a time), POSTs each signed to its endpoint,
//! records the attempt and schedules the next one.
//!
//! Outgoing requests reach only public addresses unless
//! `webhooks.allow_private_networks`: every address a host resolves to is
//! checked at registration and again on each connection (the resolver that
//! connects is the one that checks), redirects are not followed, answers
//! are read up to `webhooks.max_response_bytes` and time out after
//! `webhooks.timeout_ms`.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Utc;
use entity::{webhook_attempt, webhook_delivery, webhook_endpoint};
use futures_util::StreamExt;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Set,
};
use uuid::Uuid;

use super::{outbox, sign};
use crate::{config::WebhookSettings, context::AppContext, db, error::AppResult};

/// Deliveries one claim takes.
const CLAIM: i64 = 20;
/// How long a claim holds a delivery.
const LEASE_SECS: i64 = 120;
/// The longest retry delay.
const MAX_DELAY_MS: u64 = 10 * 3600 * 1000;
/// Retries stop once their delays add up to a day.
const RETRY_WINDOW_MS: u64 = 24 * 3600 * 1000;

/// Whether an address is one outgoing requests may reach by default.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

fn host_of(url: &str) -> Result<(String, u16), String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "not a valid URL".to_string())?;
    let host = parsed
        .host_str()
        .ok_or("the URL has no host")?
        .trim_matches(['[', ']'])
        .to_string();
    let port = parsed
        .port_or_known_default()
        .ok_or("the URL has no port")?;
    Ok((host, port))
}

async fn allowed_addresses(
    settings: &WebhookSettings,
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| format!("{host} does not resolve"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} does not resolve"));
    }
    if !settings.allow_private_networks && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(format!(
            "{host} resolves to an address that is not public (loopback, private, link-local or reserved)"
        ));
    }
    Ok(addrs)
}

/// Checks that an endpoint URL reaches only allowed addresses.
pub async fn check_url(settings: &WebhookSettings, url: &str) -> Result<(), String> {
    let (host, port) = host_of(url)?;
    allowed_addresses(settings, &host, port).await.map(|_| ())
}

/// The resolver the client connects through: it answers only allowed
/// addresses, so a name that changes after registration cannot reach an
/// internal one.
struct CheckingResolver(WebhookSettings);

impl reqwest::dns::Resolve for CheckingResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let settings = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = allowed_addresses(&settings, &host, 0)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })?;
            let out: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(out)
        })
    }
}

/// The HTTP client deliveries go through.
pub fn client(settings: &WebhookSettings) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(CheckingResolver(settings.clone())))
        .user_agent("hearth-webhooks/1")
        .build()
        .unwrap_or_default()
}

/// The delay before attempt `n + 1` after `n` failed attempts, or `None`
/// once the delays so far add up to a day.
pub fn next_delay(first_ms: u64, failed: u32) -> Option<Duration> {
    let delay = |k: u32| {
        first_ms
            .max(1)
            .saturating_mul(6u64.saturating_pow(k.saturating_sub(1)))
            .min(MAX_DELAY_MS)
    };
    let so_far: u64 = (1..failed).map(delay).sum();
    (so_far < RETRY_WINDOW_MS).then(|| Duration::from_millis(delay(failed)))
}

/// Runs the worker until the process stops.
pub fn spawn(app: AppContext) {
    if !app.settings.webhooks.deliver {
        return;
    }
    tokio::spawn(async move {
        let http = client(&app.settings.webhooks);
        let every = Duration::from_millis(app.settings.webhooks.poll_interval_ms.max(10));
        let scan_every = Duration::from_secs(app.settings.webhooks.scan_interval_secs.max(1));
        let mut scanned: Option<Instant> = None;
        loop {
            if scanned.is_none_or(|at| at.elapsed() >= scan_every) {
                scanned = Some(Instant::now());
                if let Err(e) = super::scan::run(&app).await {
                    tracing::warn!(error = %e, "the scan for slipping members and expiring certifications failed");
                }
            }
            match run_once(&app, &http).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook deliveries could not be claimed"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Claims due deliveries and attempts each; answers how many. The claim
/// answers the deliveries themselves and one statement reads their
/// endpoints, so an attempt only writes.
pub async fn run_once(app: &AppContext, http: &reqwest::Client) -> AppResult<usize> {
    let claimed = claim(app).await?;
    let n = claimed.len();
    if n == 0 {
        return Ok(0);
    }
    let ids: Vec<Uuid> = claimed.iter().map(|d| d.endpoint_id).collect();
    let endpoints: std::collections::HashMap<Uuid, webhook_endpoint::Model> =
        webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::Id.is_in(ids))
            .all(&app.db)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
    let jobs: Vec<(webhook_delivery::Model, webhook_endpoint::Model)> = claimed
        .into_iter()
        .filter_map(|d| endpoints.get(&d.endpoint_id).cloned().map(|e| (d, e)))
        .collect();
    let mut work = futures_util::stream::iter(jobs)
        .map(|(d, e)| attempt(app, http, d, e))
        .buffer_unordered(8);
    while let Some(result) = work.next().await {
        if let Err(e) = result {
            tracing::warn!(error = %e, "a webhook attempt could not be recorded");
        }
    }
    Ok(n)
}

async fn claim(app: &AppContext) -> AppResult<Vec<webhook_delivery::Model>> {
    let backend = app.db.get_database_backend();
    let now = Utc::now();
    let until = now + chrono::Duration::seconds(LEASE_SECS);
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE webhook_delivery SET locked_until = ? WHERE id IN (\
           SELECT id FROM webhook_delivery WHERE status = 'PENDING' AND next_attempt_at <= ? \
           AND (locked_until IS NULL OR locked_until < ?) ORDER BY next_attempt_at LIMIT ?{lock}) \
         RETURNING *"
    );
    let txn = app.db.begin().await?;
    let rows = webhook_delivery::Model::find_by_statement(db::raw(
        backend,
        &sql,
        vec![until.into(), now.into(), now.into(), CLAIM.into()],
    ))
    .all(&txn)
    .await?;
    txn.commit().await?;
    Ok(rows)
}

/// What one POST came to.
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    latency_ms: i64,
}

async fn post(
    settings: &WebhookSettings,
    http: &reqwest::Client,
    endpoint: &webhook_endpoint::Model,
    d: &webhook_delivery::Model,
) -> Outcome {
    let started = Instant::now();
    let id = format!("msg_{}", d.id.simple());
    let timestamp = Utc::now().timestamp();
    let Some(signature) = sign::signature(&endpoint.secret, &id, timestamp, &d.payload) else {
        return Outcome {
            status: None,
            error: Some("the endpoint's secret is unusable".into()),
            latency_ms: 0,
        };
    };
    // An address literal does not go through the resolver: check it here.
    if let Ok((host, _)) = host_of(&endpoint.url) {
        if let Ok(ip) = host.parse::<IpAddr>() {
            if !settings.allow_private_networks && !is_public(ip) {
                return Outcome {
                    status: None,
                    error: Some(format!("{ip} is not a public address")),
                    latency_ms: 0,
                };
            }
        }
    }
    let sent = http
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(d.payload.clone())
        .send()
        .await;
    let outcome = match sent {
        Ok(res) => {
            let status = res.status().as_u16();
            // Read at most the limit, then let the rest go.
            let mut read = 0usize;
            let mut res = res;
            while let Ok(Some(chunk)) = res.chunk().await {
                read += chunk.len();
                if read >= settings.max_response_bytes {
                    break;
                }
            }
            let ok = (200..300).contains(&status);
            Outcome {
                status: Some(status),
                error: (!ok).then(|| format!("answered {status}")),
                latency_ms: 0,
            }
        }
        Err(e) => Outcome {
            status: None,
            error: Some(if e.is_timeout() {
                "timed out".into()
            } else {
                format!("could not connect: {e}")
                    .chars()
                    .take(400)
                    .collect()
            }),
            latency_ms: 0,
        },
    };
    Outcome {
        latency_ms: started.elapsed().as_millis() as i64,
        ..outcome
    }
}

/// One attempt of a claimed delivery, and its bookkeeping.
async fn attempt(
    app: &AppContext,
    http: &reqwest::Client,
    d: webhook_delivery::Model,
    endpoint: webhook_endpoint::Model,
) -> AppResult<()> {
    let settings = &app.settings.webhooks;
    let now = Utc::now();
    if endpoint.disabled_at.is_some() {
        let mut active: webhook_delivery::ActiveModel = d.into();
        active.status = Set("FAILED".into());
        active.locked_until = Set(None);
        active.last_error = Set(Some("the endpoint is disabled".into()));
        active.update(&app.db).await?;
        return Ok(());
    }
    let outcome = post(settings, http, &endpoint, &d).await;
    let delivered = outcome.error.is_none();
    let txn = app.db.begin().await?;
    webhook_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(d.id),
        at: Set(now),
        status_code: Set(outcome.status.map(i32::from)),
        latency_ms: Set(outcome.latency_ms),
        error: Set(outcome.error.clone()),
    }
    .insert(&txn)
    .await?;
    let attempts = d.attempts + 1;
    let mut active: webhook_delivery::ActiveModel = d.clone().into();
    active.attempts = Set(attempts);
    active.locked_until = Set(None);
    active.last_status = Set(outcome.status.map(i32::from));
    active.last_error = Set(outcome.error.clone());
    let mut ep: webhook_endpoint::ActiveModel = endpoint.clone().into();
    if delivered {
        active.status = Set("DELIVERED".into());
        active.delivered_at = Set(Some(now));
        if endpoint.failing_since.is_some() {
            ep.failing_since = Set(None);
            ep.update(&txn).await?;
        }
    } else {
        match next_delay(settings.first_retry_ms, attempts.max(1) as u32) {
            Some(delay) => {
                active.next_attempt_at =
                    Set(now + chrono::Duration::from_std(delay).unwrap_or_default());
            }
            None => active.status = Set("FAILED".into()),
        }
        let since = endpoint.failing_since.unwrap_or(now);
        let failing_for = (now - since).num_seconds();
        if failing_for >= settings.disable_after_secs as i64 {
            ep.disabled_at = Set(Some(now));
            ep.disabled_reason = Set(Some(format!("every attempt failed for {} s", failing_for)));
            ep.failing_since = Set(Some(since));
            ep.update(&txn).await?;
            crate::audit::service::record_as(
                &txn,
                "system",
                None,
                "webhooks",
                crate::audit::service::Event {
                    action: "webhook.endpoint.disabled",
                    object_type: "webhook_endpoint",
                    object_id: Some(endpoint.id),
                    brand_id: Some(endpoint.brand_id),
                    details: None,
                },
            )
            .await?;
            outbox::enqueue(
                &txn,
                endpoint.brand_id,
                outbox::WebhookEvent::EndpointDisabled,
                serde_json::json!({ "endpointId": endpoint.id, "url": endpoint.url, "failingSince": since }),
                Some(endpoint.integration_id),
            )
            .await?;
        } else if endpoint.failing_since.is_none() {
            ep.failing_since = Set(Some(now));
            ep.update(&txn).await?;
        }
    }
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_grow_six_fold_to_ten_hours_and_stop_after_a_day() {
        let delays: Vec<u64> = (1..20)
            .map_while(|n| next_delay(5_000, n).map(|d| d.as_secs()))
            .collect();
        // 5 s, 30 s, 3 min, 18 min, 1.8 h, then 10 h until the day is full:
        // 5 + 30 + 180 + 1080 + 6480 + 36000 + 36000 = 79,775 s < 86,400,
        // so one more 10-hour wait; after it the sum passes a day.
        assert_eq!(delays, [5, 30, 180, 1080, 6480, 36000, 36000, 36000]);
    }

    #[test]
    fn only_public_addresses_are_reachable_by_default() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(
                !is_public(private.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                "{private}"
            );
        }
        for public in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(
                is_public(public.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
                "{public}"
            );
        }
    }
}
