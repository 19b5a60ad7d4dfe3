//! The statistics of the impact and engagement figures, each against a
//! small fixture whose expected values are worked out by hand in the test.

use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn ok(app: &TestApp, q: &str, v: Value) -> Value {
    app.gql(q, v).await.data().clone()
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("not a number: {a}"));
    assert!((a - b).abs() < 1e-4, "{a} != {b}");
}

/// A brand with a Discord community in time zone `tz`: (brand, community).
async fn brand_with_community(app: &TestApp, tz: &str) -> (String, String) {
    let brand = app.create_brand("Acme Outdoors").await;
    let c = ok(
        app,
        "mutation($b: ID!, $tz: String) { createCommunity(input: { brandId: $b, name: \"Trail\", purpose: \"Tips\", kind: PRODUCT, platform: DISCORD, timeZone: $tz }) { id } }",
        json!({ "b": brand, "tz": tz }),
    )
    .await["createCommunity"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (brand, c)
}

/// Activities of (member, instant) pairs; a member joins at their first.
async fn activities(app: &TestApp, community: &str, rows: &[(&str, &str)]) {
    let rows: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, (who, at))| json!({ "sourceKey": format!("a{i}"), "externalId": who, "handle": who, "kind": "message", "occurredAt": at }))
        .collect();
    let r = ok(
        app,
        "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted rejected { index field reason } } }",
        json!({ "i": { "communityId": community, "rows": rows } }),
    )
    .await;
    assert_eq!(r["ingestActivities"]["inserted"], rows.len(), "{r}");
}

/// Customers `c-<name>`, linked to the Discord member `<name>` when `member`.
async fn customers(app: &TestApp, brand: &str, rows: &[(&str, bool)]) {
    let rows: Vec<Value> = rows
        .iter()
        .map(|(who, member)| {
            if *member {
                json!({ "externalRef": format!("c-{who}"), "memberPlatform": "DISCORD", "memberExternalId": who })
            } else {
                json!({ "externalRef": format!("c-{who}") })
            }
        })
        .collect();
    let r = ok(
        app,
        "mutation($i: IngestCustomersInput!) { ingestCustomers(input: $i) { inserted } }",
        json!({ "i": { "brandId": brand, "rows": rows } }),
    )
    .await;
    assert_eq!(r["ingestCustomers"]["inserted"], rows.len());
}

/// Orders in EUR of (customer name, instant, amount).
async fn orders(app: &TestApp, brand: &str, rows: &[(&str, &str, &str)]) {
    let rows: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, (who, at, amount))| json!({ "externalId": format!("o{i}"), "customerRef": format!("c-{who}"), "orderedAt": at, "amount": amount, "currency": "EUR" }))
        .collect();
    let r = ok(
        app,
        "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted rejected { index field reason } } }",
        json!({ "i": { "brandId": brand, "rows": rows } }),
    )
    .await;
    assert_eq!(r["ingestOrders"]["inserted"], rows.len(), "{r}");
}

async fn report(app: &TestApp, brand: &str, from: &str, to: &str, selection: &str) -> Value {
    let q = format!(
        "query($b: ID!, $from: DateTime, $to: DateTime) {{ impactReport(brandId: $b, from: $from, to: $to, minSample: 3, matched: true) {{ {selection} }} }}"
    );
    ok(app, &q, json!({ "b": brand, "from": from, "to": to })).await["impactReport"].clone()
}

/// The joiners' comparison of the brand's report over `from`..`to`.
async fn joiners(app: &TestApp, brand: &str, from: &str, to: &str) -> Value {
    report(
        app,
        brand,
        from,
        to,
        "sales { joiners { joiners controls joinersBefore joinersAfter controlsBefore controlsAfter difference ciLow ciHigh } }",
    )
    .await["sales"]["joiners"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_uplift_interval_is_welchs_t_and_the_relative_uplift_has_one_too() {
    let app = TestApp::spawn().await;
    let (brand, c) = brand_with_community(&app, "UTC").await;
    let joined = "2026-02-01T12:00:00Z";
    activities(&app, &c, &[("m1", joined), ("m2", joined), ("m3", joined)]).await;
    customers(
        &app,
        &brand,
        &[
            ("m1", true),
            ("m2", true),
            ("m3", true),
            ("n1", false),
            ("n2", false),
            ("n3", false),
        ],
    )
    .await;
    orders(
        &app,
        &brand,
        &[
            ("m1", "2026-03-05T12:00:00Z", "10"),
            ("m2", "2026-03-06T12:00:00Z", "20"),
            ("m3", "2026-03-07T12:00:00Z", "30"),
            // n1 is a customer before the period and spends nothing in it.
            ("n1", "2026-02-10T12:00:00Z", "5"),
            ("n2", "2026-03-08T12:00:00Z", "10"),
            ("n3", "2026-03-09T12:00:00Z", "20"),
        ],
    )
    .await;
    let r = report(
        &app,
        &brand,
        "2026-03-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
        "sales { spendUplift { difference relative ciLow ciHigh degreesOfFreedom relativeCiLow relativeCiHigh } }",
    )
    .await;
    let u = &r["sales"]["spendUplift"];
    // Members 10, 20, 30: mean 20, s² = 100. Non-members 0, 10, 20: mean 10,
    // s² = 100. s²/n = 33.333 each, so df = 66.667² / (2 × 33.333² / 2) = 4,
    // and t(0.975, 4) = 2.776445 (tables; z would be 1.96).
    close(&u["difference"], 10.0);
    close(&u["degreesOfFreedom"], 4.0);
    // se = √66.667 = 8.164966; half width 2.776445 × 8.164966 = 22.669579.
    close(&u["ciLow"], 10.0 - 22.669_579);
    close(&u["ciHigh"], 10.0 + 22.669_579);
    // Relative 10 / 10 = 1. Delta method: se = √(33.333/10² + 20² × 33.333/10⁴)
    // = √1.666667 = 1.290994; half width 2.776445 × 1.290994 = 3.584375.
    close(&u["relative"], 1.0);
    close(&u["relativeCiLow"], 1.0 - 3.584_375);
    close(&u["relativeCiHigh"], 1.0 + 3.584_375);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cohorts_hold_the_reports_population_only() {
    let app = TestApp::spawn().await;
    let (brand, c) = brand_with_community(&app, "UTC").await;
    activities(
        &app,
        &c,
        &[("r", "2026-04-02T12:00:00Z"), ("s", "2026-04-03T12:00:00Z")],
    )
    .await;
    customers(
        &app,
        &brand,
        &[("p", false), ("q", false), ("r", true), ("s", true)],
    )
    .await;
    orders(
        &app,
        &brand,
        &[
            ("p", "2026-03-05T12:00:00Z", "10"),
            // q and r order only after the period's end (15 May): outside the population.
            ("q", "2026-05-20T12:00:00Z", "10"),
            ("r", "2026-05-25T12:00:00Z", "10"),
            ("s", "2026-04-10T12:00:00Z", "10"),
        ],
    )
    .await;
    let r = report(
        &app,
        &brand,
        "2026-03-01T00:00:00Z",
        "2026-05-15T00:00:00Z",
        "retention { cohorts { group cohort size retention } }",
    )
    .await;
    // p: first order in March, ordered in March only; May is not complete by
    // 15 May, so months from May on are null. s: joined in April, ordered in April.
    assert_eq!(
        r["retention"]["cohorts"],
        json!([
            { "group": "NON_MEMBERS", "cohort": "2026-03", "size": 1, "retention": [1.0, 0.0, null, null, null, null] },
            { "group": "MEMBERS", "cohort": "2026-04", "size": 1, "retention": [1.0, null, null, null, null, null] },
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cohorts_first_month_counts_orders_from_its_first_day() {
    let app = TestApp::spawn().await;
    let (brand, c) = brand_with_community(&app, "UTC").await;
    // Period 10 March - 1 June. m joins 15 March; n, not a member, first
    // orders 12 March: both in the March cohort.
    activities(&app, &c, &[("m", "2026-03-15T12:00:00Z")]).await;
    customers(&app, &brand, &[("m", true), ("n", false)]).await;
    orders(
        &app,
        &brand,
        &[
            // m: February (before the cohort: not a month of it), 5 March
            // (before the period starts, but in the cohort's first month),
            // 2 May (month 2).
            ("m", "2026-02-20T12:00:00Z", "10"),
            ("m", "2026-03-05T12:00:00Z", "10"),
            ("m", "2026-05-02T12:00:00Z", "10"),
            // n: 12 March and 1 April (months 0 and 1).
            ("n", "2026-03-12T12:00:00Z", "10"),
            ("n", "2026-04-01T00:00:00Z", "10"),
        ],
    )
    .await;
    let r = report(
        &app,
        &brand,
        "2026-03-10T00:00:00Z",
        "2026-06-01T00:00:00Z",
        "retention { cohorts { group cohort size retention } }",
    )
    .await;
    // March, April and May are complete by 1 June; June on is null.
    assert_eq!(
        r["retention"]["cohorts"],
        json!([
            { "group": "MEMBERS", "cohort": "2026-03", "size": 1, "retention": [1.0, 0.0, 1.0, null, null, null] },
            { "group": "NON_MEMBERS", "cohort": "2026-03", "size": 1, "retention": [1.0, 1.0, 0.0, null, null, null] },
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joiners_are_split_at_the_instant_of_joining_with_a_bootstrap_interval() {
    let app = TestApp::spawn().await;
    let (brand, c) = brand_with_community(&app, "UTC").await;
    // Period 1-11 June (10 days). dee joins 5 June 18:00 (4.75 days before,
    // 5.25 after); eli joins 3 June 00:00 (2 days before, 8 after).
    activities(
        &app,
        &c,
        &[
            ("dee", "2026-06-05T18:00:00Z"),
            ("eli", "2026-06-03T00:00:00Z"),
        ],
    )
    .await;
    customers(&app, &brand, &[("dee", true), ("eli", true), ("x", false)]).await;
    orders(
        &app,
        &brand,
        &[
            // Hours before joining, on the joining day: before.
            ("dee", "2026-06-05T09:00:00Z", "20"),
            ("dee", "2026-06-08T12:00:00Z", "30"),
            ("eli", "2026-06-02T12:00:00Z", "16"),
            ("eli", "2026-06-09T12:00:00Z", "40"),
            // x, the only non-member: 10 before dee joined (same day), 21 after.
            ("x", "2026-06-05T10:00:00Z", "10"),
            ("x", "2026-06-09T00:00:00Z", "21"),
        ],
    )
    .await;
    let j = &joiners(&app, &brand, "2026-06-01T00:00:00Z", "2026-06-11T00:00:00Z").await;
    assert_eq!(j["joiners"], 2);
    assert_eq!(j["controls"], 1);
    // Person-days: before 4.75 + 2 = 6.75, after 5.25 + 8 = 13.25.
    // Joiners: (20 + 16) / 6.75 = 5.333333 before, (30 + 40) / 13.25 = 5.283019 after.
    // x before each joining: 10 (dee) + 0 (eli) = 10 over 6.75 = 1.481481;
    // after: 21 + 31 = 52 over 13.25 = 3.924528.
    close(&j["joinersBefore"], 36.0 / 6.75);
    close(&j["joinersAfter"], 70.0 / 13.25);
    close(&j["controlsBefore"], 10.0 / 6.75);
    close(&j["controlsAfter"], 52.0 / 13.25);
    let both = (70.0 / 13.25 - 36.0 / 6.75) - (52.0 / 13.25 - 10.0 / 6.75);
    close(&j["difference"], both); // −2.493361
                                   // A resample of two joiners is {dee, dee}, {dee, eli} or {eli, eli}, each
                                   // {x, x} at least a quarter of the time, so the 2.5% and 97.5% points are
                                   // the extremes. dee alone: (30/5.25 − 20/4.75) − (21/5.25 − 10/4.75) =
                                   // −0.390977; eli alone: (40/8 − 16/2) − (31/8 − 0/2) = −6.875.
    let dee = (30.0 / 5.25 - 20.0 / 4.75) - (21.0 / 5.25 - 10.0 / 4.75);
    let eli = (40.0 / 8.0 - 16.0 / 2.0) - (31.0 / 8.0 - 0.0);
    close(&j["ciLow"], eli);
    close(&j["ciHigh"], dee);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_at_the_instant_of_joining_is_after_for_joiners_and_non_members() {
    let app = TestApp::spawn().await;
    let (brand, c) = brand_with_community(&app, "UTC").await;
    // Period 1-11 June (10 days). ann and bo join at the same instant,
    // 3 June 00:00 (2 days before, 8 after); cy joins 7 June 00:00 (6 and 4).
    activities(
        &app,
        &c,
        &[
            ("ann", "2026-06-03T00:00:00Z"),
            ("bo", "2026-06-03T00:00:00Z"),
            ("cy", "2026-06-07T00:00:00Z"),
        ],
    )
    .await;
    customers(
        &app,
        &brand,
        &[
            ("ann", true),
            ("bo", true),
            ("cy", true),
            ("x", false),
            ("y", false),
        ],
    )
    .await;
    orders(
        &app,
        &brand,
        &[
            // ann orders at the very instant she joins: after.
            ("ann", "2026-06-03T00:00:00Z", "12"),
            ("bo", "2026-06-02T00:00:00Z", "8"),
            ("cy", "2026-06-07T00:00:00Z", "5"),
            ("cy", "2026-06-06T23:00:00Z", "7"),
            // Non-members: x at the instant ann and bo join (after for both,
            // before for cy), y just before cy joins and at cy's instant.
            ("x", "2026-06-03T00:00:00Z", "10"),
            ("y", "2026-06-06T12:00:00Z", "4"),
            ("y", "2026-06-07T00:00:00Z", "6"),
            ("x", "2026-06-01T06:00:00Z", "3"),
        ],
    )
    .await;
    let j = &joiners(&app, &brand, "2026-06-01T00:00:00Z", "2026-06-11T00:00:00Z").await;
    assert_eq!(j["joiners"], 3);
    assert_eq!(j["controls"], 2);
    // Person-days: before 2 + 2 + 6 = 10, after 8 + 8 + 4 = 20.
    // Joiners before: bo 8 + cy 7 = 15 → 1.5 per day; after: ann 12 + cy 5 = 17 → 0.85.
    close(&j["joinersBefore"], 15.0 / 10.0);
    close(&j["joinersAfter"], 17.0 / 20.0);
    // Non-members' spend before each joining (all 23 of theirs in the period):
    // ann 3, bo 3 (x's 10 at their instant is after), cy 3 + 10 + 4 = 17
    // (y's 6 at cy's instant is after); 23 in all.
    // Before: (3 + 3 + 17) / (10 days × 2 controls) = 1.15;
    // after: (20 + 20 + 6) / (20 × 2) = 1.15.
    close(&j["controlsBefore"], 23.0 / 20.0);
    close(&j["controlsAfter"], 46.0 / 40.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stickiness_counts_exactly_thirty_days_and_stays_within_one() {
    let app = TestApp::spawn().await;
    let (_, c) = brand_with_community(&app, "UTC").await;
    // ann is active every day at 13:00 from 31 May to 29 June, and on
    // 30 June at 11:00; bob on 10 and 20 June.
    let mut rows: Vec<(String, String)> = (0..30)
        .map(|d| {
            let day = chrono::NaiveDate::from_ymd_opt(2026, 5, 31).unwrap() + chrono::Days::new(d);
            ("ann".to_string(), format!("{day}T13:00:00Z"))
        })
        .collect();
    rows.push(("ann".into(), "2026-06-30T11:00:00Z".into()));
    rows.push(("bob".into(), "2026-06-10T13:00:00Z".into()));
    rows.push(("bob".into(), "2026-06-20T13:00:00Z".into()));
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    activities(&app, &c, &rows).await;
    let h = ok(
        &app,
        "query($c: ID!) { communityHealth(communityId: $c, from: \"2026-06-01T00:00:00Z\", to: \"2026-06-30T12:00:00Z\") { stickiness } }",
        json!({ "c": c }),
    )
    .await;
    // The 30 days are 1-30 June (30 June is the day of the last instant):
    // ann is active on all 30, bob on 2, so (30 + 2) / 30 / 2 = 0.533333.
    // (31 May is outside: counting it would give ann 31 days, above one.)
    close(&h["communityHealth"]["stickiness"], 32.0 / 30.0 / 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_active_at_is_the_last_activity_however_old() {
    let app = TestApp::spawn().await;
    let (_, c) = brand_with_community(&app, "UTC").await;
    activities(&app, &c, &[("old", "2025-01-15T08:00:00Z")]).await;
    let r = ok(
        &app,
        "query($c: ID!) { communityMembers(communityId: $c) { edges { node { engagement { score activityCount lastActiveAt } } } } }",
        json!({ "c": c }),
    )
    .await;
    let e = &r["communityMembers"]["edges"][0]["node"]["engagement"];
    // Outside the 90-day window: no score, no count, but still the last activity.
    assert_eq!(e["score"], 0.0);
    assert_eq!(e["activityCount"], 0);
    assert_eq!(e["lastActiveAt"], "2025-01-15T08:00:00+00:00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_counts_the_members_at_the_end_of_the_period() {
    let app = TestApp::spawn().await;
    let (_, c) = brand_with_community(&app, "UTC").await;
    activities(
        &app,
        &c,
        &[
            ("a", "2026-01-05T12:00:00Z"),
            ("b", "2026-01-10T12:00:00Z"),
            ("c", "2026-11-01T12:00:00Z"),
            ("d", "2026-11-02T12:00:00Z"),
        ],
    )
    .await;
    // a leaves now, long after the period.
    let members = ok(
        &app,
        "query($c: ID!) { communityMembers(communityId: $c, orderBy: JOINED_DESC) { edges { node { memberId } } } }",
        json!({ "c": c }),
    )
    .await;
    let a = members["communityMembers"]["edges"][3]["node"]["memberId"].clone();
    ok(
        &app,
        "mutation($c: ID!, $m: ID!) { leaveCommunity(communityId: $c, memberId: $m) { leftAt } }",
        json!({ "c": c, "m": a }),
    )
    .await;
    let h = ok(
        &app,
        "query($c: ID!) { communityHealth(communityId: $c, from: \"2026-02-01T00:00:00Z\", to: \"2026-03-01T00:00:00Z\") { members } }",
        json!({ "c": c }),
    )
    .await;
    // On 1 March a and b were members; c and d joined in November.
    assert_eq!(h["communityHealth"]["members"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn satisfaction_samples_count_people_not_responses() {
    let app = TestApp::spawn().await;
    let (brand, _) = brand_with_community(&app, "UTC").await;
    customers(&app, &brand, &[("u", false), ("v", false)]).await;
    let survey = |id: &str, c: &str, score: i64| json!({ "externalId": id, "kind": "NPS", "score": score, "customerRef": c, "respondedAt": "2026-03-10T12:00:00Z" });
    ok(
        &app,
        "mutation($i: IngestSurveysInput!) { ingestSurveyResponses(input: $i) { inserted } }",
        json!({ "i": { "brandId": brand, "rows": [
            survey("s1", "c-u", 10), survey("s2", "c-u", 10), survey("s3", "c-u", 0), survey("s4", "c-v", 9),
        ] } }),
    )
    .await;
    let r = report(
        &app,
        &brand,
        "2026-03-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
        "satisfaction { nps { nonMembers { value sampleSize sampleOf observations insufficient } } }",
    )
    .await;
    let nps = &r["satisfaction"]["nps"]["nonMembers"];
    // 4 responses, 3 promoters and 1 detractor: 100 × (3 − 1) / 4 = 50; from
    // 2 people, below the minimum of 3 although there are 4 responses.
    close(&nps["value"], 50.0);
    assert_eq!(nps["sampleSize"], 2);
    assert_eq!(nps["sampleOf"], "RESPONDENTS");
    assert_eq!(nps["observations"], 4);
    assert_eq!(nps["insufficient"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joiners_are_matched_to_non_members_with_the_same_history() {
    let app = TestApp::spawn().await;
    let (brand, c) = brand_with_community(&app, "UTC").await;
    activities(
        &app,
        &c,
        &[
            ("j1", "2026-03-10T12:00:00Z"),
            ("j2", "2026-03-20T12:00:00Z"),
            ("j3", "2026-04-05T12:00:00Z"),
            ("j4", "2026-05-03T12:00:00Z"),
        ],
    )
    .await;
    customers(
        &app,
        &brand,
        &[
            ("j1", true),
            ("j2", true),
            ("j3", true),
            ("j4", true),
            ("c1", false),
            ("c2", false),
            ("c3", false),
            ("c4", false),
        ],
    )
    .await;
    orders(
        &app,
        &brand,
        &[
            ("j1", "2026-01-15T12:00:00Z", "30"),
            ("j1", "2026-04-20T12:00:00Z", "61"),
            ("j2", "2026-02-01T12:00:00Z", "40"),
            ("j2", "2026-05-05T12:00:00Z", "61"),
            ("j2", "2026-05-25T12:00:00Z", "61"),
            ("j3", "2026-04-06T12:00:00Z", "10"),
            ("j3", "2026-05-10T12:00:00Z", "31"),
            ("j4", "2026-05-04T12:00:00Z", "10"),
            ("c1", "2026-01-10T12:00:00Z", "20"),
            ("c1", "2026-04-15T12:00:00Z", "30.5"),
            ("c2", "2025-12-05T12:00:00Z", "10"),
            ("c2", "2025-12-20T12:00:00Z", "10"),
            ("c3", "2026-04-02T12:00:00Z", "5"),
            ("c3", "2026-05-20T12:00:00Z", "62"),
            ("c4", "2026-04-25T12:00:00Z", "5"),
        ],
    )
    .await;
    let r = report(
        &app,
        &brand,
        "2026-03-01T00:00:00Z",
        "2026-06-01T00:00:00Z",
        "sales { matched { joiners matchedJoiners unmatchedJoiners matchedControls
           spend { joinersMean controlsMean difference relative ciLow ciHigh relativeCiLow relativeCiHigh }
           orders { joinersMean controlsMean difference }
           balance { feature beforeMatching afterMatching } } }",
    )
    .await;
    let m = &r["sales"]["matched"];
    let plain = ok(
        &app,
        "query($b: ID!) { impactReport(brandId: $b, from: \"2026-03-01T00:00:00Z\", to: \"2026-06-01T00:00:00Z\") { sales { matched { joiners } } } }",
        json!({ "b": brand }),
    )
    .await;
    assert!(
        plain["impactReport"]["sales"]["matched"].is_null(),
        "computed only when asked for"
    );
    // Reference months with an outcome window: March (outcome 1 April to
    // 1 June, 61 days) and April (1 May to 1 June, 31 days); j4 joined in
    // May, which has none.
    assert_eq!(m["joiners"], 3);
    // Strata (month : spend bin : orders bin : tenure) over the 6 months before:
    // March:1:1:1 — j1 (30, one order, first in January) and j2 (40, one,
    //   February); c1 (20, one, January). c2 (20 in two December orders) is
    //   March:1:2:1, no joiner.
    // April:0:0:0 — j3 (no order before April); c3 and c4 (first orders in April).
    assert_eq!(m["matchedJoiners"], 3);
    assert_eq!(m["unmatchedJoiners"], 0);
    assert_eq!(m["matchedControls"], 3);
    // Spend per 30 days after the reference month:
    // March: j1 61 × 30/61 = 30, j2 122 × 30/61 = 60 (mean 45); c1 30.5 × 30/61 = 15.
    // April: j3 31 × 30/31 = 30; c3 62 × 30/31 = 60, c4 0 (mean 30).
    // Weights 2/3 and 1/3: joiners 2/3·45 + 1/3·30 = 40, controls 2/3·15 + 1/3·30 = 20.
    let s = &m["spend"];
    close(&s["joinersMean"], 40.0);
    close(&s["controlsMean"], 20.0);
    close(&s["difference"], 20.0);
    close(&s["relative"], 1.0);
    // Variances: March joiners (30, 60) 450; April controls (60, 0) 1800; the
    // one-person groups take their group's pooled variance (joiners 450,
    // controls 1800). Var = (2/3)²(450/2 + 1800/1) + (1/3)²(450/1 + 1800/2)
    // = 900 + 150 = 1050; half width 1.959964 × √1050 = 63.510092.
    close(&s["ciLow"], 20.0 - 63.510_092);
    close(&s["ciHigh"], 20.0 + 63.510_092);
    close(&s["relativeCiLow"], (20.0 - 63.510_092) / 20.0);
    close(&s["relativeCiHigh"], (20.0 + 63.510_092) / 20.0);
    // Orders per 30 days: March joiners (30/61 + 60/61)/2 = 45/61, c1 30/61;
    // April j3 30/31, controls (30/31 + 0)/2 = 15/31.
    let o = &m["orders"];
    close(
        &o["joinersMean"],
        2.0 / 3.0 * 45.0 / 61.0 + 30.0 / 31.0 / 3.0,
    );
    close(
        &o["controlsMean"],
        2.0 / 3.0 * 30.0 / 61.0 + 15.0 / 31.0 / 3.0,
    );
    // Balance of the history spend. Before: joiners 30, 40, 0 (mean 23.333,
    // variance 288.889); control units at March and April: c1 20, c2 20,
    // c3 0, c4 0 twice (mean 10, variance 100); sd = √((288.889 + 100)/2) =
    // 13.944334. After: controls weighted 2 (c1) and 1/2 (c3, c4): 40/3.
    let b = m["balance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["feature"] == "PRE_SPEND")
        .unwrap()
        .clone();
    let sd = ((2500.0 / 3.0 - (70.0_f64 / 3.0).powi(2) + 100.0) / 2.0).sqrt();
    close(&b["beforeMatching"], (70.0 / 3.0 - 10.0) / sd);
    close(&b["afterMatching"], (70.0 / 3.0 - 40.0 / 3.0) / sd);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_brands_matched_report_is_not_found() {
    let app = TestApp::spawn().await;
    let mine = app.create_brand("Mine").await;
    let theirs = app.create_brand("Theirs").await;
    let (_, consultant) = app.consultant_for(&[&mine]).await;
    let q = "query($b: ID!) { impactReport(brandId: $b, matched: true) { sales { matched { joiners } } } }";
    let a = app
        .gql_as(Some(&consultant), q, json!({ "b": theirs }))
        .await;
    assert_eq!(a.code(), "NOT_FOUND", "{}", a.body);
    let own = app.gql_as(Some(&consultant), q, json!({ "b": mine })).await;
    assert!(own.body.get("errors").is_none(), "{}", own.body);
}
