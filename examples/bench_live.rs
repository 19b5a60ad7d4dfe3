//! Live subscription benchmark, in one run:
//!
//! 1. **What subscribers add to a write.** Single-order ingests with ten
//!    WebSocket subscribers following the brand against the same ingests
//!    with none, rounds alternating (A B A B A B), best of each, CPU per
//!    write (this process, which runs the server and the subscribers, plus
//!    the database) beside each rate.
//! 2. **Commit to subscriber.** 2,000 ingests from 8 clients while one
//!    subscriber follows: the rate at which events reach it against the
//!    rate at which the writes committed (1.00: it keeps up).
//! 3. **Latency.** Single-order ingests at about 100 a second: the time
//!    from each event's `occurredAt` (in the committing transaction) to its
//!    arrival at the subscriber, p50 and p99.
//!
//! Run it with `scripts/bench.sh live` (release build); PostgreSQL with
//! `BENCH_DATABASE_URL` (events by `NOTIFY`), Redis with `BENCH_REDIS_URL`
//! (events by pub/sub), else SQLite and the in-process bus.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

mod support;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant, SystemTime},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::{
    load_average, percentile, single_order, single_order_writes, Bench, Cpu, SINGLE_ORDER,
};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

const SUBSCRIBERS: usize = 10;
const CONCURRENCY: usize = 8;
const WRITES: usize = 400;
const BURST: usize = 2_000;
const ROUNDS: usize = 3;

/// One subscriber: counts its events and records (arrival, occurredAt).
struct Subscriber {
    received: Arc<AtomicUsize>,
    latencies: Arc<Mutex<Vec<f64>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Subscriber {
    /// Connects, signs in with `token` and follows `brand`; returns once the
    /// server runs the subscription (`listening` more receivers).
    async fn follow(bench: &Bench, token: &str, brand: &str) -> Self {
        let before = bench.ctx.live.receivers();
        let url = bench.api.url.replace("http://", "ws://");
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        ws.send(Message::text(
            json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } })
                .to_string(),
        ))
        .await
        .unwrap();
        let ack = ws.next().await.unwrap().unwrap();
        assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack}");
        ws.send(Message::text(
            json!({ "id": "1", "type": "subscribe", "payload": {
                "query": "subscription($b: ID) { events(brandId: $b) { occurredAt data } }",
                "variables": { "b": brand } } })
            .to_string(),
        ))
        .await
        .unwrap();
        while bench.ctx.live.receivers() <= before {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let received = Arc::new(AtomicUsize::new(0));
        let latencies = Arc::new(Mutex::new(Vec::new()));
        let (r, l) = (received.clone(), latencies.clone());
        let task = tokio::spawn(async move {
            while let Some(Ok(m)) = ws.next().await {
                let now = SystemTime::now();
                let Ok(text) = m.to_text() else { continue };
                let v: Value = serde_json::from_str(text).unwrap_or_default();
                if v["type"] != "next" {
                    continue;
                }
                let at = v["payload"]["data"]["events"]["occurredAt"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(SystemTime::from);
                if let Some(ms) = at
                    .and_then(|at| now.duration_since(at).ok())
                    .map(|d| d.as_secs_f64() * 1000.0)
                {
                    l.lock().unwrap().push(ms);
                }
                r.fetch_add(1, Ordering::SeqCst);
            }
        });
        Self {
            received,
            latencies,
            task,
        }
    }

    async fn wait_for(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(300);
        while self.received.load(Ordering::SeqCst) < n {
            assert!(Instant::now() < deadline, "events did not arrive");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

#[tokio::main]
async fn main() {
    let bench = Bench::start(|s| {
        s.webhooks.deliver = false;
        s.subscriptions.max_connections_per_principal = SUBSCRIBERS + 2;
    })
    .await;
    println!("event transport: {}", bench.ctx.live.kind());
    let api = &bench.api;
    let brand = api.create_brand("Watched").await;
    let bot = api.integration(&brand, "INGEST_ORDERS").await;
    // Warm up the pool and caches.
    single_order_writes(&bot, &brand, 10_000_000, 200, CONCURRENCY).await;

    // 1. What subscribers add to a write.
    let (mut with, mut without) = (0.0_f64, 0.0_f64);
    let (mut cpu_with, mut cpu_without) = (f64::MAX, f64::MAX);
    let mut next = 0;
    for _ in 0..ROUNDS {
        let mut subs = Vec::new();
        for _ in 0..SUBSCRIBERS {
            subs.push(Subscriber::follow(&bench, &api.token, &brand).await);
        }
        let before = Cpu::now();
        with = with.max(single_order_writes(&bot, &brand, next, WRITES, CONCURRENCY).await);
        for s in &subs {
            s.wait_for(WRITES).await;
        }
        let cpu = Cpu::since(before);
        cpu_with = cpu_with.min((cpu.server + cpu.database) / WRITES as f64 * 1000.0);
        next += WRITES;
        for s in subs {
            s.task.abort();
        }
        while bench.ctx.live.receivers() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let before = Cpu::now();
        without = without.max(single_order_writes(&bot, &brand, next, WRITES, CONCURRENCY).await);
        let cpu = Cpu::since(before);
        cpu_without = cpu_without.min((cpu.server + cpu.database) / WRITES as f64 * 1000.0);
        next += WRITES;
    }
    println!(
        "write with {SUBSCRIBERS} subscribers vs none: {with:.0} vs {without:.0} writes/s = {:.2} (CPU per write incl. the subscribers' clients {cpu_with:.2} vs {cpu_without:.2} ms; load {})",
        with / without,
        load_average()
    );

    // 2. Commit to subscriber, in a burst.
    let sub = Subscriber::follow(&bench, &api.token, &brand).await;
    let started = Instant::now();
    let committed = single_order_writes(&bot, &brand, next, BURST, CONCURRENCY).await;
    next += BURST;
    sub.wait_for(BURST).await;
    let received = BURST as f64 / started.elapsed().as_secs_f64();
    println!(
        "commit to subscriber: {received:.0} events/s received vs {committed:.0} writes/s committed = {:.2} (load {})",
        received / committed,
        load_average()
    );

    // 3. Latency at a steady pace (about 100 events/s).
    sub.latencies.lock().unwrap().clear();
    let already = sub.received.load(Ordering::SeqCst);
    let pace = 500;
    for n in 0..pace {
        bot.call(
            SINGLE_ORDER,
            json!({ "i": { "brandId": brand, "rows": [single_order(next + n)] } }),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sub.wait_for(already + pace).await;
    let mut latencies = sub.latencies.lock().unwrap().clone();
    latencies.sort_by(f64::total_cmp);
    println!(
        "commit to subscriber at ~100 events/s: p50 {:.1} ms, p99 {:.1} ms over {} events (load {})",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.len(),
        load_average()
    );
    sub.task.abort();
}
