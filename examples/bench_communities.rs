//! Community benchmark: activity ingest against raw inserts, the consultant's
//! pages against pgbench running the very statements they issue, and the
//! resident set after ingest bursts and idling, all in one run.
//!
//! - Ingest: `ingestActivities` batches of 10,000 rows alternate with the
//!   same number of rows as plain multi-row `INSERT ... ON CONFLICT DO
//!   NOTHING` (what the real path writes), best of each side.
//! - Pages (PostgreSQL only): `communities(first: 20|100) → members(first:
//!   20) → member → identities` (two identities each), `communityMembers(
//!   first: 100)` ordered by engagement with bands, and `brands →
//!   communities` as a client user. Each page's statements are captured
//!   from the server for several request variants (other cursors, brands
//!   and tokens, so request bytes vary as real traffic's do) and replayed
//!   by pgbench (`-M prepared`, several clients); rounds alternate and CPU
//!   per page is printed beside each rate, with the load average.
//! - Memory: the resident set after seeding, after four ingests and after
//!   a minute idle; `BENCH_SOAK_SECS=600` adds a soak of mixed load with a
//!   sample every 30 s.
//!
//! Run it with `scripts/bench.sh communities`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use entity::user::Role;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde_json::{json, Value};
use support::{env_number, load_average, pages_against_pgbench, Bench, Cpu};
use uuid::Uuid;

const COMMUNITIES: usize = 100;
const MEMBERS_PER_COMMUNITY: usize = 30;
const FANS: usize = 1_000;
const BATCH: usize = 10_000;
const INGEST_ROUNDS: usize = 3;
const KINDS: [&str; 4] = ["message", "reply", "like", "post"];
/// Page rounds: alternating rounds, seconds each, connections.
const PAGE_SHAPE: (usize, u32, u32) = (3, 6, 8);

#[tokio::main]
async fn main() {
    let bench = Bench::start(|_| {}).await;
    let api = bench.api.clone();
    let postgres = bench.ctx.db.get_database_backend() == sea_orm::DbBackend::Postgres;

    let brand = create_brand(&api, "Bench Outdoors").await;
    let communities = create_communities(&api, brand, COMMUNITIES).await;
    let other = create_brand(&api, "Bench Software").await;
    let other_communities = create_communities(&api, other, 20).await;
    seed_members(&bench, brand, &communities).await;
    seed_members(&bench, other, &other_communities).await;
    bench.analyze().await;
    let seeded_rss = rss_mib();

    let fan_club = communities[0];
    if env_number("BENCH_PAGES_ONLY", 0) == 0 {
        ingest_and_memory(&bench, brand, fan_club, seeded_rss).await;
    }

    // 3. Pages against pgbench.
    if postgres {
        pages(&bench, brand, other, fan_club).await;
    } else {
        println!("\npages: set BENCH_DATABASE_URL to compare them with pgbench");
    }

    // 4. Soak.
    let soak = env_number("BENCH_SOAK_SECS", 0) as u64;
    if soak > 0 {
        soak_run(&bench, fan_club, soak).await;
    }
}

/// Steps 1 and 2: ingest against raw inserts, then the resident set after
/// the ingests and after a minute idle.
async fn ingest_and_memory(bench: &Bench, brand: Uuid, fan_club: Uuid, seeded_rss: f64) {
    // 1. Ingest: a warm-up batch creates the fans, then API and raw batches
    // alternate.
    let api = &bench.api;
    let fans = ingest(api, &ingest_body(fan_club, 0)).await;
    let fan_ids = member_ids(bench, brand, FANS).await;
    let (mut api_best, mut raw_best) = (0.0_f64, 0.0_f64);
    // CPU per row of each side's cheapest batch: this process (the server,
    // or the client running the inserts; SQLite runs in it) plus PostgreSQL.
    let per_row = |used: Cpu| (used.server + used.database) * 1e6 / BATCH as f64;
    let (mut api_cpu, mut raw_cpu) = (f64::INFINITY, f64::INFINITY);
    for round in 1..=INGEST_ROUNDS {
        // Each side's client work (the request body; the insert
        // statements) is done before its clock starts, as a load generator
        // sends bytes it made beforehand, and for one side at a time, so
        // the resident set measured below holds no more of the benchmark's
        // own data than before.
        let body = ingest_body(fan_club, round);
        let cpu = Cpu::now();
        api_best = api_best.max(ingest(api, &body).await);
        api_cpu = api_cpu.min(per_row(Cpu::since(cpu)));
        drop(body);
        let inserts = raw_inserts(bench, brand, fan_club, &fan_ids, round);
        let (cpu, started) = (Cpu::now(), Instant::now());
        raw_insert(bench, inserts).await;
        raw_best = raw_best.max(BATCH as f64 / started.elapsed().as_secs_f64());
        raw_cpu = raw_cpu.min(per_row(Cpu::since(cpu)));
    }
    bench.analyze().await;
    println!("\ningest of {BATCH} activities (load {}):", load_average());
    println!("  ingestActivities:               {api_best:>8.0} rows/s  ({api_cpu:.1} µs CPU per row; first batch {fans:.0} rows/s)");
    println!("  INSERT ... ON CONFLICT DO NOTHING: {raw_best:>6.0} rows/s  ({raw_cpu:.1} µs CPU per row)");
    println!(
        "  ratio {:.2} throughput, {:.2} CPU  (target >= 0.70)",
        api_best / raw_best,
        raw_cpu / api_cpu
    );
    let ingested_rss = rss_mib();

    // 2. Memory: idle for a minute.
    tokio::time::sleep(Duration::from_secs(60)).await;
    let idle_rss = rss_mib();
    println!(
        "\nresident set: {seeded_rss:.0} MiB after seeding, {ingested_rss:.0} MiB after {} ingests, \
         {idle_rss:.0} MiB after a minute idle ({:+.0}% of seeded; target: at most 20% above)",
        INGEST_ROUNDS + 1,
        (idle_rss / seeded_rss - 1.0) * 100.0
    );
}

async fn create_brand(api: &support::Api, name: &str) -> Uuid {
    let r = api
        .call(
            "mutation($n: String!) { createBrand(input: { name: $n }) { id } }",
            json!({ "n": name }),
        )
        .await;
    r["createBrand"]["id"].as_str().unwrap().parse().unwrap()
}

async fn create_communities(api: &support::Api, brand: Uuid, n: usize) -> Vec<Uuid> {
    let mut out = Vec::new();
    for i in 0..n {
        let c = api
            .call(
                "mutation($b: ID!, $n: String!) { createCommunity(input: { brandId: $b, name: $n, purpose: \"Bench\", kind: PRODUCT, platform: DISCORD }) { id } }",
                json!({ "b": brand, "n": format!("Club {i}") }),
            )
            .await;
        out.push(
            c["createCommunity"]["id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
        );
    }
    out
}

/// `MEMBERS_PER_COMMUNITY` current members per community, each with two
/// identities, and a few who left, written directly (seeding is not what is
/// measured).
async fn seed_members(bench: &Bench, brand: Uuid, communities: &[Uuid]) {
    let now = Utc::now();
    let (mut members, mut identities, mut memberships) = (Vec::new(), Vec::new(), Vec::new());
    for (c, community) in communities.iter().enumerate() {
        for i in 0..MEMBERS_PER_COMMUNITY + 3 {
            let id = Uuid::now_v7();
            let n = c * 1_000 + i;
            members.push(entity::member::ActiveModel {
                id: Set(id),
                brand_id: Set(brand),
                display_name: Set(Some(format!("Member {n}"))),
                customer_ref: Set(None),
                merged_into: Set(None),
                erased_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
            for platform in ["DISCORD", "SLACK"] {
                identities.push(entity::member_identity::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    brand_id: Set(brand),
                    member_id: Set(id),
                    platform: Set(platform.into()),
                    external_id: Set(format!("{brand}-{n}")),
                    handle: Set(Some(format!("member{n}"))),
                    created_at: Set(now),
                });
            }
            let joined = now - chrono::Duration::minutes(n as i64 + 1);
            memberships.push(entity::membership::ActiveModel {
                id: Set(Uuid::now_v7()),
                brand_id: Set(brand),
                community_id: Set(*community),
                member_id: Set(id),
                role: Set("MEMBER".into()),
                joined_at: Set(joined),
                left_at: Set((i >= MEMBERS_PER_COMMUNITY).then_some(now)),
            });
        }
    }
    let db = &bench.ctx.db;
    for chunk in members.chunks(500) {
        entity::member::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await
            .unwrap();
    }
    for chunk in identities.chunks(500) {
        entity::member_identity::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await
            .unwrap();
    }
    for chunk in memberships.chunks(500) {
        entity::membership::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await
            .unwrap();
    }
}

/// The request body of one batch of `BATCH` activities by the `FANS` fans.
fn ingest_body(community: Uuid, batch: usize) -> String {
    let now = Utc::now();
    let rows: Vec<Value> = (0..BATCH)
        .map(|i| {
            let n = batch * BATCH + i;
            json!({
                "sourceKey": format!("act-{n}"),
                "externalId": format!("fan-{}", n % FANS),
                "kind": KINDS[n % 4],
                "occurredAt": (now - chrono::Duration::minutes((n % 100_000) as i64)).to_rfc3339(),
                "isReply": n % 4 == 1,
            })
        })
        .collect();
    json!({
        "query": "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }",
        "variables": { "i": { "communityId": community, "rows": rows } },
    })
    .to_string()
}

/// Sends one batch made by [`ingest_body`]; returns rows per second.
async fn ingest(api: &support::Api, body: &str) -> f64 {
    let started = Instant::now();
    let r = api.post_body(body).await;
    assert_eq!(r["data"]["ingestActivities"]["inserted"], BATCH as i64);
    BATCH as f64 / started.elapsed().as_secs_f64()
}

/// The newest `n` members of the brand (the fans the warm-up batch made).
async fn member_ids(bench: &Bench, brand: Uuid, n: usize) -> Vec<Uuid> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    entity::member::Entity::find()
        .filter(entity::member::Column::BrandId.eq(brand))
        .order_by_desc(entity::member::Column::CreatedAt)
        .limit(n as u64)
        .all(&bench.ctx.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect()
}

/// The same number of rows as one batch, as plain multi-row INSERTs of 500
/// with `ON CONFLICT DO NOTHING` on the brand's source keys: what the
/// ingest writes, without reading or checking anything.
fn raw_inserts(
    bench: &Bench,
    brand: Uuid,
    community: Uuid,
    fans: &[Uuid],
    batch: usize,
) -> Vec<sea_orm::Statement> {
    let now = Utc::now();
    let models: Vec<entity::activity::ActiveModel> = (0..BATCH)
        .map(|i| {
            let n = batch * BATCH + i;
            entity::activity::ActiveModel {
                id: Set(Uuid::now_v7()),
                brand_id: Set(brand),
                community_id: Set(community),
                member_id: Set(fans[n % fans.len()]),
                channel_id: Set(None),
                type_key: Set(KINDS[n % 4].into()),
                weight: Set(6),
                is_reply: Set(n % 4 == 1),
                occurred_at: Set(now - chrono::Duration::minutes((n % 100_000) as i64)),
                source_key: Set(format!("raw-{n}")),
                properties: Set(None),
                created_at: Set(now),
                payload_hash: Set(Some(format!("{n:032x}"))),
                content_item_id: Set(None),
            }
        })
        .collect();
    support::insert_statements(
        bench.ctx.db.get_database_backend(),
        &models,
        &[
            entity::activity::Column::BrandId,
            entity::activity::Column::SourceKey,
        ],
    )
}

/// Runs [`raw_inserts`]' statements in one transaction.
async fn raw_insert(bench: &Bench, inserts: Vec<sea_orm::Statement>) {
    let txn = bench.ctx.db.begin().await.unwrap();
    for insert in inserts {
        txn.execute_raw(insert).await.unwrap();
    }
    txn.commit().await.unwrap();
}

/// The pages, each against pgbench replaying its captured statements.
async fn pages(bench: &Bench, brand: Uuid, other: Uuid, fan_club: Uuid) {
    let admin = bench
        .ctx
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT id FROM app_user WHERE role = 'ADMIN' LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<Uuid>("", "id")
        .unwrap();
    let admin_tokens: Vec<String> = (0..4)
        .map(|_| bench.token_for(admin, Role::Admin, None))
        .collect();
    let nested = |first: usize, after: Option<String>| {
        json!({
            "query": "query($first: Int!, $after: String) { communities(first: $first, after: $after) { edges { node { name members(first: 20) { totalCount edges { node { role member { displayName identities { platform externalId } } } } } } } } }",
            "variables": { "first": first, "after": after },
        })
        .to_string()
    };
    // Cursors of the first pages of 20, so the variants read other rows.
    let mut cursors = vec![None];
    let page: Value = bench
        .api
        .call("{ communities(first: 80) { edges { cursor } } }", json!({}))
        .await;
    for k in [19, 39, 59] {
        cursors.push(Some(
            page["communities"]["edges"][k]["cursor"]
                .as_str()
                .unwrap()
                .to_string(),
        ));
    }
    let twenty: Vec<(String, String)> = cursors
        .iter()
        .zip(&admin_tokens)
        .map(|(c, t)| (nested(20, c.clone()), t.clone()))
        .collect();
    compare(bench, "nested page 20x20x2", &twenty).await;

    let hundred: Vec<(String, String)> = admin_tokens
        .iter()
        .map(|t| (nested(100, None), t.clone()))
        .collect();
    compare(bench, "nested page 100x20x2", &hundred).await;

    // communityMembers by engagement with bands: the fan club's first pages.
    let ranked = |after: Option<String>| {
        json!({
            "query": "query($c: ID!, $after: String) { communityMembers(communityId: $c, first: 100, after: $after) { edges { cursor node { role member { displayName } engagement { score level band } } } } }",
            "variables": { "c": fan_club, "after": after },
        })
        .to_string()
    };
    let mut ranked_variants = vec![(ranked(None), admin_tokens[0].clone())];
    let first_page = bench.api.post_body(&ranked(None)).await;
    let edges = first_page["data"]["communityMembers"]["edges"]
        .as_array()
        .unwrap();
    // The middle and last rows' cursors (the fan club holds 1,030 members
    // after the ingests, 30 with BENCH_PAGES_ONLY).
    for (k, t) in [(edges.len() / 2 - 1, 1), (edges.len() - 1, 2)] {
        let cursor = edges[k]["cursor"].as_str().unwrap().to_string();
        ranked_variants.push((ranked(Some(cursor)), admin_tokens[t].clone()));
    }
    compare(
        bench,
        "communityMembers(first: 100) by engagement",
        &ranked_variants,
    )
    .await;

    // brands → communities as client users of two brands.
    let mut client_variants = Vec::new();
    for (k, b) in [brand, other, brand, other].into_iter().enumerate() {
        let user = bench
            .api
            .call(
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "email": format!("client{k}@brand.test"), "displayName": "Client", "role": "CLIENT", "brandId": b, "password": "client password 1" } }),
            )
            .await["createUser"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        client_variants.push((
            json!({ "query": "{ brands(first: 20) { edges { node { name communities(first: 20) { totalCount edges { node { name status platform } } } } } } }" }).to_string(),
            bench.token_for(user, Role::Client, Some(b)),
        ));
    }
    compare(bench, "brands -> communities as a client", &client_variants).await;
}

/// Captures each variant's statements, then runs the page over HTTP against
/// pgbench and prints the comparison.
async fn compare(bench: &Bench, what: &str, variants: &[(String, String)]) {
    if !wanted(what) {
        return;
    }
    let mut captured = Vec::new();
    for (body, token) in variants {
        captured.push(bench.capture(body, token).await);
    }
    let counts: Vec<usize> = captured.iter().map(Vec::len).collect();
    let dir = bench.dir.path();
    let slug: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let (scripts, vars) = support::pgbench_scripts(dir, &slug, &captured);
    let wrk = support::wrk_script_rotating(dir, &slug, variants);
    let database_url = bench.database_url();
    let best = pages_against_pgbench(
        &bench.api.url,
        &wrk,
        &database_url,
        &scripts,
        &vars,
        PAGE_SHAPE,
    )
    .await;
    println!(
        "\n{}\n  statements per page: {counts:?}",
        best.report(what, &load_average())
    );
}

/// Whether `BENCH_PAGES` (words separated by commas, each matched against
/// the page's name, e.g. `nested,brands`) asks for the page; all when unset.
fn wanted(what: &str) -> bool {
    match std::env::var("BENCH_PAGES") {
        Ok(pages) if !pages.trim().is_empty() => pages
            .split(',')
            .any(|word| !word.trim().is_empty() && what.contains(word.trim())),
        _ => true,
    }
}

/// Mixed load for `secs` seconds (a nested page over and over with an
/// ingest every 5 s), sampling the resident set every 30 s.
async fn soak_run(bench: &Bench, fan_club: Uuid, secs: u64) {
    println!("\nsoak, {secs} s of mixed load: resident set every 30 s (MiB)");
    let stop = Instant::now() + Duration::from_secs(secs);
    let api = bench.api.clone();
    let reader = tokio::spawn(async move {
        let q = "{ communities(first: 20) { edges { node { name members(first: 20) { totalCount edges { node { member { displayName identities { platform externalId } } } } } } } } }";
        while Instant::now() < stop {
            api.call(q, json!({})).await;
        }
    });
    let mut batch = 100;
    let mut next_sample = Instant::now();
    let mut samples = Vec::new();
    while Instant::now() < stop {
        ingest(&bench.api, &ingest_body(fan_club, batch)).await;
        batch += 1;
        if Instant::now() >= next_sample {
            samples.push(rss_mib());
            println!("  {:>4.0}", samples.last().unwrap());
            next_sample += Duration::from_secs(30);
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    reader.await.unwrap();
    let (lo, hi) = samples
        .iter()
        .fold((f64::MAX, 0.0_f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    println!("  range {lo:.0}-{hi:.0} MiB over the soak");
}

/// This process's resident set, MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap()
        / 1024.0
}
