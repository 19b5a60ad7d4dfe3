//! Training ingest benchmark, in one run on PostgreSQL: 100,000 results
//! through `ingestTrainingStatements` (10 calls of 10,000 for 10,000
//! enrolled trainees: completions in the first two batches, which complete
//! every enrollment and issue 10,000 certifications, then launches and
//! initialisations) against the same statement rows written as raw
//! multi-row `INSERT ... ON CONFLICT DO NOTHING` statements of the same
//! size, batches alternating. The API side also keeps the enrollments and
//! certifications up to date in the same transaction; the raw side only
//! inserts.
//!
//! CPU per row (this process, which is the server, plus PostgreSQL) is
//! printed beside each rate. Run it with `scripts/bench.sh training` and
//! `BENCH_DATABASE_URL` set (release build).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

mod support;

use std::time::Instant;

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde_json::{json, Value};
use support::{load_average, Bench, Cpu};
use uuid::Uuid;

const TRAINEES: usize = 10_000;
const BATCHES: usize = 10;
const MODULES: [(&str, &str); 3] = [
    ("Why communities", "https://lms.example/video/1"),
    ("Moderation quiz", "https://lms.example/quiz/1"),
    ("Host an AMA", "https://lms.example/practicum/1"),
];

/// Verb, activity and score of trainee `i`'s result in batch `b`: the
/// video completed, then the quiz passed, then launches and
/// initialisations of any module.
fn result(b: usize, i: usize) -> (&'static str, &'static str, Option<f64>) {
    match b {
        0 => ("COMPLETED", MODULES[0].1, None),
        1 => ("PASSED", MODULES[1].1, Some(0.8 + (i % 20) as f64 / 100.0)),
        _ => (
            if (b + i).is_multiple_of(2) {
                "LAUNCHED"
            } else {
                "INITIALIZED"
            },
            MODULES[(b + i) % 3].1,
            None,
        ),
    }
}

#[tokio::main]
async fn main() {
    assert!(
        std::env::var("BENCH_DATABASE_URL").is_ok(),
        "the training benchmark runs on PostgreSQL: set BENCH_DATABASE_URL"
    );
    let bench = Bench::start(|_| {}).await;
    let (api, ctx) = (&bench.api, &bench.ctx);
    let now = Utc::now();
    let start = now - Duration::days(30);

    // Two brands with the same programme and 10,000 trainees each, the
    // first enrolled through the API (the reference brand's rows only need
    // their trainees).
    let mut brands = Vec::new();
    for name in ["Bench Outdoors", "Reference Brand"] {
        let b = api.create_brand(name).await;
        let modules: Vec<Value> = MODULES
            .iter()
            .enumerate()
            .map(|(i, (title, activity))| {
                json!({ "title": title, "kind": if i == 1 { "QUIZ" } else { "READING" }, "masteryScore": if i == 1 { Some(0.8) } else { None }, "activityId": activity, "required": i < 2 })
            })
            .collect();
        let p = api
            .call(
                "mutation($i: CreateTrainingProgrammeInput!) { createTrainingProgramme(input: $i) { id } }",
                json!({ "i": { "brandId": b, "title": "Moderation", "validityMonths": 12, "modules": modules } }),
            )
            .await["createTrainingProgramme"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let brand = Uuid::parse_str(&b).unwrap();
        let rows: Vec<entity::trainee::ActiveModel> = (0..TRAINEES)
            .map(|i| entity::trainee::ActiveModel {
                id: Set(Uuid::now_v7()),
                brand_id: Set(brand),
                name: Set(format!("Trainee {i}")),
                email: Set(format!("t{i}@bench.example")),
                job_role: Set(None),
                user_id: Set(None),
                member_id: Set(None),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .collect();
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id.clone().unwrap()).collect();
        for chunk in rows.chunks(hearth::ingest::CHUNK) {
            entity::trainee::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&ctx.db)
                .await
                .unwrap();
        }
        if brands.is_empty() {
            for chunk in ids.chunks(1000) {
                let r = api
                    .call(
                        "mutation($i: EnrollTraineesInput!) { enrollTrainees(input: $i) { enrolled } }",
                        json!({ "i": { "programmeId": p, "traineeIds": chunk.iter().map(Uuid::to_string).collect::<Vec<_>>() } }),
                    )
                    .await;
                assert_eq!(r["enrollTrainees"]["enrolled"], 1000);
            }
        }
        brands.push((b, ids));
    }
    bench.analyze().await;

    let (mut api_best, mut raw_best) = (0.0_f64, 0.0_f64);
    let (mut api_cpu, mut raw_cpu) = (0.0, 0.0);
    let (mut api_total, mut raw_total) = (0.0_f64, 0.0_f64);
    let (ref_brand, ref_trainees) = (Uuid::parse_str(&brands[1].0).unwrap(), brands[1].1.clone());
    for b in 0..BATCHES {
        let rows: Vec<Value> = (0..TRAINEES)
            .map(|i| {
                let (verb, activity, score) = result(b, i);
                json!({ "statementId": Uuid::new_v4().to_string(), "actorEmail": format!("t{i}@bench.example"),
                    "verb": verb, "activityId": activity, "scoreScaled": score, "duration": "PT5M",
                    "timestamp": (start + Duration::days(b as i64) + Duration::seconds(i as i64)).to_rfc3339() })
            })
            .collect();
        // Each side's client work (the request body; the insert
        // statements) is done before its clock starts, as a load generator
        // sends bytes it made beforehand.
        let body = json!({
            "query": "mutation($i: IngestTrainingStatementsInput!) { ingestTrainingStatements(input: $i) { inserted rejected { field reason } } }",
            "variables": { "i": { "brandId": brands[0].0, "rows": rows } },
        })
        .to_string();
        let cpu = Cpu::now();
        let t = Instant::now();
        let r = api.post_body(&body).await["data"].take();
        api_total += t.elapsed().as_secs_f64();
        api_best = api_best.max(TRAINEES as f64 / t.elapsed().as_secs_f64());
        let used = Cpu::since(cpu);
        api_cpu += used.server + used.database;
        assert_eq!(
            r["ingestTrainingStatements"]["inserted"], TRAINEES as i64,
            "{r}"
        );

        let raw: Vec<entity::training_statement::ActiveModel> = (0..TRAINEES)
            .map(|i| {
                let (verb, activity, score) = result(b, i);
                entity::training_statement::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    brand_id: Set(ref_brand),
                    statement_id: Set(Uuid::new_v4().to_string()),
                    trainee_id: Set(ref_trainees[i]),
                    verb: Set(verb.into()),
                    module_id: Set(None),
                    activity_id: Set(Some(activity.into())),
                    score_scaled: Set(score),
                    success: Set(None),
                    completion: Set(None),
                    duration_secs: Set(Some(300.0)),
                    occurred_at: Set(start
                        + Duration::days(b as i64)
                        + Duration::seconds(i as i64)),
                    payload_hash: Set(format!("{i:032x}")),
                    recorded_by_user_id: Set(None),
                    recorded_by_integration_id: Set(None),
                    created_at: Set(now),
                }
            })
            .collect();
        let inserts = support::insert_statements(
            ctx.db.get_database_backend(),
            &raw,
            &[
                entity::training_statement::Column::BrandId,
                entity::training_statement::Column::StatementId,
            ],
        );
        let cpu = Cpu::now();
        let t = Instant::now();
        let txn = ctx.db.begin().await.unwrap();
        for insert in inserts {
            txn.execute_raw(insert).await.unwrap();
        }
        txn.commit().await.unwrap();
        raw_total += t.elapsed().as_secs_f64();
        raw_best = raw_best.max(TRAINEES as f64 / t.elapsed().as_secs_f64());
        let used = Cpu::since(cpu);
        raw_cpu += used.server + used.database;
        if b == 1 {
            bench.analyze().await;
        }
    }
    // Every enrollment completed and earned one certification.
    let certified = ctx
        .db
        .query_one_raw(hearth::db::raw(
            ctx.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM certification WHERE brand_id = ?",
            vec![Uuid::parse_str(&brands[0].0).unwrap().into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(certified, TRAINEES as i64, "one certification per trainee");
    let rows = (TRAINEES * BATCHES) as f64;
    println!();
    println!(
        "ingest through the API: {api_best:>10.0} rows/s  ({:.1} µs CPU per row; enrollments and certifications kept up to date)",
        api_cpu * 1e6 / rows
    );
    println!(
        "raw multi-row INSERT:   {raw_best:>10.0} rows/s  ({:.1} µs CPU per row)",
        raw_cpu * 1e6 / rows
    );
    println!(
        "ingest ratio:           {:>10.2}  best batch each side (target >= 0.70; load {})",
        api_best / raw_best,
        load_average()
    );
    println!(
        "                        {:>10.2}  all {BATCHES} batches ({api_total:.1} s against {raw_total:.1} s)",
        raw_total / api_total
    );
}
