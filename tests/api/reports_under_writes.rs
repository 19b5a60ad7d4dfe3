//! Impact reports while data streams in: one computation per report and
//! data version (per instance and across instances sharing Redis), the
//! freshness policy, and reports computing on their own pool.

use serde_json::{json, Value};

use crate::{
    helpers::{redis_url, TestApp},
    impact::{add_late_order, at, close, fixture, gql_ok, REPORT},
};

const FRESHNESS: &str =
    "query($b: ID!, $from: DateTime, $to: DateTime, $min: Int, $fresh: Boolean) {
  impactReport(brandId: $b, from: $from, to: $to, minSample: $min, fresh: $fresh) {
    sales { spendPerCustomer { nonMembers { value } } }
    freshness { dataVersion computedAt currentDataVersion newerDataExists } } }";

/// Non-members' spend per customer in the fixture: c-x 40 + 15 = 55, c-y
/// 10 + 20 = 30, c-z 0 in the period (its order is before it): 85 / 3.
const NON_MEMBER_SPEND: f64 = 85.0 / 3.0;
/// ...and after [`add_late_order`] gives c-z 30 in the period: 115 / 3.
const NON_MEMBER_SPEND_LATE: f64 = 115.0 / 3.0;

fn freshness(r: &Value) -> &Value {
    &r["impactReport"]["freshness"]
}

fn non_member_spend(r: &Value) -> &Value {
    &r["impactReport"]["sales"]["spendPerCustomer"]["nonMembers"]["value"]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_data_is_served_stale_within_the_bound_while_one_refresh_runs() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    app.gql("{ __typename }", json!({})).await;
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3 });

    // What one computation costs: another series (minSample 4) of the same shape.
    let before = app.statements().await;
    gql_ok(
        &app,
        FRESHNESS,
        json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 4 }),
    )
    .await;
    let one_computation = app.statements().await - before;
    assert!(one_computation >= 4.0, "{one_computation}");

    let first = gql_ok(&app, FRESHNESS, v.clone()).await;
    close(non_member_spend(&first), NON_MEMBER_SPEND);
    let d0 = freshness(&first)["dataVersion"].as_i64().unwrap();
    assert_eq!(freshness(&first)["currentDataVersion"], d0);
    assert_eq!(freshness(&first)["newerDataExists"], false);

    add_late_order(&app, &f).await;
    let before = app.statements().await;
    // Twenty dashboards read at once: each gets the report computed before
    // the order, told that newer data exists, and one refresh runs.
    let stale: Vec<Value> =
        futures_util::future::join_all((0..20).map(|_| gql_ok(&app, FRESHNESS, v.clone()))).await;
    let mut refreshed = None;
    for r in &stale {
        if freshness(r)["newerDataExists"] == true {
            assert_eq!(freshness(r)["dataVersion"], d0);
            assert_eq!(freshness(r)["computedAt"], freshness(&first)["computedAt"]);
            assert!(freshness(r)["currentDataVersion"].as_i64().unwrap() > d0);
            close(non_member_spend(r), NON_MEMBER_SPEND);
        } else {
            // The refresh may already have landed for the last ones.
            close(non_member_spend(r), NON_MEMBER_SPEND_LATE);
        }
    }
    assert_eq!(freshness(&stale[0])["newerDataExists"], true);
    for _ in 0..200 {
        let r = gql_ok(&app, FRESHNESS, v.clone()).await;
        if freshness(&r)["newerDataExists"] == false {
            refreshed = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let refreshed = refreshed.expect("the background refresh never landed");
    close(non_member_spend(&refreshed), NON_MEMBER_SPEND_LATE);
    assert!(freshness(&refreshed)["dataVersion"].as_i64().unwrap() > d0);
    assert_eq!(
        app.statements().await - before,
        one_computation,
        "twenty stale answers and the polling started exactly one refresh"
    );

    // `fresh: true` waits for every committed write.
    add_late_order_again(&app, &f.brand, at(f.from, 2, 2)).await;
    let now = gql_ok(
        &app,
        FRESHNESS,
        json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3, "fresh": true }),
    )
    .await;
    assert_eq!(freshness(&now)["newerDataExists"], false);
    // c-z now has 30 + 12 in the period: (55 + 30 + 42) / 3.
    close(non_member_spend(&now), (55.0 + 30.0 + 42.0) / 3.0);
}

/// A second non-member order for c-z (12 EUR at `t`).
async fn add_late_order_again(app: &TestApp, brand: &str, t: chrono::DateTime<chrono::Utc>) {
    gql_ok(
        app,
        "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
        json!({ "i": { "brandId": brand, "rows": [{ "externalId": "later", "customerRef": "c-z", "orderedAt": t.to_rfc3339(), "amount": "12", "currency": "EUR" }] } }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_staleness_allowed_every_answer_includes_every_write() {
    let app = TestApp::spawn_with(|s| s.reports.max_staleness_secs = 0).await;
    let f = fixture(&app).await;
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3 });
    close(
        non_member_spend(&gql_ok(&app, FRESHNESS, v.clone()).await),
        NON_MEMBER_SPEND,
    );
    add_late_order(&app, &f).await;
    let r = gql_ok(&app, FRESHNESS, v).await;
    assert_eq!(freshness(&r)["newerDataExists"], false);
    close(non_member_spend(&r), NON_MEMBER_SPEND_LATE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_requests_after_a_write_run_the_report_once() {
    let a = TestApp::spawn().await;
    let f = fixture(&a).await;
    // With Redis, half the requests go to a second instance: the lock makes
    // the two share one computation.
    let b = match redis_url() {
        Some(_) => Some(a.another_instance().await),
        None => None,
    };
    let apps: Vec<&TestApp> = std::iter::once(&a).chain(b.as_ref()).collect();
    for app in &apps {
        app.gql("{ __typename }", json!({})).await;
    }
    let total = || async {
        let mut n = 0.0;
        for app in &apps {
            n += app.statements().await;
        }
        n
    };
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3, "fresh": true });
    let before = total().await;
    let first = gql_ok(&a, REPORT, v.clone()).await;
    let one_computation = total().await - before;
    assert!(one_computation >= 4.0, "{one_computation}");

    add_late_order(&a, &f).await;
    let before = total().await;
    let answers: Vec<Value> = futures_util::future::join_all(
        (0..50).map(|i| gql_ok(apps[i % apps.len()], REPORT, v.clone())),
    )
    .await;
    assert_eq!(
        total().await - before,
        one_computation,
        "fifty requests waited for one computation"
    );
    for r in &answers {
        crate::impact::assert_late_order_counted(r);
        assert_eq!(r, &answers[0]);
    }
    assert_ne!(answers[0], first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_keep_their_connections_while_reports_compute() {
    // Two connections for every read and write, each waited for at most a
    // second; one for reports, which queue on it.
    let app = TestApp::spawn_with(|s| {
        s.database.max_connections = 2;
        s.database.acquire_timeout_secs = 1;
        s.reports.max_connections = 1;
    })
    .await;
    let f = fixture(&app).await;
    // 20,000 orders from 2,000 customers make each report statement heavy.
    for batch in 0..2 {
        let rows: Vec<Value> = (0..10_000)
            .map(|i| {
                let n = batch * 10_000 + i;
                json!({ "externalId": format!("bulk-{n}"), "customerRef": format!("bulk-{}", n % 2_000),
                        "orderedAt": at(f.from, (n % 4) as u32, (n % 27) as i64).to_rfc3339(),
                        "amount": format!("{}.50", 5 + n % 90), "currency": "EUR" })
            })
            .collect();
        let r = gql_ok(
            &app,
            "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
            json!({ "i": { "brandId": f.brand, "rows": rows } }),
        )
        .await;
        assert_eq!(r["ingestOrders"]["inserted"], 10_000);
    }
    // Sixteen different cold reports at once (one per minimum sample)...
    let reports = futures_util::future::join_all((1..=16).map(|min| {
        app.gql(
            REPORT,
            json!({ "b": f.brand, "from": f.from, "to": f.to, "min": min, "fresh": true }),
        )
    }));
    // ...while a consultant's pages keep being read.
    let reads = async {
        let mut answers = Vec::new();
        for _ in 0..15 {
            let page = futures_util::future::join_all((0..4).map(|_| {
                app.gql(
                    "{ communities(first: 5) { totalCount edges { node { id name } } } }",
                    json!({}),
                )
            }))
            .await;
            answers.extend(page);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        answers
    };
    if crate::helpers::postgres_url().is_some() {
        // What autovacuum does within a minute of such an ingest: without
        // statistics on the new rows the planner picks nested loops.
        use sea_orm::ConnectionTrait;
        app.context.db.execute_unprepared("ANALYZE").await.unwrap();
    }
    let (reports, reads) = tokio::join!(reports, reads);
    for r in &reads {
        assert!(
            r.body["errors"].is_null(),
            "a read failed while reports computed: {}",
            r.body
        );
        assert_eq!(r.data()["communities"]["totalCount"], 1);
    }
    for r in &reports {
        assert!(r.body["errors"].is_null(), "a report failed: {}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_takes_over_a_computation_whose_holder_died() {
    // The lock lives in Redis; in-process there is no other instance.
    let Some(url) = redis_url() else {
        return;
    };
    let app = TestApp::spawn_with(|s| s.reports.max_staleness_secs = 0).await;
    let f = fixture(&app).await;
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3 });
    let first = gql_ok(&app, FRESHNESS, v.clone()).await;
    let d0 = freshness(&first)["dataVersion"].as_i64().unwrap();

    // The report's key, as its latest answer names it.
    let prefix = app.settings.redis.key_prefix.clone();
    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let latest: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}flight:latest:*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(latest.len(), 1, "{latest:?}");
    let series = latest[0].trim_start_matches(&format!("{prefix}flight:latest:"));

    // An instance took the lock for the next version and died: its lock
    // expires in 1.5 s, and nobody else renews it.
    add_late_order(&app, &f).await;
    let lock = format!("{prefix}flight:lock:{series}:v{}", d0 + 1);
    let _: () = redis::cmd("SET")
        .arg(&lock)
        .arg("999999999")
        .arg("PX")
        .arg(1_500)
        .query_async(&mut redis)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let r = gql_ok(&app, FRESHNESS, v).await;
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "the request waited for the dead holder's lock to expire"
    );
    assert_eq!(freshness(&r)["dataVersion"], d0 + 1);
    close(non_member_spend(&r), NON_MEMBER_SPEND_LATE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_time_series_follows_the_same_freshness_policy() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let q = "query($b: ID!, $from: DateTime, $to: DateTime, $fresh: Boolean) { impactTimeSeries(brandId: $b, from: $from, to: $to, interval: MONTH, fresh: $fresh) {
      points { period nonMemberOrders } freshness { dataVersion newerDataExists } } }";
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to });
    // Non-member orders in month 2: none in the fixture (c-x, c-y, c-z order
    // in months 0, 1 and 3); the late order lands there.
    let month2 = |r: &Value| {
        r["impactTimeSeries"]["points"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["period"] == at(f.from, 2, 0).format("%Y-%m").to_string())
            .map_or(0, |p| p["nonMemberOrders"].as_i64().unwrap())
    };
    let first = gql_ok(&app, q, v.clone()).await;
    assert_eq!(month2(&first), 0);
    add_late_order(&app, &f).await;
    let stale = gql_ok(&app, q, v.clone()).await;
    assert_eq!(
        stale["impactTimeSeries"]["freshness"]["newerDataExists"],
        true
    );
    assert_eq!(month2(&stale), 0);
    let mut fresh = v.clone();
    fresh["fresh"] = json!(true);
    let now = gql_ok(&app, q, fresh).await;
    assert_eq!(
        now["impactTimeSeries"]["freshness"]["newerDataExists"],
        false
    );
    assert_eq!(month2(&now), 1);
}
