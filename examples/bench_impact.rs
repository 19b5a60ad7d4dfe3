//! Impact report benchmark: the cold report against the same aggregate SQL
//! run directly through the database layer, and the cached report against a
//! plain actix-web endpoint returning the same bytes, in one run. Then the
//! report's statements against the query shape reports had before order
//! summaries (every order of the population read and joined per order),
//! both sets run side by side on the reports pool as the server runs them,
//! rounds alternating; and `ingestOrders` (which now keeps the summaries)
//! against raw multi-row inserts of the same number of orders.
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
use sea_orm::{ConnectionTrait, DbBackend, Set, Statement};
use serde_json::json;
use support::{env_number, load_average, Bench, Cpu};
use uuid::Uuid;

const COLD_RUNS: usize = 5;
/// Orders per ingest batch.
const INGEST_BATCH: usize = 10_000;

#[tokio::main]
async fn main() {
    let bench = Bench::start_for_large_reports().await;
    let (api, ctx) = (&bench.api, &bench.ctx);

    // BENCH_SCALE=10 seeds a tenth of the volume, for quick iterations.
    let seeded = support::seed_large_brand(&bench, env_number("BENCH_SCALE", 1).max(1)).await;
    let (brand, now) = (seeded.brand.clone(), seeded.now);
    let from = now - chrono::Duration::days(365);
    let query = "query($b: ID!, $from: DateTime!, $to: DateTime!) { impactReport(brandId: $b, from: $from, to: $to, fresh: true) { \
      sales { spendPerCustomer { members { value sampleSize } nonMembers { value sampleSize } } spendUplift { difference ciLow ciHigh } \
              joiners { difference } ordersPerCustomer { members { value } nonMembers { value } } } \
      retention { repeatPurchaseRate { members { value } nonMembers { value } } cohorts { cohort size retention } } \
      satisfaction { nps { members { value } } } engagement { health { members } } } }";
    let vars = json!({ "b": brand, "from": from, "to": now });
    let postgres = ctx.db.get_database_backend() == DbBackend::Postgres;
    // BENCH_INGEST_ONLY=1: only the order ingest against a raw insert.
    if postgres && std::env::var("BENCH_INGEST_ONLY").is_ok_and(|v| v == "1") {
        ingest_against_raw(&bench, &brand, seeded.customers).await;
        return;
    }
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

    if postgres {
        against_previous_shape(&bench, &params).await;
        ingest_against_raw(&bench, &brand, seeded.customers).await;
    } else {
        println!(
            "(the comparison with the previous query shape and the order ingest run on PostgreSQL)"
        );
    }
}

/// The report's statements as the server issues them now, against the same
/// report in the shape it had before order summaries, twice: on the order
/// indexes it had then (a copy of the orders in the schema
/// `before_summaries` with those indexes: the reference of the target) and
/// on today's covering indexes. Each set runs its statements side by side
/// on the reports pool, rounds alternating, best of each kept, with
/// PostgreSQL's CPU per report.
async fn against_previous_shape(bench: &Bench, params: &report::ReportParams) {
    bench.statements.start();
    report::compute(&bench.ctx, params).await.unwrap();
    let now = bench.statements.stop();
    // Today's set: the four statements that read orders or their summaries
    // (currency, sales, joiners, cohorts) give way to their old shape; the
    // rest (health, satisfaction, communities) are the same in both.
    let rest: Vec<Statement> = now
        .iter()
        .filter(|s| !s.sql.contains("customer_order"))
        .cloned()
        .collect();
    assert_eq!(rest.len() + 4, now.len(), "four statements read orders");
    let set_of = |orders: &str| {
        let mut set = rest.clone();
        set.extend(previous_shape(params, "EUR", orders));
        set
    };
    for sql in [
        "CREATE SCHEMA before_summaries",
        "CREATE TABLE before_summaries.customer_order AS SELECT * FROM customer_order",
        "CREATE INDEX ON before_summaries.customer_order (brand_id, ordered_at)",
        "CREATE INDEX ON before_summaries.customer_order (customer_id, ordered_at)",
        "VACUUM ANALYZE before_summaries.customer_order",
    ] {
        bench.ctx.db.execute_unprepared(sql).await.unwrap();
    }
    let sets = [
        (
            "before order summaries:",
            set_of("before_summaries.customer_order"),
        ),
        ("the same, today's indexes:", set_of("customer_order")),
        ("now:", now),
    ];
    let pool = bench.ctx.for_reports().db;
    let run = |set: Vec<Statement>| {
        let pool = pool.clone();
        async move {
            let (cpu, started) = (Cpu::now(), Instant::now());
            let results =
                futures_util::future::join_all(set.into_iter().map(|s| pool.query_all_raw(s)))
                    .await;
            for r in results {
                r.unwrap();
            }
            (started.elapsed(), Cpu::since(cpu).database)
        }
    };
    let mut best = [(Duration::MAX, 0.0); 3];
    for _ in 0..COLD_RUNS {
        for (i, (_, set)) in sets.iter().enumerate() {
            let r = run(set.clone()).await;
            if r.0 < best[i].0 {
                best[i] = r;
            }
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "\ncold report statements, side by side on the reports pool (load {}):",
        load_average()
    );
    for ((label, _), (time, cpu)) in sets.iter().zip(best) {
        println!(
            "  {label:<27} {:>8.0} ms  ({:.0} ms PostgreSQL CPU)",
            ms(time),
            cpu * 1000.0
        );
    }
    let (before, same, now) = (best[0], best[1], best[2]);
    println!(
        "  speed-up {:.2}x, CPU {:.2}x  (target >= 5); {:.2}x, CPU {:.2}x against the old shape on today's indexes",
        ms(before.0) / ms(now.0),
        before.1 / now.1.max(1e-9),
        ms(same.0) / ms(now.0),
        same.1 / now.1.max(1e-9)
    );
}

/// The currency, sales, joiners and cohorts statements as reports issued
/// them before order summaries: the population and first orders from every
/// order before the period's end, joined to the customers order by order;
/// `orders` names the orders table they read.
fn previous_shape(p: &report::ReportParams, cur: &str, orders: &str) -> Vec<Statement> {
    let (brand, from, to) = (p.brand.id(), p.from, p.to);
    let pg = |sql: &str, values: Vec<sea_orm::Value>| {
        let sql = sql.replace("customer_order ", &format!("{orders} "));
        hearth::db::raw(DbBackend::Postgres, &sql, values)
    };
    let with_cte = |rest: &str, tail: Vec<sea_orm::Value>| {
        let (cte, mut values) = report::customers_cte(brand, p.community_id);
        values.extend(tail);
        pg(&format!("WITH {cte}, {rest}"), values)
    };
    let month = |c: &str| format!("to_char(({c}) AT TIME ZONE 'UTC', 'YYYY-MM')");
    vec![
        pg(
            "SELECT DISTINCT currency FROM customer_order WHERE brand_id = ? AND ordered_at >= ? AND ordered_at < ? ORDER BY currency",
            vec![brand.into(), from.into(), to.into()],
        ),
        with_cte(
            "pc AS ( \
               SELECT cust.id AS id, CASE WHEN cust.joined_at IS NOT NULL AND cust.joined_at < ? THEN 1 ELSE 0 END AS grp, \
                 CAST(COALESCE(SUM(CASE WHEN o.ordered_at >= ? THEN o.amount_e4 ELSE 0 END), 0) AS DOUBLE PRECISION) / CAST(10000 AS DOUBLE PRECISION) AS spend, \
                 COALESCE(SUM(CASE WHEN o.ordered_at >= ? THEN 1 ELSE 0 END), 0) AS orders \
               FROM cust JOIN customer_order o ON o.customer_id = cust.id AND o.currency = ? AND o.ordered_at < ? \
               GROUP BY cust.id, cust.joined_at), \
             pm AS (SELECT grp, spend, orders, spend - AVG(spend) OVER (PARTITION BY grp) AS dev FROM pc) \
             SELECT grp, COUNT(*) AS n, COALESCE(SUM(spend), 0) AS spend, COALESCE(SUM(dev * dev), 0) AS spend_ss, \
               CAST(COALESCE(SUM(orders), 0) AS BIGINT) AS orders, \
               CAST(COALESCE(SUM(CASE WHEN orders >= 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS buyers, \
               CAST(COALESCE(SUM(CASE WHEN orders >= 2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS repeaters \
             FROM pm GROUP BY grp",
            vec![to.into(), from.into(), from.into(), cur.into(), to.into()],
        ),
        with_cte(
            "buyers AS (SELECT cust.id, cust.joined_at FROM cust WHERE EXISTS (SELECT 1 FROM customer_order o \
                        WHERE o.customer_id = cust.id AND o.currency = ? AND o.ordered_at < ?)), \
             j AS (SELECT id, joined_at FROM buyers WHERE joined_at >= ? AND joined_at < ?), \
             nm AS (SELECT id FROM buyers WHERE joined_at IS NULL OR joined_at >= ?), \
             od AS (SELECT o.customer_id AS cid, o.ordered_at AS t, o.amount_e4 AS amt FROM customer_order o \
                    WHERE o.brand_id = ? AND o.currency = ? AND o.ordered_at >= ? AND o.ordered_at < ?), \
             nmo AS (SELECT od.t AS t, od.amt AS amt FROM od JOIN nm ON nm.id = od.cid), \
             jt AS (SELECT j.id AS jid, j.joined_at AS joined_at, \
                      COALESCE(SUM(CASE WHEN od.t < j.joined_at THEN od.amt ELSE 0 END), 0) AS before, \
                      COALESCE(SUM(CASE WHEN od.t >= j.joined_at THEN od.amt ELSE 0 END), 0) AS after \
                    FROM j LEFT JOIN od ON od.cid = j.id GROUP BY j.id, j.joined_at), \
             ev AS (SELECT t, amt, 1 AS ord, NULL AS jid FROM nmo UNION ALL SELECT joined_at, 0, 0, id FROM j), \
             cum AS (SELECT jid, SUM(amt) OVER (ORDER BY t, ord ROWS UNBOUNDED PRECEDING) AS before FROM ev), \
             k AS (SELECT (SELECT COUNT(*) FROM nm) AS controls, (SELECT COALESCE(SUM(amt), 0) FROM nmo) AS total) \
             SELECT k.controls AS controls, CAST(k.total AS DOUBLE PRECISION) / 10000.0 AS c_total, x.joined_at AS joined_at, \
               CAST(x.before AS DOUBLE PRECISION) / 10000.0 AS t_before, \
               CAST(x.after AS DOUBLE PRECISION) / 10000.0 AS t_after, \
               CAST(x.c_before AS DOUBLE PRECISION) / 10000.0 AS c_before \
             FROM k LEFT JOIN (SELECT jt.joined_at AS joined_at, jt.before AS before, jt.after AS after, \
                                 COALESCE(cum.before, 0) AS c_before \
                               FROM jt JOIN cum ON cum.jid = jt.jid) x ON 1 = 1",
            vec![
                cur.into(), to.into(), from.into(), to.into(), to.into(),
                brand.into(), cur.into(), from.into(), to.into(),
            ],
        ),
        with_cte(
            &format!(
                "firsts AS (SELECT o.customer_id AS id, MIN(o.ordered_at) AS first_at FROM customer_order o \
                            WHERE o.brand_id = ? AND o.currency = ? AND o.ordered_at < ? GROUP BY o.customer_id), \
                 co AS (SELECT cust.id AS id, \
                          CASE WHEN cust.joined_at IS NOT NULL AND cust.joined_at < ? THEN 1 ELSE 0 END AS grp, \
                          CASE WHEN cust.joined_at IS NOT NULL AND cust.joined_at < ? THEN cust.joined_at ELSE firsts.first_at END AS cohort_at \
                        FROM cust JOIN firsts ON firsts.id = cust.id), \
                 cm AS (SELECT co.id AS id, co.grp AS grp, {} AS cohort FROM co WHERE co.cohort_at >= ? AND co.cohort_at < ?) \
                 SELECT cm.grp AS grp, cm.cohort AS cohort, {mo} AS month, COUNT(DISTINCT cm.id) AS n \
                 FROM cm LEFT JOIN customer_order o ON o.customer_id = cm.id AND o.currency = ? AND o.ordered_at < ? \
                 GROUP BY cm.grp, cm.cohort, {mo} \
                 UNION ALL \
                 SELECT cm.grp AS grp, cm.cohort AS cohort, NULL AS month, COUNT(*) AS n FROM cm GROUP BY cm.grp, cm.cohort",
                month("co.cohort_at"),
                mo = month("o.ordered_at"),
            ),
            vec![
                brand.into(), cur.into(), to.into(), to.into(), to.into(),
                from.into(), to.into(), cur.into(), to.into(),
            ],
        ),
    ]
}

/// `ingestOrders` batches (which keep the order summaries in the same
/// transaction) against the same number of orders as raw multi-row
/// `INSERT ... ON CONFLICT DO NOTHING` of 500, alternating (each side first
/// every other round), best of each.
async fn ingest_against_raw(bench: &Bench, brand: &str, customers: usize) {
    let brand_id = Uuid::parse_str(brand).unwrap();
    // The raw side inserts the same rows: each order for the customer its
    // reference names, as the API resolves it.
    let by_ref: std::collections::HashMap<String, Uuid> = bench
        .ctx
        .db
        .query_all_raw(hearth::db::raw(
            DbBackend::Postgres,
            "SELECT external_ref, id FROM customer WHERE brand_id = ?",
            vec![brand_id.into()],
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.try_get_by_index::<String>(0).unwrap(),
                r.try_get_by_index::<Uuid>(1).unwrap(),
            )
        })
        .collect();
    let customer_of = |n: usize| by_ref[&format!("c{}", (n * 31) % customers)];
    // Seeding wrote about a gigabyte of WAL: a checkpoint now, so that no
    // checkpoint falls due in the middle of the rounds and makes the side
    // that follows it pay full-page writes the other does not.
    bench.ctx.db.execute_unprepared("CHECKPOINT").await.unwrap();
    let now = chrono::Utc::now();
    let at = |n: usize| now - chrono::Duration::minutes((n % 500_000) as i64);
    let (mut api_best, mut raw_best) = (0.0_f64, 0.0_f64);
    // CPU per row of each side's cheapest batch: this process (the server,
    // or the raw side's client) plus PostgreSQL, in µs.
    let (mut api_cpu, mut raw_cpu) = (f64::MAX, f64::MAX);
    let per_row = |used: Cpu| (used.server + used.database) * 1e6 / INGEST_BATCH as f64;
    // Batches per side (BENCH_INGEST_ROUNDS): the best of each side is kept,
    // so more rounds tell more reliably what each side can do.
    let rounds = env_number("BENCH_INGEST_ROUNDS", 6).max(1);
    // What each side's client prepares (the request body; the insert
    // statements) is built before its clock starts, as a load generator
    // sends bytes it made beforehand: the clocks time the server and the
    // database, not the benchmark's own JSON or SQL building.
    let (mut api_prep, mut raw_prep) = (Duration::ZERO, Duration::ZERO);
    for round in 0..rounds {
        let prepared = Instant::now();
        let rows: Vec<serde_json::Value> = (0..INGEST_BATCH)
            .map(|i| {
                let n = round * INGEST_BATCH + i;
                json!({ "externalId": format!("stream-{n}"), "customerRef": format!("c{}", (n * 31) % customers),
                        "orderedAt": at(n).to_rfc3339(), "amount": format!("{}.{:02}", 5 + n % 200, n % 100), "currency": "EUR" })
            })
            .collect();
        let body = json!({
            "query": "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
            "variables": { "i": { "brandId": brand, "rows": rows } },
        })
        .to_string();
        api_prep = api_prep.max(prepared.elapsed());
        let prepared = Instant::now();
        let models: Vec<entity::customer_order::ActiveModel> = (0..INGEST_BATCH)
            .map(|i| {
                let n = round * INGEST_BATCH + i;
                entity::customer_order::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    brand_id: Set(brand_id),
                    customer_id: Set(customer_of(n)),
                    external_id: Set(format!("raw-{n}")),
                    ordered_at: Set(at(n)),
                    amount_e4: Set(((5 + n % 200) * 10_000 + (n % 100) * 100) as i64),
                    currency: Set("EUR".into()),
                    item_count: Set(1),
                    created_at: Set(now),
                    payload_hash: Set(Some(format!("{n:032x}"))),
                    offer_code: Set(None),
                }
            })
            .collect();
        let mut inserts = support::insert_statements(
            DbBackend::Postgres,
            &models,
            &[
                entity::customer_order::Column::BrandId,
                entity::customer_order::Column::ExternalId,
            ],
        );
        raw_prep = raw_prep.max(prepared.elapsed());
        // Each side goes first every other round.
        let order = if round % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for api_side in order {
            if api_side {
                let cpu = Cpu::now();
                let started = Instant::now();
                let r = bench.api.post_body(&body).await;
                assert_eq!(r["data"]["ingestOrders"]["inserted"], INGEST_BATCH as i64);
                api_best = api_best.max(INGEST_BATCH as f64 / started.elapsed().as_secs_f64());
                api_cpu = api_cpu.min(per_row(Cpu::since(cpu)));
            } else {
                let cpu = Cpu::now();
                let started = Instant::now();
                let txn = bench.ctx.db.begin().await.unwrap();
                for insert in std::mem::take(&mut inserts) {
                    txn.execute_raw(insert).await.unwrap();
                }
                txn.commit().await.unwrap();
                raw_best = raw_best.max(INGEST_BATCH as f64 / started.elapsed().as_secs_f64());
                raw_cpu = raw_cpu.min(per_row(Cpu::since(cpu)));
            }
        }
    }
    println!(
        "\ningest of {INGEST_BATCH} orders, best of {rounds} batches per side (load {}):",
        load_average()
    );
    println!("  ingestOrders (with summaries):     {api_best:>8.0} rows/s  ({api_cpu:.1} µs CPU per row)");
    println!("  INSERT ... ON CONFLICT DO NOTHING: {raw_best:>8.0} rows/s  ({raw_cpu:.1} µs CPU per row)");
    println!("  ratio {:.2}  (target >= 0.70)", api_best / raw_best);
    println!(
        "  prepared before the clock, longest batch: request body {:.0} ms, insert statements {:.0} ms",
        api_prep.as_secs_f64() * 1e3,
        raw_prep.as_secs_f64() * 1e3
    );
}
