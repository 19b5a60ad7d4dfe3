//! Impact report benchmark: the cold report against the same aggregate SQL
//! run directly through the database layer, and the cached report against a
//! plain actix-web endpoint returning the same bytes, in one run.
//!
//! Seeds a large brand (100,000 customers, 1,000,000 orders, 20,000 members)
//! through the ingest API. Run it with `scripts/bench.sh impact` (release
//! build; PostgreSQL when `BENCH_DATABASE_URL` is set, SQLite otherwise).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use hearth::impact::report;
use serde_json::{json, Value};
use support::{env_number, Bench};
use uuid::Uuid;

const CUSTOMERS: usize = 100_000;
const ORDERS: usize = 1_000_000;
const MEMBERS: usize = 20_000;
const BATCH: usize = 10_000;
const COLD_RUNS: usize = 5;

#[tokio::main]
async fn main() {
    let bench = Bench::start(|s| {
        s.database.statement_timeout_ms = 600_000;
        s.server.request_timeout_ms = 600_000;
    })
    .await;
    let (api, ctx) = (&bench.api, &bench.ctx);

    let brand = api
        .call(
            "mutation { createBrand(input: { name: \"Big Brand\" }) { id } }",
            json!({}),
        )
        .await["createBrand"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let community = api
        .call(
            "mutation($b: ID!) { createCommunity(input: { brandId: $b, name: \"Club\", purpose: \"Bench\", kind: PRODUCT, platform: DISCORD }) { id } }",
            json!({ "b": brand }),
        )
        .await["createCommunity"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // BENCH_SCALE=10 seeds a tenth of the volume, for quick iterations.
    let scale = env_number("BENCH_SCALE", 1).max(1);
    let (customers, orders, members) = (CUSTOMERS / scale, ORDERS / scale, MEMBERS / scale);
    let batch = BATCH.min(members);
    let now = Utc::now();
    let seed = Instant::now();
    for b in 0..members / batch {
        let rows: Vec<Value> = (0..batch)
            .map(|i| {
                let n = b * batch + i;
                json!({ "sourceKey": format!("j{n}"), "externalId": format!("m{n}"), "kind": "join",
                        "occurredAt": (now - chrono::Duration::days((n % 700) as i64)).to_rfc3339() })
            })
            .collect();
        api.call(
            "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }",
            json!({ "i": { "communityId": community, "rows": rows } }),
        )
        .await;
    }
    bench.analyze().await;
    for b in 0..customers / batch {
        let rows: Vec<Value> = (0..batch)
            .map(|i| {
                let n = b * batch + i;
                if n < members {
                    json!({ "externalRef": format!("c{n}"), "memberPlatform": "DISCORD", "memberExternalId": format!("m{n}") })
                } else {
                    json!({ "externalRef": format!("c{n}") })
                }
            })
            .collect();
        api.call(
            "mutation($i: IngestCustomersInput!) { ingestCustomers(input: $i) { inserted } }",
            json!({ "i": { "brandId": brand, "rows": rows } }),
        )
        .await;
    }
    bench.analyze().await;
    for b in 0..orders / batch {
        if b % 20 == 0 {
            bench.analyze().await;
        }
        let rows: Vec<Value> = (0..batch)
            .map(|i| {
                let n = b * batch + i;
                json!({ "externalId": format!("o{n}"), "customerRef": format!("c{}", (n * 7919) % customers),
                        "orderedAt": (now - chrono::Duration::hours((n % 17_000) as i64)).to_rfc3339(),
                        "amount": format!("{}.{:02}", 5 + n % 200, n % 100), "currency": "EUR" })
            })
            .collect();
        api.call(
            "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
            json!({ "i": { "brandId": brand, "rows": rows } }),
        )
        .await;
    }
    bench.analyze().await;
    println!(
        "seeded {customers} customers, {orders} orders, {members} members in {:.0} s",
        seed.elapsed().as_secs_f64()
    );

    let from = now - chrono::Duration::days(365);
    let query = "query($b: ID!, $from: DateTime!, $to: DateTime!) { impactReport(brandId: $b, from: $from, to: $to) { \
      sales { spendPerCustomer { members { value sampleSize } nonMembers { value sampleSize } } spendUplift { difference ciLow ciHigh } \
              joiners { difference } ordersPerCustomer { members { value } nonMembers { value } } } \
      retention { repeatPurchaseRate { members { value } nonMembers { value } } cohorts { cohort size retention } } \
      satisfaction { nps { members { value } } } engagement { health { members } } } }";
    let vars = json!({ "b": brand, "from": from, "to": now });
    let params = report::ReportParams {
        // The benchmark acts as an admin.
        brand: hearth::auth::BrandScope::All
            .grant(Uuid::parse_str(&brand).unwrap(), "brand")
            .unwrap(),
        community_id: None,
        from,
        to: now,
        currency: None,
        min_sample: 30,
        cohort_months: 6,
        matched: false,
    };

    // Cold: bump the data version before each API call so the cache misses.
    let mut api_cold = Duration::ZERO;
    let mut sql_cold = Duration::ZERO;
    for _ in 0..COLD_RUNS {
        let mut txn = hearth::db::WriteTxn::begin(ctx).await.unwrap();
        hearth::brand::data_version::bump(&mut txn, params.brand.id());
        txn.commit().await.unwrap();
        let t = Instant::now();
        api.call(query, vars.clone()).await;
        api_cold += t.elapsed();
        let t = Instant::now();
        report::compute(ctx, &params).await.unwrap();
        sql_cold += t.elapsed();
    }

    // Cached: the same bytes from the API (cache hits) and from a plain endpoint.
    let body = api.raw(query, vars.clone()).await;
    let plain = bench.plain_endpoint(body.clone());
    let (cached, plain_rate) = bench
        .throughput("report", query, vars.clone(), &plain)
        .await;
    assert_eq!(
        api.raw(query, vars.clone()).await,
        body,
        "cache hits must serve the same bytes"
    );

    let api_ms = api_cold.as_secs_f64() * 1000.0 / COLD_RUNS as f64;
    let sql_ms = sql_cold.as_secs_f64() * 1000.0 / COLD_RUNS as f64;
    println!("cold report over HTTP:  {api_ms:>9.1} ms");
    println!("same SQL, direct:       {sql_ms:>9.1} ms");
    println!(
        "cold ratio:             {:>9.2}  (target >= 0.85)",
        sql_ms / api_ms
    );
    println!(
        "cached report:          {cached:>9.0} req/s ({} bytes)",
        body.len()
    );
    println!("plain endpoint:         {plain_rate:>9.0} req/s");
    println!(
        "cached ratio:           {:>9.2}  (target >= 0.40)",
        cached / plain_rate
    );
}
