//! Audience research benchmark, in one run on PostgreSQL:
//!
//! 1. Ingest: 100,000 findings through `ingestFindings` (10 calls of 10,000,
//!    auto-tagged by the codebook) against the same rows and tag rows written
//!    as raw multi-row `INSERT ... ON CONFLICT DO NOTHING` statements of the
//!    same size, batches alternating.
//! 2. Search: `findings(audienceId, search)` over HTTP (driven by wrk)
//!    against pgbench running the very statements the server issues for that
//!    page (`-M prepared`), rounds alternating, for throughput at several
//!    connections and for the median at one.
//!
//! CPU per request (this process, which is the server, plus PostgreSQL) is
//! printed beside each rate. Run it with `scripts/bench.sh research` and
//! `BENCH_DATABASE_URL` set (release build).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

mod support;

use std::time::Instant;

use chrono::Utc;
use hearth::{
    auth::BrandScope, finding::service as findings, pagination::PageRequest, text::Search,
};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set};
use serde_json::{json, Value};
use support::{load_average, page_against_pgbench, pgbench_script, Bench, Cpu};
use uuid::Uuid;

const FINDINGS: usize = 100_000;
const BATCH: usize = 10_000;
const ROUNDS: usize = 3;
const SECONDS: u32 = 6;
const CONNECTIONS: u32 = 8;

/// Codebook: tag key and the keyword that tags a finding with it.
const TAGS: [(&str, &str); 8] = [
    ("sustainability", "recycled"),
    ("price", "expensive"),
    ("durability", "durable"),
    ("fit", "sizing"),
    ("repair", "repair"),
    ("community", "meetup"),
    ("shipping", "delivery"),
    ("style", "colour"),
];
/// Words of the rest of each text; none is a keyword.
const FILLER: [&str; 24] = [
    "jacket", "trail", "boots", "weekend", "rain", "mountain", "friends", "store", "online",
    "season", "quality", "warm", "light", "pack", "river", "camp", "morning", "winter", "summer",
    "family", "gift", "fabric", "zipper", "pocket",
];
/// Searches of the benchmark, one per round, in the documented syntax.
const SEARCHES: [&str; 3] = [
    "recycled jacket",
    "\"expensive jacket\" -gift",
    "durable or repair winter",
];
const SOURCES: [&str; 6] = [
    "SURVEY",
    "INTERVIEW",
    "SOCIAL_LISTENING",
    "REVIEW",
    "ANALYTICS",
    "DESK",
];

/// The text of finding `n`: six filler words around tag `n % 8`'s keyword,
/// so each finding carries exactly one rule tag.
fn text(n: usize) -> String {
    let mut x = n.wrapping_mul(2_654_435_761) % 1_000_003;
    let mut words = Vec::new();
    for i in 0..7 {
        if i == 3 {
            words.push(TAGS[n % TAGS.len()].1);
        } else {
            words.push(FILLER[x % FILLER.len()]);
            x = x.wrapping_mul(31).wrapping_add(7) % 1_000_003;
        }
    }
    words.join(" ")
}

fn rows(prefix: &str, batch: usize, now: chrono::DateTime<Utc>) -> Vec<Value> {
    (0..BATCH)
        .map(|i| {
            let n = batch * BATCH + i;
            json!({
                "externalId": format!("{prefix}-{n}"),
                "source": SOURCES[n % SOURCES.len()],
                "platform": "REDDIT",
                "text": text(n),
                "collectedAt": (now - chrono::Duration::minutes(n as i64)).to_rfc3339(),
                "sentiment": ((n % 21) as f64 - 10.0) / 10.0,
            })
        })
        .collect()
}

#[tokio::main]
async fn main() {
    assert!(
        std::env::var("BENCH_DATABASE_URL").is_ok(),
        "the research benchmark runs on PostgreSQL: set BENCH_DATABASE_URL"
    );
    let bench = Bench::start(|_| {}).await;
    let (api, ctx) = (&bench.api, &bench.ctx);
    let backend = ctx.db.get_database_backend();

    let mut brands = Vec::new();
    let mut audiences = Vec::new();
    for name in ["Bench Outdoors", "Reference Brand"] {
        let b = api.create_brand(name).await;
        let a = api
            .call(
                "mutation($b: ID!) { createAudience(input: { brandId: $b, name: \"Weekend hikers\", status: ACTIVE }) { id } }",
                json!({ "b": b }),
            )
            .await["createAudience"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let mut tag_ids = Vec::new();
        for (key, keyword) in TAGS {
            let t = api
                .call(
                    "mutation($i: CreateResearchTagInput!) { createResearchTag(input: $i) { id } }",
                    json!({ "i": { "brandId": b, "key": key, "label": key, "kind": "PRODUCT_THEME", "keywords": [keyword] } }),
                )
                .await["createResearchTag"]["id"]
                .as_str()
                .unwrap()
                .to_string();
            tag_ids.push(Uuid::parse_str(&t).unwrap());
        }
        brands.push((Uuid::parse_str(&b).unwrap(), tag_ids));
        audiences.push(a);
    }

    // 1. Ingest, batches alternating with the raw reference (second brand).
    let now = Utc::now();
    let (ref_brand, ref_tags) = brands[1].clone();
    let ref_audience = Uuid::parse_str(&audiences[1]).unwrap();
    let (mut api_best, mut raw_best) = (0.0_f64, 0.0_f64);
    let (mut api_cpu, mut raw_cpu) = (0.0, 0.0);
    for b in 0..FINDINGS / BATCH {
        let body = json!({ "i": { "audienceId": audiences[0], "rows": rows("api", b, now) } });
        let cpu = Cpu::now();
        let t = Instant::now();
        let r = api
            .call(
                "mutation($i: IngestFindingsInput!) { ingestFindings(input: $i) { inserted } }",
                body,
            )
            .await;
        api_best = api_best.max(BATCH as f64 / t.elapsed().as_secs_f64());
        let used = Cpu::since(cpu);
        api_cpu += used.server + used.database;
        assert_eq!(r["ingestFindings"]["inserted"], BATCH as i64);

        let (findings_rows, tag_rows) = raw_rows(b, ref_brand, ref_audience, &ref_tags, now);
        let cpu = Cpu::now();
        let t = Instant::now();
        let txn = ctx.db.begin().await.unwrap();
        for chunk in findings_rows.chunks(hearth::ingest::CHUNK) {
            entity::research_finding::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    sea_orm::sea_query::OnConflict::columns([
                        entity::research_finding::Column::BrandId,
                        entity::research_finding::Column::ExternalId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .unwrap();
        }
        for chunk in tag_rows.chunks(hearth::ingest::CHUNK) {
            entity::finding_tag::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    sea_orm::sea_query::OnConflict::columns([
                        entity::finding_tag::Column::FindingId,
                        entity::finding_tag::Column::TagId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .unwrap();
        }
        txn.commit().await.unwrap();
        raw_best = raw_best.max(BATCH as f64 / t.elapsed().as_secs_f64());
        let used = Cpu::since(cpu);
        raw_cpu += used.server + used.database;
    }
    // Both sides wrote the same rows: one rule tag per finding.
    let tagged = ctx
        .db
        .query_one_raw(hearth::db::raw(
            backend,
            "SELECT COUNT(*) AS n FROM finding_tag WHERE brand_id = ?",
            vec![brands[0].0.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(tagged, FINDINGS as i64, "one rule tag per ingested finding");
    let load = load_average();
    // The reference brand's rows go, so the search runs over 100,000 findings.
    for table in ["finding_tag", "research_finding"] {
        ctx.db
            .execute_raw(hearth::db::raw(
                backend,
                &format!("DELETE FROM {table} WHERE brand_id = ?"),
                vec![ref_brand.into()],
            ))
            .await
            .unwrap();
    }
    ctx.db.execute_unprepared("VACUUM ANALYZE").await.unwrap();

    // 2. Search: the page over HTTP against its statements in pgbench.
    let audience = Uuid::parse_str(&audiences[0]).unwrap();
    let audience_model = entity::audience::Entity::find_by_id(audience)
        .one(&ctx.db)
        .await
        .unwrap()
        .unwrap();
    let query = "query($a: ID!, $s: String!) { findings(audienceId: $a, search: $s, first: 20) { edges { node { id text source sentiment relevance tags { tag { key } taggedBy } } } } }";
    let database_url = bench.database_url();
    let mut lines = Vec::new();
    for (i, search) in SEARCHES.iter().enumerate() {
        let vars = json!({ "a": audiences[0], "s": search });
        let page = api.call(query, vars.clone()).await;
        let ids: Vec<Uuid> = page["findings"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| Uuid::parse_str(e["node"]["id"].as_str().unwrap()).unwrap())
            .collect();
        assert_eq!(ids.len(), 20, "search {search} finds a full page");
        // The statements the server runs for this page: the audience in the
        // caller's scope, the ranked page, the tags of its findings.
        let scope = BrandScope::All;
        let lookup = entity::audience::Entity::find_by_id(audience)
            .filter(scope.condition(entity::audience::Column::BrandId))
            .limit(1)
            .build(backend);
        let parsed = Search::parse("search", search).unwrap();
        let request =
            PageRequest::new(Some(20), None, findings::RELEVANCE_CURSOR, 2, false).unwrap();
        let (ranked, _) = findings::list_statements(
            backend,
            &audience_model,
            Some(&parsed),
            &findings::FindingFilter::default(),
            &request,
        )
        .unwrap();
        let tags = findings::tags_statement(backend, &scope, &ids);
        let script = bench.dir.path().join(format!("search{i}.sql"));
        let pg_vars = pgbench_script(&script, &[lookup, ranked, tags]);
        let wrk_script = bench.dir.path().join(format!("search{i}.lua"));
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
        lines.push(best.report(&format!("search {search:?}"), &load_average()));
    }

    println!();
    println!(
        "ingest through the API: {api_best:>10.0} rows/s  ({:.1} µs CPU per row)",
        api_cpu * 1e6 / FINDINGS as f64
    );
    println!(
        "raw multi-row INSERT:   {raw_best:>10.0} rows/s  ({:.1} µs CPU per row)",
        raw_cpu * 1e6 / FINDINGS as f64
    );
    println!(
        "ingest ratio:           {:>10.2}  (target >= 0.70; load {load})",
        api_best / raw_best
    );
    for l in lines {
        println!("{l}");
    }
}

/// The reference's rows for batch `b`: the same findings and rule tags the
/// API writes, for the reference brand.
fn raw_rows(
    b: usize,
    brand: Uuid,
    audience: Uuid,
    tags: &[Uuid],
    now: chrono::DateTime<Utc>,
) -> (
    Vec<entity::research_finding::ActiveModel>,
    Vec<entity::finding_tag::ActiveModel>,
) {
    let mut f = Vec::with_capacity(BATCH);
    let mut t = Vec::with_capacity(BATCH);
    for i in 0..BATCH {
        let n = b * BATCH + i;
        let id = Uuid::now_v7();
        f.push(entity::research_finding::ActiveModel {
            id: Set(id),
            brand_id: Set(brand),
            audience_id: Set(audience),
            external_id: Set(Some(format!("raw-{n}"))),
            payload_hash: Set(Some(format!("{n:032x}"))),
            source: Set(SOURCES[n % SOURCES.len()].into()),
            platform: Set(Some("REDDIT".into())),
            text: Set(text(n)),
            url: Set(None),
            collected_at: Set(now - chrono::Duration::minutes(n as i64)),
            sentiment: Set(Some(((n % 21) as f64 - 10.0) / 10.0)),
            weight: Set(1.0),
            recorded_by_user_id: Set(None),
            recorded_by_integration_id: Set(None),
            created_at: Set(now),
        });
        t.push(entity::finding_tag::ActiveModel {
            finding_id: Set(id),
            tag_id: Set(tags[n % tags.len()]),
            brand_id: Set(brand),
            tagged_by: Set("RULE".into()),
        });
    }
    (f, t)
}
