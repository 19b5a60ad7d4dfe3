//! Community benchmark: activity ingest and the nested members page, each
//! against the raw database doing the same work, in one run.
//!
//! Seeds a brand (5 communities, thousands of members, hundreds of thousands
//! of activities) through `ingestActivities`, inserts the same number of rows
//! with plain multi-row INSERTs, then drives the nested page
//! `communities → members → member → identities` over HTTP and runs the same
//! SQL statements directly, and prints the ratios. Run it with
//! `scripts/bench.sh communities` (release build; PostgreSQL when
//! `BENCH_DATABASE_URL` is set, SQLite otherwise).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde_json::{json, Value};
use support::Bench;
use uuid::Uuid;

const COMMUNITIES: usize = 5;
const MEMBERS_PER_COMMUNITY: usize = 1_000;
const BATCH: usize = 10_000;
const BATCHES: usize = 20;
const PAGE_REQUESTS: usize = 400;
const CONCURRENCY: usize = 8;
const KINDS: [&str; 4] = ["message", "reply", "like", "post"];

#[tokio::main]
async fn main() {
    let bench = Bench::start(|_| {}).await;
    let (api, ctx) = (bench.api.clone(), &bench.ctx);
    let gql = |q: String, v: Value| {
        let api = api.clone();
        async move { api.call(&q, v).await }
    };

    let brand = gql(
        "mutation { createBrand(input: { name: \"Bench Outdoors\" }) { id } }".into(),
        json!({}),
    )
    .await["createBrand"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut communities = Vec::new();
    for i in 0..COMMUNITIES {
        let c = gql(
            "mutation($b: ID!, $n: String!) { createCommunity(input: { brandId: $b, name: $n, purpose: \"Bench\", kind: PRODUCT, platform: DISCORD }) { id } }".into(),
            json!({ "b": brand, "n": format!("Club {i}") }),
        )
        .await;
        communities.push(c["createCommunity"]["id"].as_str().unwrap().to_string());
    }

    // 1. Ingest through the API.
    let now = Utc::now();
    let rows = |batch: usize| -> Vec<Value> {
        (0..BATCH)
            .map(|i| {
                let n = batch * BATCH + i;
                json!({
                    "sourceKey": format!("act-{n}"),
                    "externalId": format!("user-{}", n % MEMBERS_PER_COMMUNITY),
                    "kind": KINDS[n % 4],
                    "occurredAt": (now - chrono::Duration::minutes((n % 100_000) as i64)).to_rfc3339(),
                    "isReply": n % 4 == 1,
                })
            })
            .collect()
    };
    let started = Instant::now();
    for b in 0..BATCHES {
        let c = &communities[b % COMMUNITIES];
        let r = gql(
            "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }"
                .into(),
            json!({ "i": { "communityId": c, "rows": rows(b) } }),
        )
        .await;
        assert_eq!(r["ingestActivities"]["inserted"], BATCH as i64);
    }
    let api_rate = (BATCH * BATCHES) as f64 / started.elapsed().as_secs_f64();

    // 2. The same number of rows, as plain multi-row INSERTs of 500.
    let brand_id = Uuid::parse_str(&brand).unwrap();
    let community_id = Uuid::parse_str(&communities[0]).unwrap();
    let member = entity::member::Entity::find()
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let started = Instant::now();
    for b in 0..BATCHES {
        let txn = sea_orm::TransactionTrait::begin(&ctx.db).await.unwrap();
        for chunk in (0..BATCH).collect::<Vec<_>>().chunks(500) {
            let models = chunk.iter().map(|i| entity::activity::ActiveModel {
                id: Set(Uuid::now_v7()),
                brand_id: Set(brand_id),
                community_id: Set(community_id),
                member_id: Set(member),
                channel_id: Set(None),
                type_key: Set("message".into()),
                weight: Set(6),
                is_reply: Set(false),
                occurred_at: Set(now),
                source_key: Set(format!("raw-{b}-{i}")),
                properties: Set(None),
                created_at: Set(now),
                payload_hash: Set(None),
                content_item_id: Set(None),
            });
            entity::activity::Entity::insert_many(models)
                .exec_without_returning(&txn)
                .await
                .unwrap();
        }
        txn.commit().await.unwrap();
    }
    let raw_rate = (BATCH * BATCHES) as f64 / started.elapsed().as_secs_f64();

    // 3. The nested page over HTTP, CONCURRENCY requests at a time.
    let page = "{ communities(first: 20) { edges { node { name members(first: 20) { totalCount edges { node { role member { displayName identities { platform externalId } } } } } } } } }".to_string();
    gql(page.clone(), json!({})).await;
    let api_page = timed(PAGE_REQUESTS, |_| {
        let q = page.clone();
        let api = api.clone();
        async move {
            api.call(&q, json!({})).await;
        }
    })
    .await;

    // 4. The same statements, straight to the database.
    let backend = ctx.db.get_database_backend();
    let ids: Vec<Uuid> = communities
        .iter()
        .map(|c| Uuid::parse_str(c).unwrap())
        .collect();
    let db = ctx.db.clone();
    let sql_page = timed(PAGE_REQUESTS, |_| {
        let db = db.clone();
        let ids = ids.clone();
        async move {
            let marks = vec!["?"; ids.len()].join(", ");
            let vals = |ids: &[Uuid]| ids.iter().map(|i| sea_orm::Value::from(*i)).collect::<Vec<_>>();
            db.query_all_raw(hearth::db::raw(backend, "SELECT * FROM community WHERE brand_id IS NOT NULL ORDER BY id DESC LIMIT 21", vec![]))
                .await
                .unwrap();
            let sql = format!(
                "SELECT community_id, member_id, role, joined_at, left_at FROM (SELECT community_id, member_id, role, joined_at, left_at, \
                 ROW_NUMBER() OVER (PARTITION BY community_id ORDER BY joined_at DESC, member_id DESC) AS rn \
                 FROM membership WHERE community_id IN ({marks}) AND left_at IS NULL) ranked WHERE rn <= 21 ORDER BY community_id, rn"
            );
            let rows = db.query_all_raw(hearth::db::raw(backend, &sql, vals(&ids))).await.unwrap();
            let members: Vec<Uuid> = rows.iter().map(|r| r.try_get::<Uuid>("", "member_id").unwrap()).collect();
            let sql = format!("SELECT community_id, COUNT(*) FROM membership WHERE community_id IN ({marks}) AND left_at IS NULL GROUP BY community_id");
            db.query_all_raw(hearth::db::raw(backend, &sql, vals(&ids))).await.unwrap();
            let mm = vec!["?"; members.len()].join(", ");
            db.query_all_raw(hearth::db::raw(backend, &format!("SELECT * FROM member WHERE id IN ({mm})"), vals(&members)))
                .await
                .unwrap();
            db.query_all_raw(hearth::db::raw(backend, &format!("SELECT * FROM member_identity WHERE member_id IN ({mm})"), vals(&members)))
                .await
                .unwrap();
        }
    })
    .await;

    println!("ingest through the API: {api_rate:>10.0} rows/s");
    println!("raw multi-row INSERT:   {raw_rate:>10.0} rows/s");
    println!(
        "ingest ratio:           {:>10.2}  (target >= 0.70)",
        api_rate / raw_rate
    );
    println!(
        "nested page over HTTP:  {:>10.0} pages/s",
        PAGE_REQUESTS as f64 / api_page.as_secs_f64()
    );
    println!(
        "same SQL, direct:       {:>10.0} pages/s",
        PAGE_REQUESTS as f64 / sql_page.as_secs_f64()
    );
    println!(
        "page ratio:             {:>10.2}  (target >= 0.60)",
        sql_page.as_secs_f64() / api_page.as_secs_f64()
    );
}

/// Runs `n` calls of `f`, `CONCURRENCY` at a time; returns the elapsed time.
async fn timed<F, Fut>(n: usize, f: F) -> Duration
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let mut pending = Vec::new();
    for i in 0..n {
        pending.push(tokio::spawn(f(i)));
        if pending.len() == CONCURRENCY {
            for p in pending.drain(..) {
                p.await.unwrap();
            }
        }
    }
    for p in pending {
        p.await.unwrap();
    }
    started.elapsed()
}
