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

use hearth::impact::report;
use serde_json::json;
use support::{env_number, Bench};
use uuid::Uuid;

const COLD_RUNS: usize = 5;

#[tokio::main]
async fn main() {
    let bench = Bench::start_for_large_reports().await;
    let (api, ctx) = (&bench.api, &bench.ctx);

    // BENCH_SCALE=10 seeds a tenth of the volume, for quick iterations.
    let seeded = support::seed_large_brand(&bench, env_number("BENCH_SCALE", 1).max(1)).await;
    let (brand, now) = (seeded.brand.clone(), seeded.now);
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
