//! Communities: setup, lifecycle, checklist, members, ingest, engagement,
//! health, merge, erasure, and brand scope.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::{Answer, TestApp};

const CREATE: &str = "mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { id status version setupChecklist { progress items { key done } } } }";
const INGEST: &str = "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted duplicates membersCreated rejected { index field reason } } }";

async fn community(app: &TestApp, brand: &str, name: &str) -> String {
    let a = app
        .gql(
            CREATE,
            json!({ "i": { "brandId": brand, "name": name, "purpose": "Owners swap trail tips", "kind": "PRODUCT", "platform": "DISCORD" } }),
        )
        .await;
    a.data()["createCommunity"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn row(key: &str, member: &str, kind: &str, days_ago: i64) -> Value {
    json!({
        "sourceKey": key, "externalId": member, "handle": member, "kind": kind,
        "occurredAt": (Utc::now() - Duration::days(days_ago) - Duration::minutes(1)).to_rfc3339(),
    })
}

async fn ingest_as(
    app: &TestApp,
    token: Option<&str>,
    community: &str,
    rows: Vec<Value>,
    mode: Option<&str>,
) -> Answer {
    app.gql_as(
        token,
        INGEST,
        json!({ "i": { "communityId": community, "rows": rows, "mode": mode } }),
    )
    .await
}

async fn ingest(app: &TestApp, community: &str, rows: Vec<Value>) -> Value {
    ingest_as(app, Some(&app.admin_token), community, rows, None)
        .await
        .data()["ingestActivities"]
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_validates_and_the_checklist_follows_the_data() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let bad = [
        (json!({ "purpose": " " }), "input.purpose"),
        (json!({ "timeZone": "Mars/Olympus" }), "input.timeZone"),
        (json!({ "targetSize": 1 }), "input.targetSize"),
        (json!({ "platformUrl": "not a url" }), "input.platformUrl"),
        (
            json!({ "cadence": { "maxPromptsPerWeek": 0 } }),
            "input.cadence.maxPromptsPerWeek",
        ),
        (
            json!({ "cadence": { "maxPromptsPerWeek": 3, "quietHoursStart": 22 } }),
            "input.cadence.quietHoursEnd",
        ),
    ];
    for (patch, field) in bad {
        let mut input = json!({ "brandId": brand, "name": "Trail", "purpose": "Tips", "kind": "PRODUCT", "platform": "DISCORD" });
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        let a = app.gql(CREATE, json!({ "i": input })).await;
        assert_eq!(a.code(), "BAD_USER_INPUT", "{patch}: {}", a.body);
        assert_eq!(a.body["errors"][0]["extensions"]["field"], field, "{patch}");
    }
    let none = app.gql("{ communities { totalCount } }", json!({})).await;
    assert_eq!(
        none.data()["communities"]["totalCount"],
        0,
        "nothing was written"
    );

    let a = app
        .gql(CREATE, json!({ "i": { "brandId": brand, "name": "Trail", "purpose": "Tips", "kind": "PRODUCT", "platform": "DISCORD", "timeZone": "Europe/Paris" } }))
        .await;
    let c = &a.data()["createCommunity"];
    assert_eq!(c["status"], "PLANNED");
    let id = c["id"].as_str().unwrap().to_string();
    // Purpose only: 1 of 8 (no audience, so not "where the audience
    // gathers"; no conversation starters scheduled).
    assert!((c["setupChecklist"]["progress"].as_f64().unwrap() - 1.0 / 8.0).abs() < 1e-9);
    let dup = app
        .gql(CREATE, json!({ "i": { "brandId": brand, "name": "Trail", "purpose": "Again", "kind": "LOCAL", "platform": "SLACK" } }))
        .await;
    assert_eq!(dup.code(), "CONFLICT");

    app.gql(
        "mutation($id: ID!) { updateCommunity(id: $id, input: { platformUrl: \"https://discord.gg/trail\", cadence: { maxPromptsPerWeek: 3, minGapHours: 12 } }) { version } }",
        json!({ "id": id }),
    )
    .await
    .data();
    for (name, kind) in [("general", "CHAT"), ("ideas", "FEEDBACK")] {
        app.gql(
            "mutation($c: ID!, $n: String!, $k: ChannelKind!) { createChannel(input: { communityId: $c, name: $n, kind: $k }) { id } }",
            json!({ "c": id, "n": name, "k": kind }),
        )
        .await
        .data();
    }
    let check = app
        .gql("query($id: ID!) { community(id: $id) { channels { name } setupChecklist { progress items { key done } } } }", json!({ "id": id }))
        .await;
    let items = check.data()["community"]["setupChecklist"]["items"]
        .as_array()
        .unwrap()
        .clone();
    let done: Vec<&str> = items
        .iter()
        .filter(|i| i["done"] == true)
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        done,
        [
            "PURPOSE_SET",
            "PLATFORM_CHOSEN",
            "CHANNELS_CREATED",
            "CADENCE_POLICY_SET",
            "FEEDBACK_CHANNEL_OPEN"
        ]
    );
    assert_eq!(
        check.data()["community"]["channels"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_changes_follow_the_lifecycle() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let id = community(&app, &brand, "Trail").await;
    let q = "mutation($id: ID!, $s: CommunityStatus!) { changeCommunityStatus(id: $id, status: $s) { status } }";
    let bad = app.gql(q, json!({ "id": id, "s": "PAUSED" })).await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert!(bad.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("SETTING_UP"));
    for s in ["SETTING_UP", "ACTIVE", "PAUSED", "ACTIVE", "ARCHIVED"] {
        let a = app.gql(q, json!({ "id": id, "s": s })).await;
        assert_eq!(a.data()["changeCommunityStatus"]["status"], s);
    }
    assert_eq!(
        app.gql(q, json!({ "id": id, "s": "ACTIVE" })).await.code(),
        "BAD_USER_INPUT"
    );
    let upd = app
        .gql(
            "mutation($id: ID!) { updateCommunity(id: $id, input: { name: \"X\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(upd.code(), "CONFLICT", "archived communities are read-only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_brands_community_is_not_found_and_clients_only_read() {
    let app = TestApp::spawn().await;
    let a = app.create_brand("Alpha").await;
    let b = app.create_brand("Beta").await;
    let ca = community(&app, &a, "A club").await;
    let cb = community(&app, &b, "B club").await;
    let (_, consultant) = app.consultant_for(&[&a]).await;
    let (_, client) = app.user_token("CLIENT", Some(&a)).await;
    let read = "query($id: ID!) { community(id: $id) { name } }";
    for token in [&consultant, &client] {
        let t = Some(token.as_str());
        assert_eq!(
            app.gql_as(t, read, json!({ "id": ca })).await.data()["community"]["name"],
            "A club"
        );
        assert_eq!(
            app.gql_as(t, read, json!({ "id": cb })).await.code(),
            "NOT_FOUND"
        );
        let list = app
            .gql_as(t, "{ communities { totalCount } }", json!({}))
            .await;
        assert_eq!(list.data()["communities"]["totalCount"], 1);
        for q in [
            "query($id: ID!) { communityMembers(communityId: $id) { totalCount } }",
            "query($id: ID!) { communityHealth(communityId: $id) { members } }",
            "query($id: ID!) { slippingAway(communityId: $id) { totalCount } }",
        ] {
            assert_eq!(
                app.gql_as(t, q, json!({ "id": cb })).await.code(),
                "NOT_FOUND",
                "{q}"
            );
        }
    }
    let upd =
        "mutation($id: ID!) { updateCommunity(id: $id, input: { name: \"Renamed\" }) { name } }";
    assert_eq!(
        app.gql_as(Some(&consultant), upd, json!({ "id": cb }))
            .await
            .code(),
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql_as(Some(&client), upd, json!({ "id": ca }))
            .await
            .code(),
        "FORBIDDEN"
    );
    let create = app
        .gql_as(
            Some(&consultant),
            CREATE,
            json!({ "i": { "brandId": b, "name": "Sneaky", "purpose": "x", "kind": "LOCAL", "platform": "SLACK" } }),
        )
        .await;
    assert_eq!(create.code(), "NOT_FOUND");
    assert_eq!(
        app.gql_as(Some(&client), read, json!({ "id": ca }))
            .await
            .data()["community"]["name"],
        "A club"
    );
    let ingest = ingest_as(
        &app,
        Some(&client),
        &ca,
        vec![row("k1", "u1", "message", 0)],
        None,
    )
    .await;
    assert_eq!(ingest.code(), "FORBIDDEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_is_idempotent_reports_rejects_and_creates_members() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail").await;
    let rows = vec![
        row("m-1", "ana", "message", 1),
        row("m-2", "ana", "reply", 0),
        row("m-3", "bo", "like", 2),
        row("m-3", "bo", "like", 2),
    ];
    let first = ingest(&app, &c, rows.clone()).await;
    assert_eq!(first["inserted"], 3);
    assert_eq!(first["duplicates"], 1, "the repeated source key");
    assert_eq!(first["membersCreated"], 2);
    let replay = ingest(&app, &c, rows).await;
    assert_eq!(replay["inserted"], 0);
    assert_eq!(replay["duplicates"], 4);
    assert_eq!(replay["membersCreated"], 0);

    let mut future = row("f-1", "cy", "message", 0);
    future["occurredAt"] = json!((Utc::now() + Duration::days(3)).to_rfc3339());
    let mut bad_kind = row("f-2", "cy", "Not A Kind!", 0);
    bad_kind["kind"] = json!("Not A Kind!");
    let batch = vec![
        row("ok-1", "cy", "message", 0),
        future,
        bad_kind,
        row("", "cy", "message", 0),
    ];
    let all = ingest_as(&app, Some(&app.admin_token), &c, batch.clone(), None).await;
    let all = &all.data()["ingestActivities"];
    assert_eq!(all["inserted"], 0, "all or nothing by default");
    let rejected: Vec<(i64, String)> = all["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_i64().unwrap(),
                r["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        [
            (1, "rows.1.occurredAt".to_string()),
            (2, "rows.2.kind".to_string()),
            (3, "rows.3.sourceKey".to_string())
        ]
    );
    let per_row = ingest_as(&app, Some(&app.admin_token), &c, batch, Some("PER_ROW")).await;
    assert_eq!(per_row.data()["ingestActivities"]["inserted"], 1);
    assert_eq!(
        per_row.data()["ingestActivities"]["rejected"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let members = app
        .gql(
            "query($c: ID!) { communityMembers(communityId: $c, orderBy: JOINED_DESC) { totalCount edges { node { member { displayName identities { platform externalId } } } } } }",
            json!({ "c": c }),
        )
        .await;
    assert_eq!(members.data()["communityMembers"]["totalCount"], 3);
    let ids: Vec<&str> = members.data()["communityMembers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["node"]["member"]["identities"][0]["externalId"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.contains(&"ana") && ids.contains(&"bo") && ids.contains(&"cy"));

    let too_many: Vec<Value> = (0..10_001)
        .map(|i| row(&format!("x{i}"), "z", "like", 0))
        .collect();
    let a = ingest_as(&app, Some(&app.admin_token), &c, too_many, None).await;
    assert_eq!(a.code(), "BAD_USER_INPUT");
}

/// A batch sent as the whole input of an ingest has its rows read straight
/// from the JSON into their input type (counted by the metric). The same
/// batch with a directive on the field is read as GraphQL values: both
/// answer alike and store alike, and what GraphQL refuses is refused alike,
/// with nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_read_straight_from_json_answers_and_stores_as_graphql_values_do() {
    const METRIC: &str = "hearth_ingest_batches_read_directly_total";
    const USUAL: &str = "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) @include(if: true) { inserted duplicates membersCreated rejected { index field reason } } }";
    let app = TestApp::spawn().await;
    // Two brands: source keys are unique per brand.
    let acme = app.create_brand("Acme").await;
    let beta = app.create_brand("Beta").await;
    let direct = community(&app, &acme, "Direct").await;
    let usual = community(&app, &beta, "Usual").await;
    let mut rich = row("k-1", "ana", "reply", 1);
    rich["platform"] = json!("DISCORD");
    rich["isReply"] = json!(true);
    rich["channelExternalId"] = json!("general");
    rich["properties"] = json!({ "thread": [1, 2.5, "x", null, { "pinned": false }] });
    let mut bad_kind = row("k-3", "cy", "Not A Kind!", 0);
    bad_kind["kind"] = json!("Not A Kind!");
    let batch = vec![
        rich,
        row("k-2", "bo", "like", 2),
        bad_kind,
        row("k-2", "bo", "like", 2),
    ];
    let send = |query: &'static str, c: &str, rows: Vec<Value>| {
        let vars = json!({ "i": { "communityId": c, "rows": rows, "mode": "PER_ROW" } });
        let app = &app;
        async move { app.gql(query, vars).await }
    };
    let members = |c: String| {
        let app = &app;
        async move {
            let a = app.gql(
                "query($c: ID!) { communityMembers(communityId: $c, orderBy: JOINED_DESC) { totalCount edges { node { engagement { activityCount } member { displayName identities { platform externalId handle } } } } } }",
                json!({ "c": c }),
            )
            .await;
            let page = &a.data()["communityMembers"];
            // By name: members joined in one batch may tie on their join time.
            let mut edges = page["edges"].as_array().unwrap().clone();
            edges.sort_by_key(|e| e["node"]["member"]["displayName"].to_string());
            json!({ "totalCount": page["totalCount"], "edges": edges })
        }
    };

    let before = app.metric(METRIC).await;
    let a = send(INGEST, &direct, batch.clone()).await;
    assert_eq!(
        app.metric(METRIC).await,
        before + 1.0,
        "read straight from JSON"
    );
    let b = send(USUAL, &usual, batch.clone()).await;
    assert_eq!(
        app.metric(METRIC).await,
        before + 1.0,
        "read as GraphQL values"
    );
    // 2 inserted (k-1, k-2), the repeated k-2 a duplicate, row 2 rejected.
    assert_eq!(a.data()["ingestActivities"]["inserted"], 2, "{}", a.body);
    assert_eq!(a.data()["ingestActivities"]["duplicates"], 1);
    assert_eq!(a.data(), b.data());
    let stored = members(direct.clone()).await;
    assert_eq!(stored["totalCount"], 2, "{stored}");
    assert_eq!(stored, members(usual.clone()).await);

    // Refused by GraphQL, read either way: the same answer, nothing stored.
    let mut wrong_type = row("k-9", "dee", "like", 0);
    wrong_type["kind"] = json!(5);
    // A scalar GraphQL checks only when it reads it.
    let mut not_a_time = row("k-9", "dee", "like", 0);
    not_a_time["occurredAt"] = json!(5);
    let mut nul = row("k-9", "dee", "like", 0);
    nul["handle"] = json!("d\u{0}e");
    let mut unknown = row("k-9", "dee", "like", 0);
    unknown["mood"] = json!("happy");
    for (bad, code) in [
        (wrong_type, "GRAPHQL_VALIDATION_FAILED"),
        (not_a_time, "BAD_USER_INPUT"),
        (nul, "BAD_USER_INPUT"),
        (unknown, "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let rows = vec![row("k-8", "dee", "like", 0), bad];
        let a = send(INGEST, &direct, rows.clone()).await;
        let b = send(USUAL, &usual, rows).await;
        assert_eq!(a.code(), code, "{}", a.body);
        assert_eq!(a.body["errors"], b.body["errors"]);
    }
    assert_eq!(app.metric(METRIC).await, before + 1.0);
    assert_eq!(members(direct).await, stored, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_by_integrations_needs_the_scope_and_the_brand() {
    let app = TestApp::spawn().await;
    let a = app.create_brand("Alpha").await;
    let b = app.create_brand("Beta").await;
    let ca = community(&app, &a, "A club").await;
    let (_, good, _) = app.integration_token(&a, &["INGEST_ACTIVITIES"]).await;
    let (_, no_scope, _) = app.integration_token(&a, &["INGEST_ORDERS"]).await;
    let (_, other_brand, _) = app.integration_token(&b, &["INGEST_ACTIVITIES"]).await;
    let ok = ingest_as(
        &app,
        Some(&good),
        &ca,
        vec![row("k1", "u1", "message", 0)],
        None,
    )
    .await;
    assert_eq!(ok.data()["ingestActivities"]["inserted"], 1);
    let forbidden = ingest_as(
        &app,
        Some(&no_scope),
        &ca,
        vec![row("k2", "u1", "message", 0)],
        None,
    )
    .await;
    assert_eq!(forbidden.code(), "FORBIDDEN");
    let hidden = ingest_as(
        &app,
        Some(&other_brand),
        &ca,
        vec![row("k3", "u1", "message", 0)],
        None,
    )
    .await;
    assert_eq!(hidden.code(), "NOT_FOUND");
    let health = app
        .gql(
            "query($c: ID!) { communityHealth(communityId: $c) { activities } }",
            json!({ "c": ca }),
        )
        .await;
    assert_eq!(
        health.data()["communityHealth"]["activities"],
        1,
        "only the allowed push was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_uses_the_same_number_of_statements_for_50_and_400_rows() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail").await;
    let mut counts = Vec::new();
    for (batch, n) in [("a", 50), ("b", 400)] {
        let rows: Vec<Value> = (0..n)
            .map(|i| {
                row(
                    &format!("{batch}{i}"),
                    &format!("{batch}-user{i}"),
                    "message",
                    0,
                )
            })
            .collect();
        let before = app.statements().await;
        let r = ingest(&app, &c, rows).await;
        assert_eq!(r["inserted"], n);
        counts.push(app.statements().await - before);
    }
    assert_eq!(counts[0], counts[1], "statements per batch: {counts:?}");
    assert!(counts[0] <= 12.0, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engagement_bands_slipping_away_and_health() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail").await;
    let mut rows = vec![
        row("a1", "ana", "message", 0),
        row("a2", "ana", "message", 0),
        row("b1", "bo", "like", 40),
    ];
    rows[1]["isReply"] = json!(true);
    for i in 0..30 {
        rows.push(row(&format!("c{i}"), "cy", "post", i % 7));
    }
    for i in 0..20 {
        rows.push(row(&format!("d{i}"), "di", "post", 40 + i));
    }
    ingest(&app, &c, rows).await;

    let q = "query($c: ID!, $band: EngagementBand) { communityMembers(communityId: $c, band: $band) { totalCount edges { cursor node { memberId member { displayName } engagement { score level band activityCount } } } } }";
    let all = app.gql(q, json!({ "c": c })).await;
    let edges = all.data()["communityMembers"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    let by_name = |n: &str| {
        edges
            .iter()
            .find(|e| e["node"]["member"]["displayName"] == n)
            .unwrap()["node"]["engagement"]
            .clone()
    };
    // ana: two messages today: 2 x 6 = 12 -> level 4 (engaged).
    assert_eq!(by_name("ana")["score"], 12.0);
    assert_eq!(by_name("ana")["band"], "ENGAGED");
    // cy: 30 posts this week: 300 -> level 10 (ultra).
    assert_eq!(by_name("cy")["score"], 300.0);
    assert_eq!(by_name("cy")["band"], "ULTRA");
    // bo: one like 40 days ago: 1 x 0.5.
    assert_eq!(by_name("bo")["score"], 0.5);
    assert_eq!(by_name("bo")["band"], "SILENT");
    // di: 20 posts 40-59 days ago, decayed.
    assert_eq!(
        edges[0]["node"]["member"]["displayName"], "cy",
        "most engaged first"
    );
    // Every other field of each row as the member's own query shows it
    // (read there by column name, in the page by position), and the last
    // activity at any time: ana's and cy's a minute ago, bo's 40 days ago,
    // di's 40 days ago (the newest of his posts).
    let rows = app
        .gql(
            "query($c: ID!) { communityMembers(communityId: $c) { edges { node { memberId role joinedAt leftAt member { displayName } engagement { lastActiveAt } } } } }",
            json!({ "c": c }),
        )
        .await;
    let mut last_active = std::collections::HashMap::new();
    for e in rows.data()["communityMembers"]["edges"].as_array().unwrap() {
        let node = &e["node"];
        let own = app
            .gql(
                "query($m: ID!) { member(id: $m) { memberships { role joinedAt leftAt } } }",
                json!({ "m": node["memberId"] }),
            )
            .await;
        let membership = &own.data()["member"]["memberships"][0];
        for f in ["role", "joinedAt", "leftAt"] {
            assert_eq!(node[f], membership[f], "{f}");
        }
        let at: chrono::DateTime<Utc> = node["engagement"]["lastActiveAt"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let days = (Utc::now() - at).num_days();
        last_active.insert(
            node["member"]["displayName"].as_str().unwrap().to_string(),
            days,
        );
    }
    assert_eq!(last_active["ana"], 0);
    assert_eq!(last_active["cy"], 0);
    assert_eq!(last_active["bo"], 40);
    assert_eq!(last_active["di"], 40);

    let ultra = app.gql(q, json!({ "c": c, "band": "ULTRA" })).await;
    assert_eq!(ultra.data()["communityMembers"]["totalCount"], 1);
    let engaged = app.gql(q, json!({ "c": c, "band": "ENGAGED" })).await;
    let names: Vec<&str> = engaged.data()["communityMembers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["member"]["displayName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"ana"), "{names:?}");

    // Pages of one walk the same order as one big page.
    let paged = "query($c: ID!, $after: String) { communityMembers(communityId: $c, first: 1, after: $after) { edges { node { memberId } } pageInfo { endCursor hasNextPage } } }";
    let mut walked = Vec::new();
    let mut after = Value::Null;
    loop {
        let p = app.gql(paged, json!({ "c": c, "after": after })).await;
        let conn = &p.data()["communityMembers"];
        walked.push(
            conn["edges"][0]["node"]["memberId"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        if conn["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    let all_ids: Vec<String> = edges
        .iter()
        .map(|e| e["node"]["memberId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(walked, all_ids);

    // di was ultra a month ago and has been silent since.
    let slipping = app
        .gql("query($c: ID!) { slippingAway(communityId: $c) { totalCount edges { node { member { displayName } engagement { band activityCount } } } } }", json!({ "c": c }))
        .await;
    assert_eq!(slipping.data()["slippingAway"]["totalCount"], 1);
    let slipping = slipping.data()["slippingAway"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(slipping.len(), 1, "{slipping:?}");
    assert_eq!(slipping[0]["node"]["member"]["displayName"], "di");
    assert_eq!(
        slipping[0]["node"]["engagement"]["band"], "ULTRA",
        "as of 30 days ago"
    );
    assert_eq!(slipping[0]["node"]["engagement"]["activityCount"], 20);

    let h = app
        .gql(
            "query($c: ID!) { communityHealth(communityId: $c) { members activeMembers7d activeMembers30d stickiness newMembers departedMembers activities activitiesPerActiveMember replyRate } }",
            json!({ "c": c }),
        )
        .await;
    let h = &h.data()["communityHealth"];
    assert_eq!(h["members"], 4);
    assert_eq!(h["activeMembers7d"], 2);
    assert_eq!(h["activeMembers30d"], 2);
    assert_eq!(h["activities"], 32);
    assert_eq!(h["activitiesPerActiveMember"], 16.0);
    assert!((h["replyRate"].as_f64().unwrap() - 1.0 / 32.0).abs() < 1e-9);
    // ana 1 day + cy 7 days = 8 member-days over 30 days, divided by 2 monthly actives.
    assert!(
        (h["stickiness"].as_f64().unwrap() - 8.0 / 30.0 / 2.0).abs() < 1e-9,
        "{h}"
    );
    assert_eq!(h["newMembers"], 2, "ana and cy joined this month");
    assert_eq!(h["departedMembers"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_keeps_everything_and_never_crosses_brands() {
    let app = TestApp::spawn().await;
    let a = app.create_brand("Alpha").await;
    let b = app.create_brand("Beta").await;
    let ca = community(&app, &a, "A club").await;
    let cb = community(&app, &b, "B club").await;
    ingest(
        &app,
        &ca,
        vec![
            row("1", "ana-discord", "message", 0),
            row("2", "ana-alt", "message", 1),
        ],
    )
    .await;
    ingest(&app, &cb, vec![row("3", "bob", "message", 0)]).await;
    let ids = |cid: String| {
        let app = &app;
        async move {
            let r = app
                .gql("query($c: ID!) { communityMembers(communityId: $c) { edges { node { memberId member { identities { externalId } } } } } }", json!({ "c": cid }))
                .await;
            r.data()["communityMembers"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["memberId"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let a_members = ids(ca.clone()).await;
    let b_members = ids(cb.clone()).await;
    let merge = "mutation($k: ID!, $m: ID!) { mergeMembers(keepId: $k, mergeId: $m) { id identities { externalId } memberships { communityId } } }";
    let cross = app
        .gql(merge, json!({ "k": a_members[0], "m": b_members[0] }))
        .await;
    assert_eq!(cross.code(), "NOT_FOUND");

    let merged = app
        .gql(merge, json!({ "k": a_members[0], "m": a_members[1] }))
        .await;
    let m = &merged.data()["mergeMembers"];
    assert_eq!(m["identities"].as_array().unwrap().len(), 2);
    assert_eq!(m["memberships"].as_array().unwrap().len(), 1);
    let after = app
        .gql("query($c: ID!) { communityMembers(communityId: $c) { totalCount edges { node { engagement { activityCount } } } } }", json!({ "c": ca }))
        .await;
    assert_eq!(after.data()["communityMembers"]["totalCount"], 1);
    assert_eq!(
        after.data()["communityMembers"]["edges"][0]["node"]["engagement"]["activityCount"],
        2,
        "activities moved over"
    );
    let gone = app
        .gql(
            "query($id: ID!) { member(id: $id) { id } }",
            json!({ "id": a_members[1] }),
        )
        .await;
    assert_eq!(gone.code(), "NOT_FOUND");
    let log = app
        .gql(
            "{ auditEvents(filter: { action: \"member.merge\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(log.data()["auditEvents"]["totalCount"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_removes_personal_data_and_keeps_counts() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail").await;
    ingest(
        &app,
        &c,
        vec![row("1", "ana", "message", 0), row("2", "ana", "message", 0)],
    )
    .await;
    let list = app
        .gql(
            "query($c: ID!) { communityMembers(communityId: $c) { edges { node { memberId } } } }",
            json!({ "c": c }),
        )
        .await;
    let member = list.data()["communityMembers"]["edges"][0]["node"]["memberId"]
        .as_str()
        .unwrap()
        .to_string();
    let erased = app
        .gql("mutation($id: ID!) { eraseMember(id: $id) { displayName erased identities { externalId } } }", json!({ "id": member }))
        .await;
    let e = &erased.data()["eraseMember"];
    assert!(e["displayName"].is_null());
    assert_eq!(e["erased"], true);
    assert_eq!(e["identities"], json!([]));
    let h = app
        .gql(
            "query($c: ID!) { communityHealth(communityId: $c) { members activities } }",
            json!({ "c": c }),
        )
        .await;
    assert_eq!(h.data()["communityHealth"]["members"], 1);
    assert_eq!(h.data()["communityHealth"]["activities"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_communities_members_identities_use_the_same_statements_for_20_and_100() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    for n in 0..3 {
        let c = community(&app, &brand, &format!("Club {n}")).await;
        let rows: Vec<Value> = (0..120)
            .map(|i| row(&format!("{n}-{i}"), &format!("{n}-user{i}"), "message", 0))
            .collect();
        ingest(&app, &c, rows).await;
    }
    let q = "query($n: Int!) { communities(first: $n) { edges { node { name members(first: $n) { totalCount edges { node { role member { displayName identities { platform externalId } } } } } } } } }";
    let mut counts = Vec::new();
    for n in [20, 100] {
        let before = app.statements().await;
        let a = app.gql(q, json!({ "n": n })).await;
        let edges = a.data()["communities"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 3);
        for e in edges {
            let members = &e["node"]["members"];
            assert_eq!(members["totalCount"], 120);
            assert_eq!(members["edges"].as_array().unwrap().len(), n as usize);
            assert_eq!(
                members["edges"][0]["node"]["member"]["identities"]
                    .as_array()
                    .unwrap()
                    .len(),
                1
            );
        }
        counts.push(app.statements().await - before);
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
    // communities, members page, member counts, members, identities.
    assert_eq!(counts[0], 5.0, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_member_pages_show_every_field_and_encode_cursors_only_when_asked() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail club").await;
    // One member with every optional field set and two accounts (one
    // without a handle), one with nothing optional, one who left.
    let create = "mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }";
    let mut ids = Vec::new();
    for input in [
        json!({ "brandId": brand, "communityId": c, "role": "MODERATOR", "displayName": "Ana", "customerRef": "cust-1",
                "identities": [{ "platform": "DISCORD", "externalId": "ana#1", "handle": "ana" },
                               { "platform": "SLACK", "externalId": "U-ANA" }] }),
        json!({ "brandId": brand, "communityId": c, "identities": [] }),
        json!({ "brandId": brand, "communityId": c, "displayName": "Bo", "identities": [] }),
    ] {
        let a = app.gql(create, json!({ "i": input })).await;
        ids.push(a.data()["createMember"]["id"].as_str().unwrap().to_string());
    }
    app.gql(
        "mutation($c: ID!, $m: ID!) { leaveCommunity(communityId: $c, memberId: $m) { leftAt } }",
        json!({ "c": c, "m": ids[2] }),
    )
    .await
    .data();

    let fields = "memberId role joinedAt leftAt member { id brandId displayName customerRef erased createdAt identities { platform externalId handle } }";
    let full = format!("{{ communities(first: 5) {{ edges {{ node {{ members(first: 5) {{ edges {{ cursor node {{ {fields} }} }} pageInfo {{ endCursor hasNextPage }} }} }} }} }} }}");
    let a = app.gql(&full, json!({})).await;
    let page = &a.data()["communities"]["edges"][0]["node"]["members"];
    let edges = page["edges"].as_array().unwrap();
    // Current members only, newest first.
    let shown: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["memberId"].as_str().unwrap())
        .collect();
    assert_eq!(shown, vec![ids[1].as_str(), ids[0].as_str()]);
    // Each row as the member's own query shows it (read there by column
    // name, in the page by position).
    for e in edges {
        let node = &e["node"];
        let own = app
            .gql(
                "query($m: ID!) { member(id: $m) { id brandId displayName customerRef erased createdAt identities { platform externalId handle } memberships { role joinedAt leftAt } } }",
                json!({ "m": node["memberId"] }),
            )
            .await;
        let own = &own.data()["member"];
        for f in [
            "id",
            "brandId",
            "displayName",
            "customerRef",
            "erased",
            "createdAt",
            "identities",
        ] {
            assert_eq!(node["member"][f], own[f], "{f}");
        }
        assert_eq!(node["role"], own["memberships"][0]["role"]);
        assert_eq!(node["joinedAt"], own["memberships"][0]["joinedAt"]);
        assert_eq!(node["leftAt"], Value::Null);
    }
    let ana = &edges[1]["node"];
    assert_eq!(ana["role"], "MODERATOR");
    assert_eq!(ana["member"]["brandId"], brand.as_str());
    assert_eq!(ana["member"]["customerRef"], "cust-1");
    assert_eq!(
        ana["member"]["identities"],
        json!([{ "platform": "DISCORD", "externalId": "ana#1", "handle": "ana" },
               { "platform": "SLACK", "externalId": "U-ANA", "handle": null }])
    );
    assert_eq!(edges[0]["node"]["member"]["displayName"], Value::Null);
    assert_eq!(edges[0]["node"]["member"]["identities"], json!([]));

    // Cursors are encoded when selected: each edge's, and the page's end.
    let cursors: Vec<&str> = edges
        .iter()
        .map(|e| e["cursor"].as_str().unwrap())
        .collect();
    assert!(cursors.iter().all(|c| !c.is_empty()) && cursors[0] != cursors[1]);
    assert_eq!(page["pageInfo"]["endCursor"], cursors[1]);
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    // pageInfo alone still gets its cursors.
    let a = app
        .gql("{ communities(first: 5) { pageInfo { endCursor } edges { node { members(first: 1) { pageInfo { endCursor hasNextPage } } } } } }", json!({}))
        .await;
    let d = a.data();
    assert_eq!(
        d["communities"]["pageInfo"]["endCursor"]
            .as_str()
            .map(str::is_empty),
        Some(false)
    );
    assert_eq!(
        d["communities"]["edges"][0]["node"]["members"]["pageInfo"]["endCursor"],
        cursors[0]
    );
    assert_eq!(
        d["communities"]["edges"][0]["node"]["members"]["pageInfo"]["hasNextPage"],
        true
    );
    // Without any cursor selected the rows are the same.
    let bare = format!("{{ communities(first: 5) {{ edges {{ node {{ members(first: 5) {{ edges {{ node {{ {fields} }} }} }} }} }} }} }}");
    let b = app.gql(&bare, json!({})).await;
    let bare_edges = b.data()["communities"]["edges"][0]["node"]["members"]["edges"].clone();
    let without_cursors: Vec<Value> = edges.iter().map(|e| json!({ "node": e["node"] })).collect();
    assert_eq!(bare_edges, Value::Array(without_cursors));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_community_operation_hides_another_brands_objects() {
    let app = TestApp::spawn().await;
    let a = app.create_brand("Alpha").await;
    let b = app.create_brand("Beta").await;
    let ca = community(&app, &a, "A club").await;
    ingest(&app, &ca, vec![row("1", "ana", "message", 0)]).await;
    let members = app
        .gql(
            "query($c: ID!) { communityMembers(communityId: $c) { edges { node { memberId } } } }",
            json!({ "c": ca }),
        )
        .await;
    let ana = members.data()["communityMembers"]["edges"][0]["node"]["memberId"]
        .as_str()
        .unwrap()
        .to_string();
    let fb = app
        .gql("mutation($c: ID!) { createFeedback(input: { communityId: $c, title: \"Dark mode\", category: FEATURE_REQUEST }) { id } }", json!({ "c": ca }))
        .await;
    let feedback = fb.data()["createFeedback"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, t) = app.consultant_for(&[&b]).await;
    let t = Some(t.as_str());
    let cases = [
        ("query($id: ID!) { member(id: $id) { id } }", json!({ "id": ana })),
        ("query($id: ID!) { activityTypes(brandId: $id) { key } }", json!({ "id": a })),
        ("mutation($id: ID!) { changeCommunityStatus(id: $id, status: SETTING_UP) { id } }", json!({ "id": ca })),
        ("mutation($id: ID!) { createChannel(input: { communityId: $id, name: \"x\", kind: CHAT }) { id } }", json!({ "id": ca })),
        ("mutation($id: ID!) { createMember(input: { brandId: $id, identities: [] }) { id } }", json!({ "id": a })),
        ("mutation($c: ID!, $m: ID!) { setMembership(communityId: $c, memberId: $m, role: HOST) { role } }", json!({ "c": ca, "m": ana })),
        ("mutation($c: ID!, $m: ID!) { leaveCommunity(communityId: $c, memberId: $m) { leftAt } }", json!({ "c": ca, "m": ana })),
        ("mutation($id: ID!) { eraseMember(id: $id) { id } }", json!({ "id": ana })),
        ("mutation($id: ID!) { setActivityType(input: { brandId: $id, key: \"message\", name: \"M\", weight: 12 }) { key } }", json!({ "id": a })),
        ("mutation($id: ID!) { answerFeedback(id: $id, answer: \"No\") { id } }", json!({ "id": feedback })),
        ("mutation($id: ID!) { changeFeedbackStatus(id: $id, status: DECLINED) { id } }", json!({ "id": feedback })),
        ("query($id: ID!) { impactTimeSeries(brandId: $id, interval: MONTH) { currency } }", json!({ "id": a })),
        ("query($id: ID!) { reportSnapshots(brandId: $id) { totalCount } }", json!({ "id": a })),
    ];
    for (q, v) in cases {
        let r = app.gql_as(t, q, v).await;
        assert_eq!(r.code(), "NOT_FOUND", "{q}: {}", r.body);
    }
    // Nothing changed.
    let after = app
        .gql(
            "query($c: ID!, $m: ID!) { community(id: $c) { status channels { id } } member(id: $m) { erased memberships { role leftAt } } activityTypes(brandId: \"00000000-0000-0000-0000-000000000000\") { key } }",
            json!({ "c": ca, "m": ana }),
        )
        .await;
    assert_eq!(
        after.code(),
        "NOT_FOUND",
        "a missing brand is not found either"
    );
    let after = app
        .gql("query($c: ID!, $m: ID!) { community(id: $c) { status channels { id } } member(id: $m) { erased memberships { role leftAt } } }", json!({ "c": ca, "m": ana }))
        .await;
    let d = after.data();
    assert_eq!(d["community"]["status"], "PLANNED");
    assert_eq!(d["community"]["channels"], json!([]));
    assert_eq!(d["member"]["erased"], false);
    assert_eq!(d["member"]["memberships"][0]["role"], "MEMBER");
    assert!(d["member"]["memberships"][0]["leftAt"].is_null());
}

/// How many stored rows of `table` belong to `member`, and a column of theirs.
async fn rows_of(app: &TestApp, table: &str, column: &str, member: &str) -> Vec<Option<String>> {
    use sea_orm::ConnectionTrait;
    let db = &app.context.db;
    let sql = format!("SELECT {column} AS v FROM {table} WHERE member_id = ?");
    let stmt = hearth::db::raw(
        db.get_database_backend(),
        &sql,
        vec![uuid::Uuid::parse_str(member).unwrap().into()],
    );
    db.query_all_raw(stmt)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<Option<String>>("", "v").unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_carries_answers_feedback_and_purchases_and_erasure_removes_their_words() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail").await;
    ingest(
        &app,
        &c,
        vec![
            row("1", "ana", "message", 0),
            row("2", "ana-alt", "message", 0),
        ],
    )
    .await;
    let list = app
        .gql("query($c: ID!) { communityMembers(communityId: $c) { edges { node { memberId member { identities { externalId } } } } } }", json!({ "c": c }))
        .await;
    let mut keep = String::new();
    let mut gone = String::new();
    for e in list.data()["communityMembers"]["edges"].as_array().unwrap() {
        let id = e["node"]["memberId"].as_str().unwrap().to_string();
        if e["node"]["member"]["identities"][0]["externalId"] == "ana" {
            keep = id;
        } else {
            gone = id;
        }
    }
    // The second identity's survey answer, purchase link and feedback.
    app.gql(
        "mutation($i: IngestCustomersInput!) { ingestCustomers(input: $i) { inserted } }",
        json!({ "i": { "brandId": brand, "rows": [{ "externalRef": "c-ana", "memberPlatform": "DISCORD", "memberExternalId": "ana-alt" }] } }),
    )
    .await
    .data();
    app.gql(
        "mutation($i: IngestSurveysInput!) { ingestSurveyResponses(input: $i) { inserted } }",
        json!({ "i": { "brandId": brand, "rows": [{ "externalId": "s1", "kind": "NPS", "score": 9, "comment": "Ana here, love it", "memberPlatform": "DISCORD", "memberExternalId": "ana-alt", "respondedAt": Utc::now().to_rfc3339() }] } }),
    )
    .await
    .data();
    app.gql(
        "mutation($c: ID!, $m: ID!) { createFeedback(input: { communityId: $c, memberId: $m, title: \"Ana's idea\", body: \"Call me on 555\", category: FEATURE_REQUEST }) { id } }",
        json!({ "c": c, "m": gone }),
    )
    .await
    .data();

    app.gql(
        "mutation($k: ID!, $m: ID!) { mergeMembers(keepId: $k, mergeId: $m) { id } }",
        json!({ "k": keep, "m": gone }),
    )
    .await
    .data();
    for (table, column) in [
        ("survey_response", "external_id"),
        ("feedback", "title"),
        ("customer", "external_ref"),
    ] {
        assert_eq!(
            rows_of(&app, table, column, &gone).await.len(),
            0,
            "{table} left on the merged member"
        );
        assert_eq!(
            rows_of(&app, table, column, &keep).await.len(),
            1,
            "{table} moved to the kept member"
        );
    }

    app.gql(
        "mutation($id: ID!) { eraseMember(id: $id) { id } }",
        json!({ "id": keep }),
    )
    .await
    .data();
    assert_eq!(
        rows_of(&app, "survey_response", "comment", &keep).await,
        vec![None],
        "comment erased, answer kept"
    );
    assert_eq!(
        rows_of(&app, "customer", "external_ref", &keep).await.len(),
        0,
        "customer link removed"
    );
    let fb = app
        .gql("query($c: ID!) { feedbackItems(communityId: $c) { totalCount edges { node { title body memberId } } } }", json!({ "c": c }))
        .await;
    let f = &fb.data()["feedbackItems"];
    assert_eq!(f["totalCount"], 1, "the feedback still counts");
    assert_eq!(f["edges"][0]["node"]["title"], "(erased)");
    assert!(f["edges"][0]["node"]["body"].is_null());
}

async fn audit_count(app: &TestApp) -> i64 {
    app.gql("{ auditEvents { totalCount } }", json!({}))
        .await
        .data()["auditEvents"]["totalCount"]
        .as_i64()
        .unwrap()
}

/// Every write under an archived brand or community is `CONFLICT` and
/// writes nothing (not even its audit event).
async fn all_refused(app: &TestApp, writes: &[(&str, Value)], why: &str) {
    let before = audit_count(app).await;
    for (q, v) in writes {
        let a = app.gql(q, v.clone()).await;
        assert_eq!(a.code(), "CONFLICT", "{why}: {q}: {}", a.body);
    }
    assert_eq!(audit_count(app).await, before, "{why}: nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archived_brands_and_communities_are_read_only_on_every_write_path() {
    let app = TestApp::spawn().await;
    // A community archived on its own, in a live brand.
    let live = app.create_brand("Live").await;
    let closed = community(&app, &live, "Closed club").await;
    let (member, _) = {
        let a = app
            .gql(
                "mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }",
                json!({ "i": { "brandId": live, "identities": [{ "platform": "DISCORD", "externalId": "ana" }] } }),
            )
            .await;
        (
            a.data()["createMember"]["id"].as_str().unwrap().to_string(),
            (),
        )
    };
    app.gql(
        "mutation($id: ID!) { changeCommunityStatus(id: $id, status: ARCHIVED) { status } }",
        json!({ "id": closed }),
    )
    .await
    .data();
    let under_community = |c: &str| -> Vec<(&'static str, Value)> {
        vec![
            (INGEST, json!({ "i": { "communityId": c, "rows": [row("x1", "bo", "message", 0)] } })),
            ("mutation($c: ID!) { createChannel(input: { communityId: $c, name: \"news\", kind: CHAT }) { id } }", json!({ "c": c })),
            ("mutation($c: ID!) { createFeedback(input: { communityId: $c, title: \"Hi\", category: FEATURE_REQUEST }) { id } }", json!({ "c": c })),
            ("mutation($c: ID!, $m: ID!) { setMembership(communityId: $c, memberId: $m) { communityId } }", json!({ "c": c, "m": member })),
            ("mutation($c: ID!, $i: UpdateCommunityInput!) { updateCommunity(id: $c, input: $i) { id } }", json!({ "c": c, "i": { "name": "Reopened" } })),
        ]
    };
    all_refused(&app, &under_community(&closed), "archived community").await;
    // The brand itself stays writable.
    community(&app, &live, "Still open").await;

    // A whole archived brand: everything under it, and its communities.
    let gone = app.create_brand("Gone").await;
    let open = community(&app, &gone, "Was open").await;
    app.gql(
        "mutation($id: ID!) { archiveBrand(id: $id) { status } }",
        json!({ "id": gone }),
    )
    .await
    .data();
    let mut writes = under_community(&open);
    writes.retain(|(q, _)| !q.contains("setMembership"));
    writes.extend([
        (CREATE, json!({ "i": { "brandId": gone, "name": "New", "purpose": "p", "kind": "PRODUCT", "platform": "DISCORD" } })),
        ("mutation($i: CreateMemberInput!) { createMember(input: $i) { id } }", json!({ "i": { "brandId": gone, "identities": [{ "platform": "DISCORD", "externalId": "cy" }] } })),
        ("mutation($b: ID!) { setActivityType(input: { brandId: $b, key: \"kudos\", name: \"Kudos\", weight: 3 }) { key } }", json!({ "b": gone })),
        ("mutation($b: ID!) { ingestCustomers(input: { brandId: $b, rows: [{ externalRef: \"c1\" }] }) { inserted } }", json!({ "b": gone })),
        ("mutation($b: ID!) { createIntegration(input: { brandId: $b, name: \"Bot\", scopes: [INGEST_ORDERS] }) { id } }", json!({ "b": gone })),
        ("mutation($b: ID!, $f: DateTime!, $t: DateTime!) { freezeImpactReport(brandId: $b, from: $f, to: $t) { id } }", json!({ "b": gone, "f": (Utc::now() - Duration::days(30)).to_rfc3339(), "t": Utc::now().to_rfc3339() })),
    ]);
    all_refused(&app, &writes, "archived brand").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_source_key_with_another_payload_is_a_conflict_but_a_replay_after_erasure_is_not()
{
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail").await;
    let mut first = row("k1", "ana", "message", 1);
    first["properties"] = json!({ "words": 12 });
    let batch = vec![first.clone(), row("k2", "bo", "message", 1)];
    assert_eq!(ingest(&app, &c, batch.clone()).await["inserted"], 2);
    let q = "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted duplicates rejected { index field code } } }";
    let mut changed = first.clone();
    changed["kind"] = json!("reaction");
    let a = app
        .gql(
            q,
            json!({ "i": { "communityId": c, "rows": [row("k3", "cy", "message", 0), changed] } }),
        )
        .await;
    let r = &a.data()["ingestActivities"];
    assert_eq!(r["inserted"], 0, "{r}");
    assert_eq!(
        r["rejected"],
        json!([{ "index": 1, "field": "rows.1.sourceKey", "code": "CONFLICT" }])
    );

    // Erasure changes the stored rows, not what they arrived as: the
    // original batch replayed is still a replay.
    let list = app
        .gql(
            "query($c: ID!) { communityMembers(communityId: $c) { edges { node { memberId } } } }",
            json!({ "c": c }),
        )
        .await;
    for e in list.data()["communityMembers"]["edges"].as_array().unwrap() {
        app.gql(
            "mutation($id: ID!) { eraseMember(id: $id) { id } }",
            json!({ "id": e["node"]["memberId"] }),
        )
        .await
        .data();
    }
    let replay = app
        .gql(q, json!({ "i": { "communityId": c, "rows": batch } }))
        .await;
    let r = &replay.data()["ingestActivities"];
    assert_eq!(r["rejected"], json!([]), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_with_the_same_new_identities_leave_no_orphan_members() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn_with(|s| s.server.workers = Some(4)).await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail").await;
    let rows: Vec<Value> = (0..400)
        .map(|i| row(&format!("k{i}"), &format!("user{i}"), "message", 0))
        .collect();
    let sends = (0..4).map(|_| ingest(&app, &c, rows.clone()));
    let results = futures_util::future::join_all(sends).await;
    let inserted: i64 = results
        .iter()
        .map(|r| r["inserted"].as_i64().unwrap())
        .sum();
    let created: i64 = results
        .iter()
        .map(|r| r["membersCreated"].as_i64().unwrap())
        .sum();
    assert_eq!(inserted, 400, "each activity stored once");
    assert_eq!(created, 400, "each member created once");
    let db = &app.context.db;
    let orphans = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM member m WHERE NOT EXISTS \
             (SELECT 1 FROM member_identity i WHERE i.member_id = m.id)",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(orphans, 0);
    let total = app
        .gql(
            "query($c: ID!) { communityMembers(communityId: $c) { totalCount } }",
            json!({ "c": c }),
        )
        .await;
    assert_eq!(total.data()["communityMembers"]["totalCount"], 400);
}

const BRAND_COMMUNITIES: &str = "query($n: Int) { brands(first: 20, orderBy: NAME_ASC) { edges { node { name communities(first: $n) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } } } } }";

/// Each brand's communities as (name, totalCount, hasNextPage, names).
fn brand_communities(a: &Answer) -> Vec<(String, u64, bool, Vec<String>)> {
    a.data()["brands"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let c = &e["node"]["communities"];
            (
                e["node"]["name"].as_str().unwrap().to_string(),
                c["totalCount"].as_u64().unwrap(),
                c["pageInfo"]["hasNextPage"].as_bool().unwrap(),
                c["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"]["name"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brands_list_their_newest_communities_in_fixed_statements_and_only_in_scope() {
    let app = TestApp::spawn().await;
    let alpha = app.create_brand("Alpha").await;
    let beta = app.create_brand("Beta").await;
    app.create_brand("Gamma").await;
    for n in 1..=3 {
        community(&app, &alpha, &format!("A{n}")).await;
    }
    for n in 1..=2 {
        community(&app, &beta, &format!("B{n}")).await;
    }

    let mut counts = Vec::new();
    for n in [2, 100] {
        let before = app.statements().await;
        let a = app.gql(BRAND_COMMUNITIES, json!({ "n": n })).await;
        counts.push(app.statements().await - before);
        let page = brand_communities(&a);
        if n == 2 {
            // Newest first, two per brand; Alpha has a third.
            assert_eq!(
                page,
                vec![
                    ("Alpha".into(), 3, true, vec!["A3".into(), "A2".into()]),
                    ("Beta".into(), 2, false, vec!["B2".into(), "B1".into()]),
                    ("Gamma".into(), 0, false, vec![]),
                ]
            );
            // The nested cursor continues in `communities`.
            let cursor = a.data()["brands"]["edges"][0]["node"]["communities"]["pageInfo"]
                ["endCursor"]
                .clone();
            let rest = app
                .gql(
                    "query($b: ID!, $after: String) { communities(first: 5, after: $after, filter: { brandId: $b }) { edges { node { name } } } }",
                    json!({ "b": alpha, "after": cursor }),
                )
                .await;
            assert_eq!(
                rest.data()["communities"]["edges"],
                json!([{ "node": { "name": "A1" } }])
            );
        } else {
            assert_eq!(page[0].3, vec!["A3", "A2", "A1"]);
        }
    }
    // brands, their communities, the community counts: the same for 2 and 100.
    assert_eq!(counts, vec![3.0, 3.0]);

    // A client of Beta and a consultant of Alpha see their brand alone.
    let (_, client) = app.user_token("CLIENT", Some(&beta)).await;
    let a = app
        .gql_as(Some(&client), BRAND_COMMUNITIES, json!({ "n": 20 }))
        .await;
    assert_eq!(
        brand_communities(&a),
        vec![("Beta".into(), 2, false, vec!["B2".into(), "B1".into()])]
    );
    let (_, consultant) = app.consultant_for(&[&alpha]).await;
    let a = app
        .gql_as(Some(&consultant), BRAND_COMMUNITIES, json!({ "n": 20 }))
        .await;
    assert_eq!(
        brand_communities(&a),
        vec![(
            "Alpha".into(),
            3,
            false,
            vec!["A3".into(), "A2".into(), "A1".into()]
        )]
    );
    // Another brand by id is not found, communities included.
    let a = app
        .gql_as(
            Some(&client),
            "query($b: ID!) { brand(id: $b) { communities { totalCount } } }",
            json!({ "b": alpha }),
        )
        .await;
    assert_eq!(a.code(), "NOT_FOUND", "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn community_pages_show_every_field_as_the_community_itself_does() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let audience = app
        .gql(
            "mutation($i: CreateAudienceInput!) { createAudience(input: $i) { id } }",
            json!({ "i": { "brandId": brand, "name": "Trail runners", "interests": ["hiking"] } }),
        )
        .await
        .data()["createAudience"]["id"]
        .clone();
    // One community with every optional column set (cadence, audience and
    // its frozen recommendation included), one with none.
    let full = app
        .gql(
            CREATE,
            json!({ "i": { "brandId": brand, "name": "Full", "purpose": "Everything set", "kind": "LIFESTYLE",
                    "platform": "SLACK", "platformUrl": "https://acme.slack.com", "targetSize": 150,
                    "timeZone": "Europe/Paris", "audienceId": audience,
                    "cadence": { "maxPromptsPerWeek": 3, "minGapHours": 12, "quietHoursStart": 22, "quietHoursEnd": 7 } } }),
        )
        .await;
    let full = full.data()["createCommunity"]["id"].clone();
    let bare = community(&app, &brand, "Bare").await;

    let fields = "id brandId name purpose kind platform platformUrl status targetSize timeZone cadence { maxPromptsPerWeek minGapHours quietHoursStart quietHoursEnd } version createdAt updatedAt audienceId recommendation { audienceId computedAt platforms { platform } }";
    // The community's own query reads its row by column name; the pages
    // read theirs by position.
    let mut own = Vec::new();
    for id in [bare.clone().into(), full.clone()] {
        let a = app
            .gql(
                &format!("query($id: ID!) {{ community(id: $id) {{ {fields} }} }}"),
                json!({ "id": id }),
            )
            .await;
        own.push(a.data()["community"].clone());
    }
    assert_eq!(own[1]["platformUrl"], "https://acme.slack.com");
    assert_eq!(own[1]["cadence"]["quietHoursEnd"], 7);
    assert_eq!(own[1]["audienceId"], audience);
    assert!(own[1]["recommendation"]["computedAt"].is_string());
    assert_eq!(own[0]["targetSize"], Value::Null);
    assert_eq!(own[0]["cadence"], Value::Null);
    assert_eq!(own[0]["recommendation"], Value::Null);

    let listed = app
        .gql(
            &format!("{{ communities(first: 5) {{ edges {{ node {{ {fields} }} }} }} }}"),
            json!({}),
        )
        .await;
    let nested = app
        .gql(
            &format!("{{ brands(first: 5) {{ edges {{ node {{ communities(first: 5) {{ edges {{ node {{ {fields} }} }} }} }} }} }} }}"),
            json!({}),
        )
        .await;
    // Newest first: Bare, then Full.
    let pages = [
        listed.data()["communities"]["edges"].clone(),
        nested.data()["brands"]["edges"][0]["node"]["communities"]["edges"].clone(),
    ];
    for edges in pages {
        let nodes: Vec<&Value> = edges
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .collect();
        assert_eq!(nodes, vec![&own[0], &own[1]]);
    }
}
