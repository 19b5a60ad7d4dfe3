//! Audience research: audiences, codebook, findings (ingest, tagging,
//! full-text search), gathering places, insights, suggestions, the
//! recommendation, and brand scope.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};

use crate::helpers::TestApp;

const AUDIENCE: &str = "mutation($i: CreateAudienceInput!) { createAudience(input: $i) { id version status interests ageBands } }";
const TAG: &str = "mutation($i: CreateResearchTagInput!) { createResearchTag(input: $i) { id key keywords version } }";
const INGEST: &str = "mutation($i: IngestFindingsInput!) { ingestFindings(input: $i) { inserted duplicates rejected { index field code reason } } }";
const PLACE: &str =
    "mutation($i: CreateGatheringPlaceInput!) { createGatheringPlace(input: $i) { id version } }";

async fn audience(app: &TestApp, brand: &str, name: &str) -> String {
    let a = app
        .gql(
            AUDIENCE,
            json!({ "i": { "brandId": brand, "name": name, "interests": ["hiking"] } }),
        )
        .await;
    a.data()["createAudience"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn tag(app: &TestApp, brand: &str, key: &str, kind: &str, keywords: &[&str]) -> String {
    let a = app
        .gql(TAG, json!({ "i": { "brandId": brand, "key": key, "label": key, "kind": kind, "keywords": keywords } }))
        .await;
    a.data()["createResearchTag"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn finding(id: &str, source: &str, text: &str, sentiment: f64, days_ago: i64) -> Value {
    json!({ "externalId": id, "source": source, "text": text, "sentiment": sentiment,
            "collectedAt": (Utc::now() - Duration::days(days_ago)).to_rfc3339() })
}

async fn ingest(app: &TestApp, audience: &str, rows: Vec<Value>) -> Value {
    app.gql(
        INGEST,
        json!({ "i": { "audienceId": audience, "rows": rows } }),
    )
    .await
    .data()["ingestFindings"]
        .clone()
}

async fn tags_of(app: &TestApp, id: String) -> Value {
    let q = "query($id: ID!) { finding(id: $id) { tags { tag { key } taggedBy } } }";
    app.gql(q, json!({ "id": id })).await.data()["finding"]["tags"].clone()
}

fn texts(a: &Value, field: &str) -> Vec<String> {
    a[field]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audiences_are_validated_versioned_and_read_only_for_clients() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let a = app
        .gql(AUDIENCE, json!({ "i": { "brandId": brand, "name": "Weekend hikers", "ageBands": ["25-34", "65+"],
            "languages": ["en", "fr-CA"], "interests": ["hiking", "hiking", "gear"], "estimatedSize": 40000 } }))
        .await;
    let created = &a.data()["createAudience"];
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(
        created["interests"],
        json!(["hiking", "gear"]),
        "repeats dropped"
    );
    let id = created["id"].as_str().unwrap();

    for (input, field) in [
        (
            json!({ "brandId": brand, "name": "x", "ageBands": ["34-25"] }),
            "input.ageBands.0",
        ),
        (
            json!({ "brandId": brand, "name": "x", "languages": ["english"] }),
            "input.languages.0",
        ),
        (
            json!({ "brandId": brand, "name": "x", "estimatedSize": 0 }),
            "input.estimatedSize",
        ),
        (json!({ "brandId": brand, "name": " " }), "input.name"),
        (json!({ "brandId": brand, "name": "Weekend hikers" }), ""),
    ] {
        let bad = app.gql(AUDIENCE, json!({ "i": input })).await;
        if field.is_empty() {
            assert_eq!(bad.code(), "CONFLICT", "{}", bad.body);
        } else {
            assert_eq!(bad.code(), "BAD_USER_INPUT", "{}", bad.body);
            assert_eq!(bad.body["errors"][0]["extensions"]["field"], field);
        }
    }
    let list = app
        .gql(
            "query($b: ID!) { audiences(filter: { brandId: $b }) { totalCount } }",
            json!({ "b": brand }),
        )
        .await;
    assert_eq!(
        list.data()["audiences"]["totalCount"],
        1,
        "nothing written by bad input"
    );

    let update = "mutation($id: ID!, $v: Int) { updateAudience(id: $id, input: { status: ACTIVE, goals: [\"go further\"], expectedVersion: $v }) { version status goals } }";
    let u = app.gql(update, json!({ "id": id, "v": 1 })).await;
    assert_eq!(u.data()["updateAudience"]["version"], 2);
    assert_eq!(u.data()["updateAudience"]["goals"], json!(["go further"]));
    let stale = app.gql(update, json!({ "id": id, "v": 1 })).await;
    assert_eq!(stale.code(), "CONFLICT");

    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let read = app
        .gql_as(
            Some(&client),
            "query($id: ID!) { audience(id: $id) { name status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read.data()["audience"]["status"], "ACTIVE");
    let write = app
        .gql_as(Some(&client), update, json!({ "id": id, "v": 2 }))
        .await;
    assert_eq!(write.code(), "FORBIDDEN");
    let t = app
        .gql_as(Some(&client), TAG, json!({ "i": { "brandId": brand, "key": "price", "label": "Price", "kind": "PAIN_POINT", "keywords": ["price"] } }))
        .await;
    assert_eq!(t.code(), "FORBIDDEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_are_tagged_by_rule_and_by_people() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let aud = audience(&app, &brand, "Hikers").await;
    tag(
        &app,
        &brand,
        "durability",
        "PRODUCT_THEME",
        &["durable", "lasts long"],
    )
    .await;
    let f = app
        .gql(
            "mutation($i: CreateFindingInput!) { createFinding(input: $i) { id recordedBy { userId } tags { tag { key } taggedBy } } }",
            json!({ "i": { "audienceId": aud, "source": "INTERVIEW", "text": "My boots are DURABLE and the sole lasts long." } }),
        )
        .await;
    let f = f.data()["createFinding"].clone();
    assert_eq!(
        f["tags"],
        json!([{ "tag": { "key": "durability" }, "taggedBy": "RULE" }])
    );
    assert!(f["recordedBy"]["userId"].is_string());
    let id = f["id"].as_str().unwrap();
    // "durability" is not the keyword "durable": whole words only.
    let r = ingest(
        &app,
        &aud,
        vec![finding(
            "s1",
            "SURVEY",
            "Durability matters, price too",
            0.1,
            1,
        )],
    )
    .await;
    assert_eq!(r["inserted"], 1);

    // A new tag tags the findings already stored.
    tag(&app, &brand, "price", "PAIN_POINT", &["price", "expensive"]).await;
    let stored = app
        .gql("query($a: ID!) { findings(audienceId: $a, search: \"price\") { edges { node { id tags { tag { key } taggedBy } } } } }", json!({ "a": aud }))
        .await;
    assert_eq!(
        stored.data()["findings"]["edges"][0]["node"]["tags"],
        json!([{ "tag": { "key": "price" }, "taggedBy": "RULE" }])
    );

    // A person sets price on the first finding; the rule tag stays.
    let set = app
        .gql(
            "mutation($id: ID!) { setFindingTags(id: $id, tags: [\"price\"]) { id } }",
            json!({ "id": id }),
        )
        .await;
    set.data();
    assert_eq!(
        tags_of(&app, id.to_string()).await,
        json!([{ "tag": { "key": "durability" }, "taggedBy": "RULE" }, { "tag": { "key": "price" }, "taggedBy": "PERSON" }])
    );
    let unknown = app
        .gql(
            "mutation($id: ID!) { setFindingTags(id: $id, tags: [\"nope\"]) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(unknown.code(), "BAD_USER_INPUT");
    assert_eq!(unknown.body["errors"][0]["extensions"]["field"], "tags.0");
    // Cleared by the person: only the rule tag is left.
    app.gql(
        "mutation($id: ID!) { setFindingTags(id: $id, tags: []) { id } }",
        json!({ "id": id }),
    )
    .await
    .data();
    assert_eq!(
        tags_of(&app, id.to_string()).await,
        json!([{ "tag": { "key": "durability" }, "taggedBy": "RULE" }])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_is_idempotent_all_or_nothing_and_scoped() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let aud = audience(&app, &brand, "Hikers").await;
    tag(&app, &brand, "repair", "GOAL", &["repair"]).await;
    let (_, token, _) = app.integration_token(&brand, &["INGEST_RESEARCH"]).await;
    let (_, orders_only, _) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    let rows = vec![
        finding("r1", "REVIEW", "I want to repair my own jacket", 0.5, 3),
        json!({ "externalId": "r2", "source": "SURVEY", "text": "Too pricey", "collectedAt": Utc::now().to_rfc3339(), "tags": ["repair"], "weight": 2.0 }),
    ];
    let call = |token: Option<String>, rows: Vec<Value>, mode: &str| {
        let app = &app;
        let aud = aud.clone();
        let mode = mode.to_string();
        async move {
            app.gql_as(
                token.as_deref(),
                INGEST,
                json!({ "i": { "audienceId": aud, "rows": rows, "mode": mode } }),
            )
            .await
        }
    };
    let first = call(Some(token.clone()), rows.clone(), "ALL_OR_NOTHING").await;
    assert_eq!(first.data()["ingestFindings"]["inserted"], 2);
    let replay = call(Some(token.clone()), rows.clone(), "ALL_OR_NOTHING").await;
    assert_eq!(replay.data()["ingestFindings"]["inserted"], 0);
    assert_eq!(replay.data()["ingestFindings"]["duplicates"], 2);

    // A reused id with another text, and a bad row: nothing is written.
    let bad = vec![
        finding("r3", "DESK", "New and fine", 0.0, 1),
        finding("r1", "REVIEW", "Changed text", 0.5, 3),
        finding("r4", "DESK", "Too positive", 3.0, 1),
        json!({ "externalId": "r5", "source": "DESK", "text": "x", "collectedAt": Utc::now().to_rfc3339(), "tags": ["nope"] }),
    ];
    let r = call(Some(token.clone()), bad.clone(), "ALL_OR_NOTHING").await;
    let r = &r.data()["ingestFindings"];
    assert_eq!(r["inserted"], 0);
    let fields: Vec<&str> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["rows.2.sentiment", "rows.3.tags"]);
    let r = call(Some(token.clone()), bad, "PER_ROW").await;
    let r = &r.data()["ingestFindings"];
    assert_eq!(r["inserted"], 1, "{r}");
    let codes: Vec<(&str, &str)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["field"].as_str().unwrap(), x["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("rows.1.externalId", "CONFLICT"),
            ("rows.2.sentiment", "BAD_USER_INPUT"),
            ("rows.3.tags", "BAD_USER_INPUT")
        ]
    );

    let count = app
        .gql("query($a: ID!) { findings(audienceId: $a) { totalCount edges { node { externalId weight recordedBy { integrationId } tags { tag { key } taggedBy } } } } }", json!({ "a": aud }))
        .await;
    let c = &count.data()["findings"];
    assert_eq!(c["totalCount"], 3);
    let r2 = c["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["externalId"] == "r2")
        .unwrap();
    assert_eq!(r2["node"]["weight"], 2.0);
    assert!(r2["node"]["recordedBy"]["integrationId"].is_string());
    assert_eq!(
        r2["node"]["tags"],
        json!([{ "tag": { "key": "repair" }, "taggedBy": "PERSON" }])
    );

    let forbidden = call(Some(orders_only), rows.clone(), "ALL_OR_NOTHING").await;
    assert_eq!(forbidden.code(), "FORBIDDEN");
    let too_many: Vec<Value> = (0..10_001)
        .map(|i| finding(&format!("m{i}"), "DESK", "x", 0.0, 1))
        .collect();
    let big = call(Some(token.clone()), too_many, "ALL_OR_NOTHING").await;
    assert_eq!(big.code(), "BAD_USER_INPUT");

    // Another brand's integration cannot see this audience.
    let other = app.create_brand("Other").await;
    let (_, other_token, _) = app.integration_token(&other, &["INGEST_RESEARCH"]).await;
    let cross = call(Some(other_token), rows, "ALL_OR_NOTHING").await;
    assert_eq!(cross.code(), "NOT_FOUND");

    // Archived audiences take no new evidence.
    app.gql(
        "mutation($id: ID!) { updateAudience(id: $id, input: { status: ARCHIVED }) { id } }",
        json!({ "id": aud }),
    )
    .await
    .data();
    let archived = call(
        Some(token),
        vec![finding("r9", "DESK", "late", 0.0, 1)],
        "ALL_OR_NOTHING",
    )
    .await;
    assert_eq!(archived.code(), "CONFLICT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_text_search_ranks_filters_and_pages() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let aud = audience(&app, &brand, "Hikers").await;
    tag(&app, &brand, "repair", "GOAL", &["repair", "repairs"]).await;
    ingest(
        &app,
        &aud,
        vec![
            finding(
                "a",
                "REVIEW",
                "Repairs, repairs and more repairs for the boots",
                0.2,
                5,
            ),
            finding(
                "b",
                "SURVEY",
                "I repaired the tent once, the zipper broke",
                -0.4,
                4,
            ),
            finding(
                "c",
                "INTERVIEW",
                "Spare parts are hard to find for old stoves",
                -0.8,
                3,
            ),
            finding(
                "d",
                "SOCIAL_LISTENING",
                "Cheap repair kits fail, spare parts matter",
                -0.2,
                2,
            ),
            finding("e", "REVIEW", "Great colours and a nice fit", 0.9, 1),
        ],
    )
    .await;
    let search = |s: &str, filter: Value| {
        let app = &app;
        let (aud, s) = (aud.clone(), s.to_string());
        async move {
            app.gql(
                "query($a: ID!, $s: String, $f: FindingFilter) { findings(audienceId: $a, search: $s, filter: $f) { totalCount edges { node { text relevance } } } }",
                json!({ "a": aud, "s": s, "f": filter }),
            )
            .await
        }
    };
    // Stemming: repair, repairs and repaired all match; three mentions rank first.
    let r = search("repair", Value::Null).await;
    let found = texts(r.data(), "findings");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].starts_with("Repairs, repairs"), "{found:?}");
    let ranks: Vec<f64> = r.data()["findings"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["relevance"].as_f64().unwrap())
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] >= w[1]) && ranks[0] > ranks[2],
        "{ranks:?}"
    );
    // A phrase needs its words side by side; `or` and `-` as on the web.
    assert_eq!(
        texts(
            search("\"spare parts\"", Value::Null).await.data(),
            "findings"
        )
        .len(),
        2
    );
    assert_eq!(
        texts(
            search("\"parts spare\"", Value::Null).await.data(),
            "findings"
        )
        .len(),
        0
    );
    let either = texts(
        search("zipper or colours", Value::Null).await.data(),
        "findings",
    );
    assert_eq!(either.len(), 2, "{either:?}");
    let not_cheap = texts(
        search("spare parts -cheap", Value::Null).await.data(),
        "findings",
    );
    assert_eq!(not_cheap, ["Spare parts are hard to find for old stoves"]);
    // Stop words are ignored as on PostgreSQL; a search of nothing else is refused.
    assert_eq!(
        texts(search("the zipper", Value::Null).await.data(), "findings").len(),
        1
    );
    let empty = search("the and of", Value::Null).await;
    assert_eq!(empty.code(), "BAD_USER_INPUT");
    assert_eq!(empty.body["errors"][0]["extensions"]["field"], "search");
    assert_eq!(search("-cheap", Value::Null).await.code(), "BAD_USER_INPUT");

    // Filters combine with the search.
    let f = search(
        "repair or parts",
        json!({ "sources": ["REVIEW", "SOCIAL_LISTENING"], "sentimentMax": 0.0 }),
    )
    .await;
    assert_eq!(
        texts(f.data(), "findings"),
        ["Cheap repair kits fail, spare parts matter"]
    );
    let tagged = search("", json!({ "tags": ["repair"] })).await;
    // Rule-tagged by the whole words "repair" or "repairs" (not "repaired"), newest first.
    assert_eq!(
        texts(tagged.data(), "findings"),
        [
            "Cheap repair kits fail, spare parts matter",
            "Repairs, repairs and more repairs for the boots"
        ]
    );
    let bad = search("", json!({ "sentimentMin": -2.0 })).await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");

    // Pages of a search follow the ranking without repeats.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let p = app
            .gql(
                "query($a: ID!, $after: String) { findings(audienceId: $a, search: \"repair or parts or colours\", first: 2, after: $after) { pageInfo { hasNextPage endCursor } edges { node { text } } } }",
                json!({ "a": aud, "after": after }),
            )
            .await;
        let page = &p.data()["findings"];
        seen.extend(texts(p.data(), "findings"));
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(String::from);
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 5);
    // A cursor of the newest-first order does not page a search.
    let newest = app
        .gql(
            "query($a: ID!) { findings(audienceId: $a, first: 1) { pageInfo { endCursor } } }",
            json!({ "a": aud }),
        )
        .await;
    let cursor = newest.data()["findings"]["pageInfo"]["endCursor"].clone();
    let mixed = app
        .gql("query($a: ID!, $c: String) { findings(audienceId: $a, search: \"repair\", after: $c) { totalCount } }", json!({ "a": aud, "c": cursor }))
        .await;
    assert_eq!(mixed.code(), "BAD_USER_INPUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insights_and_suggested_tags_match_hand_counts() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let aud = audience(&app, &brand, "Hikers").await;
    tag(&app, &brand, "durability", "PRODUCT_THEME", &["durable"]).await;
    tag(&app, &brand, "price", "PAIN_POINT", &["price"]).await;
    let at = |m: u32, d: u32| {
        Utc.with_ymd_and_hms(2026, m, d, 12, 0, 0)
            .unwrap()
            .to_rfc3339()
    };
    let row = |id: &str, source: &str, platform: &str, text: &str, s: f64, w: f64, when: String| json!({ "externalId": id, "source": source, "platform": platform, "text": text, "sentiment": s, "weight": w, "collectedAt": when });
    ingest(
        &app,
        &aud,
        vec![
            row(
                "1",
                "SURVEY",
                "REDDIT",
                "durable boots, fair price",
                0.6,
                1.0,
                at(9, 3),
            ),
            row(
                "2",
                "REVIEW",
                "REDDIT",
                "durable pack with lightweight frame",
                0.2,
                3.0,
                at(9, 20),
            ),
            row(
                "3",
                "REVIEW",
                "FORUM",
                "price is too high for lightweight gear",
                -0.8,
                1.0,
                at(10, 5),
            ),
            row(
                "4",
                "SURVEY",
                "DISCORD",
                "lightweight and durable, love it",
                1.0,
                2.0,
                at(10, 9),
            ),
            // Outside the period.
            row(
                "5",
                "DESK",
                "REDDIT",
                "durable durable durable",
                0.0,
                1.0,
                at(6, 1),
            ),
        ],
    )
    .await;
    let q = "query($a: ID!, $from: DateTime, $to: DateTime) { audienceInsights(audienceId: $a, from: $from, to: $to) {
        findings sources
        tags { key findings sources meanSentiment meanWeight totalWeight }
        platforms { platform findings share }
        sentimentByMonth { key month findings meanSentiment } } }";
    let i = app
        .gql(q, json!({ "a": aud, "from": at(9, 1), "to": at(11, 1) }))
        .await;
    let i = &i.data()["audienceInsights"];
    // Four findings in September-October from SURVEY and REVIEW.
    assert_eq!(i["findings"], 4);
    assert_eq!(i["sources"], 2);
    // durability: findings 1, 2, 4: sources SURVEY, REVIEW; sentiment (0.6 + 0.2 + 1.0)/3 = 0.6;
    // weight mean (1 + 3 + 2)/3 = 2, total 6. price: findings 1, 3: sentiment (0.6 - 0.8)/2 = -0.1,
    // weight mean 1, total 2.
    let close = |v: &Value, x: f64| assert!((v.as_f64().unwrap() - x).abs() < 1e-9, "{v} != {x}");
    assert_eq!(i["tags"][0]["key"], "durability");
    assert_eq!(i["tags"][0]["findings"], 3);
    assert_eq!(i["tags"][0]["sources"], 2);
    close(&i["tags"][0]["meanSentiment"], 0.6);
    close(&i["tags"][0]["meanWeight"], 2.0);
    close(&i["tags"][0]["totalWeight"], 6.0);
    assert_eq!(i["tags"][1]["key"], "price");
    close(&i["tags"][1]["meanSentiment"], -0.1);
    // Platforms: REDDIT 2 of 4 = 0.5, DISCORD 1/4, FORUM 1/4 (ties by name).
    assert_eq!(
        i["platforms"],
        json!([{ "platform": "REDDIT", "findings": 2, "share": 0.5 }, { "platform": "DISCORD", "findings": 1, "share": 0.25 }, { "platform": "FORUM", "findings": 1, "share": 0.25 }])
    );
    // durability by month: 2026-09 findings 1, 2: (0.6 + 0.2)/2 = 0.4; 2026-10 finding 4: 1.0.
    let months = i["sentimentByMonth"].as_array().unwrap();
    assert_eq!(months.len(), 4, "{months:?}");
    assert_eq!(months[0]["key"], "durability");
    assert_eq!(months[0]["month"], "2026-09");
    assert_eq!(months[0]["findings"], 2);
    close(&months[0]["meanSentiment"], 0.4);
    assert_eq!(months[1]["month"], "2026-10");
    close(&months[1]["meanSentiment"], 1.0);
    let backwards = app
        .gql(q, json!({ "a": aud, "from": at(11, 1), "to": at(9, 1) }))
        .await;
    assert_eq!(backwards.code(), "BAD_USER_INPUT");

    // Suggestions: words in 2+ findings that no key or keyword covers.
    // "lightweight" is in findings 2, 3, 4; durable and price are keywords; "and",
    // "for", "is", "too", "with", "it" are stop words or shorter than 3.
    let s = app
        .gql("query($a: ID!) { suggestedTags(audienceId: $a, first: 5) { totalCount edges { node { term findings } } } }", json!({ "a": aud }))
        .await;
    assert_eq!(s.data()["suggestedTags"]["totalCount"], 1);
    assert_eq!(
        s.data()["suggestedTags"]["edges"][0]["node"],
        json!({ "term": "lightweight", "findings": 3 })
    );
    tag(&app, &brand, "weight", "PRODUCT_THEME", &["lightweight"]).await;
    let s = app
        .gql(
            "query($a: ID!) { suggestedTags(audienceId: $a) { totalCount } }",
            json!({ "a": aud }),
        )
        .await;
    assert_eq!(s.data()["suggestedTags"]["totalCount"], 0, "covered now");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recommendation_is_explained_and_frozen_on_the_community() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let aud = audience(&app, &brand, "weekend hikers").await;
    tag(&app, &brand, "trails", "INTEREST", &["trail", "trails"]).await;
    tag(&app, &brand, "nature", "VALUE", &["nature"]).await;
    tag(&app, &brand, "durability", "PRODUCT_THEME", &["durable"]).await;
    // Findings (weight 1 each): 3 × trails only, 1 × trails + nature, 1 × durable only.
    let rows = vec![
        finding("1", "SURVEY", "new trails every weekend", 0.5, 1),
        finding("2", "INTERVIEW", "we map trails together", 0.5, 1),
        finding("3", "SURVEY", "trail running too", 0.5, 1),
        finding("4", "REVIEW", "trails through nature reserves", 0.5, 1),
        json!({ "externalId": "5", "source": "REVIEW", "platform": "REDDIT", "text": "durable soles", "collectedAt": Utc::now().to_rfc3339() }),
    ];
    ingest(&app, &aud, rows).await;
    app.gql(PLACE, json!({ "i": { "audienceId": aud, "platform": "REDDIT", "name": "r/hiking", "audienceShare": 0.4, "postsPerWeek": 200.0 } }))
        .await
        .data();
    let place = app
        .gql(PLACE, json!({ "i": { "audienceId": aud, "platform": "DISCORD", "name": "Trail club", "audienceShare": 0.1, "postsPerWeek": 50.0, "brandPresent": true } }))
        .await;
    let discord_place = place.data()["createGatheringPlace"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = app
        .gql(PLACE, json!({ "i": { "audienceId": aud, "platform": "DISCORD", "name": "x", "audienceShare": 1.5 } }))
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");

    let q = "query($a: ID!) { communityRecommendation(audienceId: $a) { findings taggedFindings gatheringPlaces purpose
        purposeEvidence { key kind findings weight }
        communityTypes { kind score explanation confidence { level findings sources } contributions { findingId amount reason } remainder { count amount } }
        platforms { platform score explanation confidence { level findings gatheringPlaces sources } contributions { findingId gatheringPlaceId amount } remainder { amount } } } }";
    let r = app.gql(q, json!({ "a": aud })).await;
    let r = r.data()["communityRecommendation"].clone();
    let close = |v: &Value, x: f64| assert!((v.as_f64().unwrap() - x).abs() < 1e-9, "{v} != {x}");
    assert_eq!(r["findings"], 5);
    assert_eq!(r["taggedFindings"], 5);
    // W = 5. LIFESTYLE (trails): 1 + 1 + 1 + 1/2 = 3.5 → 0.7. CAUSE (nature): 1/2 → 0.1.
    // PRODUCT (durability): 1 → 0.2.
    let types = r["communityTypes"].as_array().unwrap();
    assert_eq!(
        types
            .iter()
            .map(|t| t["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["LIFESTYLE", "PRODUCT", "CAUSE"]
    );
    close(&types[0]["score"], 0.7);
    close(&types[1]["score"], 0.2);
    close(&types[2]["score"], 0.1);
    for t in types {
        let sum: f64 = t["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["amount"].as_f64().unwrap())
            .sum::<f64>()
            + t["remainder"]["amount"].as_f64().unwrap();
        close(&json!(sum), t["score"].as_f64().unwrap());
    }
    assert_eq!(types[0]["explanation"], "70% of the tagged evidence points to a lifestyle community (4 findings from 3 sources), led by \"trails\".");
    // Four findings, under the minimum of 10.
    assert_eq!(types[0]["confidence"]["level"], "INSUFFICIENT");
    // Platforms. Findings with a platform weigh 1 (finding 5, REDDIT); busiest platform REDDIT, 200 posts.
    // REDDIT: 0.5·0.4 + 0.2·200/200 + 0.2·1/1 + 0.1·0 = 0.6.
    // DISCORD: 0.5·0.1 + 0.2·50/200 + 0 + 0.1·1 = 0.05 + 0.05 + 0.1 = 0.2.
    let p = r["platforms"].as_array().unwrap();
    assert_eq!(p[0]["platform"], "REDDIT");
    close(&p[0]["score"], 0.6);
    assert_eq!(p[1]["platform"], "DISCORD");
    close(&p[1]["score"], 0.2);
    assert_eq!(
        p[1]["contributions"][0]["gatheringPlaceId"],
        discord_place.as_str()
    );
    // REDDIT: one place and one finding of REVIEW: 2 items < 3.
    assert_eq!(p[0]["confidence"]["level"], "INSUFFICIENT");
    assert_eq!(p[0]["confidence"]["sources"], 2);
    // Purpose: strongest interest trails (3.5), value nature (0.5), no goal.
    assert_eq!(
        r["purpose"],
        "A community where weekend hikers share their interest in trails and stand for nature."
    );
    assert_eq!(r["purposeEvidence"][0]["key"], "trails");
    close(&r["purposeEvidence"][0]["weight"], 3.5);

    // A community built for the audience keeps the recommendation it followed.
    let create = "mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { id audienceId recommendation { platforms { platform score } }
        setupChecklist { items { key done } purposeEvidence { key } } } }";
    let c = app
        .gql(create, json!({ "i": { "brandId": brand, "name": "Trail club", "purpose": "Trails", "kind": "LIFESTYLE", "platform": "DISCORD", "audienceId": aud } }))
        .await;
    let c = c.data()["createCommunity"].clone();
    assert_eq!(c["audienceId"], aud.as_str());
    assert_eq!(c["recommendation"]["platforms"][0]["platform"], "REDDIT");
    let item = |c: &Value, key: &str| {
        c["setupChecklist"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == key)
            .unwrap()["done"]
            .clone()
    };
    // DISCORD is not the recommended platform, but the audience gathers there.
    assert_eq!(item(&c, "PLATFORM_WHERE_AUDIENCE_GATHERS"), true);
    assert_eq!(
        c["setupChecklist"]["purposeEvidence"],
        json!([{ "key": "trails" }, { "key": "nature" }])
    );
    // Telegram: neither recommended nor a gathering place.
    let t = app
        .gql(create, json!({ "i": { "brandId": brand, "name": "Trail chat", "purpose": "Trails", "kind": "LIFESTYLE", "platform": "TELEGRAM", "audienceId": aud } }))
        .await;
    assert_eq!(
        item(
            &t.data()["createCommunity"],
            "PLATFORM_WHERE_AUDIENCE_GATHERS"
        ),
        false
    );
    // Frozen: new evidence changes today's recommendation, not the community's.
    app.gql(PLACE, json!({ "i": { "audienceId": aud, "platform": "SLACK", "name": "Slack", "audienceShare": 1.0, "postsPerWeek": 1000.0, "brandPresent": true } }))
        .await
        .data();
    let now = app.gql(q, json!({ "a": aud })).await;
    assert_eq!(
        now.data()["communityRecommendation"]["platforms"][0]["platform"],
        "SLACK"
    );
    let kept = app
        .gql(
            "query($id: ID!) { community(id: $id) { recommendation { platforms { platform } } } }",
            json!({ "id": c["id"] }),
        )
        .await;
    assert_eq!(
        kept.data()["community"]["recommendation"]["platforms"][0]["platform"],
        "REDDIT"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn research_of_another_brand_is_not_found() {
    let app = TestApp::spawn().await;
    let mine = app.create_brand("Mine").await;
    let theirs = app.create_brand("Theirs").await;
    let aud = audience(&app, &theirs, "Their audience").await;
    let tag_id = tag(&app, &theirs, "price", "PAIN_POINT", &["price"]).await;
    ingest(
        &app,
        &aud,
        vec![finding("1", "SURVEY", "price is high", 0.0, 1)],
    )
    .await;
    let f = app
        .gql(
            "query($a: ID!) { findings(audienceId: $a) { edges { node { id } } } }",
            json!({ "a": aud }),
        )
        .await;
    let finding_id = f.data()["findings"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let place = app
        .gql(
            PLACE,
            json!({ "i": { "audienceId": aud, "platform": "REDDIT", "name": "r/x" } }),
        )
        .await;
    let place_id = place.data()["createGatheringPlace"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let (_, consultant) = app.consultant_for(&[&mine]).await;
    let (_, client) = app.user_token("CLIENT", Some(&mine)).await;
    let reads = [
        (
            "query($id: ID!) { audience(id: $id) { id } }",
            json!({ "id": aud }),
        ),
        (
            "query($id: ID!) { finding(id: $id) { id } }",
            json!({ "id": finding_id }),
        ),
        (
            "query($id: ID!) { findings(audienceId: $id) { totalCount } }",
            json!({ "id": aud }),
        ),
        (
            "query($id: ID!) { findings(audienceId: $id, search: \"price\") { totalCount } }",
            json!({ "id": aud }),
        ),
        (
            "query($id: ID!) { gatheringPlaces(audienceId: $id) { totalCount } }",
            json!({ "id": aud }),
        ),
        (
            "query($id: ID!) { suggestedTags(audienceId: $id) { totalCount } }",
            json!({ "id": aud }),
        ),
        (
            "query($id: ID!) { audienceInsights(audienceId: $id) { findings } }",
            json!({ "id": aud }),
        ),
        (
            "query($id: ID!) { communityRecommendation(audienceId: $id) { findings } }",
            json!({ "id": aud }),
        ),
        (
            "query($id: ID!) { researchTags(brandId: $id) { totalCount } }",
            json!({ "id": theirs }),
        ),
    ];
    for token in [&consultant, &client] {
        for (q, v) in &reads {
            let a = app.gql_as(Some(token), q, v.clone()).await;
            assert_eq!(a.code(), "NOT_FOUND", "{q}: {}", a.body);
        }
        let list = app
            .gql_as(Some(token), "query { audiences { totalCount } }", json!({}))
            .await;
        assert_eq!(list.data()["audiences"]["totalCount"], 0);
    }
    let writes = [
        ("mutation($id: ID!) { updateAudience(id: $id, input: { name: \"x\" }) { id } }", json!({ "id": aud })),
        ("mutation($id: ID!) { updateResearchTag(id: $id, input: { label: \"x\" }) { id } }", json!({ "id": tag_id })),
        ("mutation($id: ID!) { setFindingTags(id: $id, tags: []) { id } }", json!({ "id": finding_id })),
        ("mutation($id: ID!) { updateGatheringPlace(id: $id, input: { name: \"x\" }) { id } }", json!({ "id": place_id })),
        ("mutation($id: ID!) { createFinding(input: { audienceId: $id, source: DESK, text: \"x\" }) { id } }", json!({ "id": aud })),
        ("mutation($id: ID!) { createGatheringPlace(input: { audienceId: $id, platform: REDDIT, name: \"x\" }) { id } }", json!({ "id": aud })),
        ("mutation($id: ID!) { ingestFindings(input: { audienceId: $id, rows: [] }) { inserted } }", json!({ "id": aud })),
        ("mutation($id: ID!) { createAudience(input: { brandId: $id, name: \"x\" }) { id } }", json!({ "id": theirs })),
        ("mutation($id: ID!) { createResearchTag(input: { brandId: $id, key: \"xx\", label: \"x\", kind: VALUE, keywords: [] }) { id } }", json!({ "id": theirs })),
        ("mutation($b: ID!, $a: ID!) { createCommunity(input: { brandId: $b, name: \"x\", purpose: \"x\", kind: PRODUCT, platform: DISCORD, audienceId: $a }) { id } }", json!({ "b": mine, "a": aud })),
    ];
    for (q, v) in &writes {
        let a = app.gql_as(Some(&consultant), q, v.clone()).await;
        assert_eq!(a.code(), "NOT_FOUND", "{q}: {}", a.body);
    }
    // Nothing of theirs changed.
    let a = app
        .gql("query($id: ID!) { audience(id: $id) { name version } findings(audienceId: $id) { totalCount } }", json!({ "id": aud }))
        .await;
    assert_eq!(
        a.data()["audience"],
        json!({ "name": "Their audience", "version": 1 })
    );
    assert_eq!(a.data()["findings"]["totalCount"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_audiences_findings_and_tags_run_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    tag(&app, &brand, "price", "PAIN_POINT", &["price"]).await;
    tag(&app, &brand, "fit", "PRODUCT_THEME", &["fit"]).await;
    let (_, consultant) = app.consultant_for(&[&brand]).await;
    let q = "query($n: Int!) { audiences(first: $n) { edges { node { name findings(first: $n) { edges { node { text tags { tag { key } taggedBy } } } } } } } }";
    let mut counts = Vec::new();
    let mut made = 0;
    for n in [20usize, 100] {
        while made < n {
            let a = audience(&app, &brand, &format!("Audience {made}")).await;
            let rows: Vec<Value> = (0..3)
                .map(|i| {
                    finding(
                        &format!("{made}-{i}"),
                        "SURVEY",
                        "the price and the fit",
                        0.0,
                        i,
                    )
                })
                .collect();
            ingest(&app, &a, rows).await;
            made += 1;
        }
        // Warm the consultant's session (its checks are cached), then measure.
        app.gql_as(Some(&consultant), q, json!({ "n": 1 }))
            .await
            .data();
        let before = app.statements().await;
        let r = app
            .gql_as(Some(&consultant), q, json!({ "n": n as i64 }))
            .await;
        let edges = r.data()["audiences"]["edges"].as_array().unwrap().clone();
        counts.push(app.statements().await - before);
        assert_eq!(edges.len(), n);
        let first = &edges[0]["node"]["findings"]["edges"];
        assert_eq!(first.as_array().unwrap().len(), 3);
        assert_eq!(first[0]["node"]["tags"].as_array().unwrap().len(), 2);
    }
    // Same statements at 20 and 100 audiences: the page, the findings of all
    // its audiences, the tags of all those findings (the warmed session's
    // checks are cached).
    assert_eq!(counts, [3.0, 3.0]);
    // totalCount counts every finding of each audience, in one more
    // statement for the whole page.
    let totals = "query { audiences(first: 100) { edges { node { findings(first: 1) { totalCount edges { node { text } } } } } } }";
    let before = app.statements().await;
    let r = app.gql_as(Some(&consultant), totals, json!({})).await;
    assert_eq!(app.statements().await - before, 3.0);
    for e in r.data()["audiences"]["edges"].as_array().unwrap() {
        assert_eq!(e["node"]["findings"]["totalCount"], 3);
        assert_eq!(e["node"]["findings"]["edges"].as_array().unwrap().len(), 1);
    }
}
