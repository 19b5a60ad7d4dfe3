//! `hearth demo`: the whole agency loaded through the API, with reports that
//! have something true to show, read back over HTTP by the accounts it
//! prints; idempotent, and refused where it does not belong.

use entity::{
    audit_event, brand, certification, content_item, customer_order, member, survey_response, user,
};
use hearth::demo::{self, Options};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

use crate::helpers::TestApp;

fn options(seed: u64) -> Options {
    Options {
        seed,
        until: None,
        with_other_brands: false,
    }
}

/// Rows of the tables every part of the demo writes to (the audit log
/// records every write).
async fn counts(app: &TestApp) -> Vec<u64> {
    let db = &app.context.db;
    vec![
        brand::Entity::find().count(db).await.unwrap(),
        user::Entity::find().count(db).await.unwrap(),
        member::Entity::find().count(db).await.unwrap(),
        customer_order::Entity::find().count(db).await.unwrap(),
        survey_response::Entity::find().count(db).await.unwrap(),
        content_item::Entity::find().count(db).await.unwrap(),
        certification::Entity::find().count(db).await.unwrap(),
        audit_event::Entity::find().count(db).await.unwrap(),
    ]
}

const REPORT: &str = "query($b: ID!) { impactReport(brandId: $b) {
    sales { currency
      spendPerCustomer { members { value sampleSize insufficient } nonMembers { value sampleSize } }
      ordersPerCustomer { members { value } nonMembers { value } }
      spendUplift { difference relative ciLow ciHigh }
      joiners { joiners controls difference ciLow ciHigh } }
    retention { repeatPurchaseRate { members { value } nonMembers { value } } cohorts { group size } }
    satisfaction { nps { members { value sampleSize } nonMembers { value sampleSize } } }
    engagement { name health { members activeMembers30d } } } }";

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_loads_an_agency_whose_reports_show_something_true() {
    let app = TestApp::spawn().await;
    let summary = demo::run(app.settings.clone(), options(42)).await.unwrap();
    assert!(!summary.already_loaded);
    assert_eq!(summary.brands.len(), 3);
    assert!(summary.brands.iter().all(|b| b.community_ids.len() == 2));
    let made = |what: &str| summary.counts.0.get(what).copied().unwrap_or(0);
    // Hundreds of members per community, eighteen months of their activity.
    assert!(made("members") >= 6 * 150, "{:?}", summary.counts);
    assert!(made("activities") >= 20_000, "{:?}", summary.counts);
    assert!(made("orders") >= 5_000, "{:?}", summary.counts);
    assert_eq!(made("content published"), 12);
    assert_eq!(made("frozen reports"), 3);

    // The first brand's client user signs in with the printed password and
    // reads their report: members spend more, with an interval that
    // excludes 0, and buy more often; joiners spend more after joining
    // than before, beyond the controls' change; members answer NPS higher.
    let client = &summary.accounts[2];
    assert_eq!(client.role, "client");
    let token = app.login(&client.email, &client.password).await;
    let verdant = &summary.brands[0];
    let r = app
        .gql_as(Some(&token), REPORT, json!({ "b": verdant.id }))
        .await;
    let report = &r.data()["impactReport"];
    let sales = &report["sales"];
    assert_eq!(sales["currency"], "EUR");
    let uplift = &sales["spendUplift"];
    assert!(f(&uplift["difference"]) > 0.0, "{uplift}");
    assert!(f(&uplift["ciLow"]) > 0.0, "{uplift}");
    assert!(
        f(&uplift["relative"]) > 0.05 && f(&uplift["relative"]) < 0.4,
        "{uplift}"
    );
    assert!(
        f(&sales["ordersPerCustomer"]["members"]["value"])
            > f(&sales["ordersPerCustomer"]["nonMembers"]["value"])
    );
    assert!(
        sales["spendPerCustomer"]["members"]["sampleSize"]
            .as_i64()
            .unwrap()
            >= 200
    );
    assert_eq!(sales["spendPerCustomer"]["members"]["insufficient"], false);
    let joiners = &sales["joiners"];
    assert!(joiners["joiners"].as_i64().unwrap() >= 30, "{joiners}");
    assert!(f(&joiners["ciLow"]) > 0.0, "{joiners}");
    let nps = &report["satisfaction"]["nps"];
    assert!(
        f(&nps["members"]["value"]) > f(&nps["nonMembers"]["value"]),
        "{nps}"
    );
    let repeat = &report["retention"]["repeatPurchaseRate"];
    assert!(f(&repeat["members"]["value"]) > f(&repeat["nonMembers"]["value"]));
    assert!(report["retention"]["cohorts"].as_array().unwrap().len() >= 12);
    let engagement = report["engagement"].as_array().unwrap();
    assert_eq!(engagement.len(), 2);
    assert!(engagement
        .iter()
        .all(|c| c["health"]["activeMembers30d"].as_i64().unwrap() > 30));

    // Another brand's report is invisible to that client.
    let other = app
        .gql_as(Some(&token), REPORT, json!({ "b": summary.brands[1].id }))
        .await;
    assert_eq!(other.code(), "NOT_FOUND");

    // The consultant sees every brand; each report finds members spending
    // more; the three printed queries answer with data.
    let consultant = &summary.accounts[1];
    let token = app.login(&consultant.email, &consultant.password).await;
    for b in &summary.brands {
        let r = app.gql_as(Some(&token), REPORT, json!({ "b": b.id })).await;
        let uplift = &r.data()["impactReport"]["sales"]["spendUplift"];
        assert!(f(&uplift["difference"]) > 0.0, "{}: {uplift}", b.name);
    }
    let queries = summary.queries();
    assert_eq!(queries.len(), 3);
    for (title, query) in &queries {
        let r = app.gql_as(Some(&token), query, json!({})).await;
        let data = r.data();
        assert!(
            data.as_object().unwrap().values().all(|v| !v.is_null()),
            "{title}: {data}"
        );
    }
    let brands = app.gql_as(Some(&token), &queries[0].1, json!({})).await;
    assert_eq!(
        brands.data()["brands"]["edges"].as_array().unwrap().len(),
        3
    );
    let slipping = app.gql_as(Some(&token), &queries[2].1, json!({})).await;
    assert!(
        slipping.data()["communityHealth"]["members"]
            .as_i64()
            .unwrap()
            >= 150
    );

    // Every area has something to show: a recommendation from research,
    // published items with results and an item waiting for the client,
    // certifications of which one expires within the month, and certified
    // hosts.
    let r = app
        .gql_as(
            Some(&token),
            "query($b: ID!, $c: ID!) {
               audiences(first: 1, filter: { brandId: $b }) { edges { node { id } } }
               campaigns(first: 5, filter: { brandId: $b }) { edges { node { name status
                 items(first: 10) { edges { node { status results { engagementRate answeringMembers } } } } } } }
               certifications(first: 20, filter: { brandId: $b }) { totalCount }
               expiringCertifications(brandId: $b, withinDays: 30) { totalCount }
               roleRequirements(communityId: $c) { role }
               communityMembers(communityId: $c, first: 100) { edges { node { role } } }
             }",
            json!({ "b": verdant.id, "c": verdant.community_ids[0] }),
        )
        .await;
    let d = r.data();
    let audience = d["audiences"]["edges"][0]["node"]["id"].as_str().unwrap();
    let rec = app
        .gql_as(
            Some(&token),
            "query($a: ID!) { communityRecommendation(audienceId: $a) { findings platforms { platform } } }",
            json!({ "a": audience }),
        )
        .await;
    let rec = &rec.data()["communityRecommendation"];
    assert_eq!(rec["findings"], 36);
    assert!(!rec["platforms"].as_array().unwrap().is_empty());
    let items: Vec<&Value> = d["campaigns"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["node"]["items"]["edges"].as_array().unwrap())
        .map(|e| &e["node"])
        .collect();
    let published: Vec<&&Value> = items
        .iter()
        .filter(|i| i["status"] == "PUBLISHED")
        .collect();
    assert_eq!(published.len(), 4);
    assert!(published
        .iter()
        .all(|i| f(&i["results"]["engagementRate"]) > 0.0));
    assert!(published
        .iter()
        .all(|i| i["results"]["answeringMembers"].as_i64().unwrap() > 0));
    assert!(items.iter().any(|i| i["status"] == "IN_REVIEW"));
    assert!(items.iter().any(|i| i["status"] == "SCHEDULED"));
    assert!(d["certifications"]["totalCount"].as_i64().unwrap() >= 3);
    assert!(d["expiringCertifications"]["totalCount"].as_i64().unwrap() >= 1);
    assert_eq!(d["roleRequirements"][0]["role"], "HOST");
    let hosts = d["communityMembers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["role"] == "HOST")
        .count();
    assert_eq!(hosts, 2);

    // The frozen report opens as a page by share link, as the summary says.
    let snapshot = verdant.snapshot_id.clone().expect("a frozen report");
    assert!(summary
        .render("http://127.0.0.1:8080/graphiql")
        .contains(&snapshot));
    let link = app
        .gql_as(
            Some(&token),
            "mutation($s: ID!) { createReportShareLink(snapshotId: $s) { path } }",
            json!({ "s": snapshot }),
        )
        .await;
    let path = link.data()["createReportShareLink"]["path"]
        .as_str()
        .unwrap()
        .to_string();
    let page = app
        .client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("<h1>Verdant Threads</h1>"));
    assert!(page.contains("The interval excludes 0"));

    // A second run changes nothing and prints the same accounts.
    let before = counts(&app).await;
    let again = demo::run(app.settings.clone(), options(42)).await.unwrap();
    assert!(again.already_loaded);
    assert!(again.counts.0.is_empty());
    assert_eq!(counts(&app).await, before);
    assert_eq!(again.accounts[2].password, client.password);
    assert_eq!(
        again.brands.iter().map(|b| &b.id).collect::<Vec<_>>(),
        summary.brands.iter().map(|b| &b.id).collect::<Vec<_>>()
    );
    // Another seed is refused, naming the one loaded.
    let refused = demo::run(app.settings.clone(), options(7))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("--seed 42"), "{refused}");
    assert_eq!(counts(&app).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_refuses_a_database_with_brands_of_its_own() {
    let app = TestApp::spawn().await;
    app.create_brand("Acme Outdoors").await;
    let before = counts(&app).await;
    let refused = demo::run(app.settings.clone(), options(42))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("--with-other-brands"),
        "{refused}"
    );
    assert_eq!(counts(&app).await, before);

    let mut production = app.settings.clone();
    production.environment = hearth::config::Environment::Production;
    let refused = demo::run(
        production,
        Options {
            with_other_brands: true,
            ..options(42)
        },
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("production"), "{refused}");
    assert_eq!(counts(&app).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tells_the_same_story_whichever_day_it_ends_on() {
    // Activity follows the calendar (weekdays, time zones); the people and
    // their orders must not, or the report's figures would change with the
    // day the demo is loaded. Two last days three days apart sit at
    // different places in the week: the first brand's spend uplift over
    // the year before each is the same, and its interval excludes 0.
    let mut uplifts = Vec::new();
    for days_back in [0, 3] {
        let app = TestApp::spawn().await;
        let day = chrono::Utc::now().date_naive() - chrono::Days::new(days_back);
        let summary = demo::run(
            app.settings.clone(),
            Options {
                until: Some(day),
                ..options(42)
            },
        )
        .await
        .unwrap();
        let client = &summary.accounts[2];
        let token = app.login(&client.email, &client.password).await;
        let to = hearth::demo_story::generate::start_of(day);
        let r = app
            .gql_as(
                Some(&token),
                "query($b: ID!, $f: DateTime!, $t: DateTime!) { impactReport(brandId: $b, from: $f, to: $t) { sales { spendUplift { difference ciLow ciHigh } } } }",
                json!({ "b": summary.brands[0].id, "f": to - chrono::Duration::days(365), "t": to }),
            )
            .await;
        uplifts.push(r.data()["impactReport"]["sales"]["spendUplift"].clone());
    }
    for figure in ["difference", "ciLow", "ciHigh"] {
        let (a, b) = (f(&uplifts[0][figure]), f(&uplifts[1][figure]));
        assert!((a - b).abs() < 1e-9, "{figure}: {uplifts:?}");
    }
    assert!(f(&uplifts[0]["ciLow"]) > 0.0, "{:?}", uplifts[0]);
}
