//! Impact reports while orders stream in: report latency, plain-read
//! throughput beside it, connection waits and statements per computation, with
//! and without a stream of orders, in one run with alternating rounds.
//!
//! Seeds the impact benchmark's large brand (a tenth of it by default,
//! `BENCH_SCALE=1` for 1,000,000 orders), then runs rounds of
//! `BENCH_ROUND_SECS` (15) seconds, in turn:
//! - *quiet*: 8 clients read the report, 4 read a community page; no writes;
//! - *streaming*: the same, while a batch of 50 orders is ingested every second;
//! - *streaming, fresh*: the same, the report asked with `fresh: true`
//!   (every answer waits for a report that includes every committed order).
//!
//! Run it with `scripts/bench.sh reports_streaming` (release build;
//! PostgreSQL when `BENCH_DATABASE_URL` is set, SQLite otherwise).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

mod support;

use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use support::{env_number, load_average, Api, Bench, Cpu};

const REPORT_CLIENTS: usize = 8;
const READ_CLIENTS: usize = 4;
const ORDERS_PER_BATCH: usize = 50;
const ROUNDS: usize = 2;

const REPORT: &str = "query($b: ID!, $from: DateTime!, $to: DateTime!, $fresh: Boolean) { impactReport(brandId: $b, from: $from, to: $to, fresh: $fresh) { \
  sales { spendPerCustomer { members { value sampleSize } nonMembers { value sampleSize } } spendUplift { difference ciLow ciHigh } } \
  retention { repeatPurchaseRate { members { value } nonMembers { value } } } \
  freshness { dataVersion computedAt newerDataExists } } }";
const PAGE: &str = "query($b: ID!) { communities(first: 20, filter: { brandId: $b }) { edges { node { id name platform } } } }";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Quiet,
    Streaming,
    StreamingFresh,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Self::Quiet => "quiet",
            Self::Streaming => "streaming",
            Self::StreamingFresh => "streaming, fresh",
        }
    }
}

/// What one round saw.
#[derive(Default)]
struct Round {
    report_ms: Vec<f64>,
    read_ms: Vec<f64>,
    errors: BTreeMap<String, usize>,
    computations: HashSet<String>,
    stale: usize,
    batches: usize,
    statements: f64,
    cpu: Cpu,
    secs: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Posts one request; the latency, or the error code.
async fn timed(api: &Api, query: &str, vars: &Value) -> (f64, Result<Value, String>) {
    let t = Instant::now();
    let body = api.raw(query, vars.clone()).await;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let r: Value = serde_json::from_slice(&body).unwrap();
    match r.get("errors") {
        Some(e) => (
            ms,
            Err(e[0]["extensions"]["code"]
                .as_str()
                .unwrap_or("?")
                .to_string()),
        ),
        None => (ms, Ok(r["data"].clone())),
    }
}

async fn statements(api: &Api) -> f64 {
    let metrics = api.url.replace("/graphql", "/metrics");
    let text = api
        .client
        .get(metrics)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("hearth_db_statements_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn round(
    api: &Api,
    brand: &str,
    variant: Variant,
    secs: u64,
    report_vars: Value,
    next_order: Arc<Mutex<usize>>,
    customers: usize,
) -> Round {
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Round::default()));
    let mut tasks = Vec::new();
    let mut vars = report_vars;
    vars["fresh"] = json!(variant == Variant::StreamingFresh);
    for _ in 0..REPORT_CLIENTS {
        let (api, vars, stop, seen) = (api.clone(), vars.clone(), stop.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let (ms, r) = timed(&api, REPORT, &vars).await;
                let mut s = seen.lock().unwrap();
                match r {
                    Ok(data) => {
                        s.report_ms.push(ms);
                        let f = &data["impactReport"]["freshness"];
                        s.computations.insert(f["computedAt"].to_string());
                        if f["newerDataExists"] == true {
                            s.stale += 1;
                        }
                    }
                    Err(code) => *s.errors.entry(format!("report {code}")).or_default() += 1,
                }
            }
        }));
    }
    for _ in 0..READ_CLIENTS {
        let (api, stop, seen) = (api.clone(), stop.clone(), seen.clone());
        let vars = json!({ "b": brand });
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let (ms, r) = timed(&api, PAGE, &vars).await;
                let mut s = seen.lock().unwrap();
                match r {
                    Ok(_) => s.read_ms.push(ms),
                    Err(code) => *s.errors.entry(format!("read {code}")).or_default() += 1,
                }
            }
        }));
    }
    if variant != Variant::Quiet {
        let (api, stop, seen, brand) = (api.clone(), stop.clone(), seen.clone(), brand.to_string());
        tasks.push(tokio::spawn(async move {
            let now = chrono::Utc::now();
            while !stop.load(Ordering::Relaxed) {
                let first = {
                    let mut n = next_order.lock().unwrap();
                    *n += ORDERS_PER_BATCH;
                    *n - ORDERS_PER_BATCH
                };
                let rows: Vec<Value> = (first..first + ORDERS_PER_BATCH)
                    .map(|n| json!({ "externalId": format!("live-{n}"), "customerRef": format!("c{}", (n * 7919) % customers),
                                     "orderedAt": now.to_rfc3339(), "amount": "42.00", "currency": "EUR" }))
                    .collect();
                let t = Instant::now();
                let (_, r) = timed(
                    &api,
                    "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
                    &json!({ "i": { "brandId": brand, "rows": rows } }),
                )
                .await;
                {
                    let mut s = seen.lock().unwrap();
                    match r {
                        Ok(_) => s.batches += 1,
                        Err(code) => *s.errors.entry(format!("ingest {code}")).or_default() += 1,
                    }
                }
                tokio::time::sleep(Duration::from_secs(1).saturating_sub(t.elapsed())).await;
            }
        }));
    }
    let (statements_before, cpu, started) = (statements(api).await, Cpu::now(), Instant::now());
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let mut s = std::mem::take(&mut *seen.lock().unwrap());
    s.secs = started.elapsed().as_secs_f64();
    s.cpu = Cpu::since(cpu);
    s.statements = statements(api).await - statements_before;
    s.report_ms.sort_by(f64::total_cmp);
    s.read_ms.sort_by(f64::total_cmp);
    s
}

#[tokio::main]
async fn main() {
    let bench = Bench::start_for_large_reports().await;
    let seeded = support::seed_large_brand(&bench, env_number("BENCH_SCALE", 10).max(1)).await;
    let secs = env_number("BENCH_ROUND_SECS", 15) as u64;
    let api = &bench.api;
    let from = seeded.now - chrono::Duration::days(365);
    let to = seeded.now + chrono::Duration::days(1);
    let vars = json!({ "b": seeded.brand, "from": from, "to": to });

    // What one report computation and one page cost in statements.
    let before = statements(api).await;
    let mut fresh = vars.clone();
    fresh["fresh"] = json!(true);
    let cold = Instant::now();
    api.call(REPORT, fresh).await;
    let cold_ms = cold.elapsed().as_secs_f64() * 1000.0;
    let per_report = statements(api).await - before;
    let page_vars = json!({ "b": seeded.brand });
    api.call(PAGE, page_vars.clone()).await;
    let before = statements(api).await;
    api.call(PAGE, page_vars).await;
    let per_page = statements(api).await - before;
    let rows: Vec<Value> = (0..ORDERS_PER_BATCH)
        .map(|n| json!({ "externalId": format!("probe-{n}"), "customerRef": format!("c{n}"),
                         "orderedAt": seeded.now.to_rfc3339(), "amount": "42.00", "currency": "EUR" }))
        .collect();
    let before = statements(api).await;
    api.call(
        "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
        json!({ "i": { "brandId": seeded.brand, "rows": rows } }),
    )
    .await;
    let per_batch = statements(api).await - before;
    println!(
        "a cold report: {cold_ms:.0} ms, {per_report} statements; a community page: {per_page}; a batch of orders: {per_batch}"
    );

    let next_order = Arc::new(Mutex::new(0));
    let variants = [Variant::Quiet, Variant::Streaming, Variant::StreamingFresh];
    println!(
        "{REPORT_CLIENTS} report clients, {READ_CLIENTS} page clients, {secs} s rounds; streaming: {ORDERS_PER_BATCH} orders per second"
    );
    println!(
        "{:<18} {:>9} {:>9} {:>10} {:>10} {:>9} {:>9} {:>8} {:>7} {:>10} {:>9} {:>6}  errors",
        "round",
        "report/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "pages/s",
        "page p99",
        "comput.",
        "stale%",
        "stmt/comp",
        "CPU ms/rq",
        "load"
    );
    for _ in 0..ROUNDS {
        for v in variants {
            let r = round(
                api,
                &seeded.brand,
                v,
                secs,
                vars.clone(),
                next_order.clone(),
                seeded.customers,
            )
            .await;
            let reports = r.report_ms.len() as f64;
            let pages = r.read_ms.len() as f64;
            // Statements beyond the pages' and the batches' own, per report
            // computation (answers served from a computation cost none).
            let batch_statements = r.batches as f64 * per_batch;
            let per_computation = ((r.statements - pages * per_page - batch_statements)
                / (r.computations.len() as f64).max(1.0))
            .max(0.0);
            let cpu_ms = (r.cpu.server + r.cpu.database) * 1000.0 / (reports + pages).max(1.0);
            println!(
                "{:<18} {:>9.0} {:>9.1} {:>10.1} {:>10.1} {:>9.0} {:>9.1} {:>8} {:>6.0}% {:>10.1} {:>9.2} {:>6}  {:?}",
                v.name(),
                reports / r.secs,
                percentile(&r.report_ms, 0.5),
                percentile(&r.report_ms, 0.99),
                percentile(&r.report_ms, 1.0),
                pages / r.secs,
                percentile(&r.read_ms, 0.99),
                r.computations.len(),
                100.0 * r.stale as f64 / reports.max(1.0),
                per_computation,
                cpu_ms,
                load_average(),
                r.errors,
            );
        }
    }
}
