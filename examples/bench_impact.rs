//! Impact report benchmark: the cold report against the same aggregate SQL
//! run directly through the database layer, and the cached report against a
//! plain actix-web endpoint returning the same bytes, in one run.
//!
//! Seeds a large brand (100,000 customers, 1,000,000 orders, 20,000 members)
//! through the ingest API. Run it with `scripts/bench-impact.sh` (release
//! build; PostgreSQL when `BENCH_DATABASE_URL` is set, SQLite otherwise).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use chrono::Utc;
use hearth::{config::Settings, impact::report, startup::Application};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{json, Value};
use uuid::Uuid;

const CUSTOMERS: usize = 100_000;
const ORDERS: usize = 1_000_000;
const MEMBERS: usize = 20_000;
const BATCH: usize = 10_000;
const COLD_RUNS: usize = 5;
const CACHED_REQUESTS: usize = 2_000;
const CONCURRENCY: usize = 8;

#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn raw(&self, query: &str, variables: Value) -> web::Bytes {
        self.client
            .post(&self.base)
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    }

    async fn call(&self, query: &str, variables: Value) -> Value {
        let r: Value = serde_json::from_slice(&self.raw(query, variables).await).unwrap();
        assert!(r.get("errors").is_none(), "{r}");
        r["data"].clone()
    }
}

async fn rate<F, Fut>(n: usize, f: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let mut pending = Vec::new();
    for _ in 0..n {
        pending.push(tokio::spawn(f()));
        if pending.len() == CONCURRENCY {
            for p in pending.drain(..) {
                p.await.unwrap();
            }
        }
    }
    for p in pending {
        p.await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.server.port = 0;
    settings.rate_limit.requests_per_principal_per_minute = 10_000_000;
    settings.auth.jwt_secret = Some(SecretString::from(
        "benchmark-secret-benchmark-secret-0123456789".to_string(),
    ));
    settings.database.data_dir = dir.path().to_path_buf();
    settings.database.statement_timeout_ms = 600_000;
    settings.server.request_timeout_ms = 600_000;
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(admin) => {
            let name = format!("hearth_bench_{}", Uuid::new_v4().simple());
            let conn = Database::connect(admin.as_str()).await.unwrap();
            conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .unwrap();
            format!("{}/{name}", admin.rsplit_once('/').map(|(b, _)| b).unwrap())
        }
        Err(_) => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.sqlite").display()
        ),
    };
    settings.database.url = Some(SecretString::from(url.clone()));
    println!(
        "database: {}",
        if url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
    let app = Application::build(settings.clone()).await.unwrap();
    let ctx = app.context().clone();
    let api = Api {
        client: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{}/graphql", app.port()),
        token: {
            let admin = hearth::account::service::bootstrap_admin(
                &ctx.db,
                "bench@agency.test",
                "Bench",
                "benchmark password 1".into(),
            )
            .await
            .unwrap();
            ctx.tokens.issue_user(admin.id, admin.role, None).unwrap().0
        },
    };
    tokio::spawn(app.run_until(std::future::pending()));

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
    let now = Utc::now();
    let seed = Instant::now();
    // Fresh tables have no planner statistics; where autovacuum is off (as on
    // some test machines) analyze after each bulk phase, as it would.
    let analyze = || async {
        if ctx.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            ctx.db.execute_unprepared("ANALYZE").await.unwrap();
        }
    };
    for b in 0..MEMBERS / BATCH {
        let rows: Vec<Value> = (0..BATCH)
            .map(|i| {
                let n = b * BATCH + i;
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
    analyze().await;
    for b in 0..CUSTOMERS / BATCH {
        let rows: Vec<Value> = (0..BATCH)
            .map(|i| {
                let n = b * BATCH + i;
                if n < MEMBERS {
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
    analyze().await;
    for b in 0..ORDERS / BATCH {
        if b % 20 == 0 {
            analyze().await;
        }
        let rows: Vec<Value> = (0..BATCH)
            .map(|i| {
                let n = b * BATCH + i;
                json!({ "externalId": format!("o{n}"), "customerRef": format!("c{}", (n * 7919) % CUSTOMERS),
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
    println!(
        "seeded {CUSTOMERS} customers, {ORDERS} orders, {MEMBERS} members in {:.0} s",
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
        brand_id: Uuid::parse_str(&brand).unwrap(),
        community_id: None,
        from,
        to: now,
        currency: None,
        min_sample: 30,
        cohort_months: 6,
    };

    // Cold: bump the data version before each API call so the cache misses.
    let mut api_cold = Duration::ZERO;
    let mut sql_cold = Duration::ZERO;
    for _ in 0..COLD_RUNS {
        hearth::brand::data_version::bump(&ctx.db, params.brand_id)
            .await
            .unwrap();
        hearth::brand::data_version::forget(&ctx, params.brand_id).await;
        let t = Instant::now();
        api.call(query, vars.clone()).await;
        api_cold += t.elapsed();
        let t = Instant::now();
        report::compute(&ctx, &params).await.unwrap();
        sql_cold += t.elapsed();
    }

    // Cached: the same bytes from the API (cache hits) and from a plain endpoint.
    let body = api.raw(query, vars.clone()).await;
    let plain_body = body.clone();
    let plain = HttpServer::new(move || {
        let b = plain_body.clone();
        App::new().route(
            "/plain",
            web::post().to(move || {
                let b = b.clone();
                async move { HttpResponse::Ok().content_type("application/json").body(b) }
            }),
        )
    })
    .workers(settings.server.workers.unwrap_or(2))
    .bind(("127.0.0.1", 0))
    .unwrap();
    let plain_url = format!("http://127.0.0.1:{}/plain", plain.addrs()[0].port());
    tokio::spawn(plain.run());
    let cached = {
        let api = api.clone();
        let vars = vars.clone();
        rate(CACHED_REQUESTS, move || {
            let api = api.clone();
            let vars = vars.clone();
            async move {
                api.raw(query, vars).await;
            }
        })
        .await
    };
    let client = reqwest::Client::new();
    let plain_rate = rate(CACHED_REQUESTS, move || {
        let client = client.clone();
        let url = plain_url.clone();
        async move {
            client
                .post(url)
                .body("{}")
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
        }
    })
    .await;

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
