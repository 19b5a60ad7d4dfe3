//! Content campaign benchmark, in one run on PostgreSQL, for a brand with
//! 10,000 content items over a year in 20 communities:
//!
//! 1. Calendar: `contentCalendar` (30 days, 50 entries, conflicts flagged)
//!    over HTTP, driven by wrk, against pgbench running the very statements
//!    the server issues for that page (`-M prepared`), rounds alternating,
//!    for throughput at several connections and for the median at one.
//! 2. Claim loop: 4 publishing bots, each claiming 10 due items at a time
//!    and reporting each one published, over HTTP, against pgbench running
//!    the same work as SQL (4 clients: claim 10 under `FOR UPDATE SKIP
//!    LOCKED`, lease them, audit; then per item read it, mark it published,
//!    audit, each in its own transaction as the server does), rounds
//!    alternating, the due items put back between rounds.
//!
//! CPU per request (this process, which is the server and the bots' driver,
//! plus PostgreSQL) is printed beside each rate. Run it with
//! `scripts/bench.sh campaigns` and `BENCH_DATABASE_URL` set (release build).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

mod support;

use std::time::Instant;

use chrono::{Duration, Utc};
use hearth::schedule::service::{
    calendar_communities_statement, calendar_neighbours_statement, calendar_page_statement,
    CalendarQuery,
};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, Set};
use serde_json::json;
use support::{
    load_average, page_against_pgbench, pgbench_for, pgbench_script, Api, Bench, Cpu, Length,
};
use uuid::Uuid;

const ITEMS: usize = 10_000;
const COMMUNITIES: usize = 20;
const ROUNDS: usize = 3;
const SECONDS: u32 = 6;
const CONNECTIONS: u32 = 8;
const PAGE: i64 = 50;
/// Publishing bots, claim cycles per bot per round, items per claim.
const BOTS: u32 = 4;
const CYCLES: u32 = 25;
const CLAIM: usize = 10;
/// Kinds in turn; prompts among them are checked by the cadence guard.
const KINDS: [(&str, bool); 5] = [
    ("POST", false),
    ("QUESTION", true),
    ("POLL", true),
    ("SPOTLIGHT", false),
    ("CHALLENGE", true),
];

const CLAIM_Q: &str =
    "mutation { claimDueContent(limit: 10, leaseSeconds: 300) { itemId leaseId } }";
const REPORT_Q: &str = "mutation($i: ID!, $l: ID!) { reportPublished(itemId: $i, leaseId: $l, externalPostId: $i) { status } }";

#[tokio::main]
async fn main() {
    assert!(
        std::env::var("BENCH_DATABASE_URL").is_ok(),
        "the campaign benchmark runs on PostgreSQL: set BENCH_DATABASE_URL"
    );
    let bench = Bench::start(|_| {}).await;
    let (api, ctx) = (&bench.api, &bench.ctx);
    let backend = ctx.db.get_database_backend();

    let brand = api
        .call(
            "mutation { createBrand(input: { name: \"Bench Outdoors\" }) { id } }",
            json!({}),
        )
        .await["createBrand"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut communities = Vec::new();
    for n in 0..COMMUNITIES {
        let c = api
            .call(
                "mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { id } }",
                json!({ "i": { "brandId": brand, "name": format!("Trail {n}"), "purpose": "Trail talk",
                    "kind": "PRODUCT", "platform": "DISCORD", "timeZone": "Europe/Berlin",
                    "cadence": { "maxPromptsPerWeek": 5, "minGapHours": 12, "quietHoursStart": 22, "quietHoursEnd": 7 } } }),
            )
            .await["createCommunity"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        communities.push(Uuid::parse_str(&c).unwrap());
    }
    // A year: a quarter behind (the due items), three quarters ahead.
    let now = Utc::now();
    let starts = now - Duration::days(91);
    let camp = api
        .call(
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "brandId": brand, "name": "Year round", "objective": "ENGAGEMENT",
                "startsAt": starts, "endsAt": starts + Duration::days(365),
                "communityIds": communities.iter().map(Uuid::to_string).collect::<Vec<_>>() } }),
        )
        .await["createCampaign"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let integration = api
        .call(
            "mutation($b: ID!) { createIntegration(input: { brandId: $b, name: \"Publisher\", scopes: [PUBLISH_CONTENT] }) { id } }",
            json!({ "b": brand }),
        )
        .await["createIntegration"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bot_token = api
        .call(
            "mutation($id: ID!) { issueIntegrationToken(id: $id) { token } }",
            json!({ "id": integration }),
        )
        .await["issueIntegrationToken"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bot = Api {
        token: bot_token,
        ..api.clone()
    };

    // 10,000 approved, scheduled items, one every 52.56 minutes, communities
    // in turn (the set-up only, written directly: scheduling them one by one
    // through the API is not what is measured).
    let brand_id = Uuid::parse_str(&brand).unwrap();
    let campaign_id = Uuid::parse_str(&camp).unwrap();
    let step = Duration::days(365) / ITEMS as i32;
    let rows: Vec<entity::content_item::ActiveModel> = (0..ITEMS)
        .map(|n| {
            let (kind, prompt) = KINDS[n % KINDS.len()];
            let fields = if kind == "POLL" {
                json!({ "pollOptions": ["Boots", "Shoes"] })
            } else {
                json!({})
            };
            entity::content_item::ActiveModel {
                id: Set(Uuid::now_v7()),
                brand_id: Set(brand_id),
                campaign_id: Set(campaign_id),
                community_id: Set(communities[n % COMMUNITIES]),
                channel_id: Set(None),
                kind: Set(kind.into()),
                is_prompt: Set(prompt),
                title: Set(format!("Item {n}")),
                body: Set("Where do you walk this weekend? Tell us.".into()),
                fields: Set(fields.to_string()),
                scheduled_at: Set(Some(starts + step * n as i32)),
                status: Set("SCHEDULED".into()),
                content_version: Set(1),
                approved_version: Set(Some(1)),
                offer_code: Set(None),
                lease_id: Set(None),
                lease_expires_at: Set(None),
                attempts: Set(0),
                next_attempt_at: Set(None),
                last_error: Set(None),
                last_failed_lease: Set(None),
                external_post_id: Set(None),
                post_url: Set(None),
                published_at: Set(None),
                status_reason: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            }
        })
        .collect();
    for chunk in rows.chunks(hearth::ingest::CHUNK) {
        entity::content_item::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&ctx.db)
            .await
            .unwrap();
    }
    let due = count(
        ctx,
        brand_id,
        "status = 'SCHEDULED' AND scheduled_at <= now()",
    )
    .await;
    assert!(
        due as u32 >= BOTS * CYCLES * CLAIM as u32,
        "{due} due items are too few for a round"
    );
    ctx.db.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    let database_url = bench.database_url();

    // 1. Calendar: the next 30 days, 50 entries.
    let (from, to) = (now, now + Duration::days(30));
    let query = "query($b: ID!, $f: DateTime!, $t: DateTime!) { contentCalendar(brandId: $b, from: $f, to: $t, first: 50) { edges { node { conflicted conflictsWith breaches item { id title kind status scheduledAt communityId } } } } }";
    let vars = json!({ "b": brand, "f": from, "t": to });
    let page = api.call(query, vars.clone()).await;
    let entries = page["contentCalendar"]["edges"].as_array().unwrap();
    assert_eq!(entries.len(), PAGE as usize);
    let conflicted = entries
        .iter()
        .filter(|e| e["node"]["conflicted"] == true)
        .count();
    // The statements the server runs for this page.
    let q = CalendarQuery {
        brand: brand_id,
        from,
        to,
        communities: Vec::new(),
        after: None,
        limit: PAGE as u64 + 1,
    };
    let page_st = calendar_page_statement(backend, &q);
    let items = entity::content_item::Model::find_by_statement(page_st.clone())
        .all(&ctx.db)
        .await
        .unwrap();
    assert_eq!(
        items[0].id.to_string(),
        entries[0]["node"]["item"]["id"].as_str().unwrap()
    );
    let mut page_communities: Vec<Uuid> = Vec::new();
    for i in &items {
        if !page_communities.contains(&i.community_id) {
            page_communities.push(i.community_id);
        }
    }
    let (lo, hi) = (
        items[0].scheduled_at.unwrap(),
        items.last().unwrap().scheduled_at.unwrap() + Duration::seconds(1),
    );
    let statements = [
        page_st,
        calendar_neighbours_statement(backend, brand_id, &page_communities, lo, hi),
        calendar_communities_statement(backend, page_communities),
    ];
    let script = bench.dir.path().join("calendar.sql");
    let pg_vars = pgbench_script(&script, &statements);
    let wrk_script = bench.dir.path().join("calendar.lua");
    std::fs::write(
        &wrk_script,
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
             wrk.headers[\"Authorization\"] = \"Bearer {}\"\nwrk.body = [==[{}]==]\n",
            api.token,
            json!({ "query": query, "variables": vars })
        ),
    )
    .unwrap();
    let best = page_against_pgbench(
        &api.url,
        &wrk_script,
        &database_url,
        &script,
        &pg_vars,
        (ROUNDS, SECONDS, CONNECTIONS),
    )
    .await;
    let calendar = best.report(
        &format!("calendar, 30 days, {PAGE} entries ({conflicted} conflicted)"),
        &load_average(),
    );

    // 2. Claim loop.
    let script = bench.dir.path().join("claim.sql");
    std::fs::write(&script, claim_script()).unwrap();
    let claim_vars = vec![
        ("brand".to_string(), brand.clone()),
        ("actor".to_string(), integration.clone()),
    ];
    let per_round = f64::from(BOTS * CYCLES) * CLAIM as f64;
    let (mut api_rate, mut api_cpu, mut ref_rate, mut ref_cpu, mut ref_db_cpu) =
        (0.0_f64, f64::MAX, 0.0_f64, f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        let cpu = Cpu::now();
        let t = Instant::now();
        let mut bots = Vec::new();
        for _ in 0..BOTS {
            let bot = bot.clone();
            bots.push(tokio::spawn(async move {
                for _ in 0..CYCLES {
                    let claimed = bot.call(CLAIM_Q, json!({})).await;
                    let claimed = claimed["claimDueContent"].as_array().unwrap().clone();
                    assert_eq!(claimed.len(), CLAIM);
                    for c in claimed {
                        let r = bot
                            .call(REPORT_Q, json!({ "i": c["itemId"], "l": c["leaseId"] }))
                            .await;
                        assert_eq!(r["reportPublished"]["status"], "PUBLISHED");
                    }
                }
            }));
        }
        for b in bots {
            b.await.unwrap();
        }
        api_rate = api_rate.max(per_round / t.elapsed().as_secs_f64());
        let used = Cpu::since(cpu);
        api_cpu = api_cpu.min((used.server + used.database) / per_round);
        assert_eq!(
            count(ctx, brand_id, "status = 'PUBLISHED'").await,
            per_round as i64
        );
        put_back(ctx, brand_id).await;

        let cpu = Cpu::now();
        let p = pgbench_for(
            &database_url,
            std::slice::from_ref(&script),
            BOTS,
            Length::Transactions(CYCLES),
            &claim_vars,
        )
        .await;
        let used = Cpu::since(cpu);
        ref_rate = ref_rate.max(p.rate * CLAIM as f64);
        // pgbench does the bots' work and more (the bots run in this
        // process, so their CPU is on the server's side): its CPU counts.
        if (used.tools + used.database) / per_round < ref_cpu {
            ref_cpu = (used.tools + used.database) / per_round;
            ref_db_cpu = used.database / per_round;
        }
        assert_eq!(
            count(ctx, brand_id, "status = 'PUBLISHED'").await,
            per_round as i64,
            "the reference did the same work"
        );
        put_back(ctx, brand_id).await;
    }

    println!();
    println!("{calendar}");
    println!(
        "claim loop ({BOTS} bots, {CLAIM} items a claim, each reported published; load {}):\n\
         \x20 over HTTP:       {api_rate:>8.0} items/s  {:>6.0} µs CPU/item\n\
         \x20 pgbench, same SQL:{ref_rate:>7.0} items/s  {:>6.0} µs CPU/item  ({:.0} µs of it in PostgreSQL)\n\
         \x20 ratios: throughput {:.2}, CPU {:.2} ({:.2} counting only PostgreSQL on pgbench's side)",
        load_average(),
        api_cpu * 1e6,
        ref_cpu * 1e6,
        ref_db_cpu * 1e6,
        api_rate / ref_rate,
        ref_cpu / api_cpu,
        ref_db_cpu / api_cpu,
    );
}

#[derive(FromQueryResult)]
struct N {
    n: i64,
}

/// Items of the brand matching `condition`.
async fn count(ctx: &hearth::context::AppContext, brand: Uuid, condition: &str) -> i64 {
    N::find_by_statement(hearth::db::raw(
        ctx.db.get_database_backend(),
        &format!("SELECT COUNT(*) AS n FROM content_item WHERE brand_id = ? AND {condition}"),
        vec![brand.into()],
    ))
    .one(&ctx.db)
    .await
    .unwrap()
    .unwrap()
    .n
}

/// Puts the published items back to scheduled, for the next round.
async fn put_back(ctx: &hearth::context::AppContext, brand: Uuid) {
    ctx.db
        .execute_raw(hearth::db::raw(
            ctx.db.get_database_backend(),
            "UPDATE content_item SET status = 'SCHEDULED', lease_id = NULL, lease_expires_at = NULL, \
             external_post_id = NULL, post_url = NULL, published_at = NULL WHERE brand_id = ? \
             AND status = 'PUBLISHED'",
            vec![brand.into()],
        ))
        .await
        .unwrap();
}

/// The claim loop's SQL, one cycle per pgbench transaction: the statements
/// the server runs for a claim of 10 and for each report, in the same
/// transactions.
fn claim_script() -> String {
    let audit = |action: &str, object: &str, details: &str| {
        format!(
            "INSERT INTO audit_event (id, at, actor_type, actor_id, action, object_type, object_id, brand_id, request_id, details) \
             VALUES (gen_random_uuid(), now(), 'integration', CAST(:actor AS uuid), '{action}', 'content_item', {object}, CAST(:brand AS uuid), 'bench', {details});\n"
        )
    };
    let brand_lock = "SELECT status FROM brand WHERE id = CAST(:brand AS uuid) FOR SHARE;\n";
    let mut s = String::from("BEGIN;\n");
    s.push_str(brand_lock);
    s.push_str(
        "SELECT CAST(array_agg(id) AS text) AS ids FROM (SELECT id FROM content_item \
         WHERE brand_id = CAST(:brand AS uuid) AND status = 'SCHEDULED' AND scheduled_at <= now() \
         AND (lease_expires_at IS NULL OR lease_expires_at <= now()) \
         AND (next_attempt_at IS NULL OR next_attempt_at <= now()) \
         ORDER BY scheduled_at, id LIMIT 10 FOR UPDATE SKIP LOCKED) c \\gset\n",
    );
    s.push_str(
        "UPDATE content_item SET lease_id = gen_random_uuid(), lease_expires_at = now() + interval '300 seconds', \
         updated_at = now(), version = version + 1 WHERE id = ANY(CAST(:ids AS uuid[])) \
         AND brand_id = CAST(:brand AS uuid) RETURNING *;\n",
    );
    s.push_str(&audit(
        "content.claim",
        "(CAST(:ids AS uuid[]))[1]",
        "CAST(array_to_json(CAST(:ids AS uuid[])) AS text)",
    ));
    s.push_str("COMMIT;\n");
    for k in 1..=CLAIM {
        let id = format!("(CAST(:ids AS uuid[]))[{k}]");
        s.push_str("BEGIN;\n");
        s.push_str(brand_lock);
        s.push_str(&format!(
            "SELECT id AS item, version AS v FROM content_item WHERE id = {id} AND brand_id = CAST(:brand AS uuid) LIMIT 1 \\gset\n"
        ));
        s.push_str(
            "UPDATE content_item SET status = 'PUBLISHED', external_post_id = CAST(:item AS text), post_url = NULL, \
             published_at = now(), lease_id = NULL, lease_expires_at = NULL, status_reason = NULL, \
             version = :v + 1, updated_at = now() WHERE id = CAST(:item AS uuid) AND version = :v RETURNING *;\n",
        );
        s.push_str(&audit("content.published", "CAST(:item AS uuid)", "NULL"));
        s.push_str("COMMIT;\n");
    }
    s
}
