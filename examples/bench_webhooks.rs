//! Webhook benchmark, in one run:
//!
//! 1. **Delivery rate.** 2,000 `ingest.committed` events wait in the
//!    outbox (written by an instance that does not deliver); a second
//!    instance on the same database starts and drains them to a local
//!    receiver. Reference: the same 2,000 signed bodies POSTed to the same
//!    receiver by a plain HTTP client with the same concurrency (8), outside
//!    the server.
//! 2. **Commit to receipt.** Single-order ingests at a steady pace while the
//!    worker delivers: the time from each event's creation (its `timestamp`,
//!    written in the committing transaction) to its arrival, p50 and p99.
//! 3. **What an endpoint adds to a write.** Single-order ingests of a brand
//!    with no endpoint against one with an endpoint receiving the event,
//!    rounds alternating (A B A B A B), best of each, CPU per write (this
//!    process plus the database) beside each rate.
//!
//! Run it with `scripts/bench.sh webhooks` (release build); PostgreSQL with
//! `BENCH_DATABASE_URL`, else SQLite.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

mod support;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime},
};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use futures_util::StreamExt;
use serde_json::{json, Value};
use support::{
    load_average, percentile, single_order, single_order_writes, Bench, Cpu, SINGLE_ORDER,
};

const EVENTS: usize = 2_000;
const CONCURRENCY: usize = 8;
const WRITES: usize = 400;
const ROUNDS: usize = 3;

/// Arrivals: webhook id, when it arrived, when the event was created.
type Arrivals = Arc<Mutex<Vec<(String, SystemTime, Option<SystemTime>)>>>;

async fn receive(req: HttpRequest, body: web::Bytes, got: web::Data<Arrivals>) -> HttpResponse {
    let now = SystemTime::now();
    let id = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let created = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b["timestamp"].as_str().map(str::to_string))
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(SystemTime::from);
    got.lock().unwrap().push((id, now, created));
    HttpResponse::NoContent().finish()
}

async fn wait_for(got: &Arrivals, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while got.lock().unwrap().len() < n {
        assert!(Instant::now() < deadline, "deliveries did not arrive");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::main]
async fn main() {
    let bench = Bench::start(|s| {
        s.webhooks.deliver = false;
        s.webhooks.allow_private_networks = true;
        s.webhooks.poll_interval_ms = 20;
    })
    .await;
    let api = &bench.api;
    let got: Arrivals = Arc::default();
    let data = web::Data::new(got.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/hook", web::post().to(receive))
    })
    .workers(2)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let hook = format!("http://127.0.0.1:{}/hook", server.addrs()[0].port());
    tokio::spawn(server.run());

    // Two brands, each with an integration; the first has an endpoint.
    let mut bots = Vec::new();
    for name in ["Hooked", "Plain"] {
        let b = api.create_brand(name).await;
        let bot = api.integration(&b, "INGEST_ORDERS").await;
        bots.push((b, bot));
    }
    let (hooked, hooked_bot) = bots[0].clone();
    let (plain, plain_bot) = bots[1].clone();
    let created = hooked_bot
        .call(
            "mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: [INGEST_COMMITTED] }) { secret } }",
            json!({ "u": hook }),
        )
        .await;
    let secret = created["createWebhookEndpoint"]["secret"]
        .as_str()
        .unwrap()
        .to_string();

    // 3. What an endpoint adds to a write (nothing is delivered yet).
    let (mut with, mut without) = (0.0_f64, 0.0_f64);
    let (mut cpu_with, mut cpu_without) = (f64::MAX, f64::MAX);
    for round in 0..ROUNDS {
        let base = 1_000_000 + round * WRITES;
        let before = Cpu::now();
        let rate = single_order_writes(&hooked_bot, &hooked, base, WRITES, CONCURRENCY).await;
        let cpu = Cpu::since(before);
        with = with.max(rate);
        cpu_with = cpu_with.min((cpu.server + cpu.database) / WRITES as f64 * 1000.0);
        let before = Cpu::now();
        let rate = single_order_writes(&plain_bot, &plain, base, WRITES, CONCURRENCY).await;
        let cpu = Cpu::since(before);
        without = without.max(rate);
        cpu_without = cpu_without.min((cpu.server + cpu.database) / WRITES as f64 * 1000.0);
    }
    println!(
        "write with an endpoint vs without: {with:.0} vs {without:.0} writes/s = {:.2} (CPU per write {cpu_with:.2} vs {cpu_without:.2} ms; load {})",
        with / without,
        load_average()
    );

    // 1. Delivery rate: the outbox holds the writes above plus EVENTS more;
    // a delivering instance drains it.
    single_order_writes(&hooked_bot, &hooked, 0, EVENTS, CONCURRENCY).await;
    let waiting = ROUNDS * WRITES + EVENTS;
    let mut settings = bench.settings.clone();
    settings.webhooks.deliver = true;
    let started = Instant::now();
    let cpu_before = Cpu::now();
    let deliverer = hearth::startup::Application::build(settings).await.unwrap();
    tokio::spawn(deliverer.run_until(std::future::pending()));
    wait_for(&got, waiting).await;
    let drained = waiting as f64 / started.elapsed().as_secs_f64();
    let drain_cpu = Cpu::since(cpu_before);
    let mut ids: Vec<String> = got.lock().unwrap().iter().map(|g| g.0.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), waiting, "a message arrived twice");

    // Reference: the same bodies, signed, from a plain client.
    let client = reqwest::Client::new();
    let body = json!({ "type": "ingest.committed", "timestamp": "2026-12-06T00:00:00.000Z", "data": { "inserted": 1 } }).to_string();
    got.lock().unwrap().clear();
    let started = Instant::now();
    futures_util::stream::iter(0..waiting)
        .for_each_concurrent(CONCURRENCY, |n| {
            let (client, body, hook, secret) =
                (client.clone(), body.clone(), hook.clone(), secret.clone());
            async move {
                let id = format!("msg_ref{n}");
                let ts = chrono::Utc::now().timestamp();
                let sig = hearth::webhook::sign::signature(&secret, &id, ts, &body).unwrap();
                let res = client
                    .post(&hook)
                    .header("webhook-id", id)
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", sig)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success());
            }
        })
        .await;
    let reference = waiting as f64 / started.elapsed().as_secs_f64();
    println!(
        "delivery: {drained:.0} events/s draining the outbox vs {reference:.0} posts/s from a plain client = {:.2} (worker CPU per event {:.2} ms incl. database; load {})",
        drained / reference,
        (drain_cpu.server + drain_cpu.database) / waiting as f64 * 1000.0,
        load_average()
    );

    // 2. Commit to receipt at a steady pace (about 100 events/s).
    got.lock().unwrap().clear();
    let pace = 500;
    for n in 0..pace {
        hooked_bot
            .call(
                SINGLE_ORDER,
                json!({ "i": { "brandId": hooked, "rows": [single_order(2_000_000 + n)] } }),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    wait_for(&got, pace).await;
    let mut latencies: Vec<f64> = got
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(_, at, created)| at.duration_since((*created)?).ok())
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    println!(
        "commit to receipt at ~100 events/s (worker polling every 20 ms): p50 {:.0} ms, p99 {:.0} ms over {} events (load {})",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.len(),
        load_average()
    );
}
