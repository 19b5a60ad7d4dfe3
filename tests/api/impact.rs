//! Impact: ingest of customers, orders and surveys; the report's figures
//! against values worked out from a small fixture; caching; snapshots;
//! access.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};

use crate::helpers::{redis_url, TestApp};

/// The fixture's period: the four whole months before the current one.
pub struct Fixture {
    pub brand: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub cy_joined: DateTime<Utc>,
}

fn month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let d = NaiveDate::from_ymd_opt(t.year(), t.month(), 1).unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
}

/// Day `day` (from 0) of month `k` of the period, at noon.
pub fn at(from: DateTime<Utc>, k: u32, day: i64) -> DateTime<Utc> {
    from.checked_add_months(Months::new(k)).unwrap() + Duration::days(day) + Duration::hours(12)
}

pub async fn gql_ok(app: &TestApp, q: &str, v: Value) -> Value {
    app.gql(q, v).await.data().clone()
}

/// A Discord community of `brand` named `name`; returns its id.
async fn trail_community_named(app: &TestApp, brand: &str, name: &str) -> String {
    gql_ok(
        app,
        "mutation($b: ID!, $n: String!) { createCommunity(input: { brandId: $b, name: $n, purpose: \"Tips\", kind: PRODUCT, platform: DISCORD }) { id } }",
        json!({ "b": brand, "n": name }),
    )
    .await["createCommunity"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A Discord community of `brand`; returns its id.
async fn trail_community(app: &TestApp, brand: &str) -> String {
    gql_ok(
        app,
        "mutation($b: ID!) { createCommunity(input: { brandId: $b, name: \"Trail\", purpose: \"Tips\", kind: PRODUCT, platform: DISCORD }) { id } }",
        json!({ "b": brand }),
    )
    .await["createCommunity"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub async fn fixture(app: &TestApp) -> Fixture {
    let to = month_start(Utc::now());
    let from = to.checked_sub_months(Months::new(4)).unwrap();
    let brand = app.create_brand("Acme Outdoors").await;
    let c = trail_community(app, &brand).await;
    let cy_joined = at(from, 1, 10);
    let activity = |key: &str, who: &str, t: DateTime<Utc>| json!({ "sourceKey": key, "externalId": who, "handle": who, "kind": "message", "occurredAt": t.to_rfc3339() });
    gql_ok(
        app,
        "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }",
        json!({ "i": { "communityId": c, "rows": [
            activity("a", "ana", from - Duration::days(10)),
            activity("b", "bo", from - Duration::days(10)),
            activity("c", "cy", cy_joined),
        ] } }),
    )
    .await;
    let link = |r: &str, who: Option<&str>| match who {
        Some(w) => json!({ "externalRef": r, "memberPlatform": "DISCORD", "memberExternalId": w }),
        None => json!({ "externalRef": r }),
    };
    let customers = gql_ok(
        app,
        "mutation($i: IngestCustomersInput!) { ingestCustomers(input: $i) { inserted updated duplicates } }",
        json!({ "i": { "brandId": brand, "rows": [
            link("c-ana", Some("ana")), link("c-bo", Some("bo")), link("c-cy", Some("cy")),
            link("c-x", None), link("c-y", None), link("c-z", None),
        ] } }),
    )
    .await;
    assert_eq!(customers["ingestCustomers"]["inserted"], 6);
    let order = |id: &str, c: &str, t: DateTime<Utc>, amount: &str| json!({ "externalId": id, "customerRef": c, "orderedAt": t.to_rfc3339(), "amount": amount, "currency": "EUR" });
    let orders = gql_ok(
        app,
        "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted duplicates rejected { index } } }",
        json!({ "i": { "brandId": brand, "rows": [
            order("o1", "c-ana", at(from, 0, 3), "100.00"),
            order("o2", "c-ana", at(from, 1, 12), "50.00"),
            order("o3", "c-bo", at(from, 0, 5), "30.00"),
            order("o4", "c-cy", at(from, 0, 20), "20.00"),
            order("o5", "c-cy", at(from, 2, 5), "40.00"),
            order("o6", "c-x", at(from, 0, 2), "40.00"),
            order("o7", "c-x", at(from, 1, 5), "15.00"),
            order("o8", "c-y", at(from, 0, 10), "10.00"),
            order("o9", "c-y", at(from, 3, 9), "20.00"),
            order("o10", "c-z", from - Duration::days(5), "99.00"),
        ] } }),
    )
    .await;
    assert_eq!(orders["ingestOrders"]["inserted"], 10);
    let survey = |id: &str, kind: &str, score: i64, c: &str| json!({ "externalId": id, "kind": kind, "score": score, "customerRef": c, "respondedAt": at(from, 1, 1).to_rfc3339() });
    gql_ok(
        app,
        "mutation($i: IngestSurveysInput!) { ingestSurveyResponses(input: $i) { inserted } }",
        json!({ "i": { "brandId": brand, "rows": [
            survey("s1", "NPS", 10, "c-ana"), survey("s2", "NPS", 9, "c-bo"),
            survey("s3", "NPS", 3, "c-x"), survey("s4", "NPS", 8, "c-y"), survey("s5", "NPS", 10, "c-z"),
            survey("s6", "CSAT", 5, "c-ana"),
        ] } }),
    )
    .await;
    Fixture {
        brand,
        from,
        to,
        cy_joined,
    }
}

pub const REPORT: &str = "query($b: ID!, $from: DateTime, $to: DateTime, $min: Int, $cur: String, $fresh: Boolean) {
  impactReport(brandId: $b, from: $from, to: $to, minSample: $min, currency: $cur, fresh: $fresh) {
    minSample
    sales { currency
      spendPerCustomer { members { value sampleSize insufficient } nonMembers { value sampleSize insufficient } }
      ordersPerCustomer { members { value } nonMembers { value } }
      averageOrderValue { members { value sampleSize } nonMembers { value sampleSize } }
      averageOrderValue { nonMembers { sampleOf observations } }
      spendUplift { difference relative ciLow ciHigh degreesOfFreedom relativeCiLow relativeCiHigh insufficient }
      joiners { joiners controls joinersBefore joinersAfter controlsBefore controlsAfter difference insufficient } }
    retention { repeatPurchaseRate { members { value sampleSize } nonMembers { value sampleSize } }
      cohorts { group cohort size retention } }
    satisfaction { nps { members { value sampleSize } nonMembers { value sampleSize } } csat { members { value sampleSize } nonMembers { value sampleSize } } }
    engagement { name health { members } }
  } }";

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (
        m,
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
    )
}

pub fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("not a number: {a}"));
    assert!((a - b).abs() < 1e-6, "{a} != {b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_figure_matches_the_hand_worked_fixture() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let r = gql_ok(
        &app,
        REPORT,
        json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3 }),
    )
    .await;
    let r = &r["impactReport"];
    let s = &r["sales"];
    assert_eq!(s["currency"], "EUR");
    // Members: ana 150, bo 30, cy 60. Non-members: x 55, y 30, z 0 (ordered before the period only).
    let (members, others) = ([150.0, 30.0, 60.0], [55.0, 30.0, 0.0]);
    let ((mm, mv), (nm, nv)) = (mean_var(&members), mean_var(&others));
    close(&s["spendPerCustomer"]["members"]["value"], mm);
    close(&s["spendPerCustomer"]["nonMembers"]["value"], nm);
    assert_eq!(s["spendPerCustomer"]["members"]["sampleSize"], 3);
    assert_eq!(
        s["spendPerCustomer"]["members"]["insufficient"], false,
        "3 is the minimum here"
    );
    close(&s["ordersPerCustomer"]["members"]["value"], 5.0 / 3.0);
    close(&s["ordersPerCustomer"]["nonMembers"]["value"], 4.0 / 3.0);
    close(&s["averageOrderValue"]["members"]["value"], 240.0 / 5.0);
    close(&s["averageOrderValue"]["nonMembers"]["value"], 85.0 / 4.0);
    // The sample is people (x and y bought in the period), over 4 orders.
    assert_eq!(s["averageOrderValue"]["nonMembers"]["sampleSize"], 2);
    assert_eq!(s["averageOrderValue"]["nonMembers"]["sampleOf"], "BUYERS");
    assert_eq!(s["averageOrderValue"]["nonMembers"]["observations"], 4);
    let u = &s["spendUplift"];
    // Welch: se² = s²ₘ/3 + s²ₙ/3, df = se⁴ / ((s²ₘ/3)²/2 + (s²ₙ/3)²/2).
    let (wm, wn) = (mv / 3.0, nv / 3.0);
    let se = (wm + wn).sqrt();
    let df = (wm + wn).powi(2) / (wm * wm / 2.0 + wn * wn / 2.0);
    let t = {
        use statrs::distribution::{ContinuousCDF, StudentsT};
        StudentsT::new(0.0, 1.0, df).unwrap().inverse_cdf(0.975)
    };
    close(&u["difference"], mm - nm);
    close(&u["relative"], (mm - nm) / nm);
    close(&u["degreesOfFreedom"], df);
    close(&u["ciLow"], mm - nm - t * se);
    close(&u["ciHigh"], mm - nm + t * se);

    // cy joined in the period: 20 before, 40 after; non-members x, y, z.
    let j = &s["joiners"];
    assert_eq!(j["joiners"], 1);
    assert_eq!(j["controls"], 3);
    let before = (f.cy_joined - f.from).num_seconds() as f64 / 86_400.0;
    let after = (f.to - f.cy_joined).num_seconds() as f64 / 86_400.0;
    close(&j["joinersBefore"], 20.0 / before);
    close(&j["joinersAfter"], 40.0 / after);
    // Non-members before cy's joining day: 40 + 15 + 10; after: 20.
    close(&j["controlsBefore"], 65.0 / (3.0 * before));
    close(&j["controlsAfter"], 20.0 / (3.0 * after));
    close(
        &j["difference"],
        (40.0 / after - 20.0 / before) - (20.0 / (3.0 * after) - 65.0 / (3.0 * before)),
    );
    assert_eq!(j["insufficient"], true);

    let ret = &r["retention"];
    close(&ret["repeatPurchaseRate"]["members"]["value"], 2.0 / 3.0);
    close(&ret["repeatPurchaseRate"]["nonMembers"]["value"], 1.0);
    assert_eq!(ret["repeatPurchaseRate"]["nonMembers"]["sampleSize"], 2);
    let month = |k: u32| {
        f.from
            .checked_add_months(Months::new(k))
            .unwrap()
            .format("%Y-%m")
            .to_string()
    };
    let cohorts = ret["cohorts"].as_array().unwrap();
    assert_eq!(cohorts.len(), 2, "{cohorts:?}");
    let non = cohorts
        .iter()
        .find(|c| c["group"] == "NON_MEMBERS")
        .unwrap();
    assert_eq!(non["cohort"], month(0));
    assert_eq!(non["size"], 2);
    // Month 4 is the current month: not complete, left out.
    assert_eq!(non["retention"], json!([1.0, 0.5, 0.0, 0.5, null, null]));
    let mem = cohorts.iter().find(|c| c["group"] == "MEMBERS").unwrap();
    assert_eq!(mem["cohort"], month(1));
    assert_eq!(mem["retention"], json!([0.0, 1.0, 0.0, null, null, null]));

    let sat = &r["satisfaction"];
    close(&sat["nps"]["members"]["value"], 100.0);
    close(&sat["nps"]["nonMembers"]["value"], 0.0);
    assert_eq!(sat["nps"]["nonMembers"]["sampleSize"], 3);
    close(&sat["csat"]["members"]["value"], 1.0);
    assert!(
        sat["csat"]["nonMembers"]["value"].is_null(),
        "no responses: no value"
    );
    assert_eq!(sat["csat"]["nonMembers"]["sampleSize"], 0);
    assert_eq!(r["engagement"][0]["name"], "Trail");

    // With the default minimum (30) every figure here is flagged.
    let d = gql_ok(
        &app,
        REPORT,
        json!({ "b": f.brand, "from": f.from, "to": f.to }),
    )
    .await;
    assert_eq!(d["impactReport"]["minSample"], 30);
    assert_eq!(
        d["impactReport"]["sales"]["spendPerCustomer"]["members"]["insufficient"],
        true
    );
    assert_eq!(
        d["impactReport"]["sales"]["spendUplift"]["insufficient"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joiners_sharing_a_joining_day_each_weigh_against_the_controls() {
    // dee and eli join on the same day; x never joins. Each joiner compares
    // against x's spend before and after their own joining day.
    let app = TestApp::spawn().await;
    let to = month_start(Utc::now());
    let from = to.checked_sub_months(Months::new(4)).unwrap();
    let brand = app.create_brand("Acme Outdoors").await;
    let c = trail_community(&app, &brand).await;
    let joined = at(from, 1, 10);
    let activity = |key: &str, who: &str| json!({ "sourceKey": key, "externalId": who, "handle": who, "kind": "message", "occurredAt": joined.to_rfc3339() });
    gql_ok(
        &app,
        "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }",
        json!({ "i": { "communityId": c, "rows": [activity("a", "dee"), activity("b", "eli")] } }),
    )
    .await;
    gql_ok(
        &app,
        "mutation($i: IngestCustomersInput!) { ingestCustomers(input: $i) { inserted } }",
        json!({ "i": { "brandId": brand, "rows": [
            { "externalRef": "c-dee", "memberPlatform": "DISCORD", "memberExternalId": "dee" },
            { "externalRef": "c-eli", "memberPlatform": "DISCORD", "memberExternalId": "eli" },
            { "externalRef": "c-x" },
        ] } }),
    )
    .await;
    let order = |id: &str, c: &str, t: DateTime<Utc>, amount: &str| json!({ "externalId": id, "customerRef": c, "orderedAt": t.to_rfc3339(), "amount": amount, "currency": "EUR" });
    gql_ok(
        &app,
        "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
        json!({ "i": { "brandId": brand, "rows": [
            order("o1", "c-dee", at(from, 0, 5), "10.00"),
            order("o2", "c-dee", at(from, 2, 5), "30.00"),
            order("o3", "c-eli", at(from, 0, 6), "20.00"),
            order("o4", "c-x", at(from, 0, 2), "40.00"),
            order("o5", "c-x", at(from, 2, 1), "60.00"),
        ] } }),
    )
    .await;
    let r = gql_ok(
        &app,
        "query($b: ID!, $from: DateTime, $to: DateTime) { impactReport(brandId: $b, from: $from, to: $to, minSample: 1) {
           sales { joiners { joiners controls joinersBefore joinersAfter controlsBefore controlsAfter } } } }",
        json!({ "b": brand, "from": from, "to": to }),
    )
    .await;
    let j = &r["impactReport"]["sales"]["joiners"];
    assert_eq!(j["joiners"], 2);
    assert_eq!(j["controls"], 1);
    let before = (joined - from).num_seconds() as f64 / 86_400.0;
    let after = (to - joined).num_seconds() as f64 / 86_400.0;
    close(&j["joinersBefore"], 30.0 / (2.0 * before));
    close(&j["joinersAfter"], 30.0 / (2.0 * after));
    // x's 40 before and 60 after count once for each joiner.
    close(&j["controlsBefore"], 2.0 * 40.0 / (2.0 * before));
    close(&j["controlsAfter"], 2.0 * 60.0 / (2.0 * after));
}

/// A non-member's order in the fixture's period, written after a report.
pub async fn add_late_order(app: &TestApp, f: &Fixture) {
    gql_ok(
        app,
        "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
        json!({ "i": { "brandId": f.brand, "rows": [{ "externalId": "late", "customerRef": "c-z", "orderedAt": at(f.from, 2, 1).to_rfc3339(), "amount": "30", "currency": "EUR" }] } }),
    )
    .await;
}

/// The report shows the order [`add_late_order`] wrote.
pub fn assert_late_order_counted(report: &Value) {
    close(
        &report["impactReport"]["sales"]["spendPerCustomer"]["nonMembers"]["value"],
        115.0 / 3.0,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_cached_per_brand_until_its_data_changes() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let other = app.create_brand("Other Brand").await;
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3, "fresh": true });
    let first = gql_ok(&app, REPORT, v.clone()).await;
    let ov = json!({ "b": other, "from": f.from, "to": f.to });
    gql_ok(&app, REPORT, ov.clone()).await;
    let again = app
        .without_statements(
            "a cached report touches no database",
            gql_ok(&app, REPORT, v.clone()),
        )
        .await;
    assert_eq!(first, again);

    add_late_order(&app, &f).await;
    assert_late_order_counted(&gql_ok(&app, REPORT, v).await);
    app.without_statements(
        "another brand's cached report is untouched",
        gql_ok(&app, REPORT, ov),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_over_the_default_period_are_cached_too() {
    // Without `to` the period ends at the next whole minute, so repeated
    // requests share one cached report. At most one minute boundary falls
    // between three quick requests, so one of the two repeats must hit.
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let q = "query($b: ID!) { impactReport(brandId: $b) { to sales { currency } } }";
    let v = json!({ "b": f.brand });
    gql_ok(&app, q, v.clone()).await;
    let mut hits = 0;
    for _ in 0..2 {
        let before = app.statements().await;
        let d = gql_ok(&app, q, v.clone()).await;
        let to: DateTime<Utc> = d["impactReport"]["to"].as_str().unwrap().parse().unwrap();
        assert_eq!(to.timestamp() % 60, 0, "{to}");
        assert!(to > Utc::now() - Duration::seconds(5) && to <= Utc::now() + Duration::seconds(60));
        if app.statements().await == before {
            hits += 1;
        }
    }
    assert!(
        hits >= 1,
        "repeated default-period reports were never cached"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_shape_gets_its_own_output_of_a_cached_report() {
    // A cached report's resolved output is reused only for the same request.
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3 });
    let full = gql_ok(&app, REPORT, v.clone()).await;
    let other = "query($b: ID!, $from: DateTime, $to: DateTime, $min: Int, $wide: Boolean!) {
      r: impactReport(brandId: $b, from: $from, to: $to, minSample: $min) {
        __typename
        s: sales { ...spend }
        retention @include(if: $wide) { cohorts { cohort } }
      } }
      fragment spend on SalesReport { per: spendPerCustomer { members { value } } }";
    for wide in [false, true, false] {
        let d = gql_ok(
            &app,
            other,
            json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3, "wide": wide }),
        )
        .await;
        let r = d["r"].as_object().unwrap();
        assert_eq!(r["__typename"], "ImpactReport");
        assert_eq!(
            d["r"]["s"],
            json!({ "per": { "members": { "value": full["impactReport"]["sales"]["spendPerCustomer"]["members"]["value"] } } })
        );
        assert_eq!(r.contains_key("retention"), wide, "{d}");
        assert_eq!(r.len(), if wide { 3 } else { 2 });
    }
    assert_eq!(gql_ok(&app, REPORT, v).await, full);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_redis_serve_one_report_and_see_each_others_writes() {
    // Each instance keeps decoded reports in memory; without Redis the whole
    // cache is per instance, so this only applies with Redis.
    if redis_url().is_none() {
        return;
    }
    let a = TestApp::spawn().await;
    let f = fixture(&a).await;
    let b = a.another_instance().await;
    // The other instance reads the caller's access facts once, on its first request.
    b.gql("{ __typename }", json!({})).await;
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3, "fresh": true });
    let from_a = gql_ok(&a, REPORT, v.clone()).await;
    let from_b = b
        .without_statements(
            "the other instance reads the report from Redis",
            gql_ok(&b, REPORT, v.clone()),
        )
        .await;
    assert_eq!(from_a, from_b);

    add_late_order(&b, &f).await;
    assert_late_order_counted(&gql_ok(&a, REPORT, v).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_mirrored_in_redis_is_read_again_once_its_lifetime_ends() {
    // Only Redis mirrors expire: in-process, every write goes through the
    // mirror itself.
    if redis_url().is_none() {
        return;
    }
    let app = TestApp::spawn_with(|s| s.cache.version_ttl_secs = 1).await;
    let f = fixture(&app).await;
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3, "fresh": true });
    let first = gql_ok(&app, REPORT, v.clone()).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    // Past the lifetime the cached report is still what the data says, but
    // the versions it stands on are read from the database again: the
    // brand's data version and the caller's access version, one statement
    // each.
    let before = app.statements().await;
    let again = gql_ok(&app, REPORT, v).await;
    assert_eq!(app.statements().await - before, 2.0);
    assert_eq!(first, again);
}

/// How many kept responses were `stored`, replayed (`hit`) or found `stale`.
async fn replays(app: &TestApp, result: &str) -> f64 {
    app.metric(&format!(
        "hearth_graphql_replays_total{{result=\"{result}\"}}"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_report_is_replayed_only_while_it_stands_for_the_caller() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let other = app.create_brand("Other Brand").await;
    let (consultant_id, consultant) = app.consultant_for(&[&f.brand]).await;
    let (_, client) = app.user_token("CLIENT", Some(&f.brand)).await;
    let (_, outsider) = app.user_token("CLIENT", Some(&other)).await;
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3, "fresh": true });

    let first = app.gql_as(Some(&consultant), REPORT, v.clone()).await;
    assert_eq!(replays(&app, "stored").await, 1.0);
    let again = app
        .without_statements(
            "a replay touches no database",
            app.gql_as(Some(&consultant), REPORT, v.clone()),
        )
        .await;
    assert_eq!(replays(&app, "hit").await, 1.0);
    assert_eq!(again.body, first.body);
    // Another caller with access gets the same answer from the same entry.
    let for_client = app.gql_as(Some(&client), REPORT, v.clone()).await;
    assert_eq!(for_client.body, first.body);
    assert_eq!(replays(&app, "hit").await, 2.0);

    // The same bytes from callers without access run in full and are refused.
    assert_eq!(
        app.gql_as(Some(&outsider), REPORT, v.clone()).await.code(),
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql_as(None, REPORT, v.clone()).await.code(),
        "UNAUTHENTICATED"
    );
    app.gql(
        "mutation($u: ID!, $b: ID!) { unassignConsultant(userId: $u, brandId: $b) { id } }",
        json!({ "u": consultant_id, "b": f.brand }),
    )
    .await
    .data();
    assert_eq!(
        app.gql_as(Some(&consultant), REPORT, v.clone())
            .await
            .code(),
        "NOT_FOUND"
    );
    assert_eq!(replays(&app, "hit").await, 2.0);

    // New data moves the report's key: the next request runs again.
    add_late_order(&app, &f).await;
    let stale = replays(&app, "stale").await;
    assert_late_order_counted(app.gql_as(Some(&client), REPORT, v.clone()).await.data());
    assert_eq!(replays(&app, "stale").await, stale + 1.0);
    let hits = replays(&app, "hit").await;
    assert_late_order_counted(app.gql_as(Some(&client), REPORT, v).await.data());
    assert_eq!(replays(&app, "hit").await, hits + 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_over_get_is_replayed_apart_from_post() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let q = "query($b: ID!) { impactReport(brandId: $b) { minSample } }";
    let vars = json!({ "b": f.brand }).to_string();
    let over_get = || async {
        let res = app
            .client
            .get(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .query(&[("query", q), ("variables", vars.as_str())])
            .send()
            .await
            .unwrap();
        TestApp::answer(res).await
    };
    assert_eq!(over_get().await.data()["impactReport"]["minSample"], 30);
    assert_eq!(over_get().await.data()["impactReport"]["minSample"], 30);
    assert_eq!(replays(&app, "stored").await, 1.0);
    assert_eq!(replays(&app, "hit").await, 1.0);
    app.gql(q, json!({ "b": f.brand })).await.data();
    assert_eq!(replays(&app, "stored").await, 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_with_other_root_fields_are_never_replayed() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let q = "query($b: ID!) { impactReport(brandId: $b, fresh: true) { minSample } brand(id: $b) { name } }";
    let v = json!({ "b": f.brand });
    assert_eq!(
        gql_ok(&app, q, v.clone()).await["brand"]["name"],
        "Acme Outdoors"
    );
    app.gql(
        "mutation($b: ID!) { updateBrand(id: $b, input: { name: \"Renamed\" }) { id } }",
        v.clone(),
    )
    .await
    .data();
    assert_eq!(gql_ok(&app, q, v.clone()).await["brand"]["name"], "Renamed");
    // Fragments and `__typename` at the root do not hide other fields either.
    let hidden = "query($b: ID!) { __typename ...r ... on Query { brand(id: $b) { name } } }
      fragment r on Query { impactReport(brandId: $b, fresh: true) { minSample } }";
    gql_ok(&app, hidden, v.clone()).await;
    gql_ok(&app, hidden, v.clone()).await;
    assert_eq!(replays(&app, "stored").await, 0.0);
    // The same report alone, through the same fragments, is kept (asked
    // fresh: after the rename a stale answer would be kept until its refresh
    // lands, and then kept again).
    let alone = "query($b: ID!) { __typename ...r ... on Query { __typename } }
      fragment r on Query { impactReport(brandId: $b, fresh: true) { minSample } }";
    let d = gql_ok(&app, alone, v.clone()).await;
    assert_eq!(d["__typename"], "Query");
    assert_eq!(gql_ok(&app, alone, v).await, d);
    assert_eq!(replays(&app, "stored").await, 1.0);
    assert_eq!(replays(&app, "hit").await, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_validates_rows_and_replays_change_nothing() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let q = "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted duplicates rejected { index field reason } } }";
    let now = Utc::now().to_rfc3339();
    let good = json!({ "externalId": "o1", "customerRef": "c1", "orderedAt": now, "amount": "19.99", "currency": "eur" });
    let bad = [
        (
            json!({ "externalId": "o2", "customerRef": "c1", "orderedAt": now, "amount": "-5", "currency": "EUR" }),
            "rows.1.amount",
        ),
        (
            json!({ "externalId": "o3", "customerRef": "c1", "orderedAt": now, "amount": "1.23456", "currency": "EUR" }),
            "rows.1.amount",
        ),
        (
            json!({ "externalId": "o4", "customerRef": "c1", "orderedAt": now, "amount": "5", "currency": "EURO" }),
            "rows.1.currency",
        ),
        (
            json!({ "externalId": "", "customerRef": "c1", "orderedAt": now, "amount": "5", "currency": "EUR" }),
            "rows.1.externalId",
        ),
    ];
    for (row, field) in bad {
        let a = app
            .gql(
                q,
                json!({ "i": { "brandId": brand, "rows": [good.clone(), row] } }),
            )
            .await;
        let r = &a.data()["ingestOrders"];
        assert_eq!(r["inserted"], 0, "all or nothing");
        assert_eq!(r["rejected"][0]["field"], field);
    }
    let a = app
        .gql(
            q,
            json!({ "i": { "brandId": brand, "rows": [good.clone(), good.clone()] } }),
        )
        .await;
    assert_eq!(a.data()["ingestOrders"]["inserted"], 1);
    assert_eq!(a.data()["ingestOrders"]["duplicates"], 1);
    let replay = app
        .gql(q, json!({ "i": { "brandId": brand, "rows": [good] } }))
        .await;
    assert_eq!(replay.data()["ingestOrders"]["inserted"], 0);
    assert_eq!(replay.data()["ingestOrders"]["duplicates"], 1);

    let s = "mutation($i: IngestSurveysInput!) { ingestSurveyResponses(input: $i) { inserted rejected { field } } }";
    let a = app
        .gql(
            s,
            json!({ "i": { "brandId": brand, "mode": "PER_ROW", "rows": [
            { "externalId": "s1", "kind": "NPS", "score": 11, "respondedAt": now },
            { "externalId": "s2", "kind": "CSAT", "score": 0, "respondedAt": now },
            { "externalId": "s3", "kind": "CSAT", "score": 4, "respondedAt": now },
        ] } }),
        )
        .await;
    assert_eq!(a.data()["ingestSurveyResponses"]["inserted"], 1);
    assert_eq!(
        a.data()["ingestSurveyResponses"]["rejected"],
        json!([{ "field": "rows.0.score" }, { "field": "rows.1.score" }])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_arguments_out_of_range_are_refused_by_field() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let other = app.create_brand("Other Brand").await;
    let elsewhere = trail_community(&app, &other).await;
    let q = "query($b: ID!, $c: ID, $from: DateTime, $to: DateTime, $min: Int) {
      impactReport(brandId: $b, communityId: $c, from: $from, to: $to, minSample: $min) { minSample } }";
    let cases = [
        (
            json!({ "b": f.brand, "min": 0 }),
            "BAD_USER_INPUT",
            Some("minSample"),
        ),
        (
            json!({ "b": f.brand, "min": 10_001 }),
            "BAD_USER_INPUT",
            Some("minSample"),
        ),
        (
            json!({ "b": f.brand, "from": f.to, "to": f.from }),
            "BAD_USER_INPUT",
            Some("from"),
        ),
        (
            json!({ "b": f.brand, "from": f.to - Duration::days(4 * 366), "to": f.to }),
            "BAD_USER_INPUT",
            Some("from"),
        ),
        (json!({ "b": f.brand, "c": elsewhere }), "NOT_FOUND", None),
    ];
    for (v, code, field) in cases {
        let a = app.gql(q, v.clone()).await;
        assert_eq!(a.code(), code, "{v}: {}", a.body);
        if let Some(field) = field {
            assert_eq!(a.body["errors"][0]["extensions"]["field"], field, "{v}");
        }
    }
    let d = gql_ok(&app, q, json!({ "b": f.brand, "min": 10_000 })).await;
    assert_eq!(d["impactReport"]["minSample"], 10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_currencies_are_never_added_up() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let t = (Utc::now() - Duration::days(3)).to_rfc3339();
    app.gql(
        "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
        json!({ "i": { "brandId": brand, "rows": [
            { "externalId": "e", "customerRef": "c1", "orderedAt": t, "amount": "10", "currency": "EUR" },
            { "externalId": "u", "customerRef": "c2", "orderedAt": t, "amount": "1000", "currency": "USD" },
        ] } }),
    )
    .await
    .data();
    let a = app.gql(REPORT, json!({ "b": brand })).await;
    assert_eq!(a.code(), "BAD_USER_INPUT");
    assert_eq!(a.body["errors"][0]["extensions"]["field"], "currency");
    let eur = gql_ok(&app, REPORT, json!({ "b": brand, "cur": "EUR" })).await;
    close(
        &eur["impactReport"]["sales"]["spendPerCustomer"]["nonMembers"]["value"],
        10.0,
    );
    // No survey responses at all: no NPS, a sample of 0, flagged.
    let nps = &eur["impactReport"]["satisfaction"]["nps"]["members"];
    assert!(nps["value"].is_null());
    assert_eq!(nps["sampleSize"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_currency_is_picked_from_the_brands_orders_in_the_period_only() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let other = app.create_brand("Other Brand").await;
    let ingest = "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }";
    let recent = (Utc::now() - Duration::days(3)).to_rfc3339();
    // Outside the default period (the 365 days before now).
    let old = (Utc::now() - Duration::days(400)).to_rfc3339();
    let push = |b: &str, id: &str, c: &str, at: &str, amount: &str, cur: &str| {
        json!({ "i": { "brandId": b, "rows": [
            { "externalId": id, "customerRef": c, "orderedAt": at, "amount": amount, "currency": cur },
        ] } })
    };
    for v in [
        push(&brand, "e", "c1", &recent, "10", "EUR"),
        push(&brand, "u", "c2", &old, "1000", "USD"),
        push(&other, "g", "c9", &recent, "7", "GBP"),
    ] {
        app.gql(ingest, v).await.data();
    }
    // USD was used only before the period and GBP only by another brand:
    // EUR is the one currency, and its population is c1 alone (c2 has no
    // EUR order), so the non-members' spend per customer is 10 / 1 = 10.
    let d = gql_ok(&app, REPORT, json!({ "b": brand })).await;
    assert_eq!(d["impactReport"]["sales"]["currency"], "EUR");
    close(
        &d["impactReport"]["sales"]["spendPerCustomer"]["nonMembers"]["value"],
        10.0,
    );
    // A second currency in the period: the caller is asked to choose,
    // every currency of the period named in order (`fresh`: the report
    // above may otherwise be served for up to a minute).
    app.gql(ingest, push(&brand, "j", "c3", &recent, "5", "JPY"))
        .await
        .data();
    let a = app.gql(REPORT, json!({ "b": brand, "fresh": true })).await;
    assert_eq!(a.code(), "BAD_USER_INPUT");
    assert_eq!(a.body["errors"][0]["extensions"]["field"], "currency");
    let message = a.body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("EUR, JPY"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_and_snapshots_respect_brand_role_and_scope() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let other = app.create_brand("Other Brand").await;
    let (_, reader, _) = app.integration_token(&f.brand, &["READ_REPORTS"]).await;
    let (_, pusher, _) = app.integration_token(&f.brand, &["INGEST_ORDERS"]).await;
    let (_, outsider, _) = app
        .integration_token(&other, &["READ_REPORTS", "INGEST_ORDERS"])
        .await;
    let (_, client) = app.user_token("CLIENT", Some(&f.brand)).await;
    let small = "query($b: ID!) { impactReport(brandId: $b) { minSample } }";
    let v = json!({ "b": f.brand });
    assert!(app.gql_as(Some(&reader), small, v.clone()).await.data()["impactReport"].is_object());
    assert_eq!(
        app.gql_as(Some(&pusher), small, v.clone()).await.code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql_as(Some(&outsider), small, v.clone()).await.code(),
        "NOT_FOUND"
    );
    assert!(app.gql_as(Some(&client), small, v.clone()).await.data()["impactReport"].is_object());
    let push = "mutation($b: ID!) { ingestOrders(input: { brandId: $b, rows: [{ externalId: \"x\", customerRef: \"c\", orderedAt: \"2026-01-01T00:00:00Z\", amount: \"1\", currency: \"EUR\" }] }) { inserted } }";
    assert_eq!(
        app.gql_as(Some(&outsider), push, v.clone()).await.code(),
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql_as(Some(&reader), push, v.clone()).await.code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql_as(Some(&client), push, v.clone()).await.code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql_as(Some(&pusher), push, v.clone()).await.data()["ingestOrders"]["inserted"],
        1
    );

    let freeze = "mutation($b: ID!, $from: DateTime!, $to: DateTime!) { freezeImpactReport(brandId: $b, from: $from, to: $to) { id report { sales { spendPerCustomer { nonMembers { value } } } } } }";
    let fv = json!({ "b": f.brand, "from": f.from, "to": f.to });
    assert_eq!(
        app.gql_as(Some(&client), freeze, fv.clone()).await.code(),
        "FORBIDDEN"
    );
    let frozen = gql_ok(&app, freeze, fv).await;
    let id = frozen["freezeImpactReport"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let frozen_value = frozen["freezeImpactReport"]["report"]["sales"]["spendPerCustomer"]
        ["nonMembers"]["value"]
        .clone();
    // New data arrives; the snapshot stays as it was.
    gql_ok(
        &app,
        "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
        json!({ "i": { "brandId": f.brand, "rows": [{ "externalId": "late", "customerRef": "c-x", "orderedAt": at(f.from, 2, 2).to_rfc3339(), "amount": "500", "currency": "EUR" }] } }),
    )
    .await;
    let read = "query($id: ID!) { reportSnapshot(id: $id) { report { sales { spendPerCustomer { nonMembers { value } } } } } }";
    let seen = app.gql_as(Some(&client), read, json!({ "id": id })).await;
    assert_eq!(
        seen.data()["reportSnapshot"]["report"]["sales"]["spendPerCustomer"]["nonMembers"]["value"],
        frozen_value
    );
    let list = app
        .gql_as(
            Some(&client),
            "query($b: ID!) { reportSnapshots(brandId: $b) { totalCount } }",
            json!({ "b": f.brand }),
        )
        .await;
    assert_eq!(list.data()["reportSnapshots"]["totalCount"], 1);
    let (_, other_client) = app.user_token("CLIENT", Some(&other)).await;
    assert_eq!(
        app.gql_as(Some(&other_client), read, json!({ "id": id }))
            .await
            .code(),
        "NOT_FOUND"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_time_series_buckets_orders_by_month() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let q = "query($b: ID!, $from: DateTime, $to: DateTime) { impactTimeSeries(brandId: $b, from: $from, to: $to, interval: MONTH) { currency points { period memberOrders nonMemberOrders memberSpendPerCustomer { value sampleSize } nonMemberSpendPerCustomer { value sampleSize } } } }";
    let r = gql_ok(&app, q, json!({ "b": f.brand, "from": f.from, "to": f.to })).await;
    let points = r["impactTimeSeries"]["points"].as_array().unwrap().clone();
    let month = |k: u32| {
        f.from
            .checked_add_months(Months::new(k))
            .unwrap()
            .format("%Y-%m")
            .to_string()
    };
    assert_eq!(points.len(), 4);
    assert_eq!(points[0]["period"], month(0));
    // As in the report, a member is a customer who joined before the end of
    // the period asked for, in every bucket: cy (joined in month 1) counts
    // as a member in month 0 too.
    // Month 0: ana 100, bo 30, cy 20 (members); x 40, y 10.
    assert_eq!(points[0]["memberOrders"], 3);
    assert_eq!(points[0]["nonMemberOrders"], 2);
    close(&points[0]["memberSpendPerCustomer"]["value"], 150.0 / 3.0);
    assert_eq!(points[0]["memberSpendPerCustomer"]["sampleSize"], 3);
    close(&points[0]["nonMemberSpendPerCustomer"]["value"], 50.0 / 2.0);
    let w = gql_ok(
        &app,
        &q.replace("MONTH", "WEEK"),
        json!({ "b": f.brand, "from": f.from, "to": f.to }),
    )
    .await;
    let weeks = w["impactTimeSeries"]["points"].as_array().unwrap();
    let total: i64 = weeks
        .iter()
        .map(|p| p["memberOrders"].as_i64().unwrap() + p["nonMemberOrders"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 9, "every order in the period lands in one week");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_order_or_survey_id_with_another_payload_is_a_conflict() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let when = (Utc::now() - Duration::days(2)).to_rfc3339();
    let orders = "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted duplicates rejected { index field code } } }";
    let order = |id: &str, amount: &str| json!({ "externalId": id, "customerRef": "c-1", "orderedAt": when, "amount": amount, "currency": "EUR" });
    let first = gql_ok(
        &app,
        orders,
        json!({ "i": { "brandId": brand, "rows": [order("o1", "10.00"), order("o2", "20.00")] } }),
    )
    .await;
    assert_eq!(first["ingestOrders"]["inserted"], 2);
    // The same batch again: replays, no conflict.
    let again = gql_ok(
        &app,
        orders,
        json!({ "i": { "brandId": brand, "rows": [order("o1", "10.00"), order("o2", "20.00")] } }),
    )
    .await;
    assert_eq!(again["ingestOrders"]["duplicates"], 2);
    assert_eq!(again["ingestOrders"]["rejected"], json!([]));
    // o2 with another amount: all-or-nothing refuses the whole batch.
    let batch = json!([order("o3", "5.00"), order("o2", "99.00")]);
    let refused = gql_ok(
        &app,
        orders,
        json!({ "i": { "brandId": brand, "rows": batch } }),
    )
    .await;
    let r = &refused["ingestOrders"];
    assert_eq!(r["inserted"], 0);
    assert_eq!(
        r["rejected"],
        json!([{ "index": 1, "field": "rows.1.externalId", "code": "CONFLICT" }])
    );
    // Nothing was written: o3 arrives fresh afterwards.
    let per_row = gql_ok(
        &app,
        orders,
        json!({ "i": { "brandId": brand, "rows": batch, "mode": "PER_ROW" } }),
    )
    .await;
    let r = &per_row["ingestOrders"];
    assert_eq!(r["inserted"], 1, "o3 stored, o2 refused: {r}");
    assert_eq!(r["duplicates"], 0);
    assert_eq!(r["rejected"][0]["code"], "CONFLICT");

    let surveys = "mutation($i: IngestSurveysInput!) { ingestSurveyResponses(input: $i) { inserted duplicates rejected { index code } } }";
    let answer = |score: i64| json!({ "externalId": "s1", "kind": "NPS", "score": score, "respondedAt": when });
    gql_ok(
        &app,
        surveys,
        json!({ "i": { "brandId": brand, "rows": [answer(9)] } }),
    )
    .await;
    let same = gql_ok(
        &app,
        surveys,
        json!({ "i": { "brandId": brand, "rows": [answer(9)] } }),
    )
    .await;
    assert_eq!(same["ingestSurveyResponses"]["duplicates"], 1);
    let changed = gql_ok(
        &app,
        surveys,
        json!({ "i": { "brandId": brand, "rows": [answer(3)] } }),
    )
    .await;
    assert_eq!(
        changed["ingestSurveyResponses"]["rejected"],
        json!([{ "index": 0, "code": "CONFLICT" }])
    );
}

/// Statements a report request runs (cold unless cached).
async fn cold_statements(app: &TestApp, v: &Value) -> f64 {
    let before = app.statements().await;
    let r = gql_ok(app, REPORT, v.clone()).await;
    assert!(r["impactReport"]["engagement"].is_array());
    app.statements().await - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_report_runs_the_same_statements_for_one_community_or_five() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let v = json!({ "b": f.brand, "from": f.from, "to": f.to, "min": 3, "fresh": true });
    // Warm up what is not the report (the caller's access facts, the brand).
    app.gql("{ __typename }", json!({})).await;
    let one = cold_statements(&app, &v).await;
    for n in 0..4 {
        trail_community_named(&app, &f.brand, &format!("Club {n}")).await;
    }
    let five = cold_statements(&app, &v).await;
    let r = gql_ok(&app, REPORT, v.clone()).await;
    assert_eq!(r["impactReport"]["engagement"].as_array().unwrap().len(), 5);
    // Creating the communities moved the data version: both reports were cold.
    assert_eq!(
        one, five,
        "statements for one community {one}, for five {five}"
    );
}
