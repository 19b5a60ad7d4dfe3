//! Recognition (programmes, grants, suggestions, impact) and feedback.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn setup(app: &TestApp, brand_name: &str) -> (String, String) {
    let brand = app.create_brand(brand_name).await;
    let c = app
        .gql(
            "mutation($b: ID!) { createCommunity(input: { brandId: $b, name: \"Club\", purpose: \"Tips\", kind: PRODUCT, platform: DISCORD }) { id } }",
            json!({ "b": brand }),
        )
        .await;
    (
        brand,
        c.data()["createCommunity"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

fn row(key: &str, member: &str, days_ago: i64) -> Value {
    json!({ "sourceKey": key, "externalId": member, "handle": member, "kind": "message",
            "occurredAt": (Utc::now() - Duration::days(days_ago) - Duration::minutes(5)).to_rfc3339() })
}

async fn ingest(app: &TestApp, community: &str, rows: Vec<Value>) {
    app.gql(
        "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }",
        json!({ "i": { "communityId": community, "rows": rows } }),
    )
    .await
    .data();
}

async fn member_id(app: &TestApp, community: &str, name: &str) -> String {
    let a = app
        .gql("query($c: ID!) { communityMembers(communityId: $c, first: 100) { edges { node { memberId member { displayName } } } } }", json!({ "c": community }))
        .await;
    a.data()["communityMembers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["member"]["displayName"] == name)
        .unwrap()["node"]["memberId"]
        .as_str()
        .unwrap()
        .to_string()
}

const PROGRAMME: &str = "mutation($c: ID!, $crit: RewardCriteriaInput!) { createRewardProgramme(input: { communityId: $c, name: \"Top helper\", kind: BADGE, criteria: $crit }) { id criteria { minActivities } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programmes_suggest_grant_and_measure_impact() {
    let app = TestApp::spawn().await;
    let (_, c) = setup(&app, "Acme").await;
    let mut rows: Vec<Value> = (0..5)
        .map(|i| row(&format!("a{i}"), "ana", i * 5))
        .collect();
    rows.extend((0..2).map(|i| row(&format!("b{i}"), "bo", i * 5)));
    ingest(&app, &c, rows).await;

    let bad = app
        .gql(
            PROGRAMME,
            json!({ "c": c, "crit": { "minActivities": 3, "windowDays": 0, "minLevel": 0 } }),
        )
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert_eq!(
        bad.body["errors"][0]["extensions"]["field"],
        "input.criteria.windowDays"
    );

    let p = app
        .gql(
            PROGRAMME,
            json!({ "c": c, "crit": { "minActivities": 3, "windowDays": 30, "minLevel": 0 } }),
        )
        .await;
    let programme = p.data()["createRewardProgramme"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let check = app
        .gql(
            "query($c: ID!) { community(id: $c) { setupChecklist { items { key done } } } }",
            json!({ "c": c }),
        )
        .await;
    let item = check.data()["community"]["setupChecklist"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "RECOGNITION_PROGRAMME")
        .unwrap()
        .clone();
    assert_eq!(item["done"], true);

    let suggested = "query($p: ID!) { suggestedRecipients(programmeId: $p) { totalCount edges { node { activities level member { displayName } } } } }";
    let s = app.gql(suggested, json!({ "p": programme })).await;
    assert_eq!(s.data()["suggestedRecipients"]["totalCount"], 1);
    let s = s.data()["suggestedRecipients"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(s.len(), 1, "only ana has 3+ activities in 30 days: {s:?}");
    assert_eq!(s[0]["node"]["member"]["displayName"], "ana");
    assert_eq!(s[0]["node"]["activities"], 5);

    let ana = member_id(&app, &c, "ana").await;
    let grant = "mutation($p: ID!, $m: ID!) { grantReward(programmeId: $p, memberId: $m, note: \"Thanks!\") { id member { displayName } } }";
    let g = app.gql(grant, json!({ "p": programme, "m": ana })).await;
    assert_eq!(g.data()["grantReward"]["member"]["displayName"], "ana");
    assert_eq!(
        app.gql(grant, json!({ "p": programme, "m": ana }))
            .await
            .code(),
        "CONFLICT"
    );
    let s = app.gql(suggested, json!({ "p": programme })).await;
    assert_eq!(
        s.data()["suggestedRecipients"]["edges"],
        json!([]),
        "granted members are no longer suggested"
    );
    let grants = app
        .gql(
            "query($p: ID!) { rewardGrants(programmeId: $p) { totalCount } }",
            json!({ "p": programme }),
        )
        .await;
    assert_eq!(grants.data()["rewardGrants"]["totalCount"], 1);

    let before = app.statements().await;
    let i = app
        .gql(
            "query($p: ID!) { rewardImpact(programmeId: $p) { grants pendingGrants measuredGrants rewardedBefore uplift upliftUnavailable windowsComplete } }",
            json!({ "p": programme }),
        )
        .await;
    // The programme and its grants; with no complete window, nothing to count.
    assert_eq!(app.statements().await - before, 2.0);
    let i = &i.data()["rewardImpact"];
    assert_eq!(i["grants"], 1);
    assert_eq!(i["pendingGrants"], 1);
    assert_eq!(i["measuredGrants"], 0);
    assert!(i["rewardedBefore"].is_null());
    assert!(i["uplift"].is_null(), "a window of minutes is no uplift");
    assert_eq!(i["upliftUnavailable"], "WINDOWS_INCOMPLETE");
    assert_eq!(i["windowsComplete"], false);
}

/// Moves every grant of a programme `days` into the past, as if made then.
async fn backdate_grants(app: &TestApp, programme: &str, days: i64) {
    use entity::reward_grant;
    use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
    reward_grant::Entity::update_many()
        .col_expr(
            reward_grant::Column::GrantedAt,
            Expr::value(Utc::now() - Duration::days(days)),
        )
        .filter(reward_grant::Column::ProgrammeId.eq(uuid::Uuid::parse_str(programme).unwrap()))
        .exec(&app.context.db)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reward_impact_compares_with_never_rewarded_members_of_the_same_band() {
    let app = TestApp::spawn().await;
    let (_, c) = setup(&app, "Acme").await;
    // The grant will be 100 days ago (G). Messages weigh 6; five or six days
    // before G they count ×1 ⇒ ×4 quarter points each.
    let burst = |who: &str, n: i64, days_ago: i64| -> Vec<Value> {
        (0..n)
            .map(|i| row(&format!("{who}{days_ago}-{i}"), who, days_ago))
            .collect()
    };
    let mut rows = Vec::new();
    // r (rewarded): 10 before (score 60, level 7: fan), 4 after (G + 10 days).
    rows.extend(burst("r", 10, 105));
    rows.extend(burst("r", 4, 90));
    // c1, never rewarded: 10 before (fan), 8 after.
    rows.extend(burst("c1", 10, 106));
    rows.extend(burst("c1", 8, 90));
    // c2, never rewarded: 1 before (score 6, level 3: quiet), none after.
    rows.extend(burst("c2", 1, 106));
    // o: fan before and busy after, but rewarded by another programme.
    rows.extend(burst("o", 10, 106));
    rows.extend(burst("o", 20, 90));
    // n joined yesterday: not a member at G.
    rows.extend(burst("n", 1, 1));
    ingest(&app, &c, rows).await;
    let programme = |name: &str| {
        let app = &app;
        let c = c.clone();
        let name = name.to_string();
        async move {
            app.gql(
                "mutation($c: ID!, $n: String!) { createRewardProgramme(input: { communityId: $c, name: $n, kind: BADGE, criteria: { minActivities: 0, windowDays: 30, minLevel: 0 } }) { id } }",
                json!({ "c": c, "n": name }),
            )
            .await
            .data()["createRewardProgramme"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let (p, q) = (programme("Top helper").await, programme("Other").await);
    let grant = "mutation($p: ID!, $m: ID!) { grantReward(programmeId: $p, memberId: $m) { id } }";
    let r = member_id(&app, &c, "r").await;
    let o = member_id(&app, &c, "o").await;
    app.gql(grant, json!({ "p": p, "m": r })).await.data();
    app.gql(grant, json!({ "p": q, "m": o })).await.data();
    backdate_grants(&app, &p, 100).await;
    // A second grant of p, made now, is pending and not measured.
    let n = member_id(&app, &c, "n").await;
    app.gql(grant, json!({ "p": p, "m": n })).await.data();
    let i = app
        .gql(
            "query($p: ID!) { rewardImpact(programmeId: $p) { grants pendingGrants unmatchedGrants measuredGrants rewardedBefore rewardedAfter controlMembers controlBefore controlAfter uplift upliftUnavailable windowsComplete } }",
            json!({ "p": p }),
        )
        .await;
    let i = &i.data()["rewardImpact"];
    assert_eq!(i["grants"], 2);
    assert_eq!(i["pendingGrants"], 1);
    assert_eq!(i["measuredGrants"], 1);
    assert_eq!(i["unmatchedGrants"], 0);
    // Controls: c1 only (c2 was quiet at G, o was rewarded by q, n joined later).
    assert_eq!(i["controlMembers"], 1);
    assert_eq!(i["rewardedBefore"], 10.0);
    assert_eq!(i["rewardedAfter"], 4.0);
    assert_eq!(i["controlBefore"], 10.0);
    assert_eq!(i["controlAfter"], 8.0);
    // (4 − 10) − (8 − 10) = −4.
    assert_eq!(i["uplift"], -4.0);
    assert!(i["upliftUnavailable"].is_null());
    assert_eq!(i["windowsComplete"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recognition_and_feedback_stay_inside_the_brand() {
    let app = TestApp::spawn().await;
    let (brand_a, ca) = setup(&app, "Alpha").await;
    let (_, cb) = setup(&app, "Beta").await;
    ingest(&app, &cb, vec![row("x", "zed", 0)]).await;
    let zed = member_id(&app, &cb, "zed").await;
    let p = app
        .gql(
            PROGRAMME,
            json!({ "c": ca, "crit": { "minActivities": 0, "windowDays": 30, "minLevel": 0 } }),
        )
        .await;
    let programme = p.data()["createRewardProgramme"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A member of another brand cannot be rewarded here.
    let g = app
        .gql(
            "mutation($p: ID!, $m: ID!) { grantReward(programmeId: $p, memberId: $m) { id } }",
            json!({ "p": programme, "m": zed }),
        )
        .await;
    assert_eq!(g.code(), "NOT_FOUND");

    let (_, consultant_b) = app.consultant_for(&[]).await;
    let (_, client_a) = app.user_token("CLIENT", Some(&brand_a)).await;
    let reads = [
        (
            "query($id: ID!) { rewardProgrammes(communityId: $id) { totalCount } }",
            ca.clone(),
        ),
        (
            "query($id: ID!) { rewardGrants(programmeId: $id) { totalCount } }",
            programme.clone(),
        ),
        (
            "query($id: ID!) { suggestedRecipients(programmeId: $id) { totalCount } }",
            programme.clone(),
        ),
        (
            "query($id: ID!) { rewardImpact(programmeId: $id) { grants } }",
            programme.clone(),
        ),
        (
            "query($id: ID!) { feedbackItems(communityId: $id) { totalCount } }",
            ca.clone(),
        ),
        (
            "query($id: ID!) { feedbackStats(communityId: $id) { received } }",
            ca.clone(),
        ),
    ];
    for (q, id) in &reads {
        assert_eq!(
            app.gql_as(Some(&consultant_b), q, json!({ "id": id }))
                .await
                .code(),
            "NOT_FOUND",
            "{q}"
        );
        assert!(
            app.gql_as(Some(&client_a), q, json!({ "id": id }))
                .await
                .body
                .get("errors")
                .is_none(),
            "{q}"
        );
    }
    let writes = [
        "mutation($id: ID!) { createFeedback(input: { communityId: $id, title: \"x\", category: BUG }) { id } }",
        "mutation($id: ID!) { createRewardProgramme(input: { communityId: $id, name: \"x\", kind: GIFT, criteria: { minActivities: 0, windowDays: 1, minLevel: 0 } }) { id } }",
    ];
    for q in writes {
        assert_eq!(
            app.gql_as(Some(&client_a), q, json!({ "id": ca }))
                .await
                .code(),
            "FORBIDDEN",
            "{q}"
        );
        assert_eq!(
            app.gql_as(Some(&consultant_b), q, json!({ "id": ca }))
                .await
                .code(),
            "NOT_FOUND",
            "{q}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_follows_its_workflow_and_is_measured() {
    let app = TestApp::spawn().await;
    let (_, c) = setup(&app, "Acme").await;
    let create = "mutation($c: ID!, $t: String!, $s: Float) { createFeedback(input: { communityId: $c, title: $t, category: FEATURE_REQUEST, sentiment: $s }) { id status } }";
    let bad = app
        .gql(create, json!({ "c": c, "t": "Dark mode", "s": 2.0 }))
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert_eq!(
        bad.body["errors"][0]["extensions"]["field"],
        "input.sentiment"
    );
    let mut ids = Vec::new();
    for t in ["Dark mode", "Offline maps", "Bigger fonts"] {
        let a = app.gql(create, json!({ "c": c, "t": t, "s": 0.5 })).await;
        assert_eq!(a.data()["createFeedback"]["status"], "NEW");
        ids.push(
            a.data()["createFeedback"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let status = "mutation($id: ID!, $s: FeedbackStatus!) { changeFeedbackStatus(id: $id, status: $s) { status closedAt } }";
    let done = app.gql(status, json!({ "id": ids[0], "s": "DONE" })).await;
    assert!(done.data()["changeFeedbackStatus"]["closedAt"].is_string());
    let reopen = app
        .gql(status, json!({ "id": ids[0], "s": "PLANNED" }))
        .await;
    assert_eq!(
        reopen.code(),
        "BAD_USER_INPUT",
        "closed feedback stays closed"
    );
    let answer = "mutation($id: ID!) { answerFeedback(id: $id, answer: \"On the roadmap\") { answer firstAnsweredAt } }";
    for id in &ids[..2] {
        let a = app.gql(answer, json!({ "id": id })).await;
        assert!(a.data()["answerFeedback"]["firstAnsweredAt"].is_string());
    }
    let list = app
        .gql("query($c: ID!) { feedbackItems(communityId: $c, filter: { status: NEW }) { totalCount } }", json!({ "c": c }))
        .await;
    assert_eq!(list.data()["feedbackItems"]["totalCount"], 2);
    let stats = app
        .gql("query($c: ID!) { feedbackStats(communityId: $c) { received closed closureRate answered medianHoursToFirstAnswer } }", json!({ "c": c }))
        .await;
    let s = &stats.data()["feedbackStats"];
    assert_eq!(s["received"], 3);
    assert_eq!(s["closed"], 1);
    assert!((s["closureRate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(s["answered"], 2);
    let median = s["medianHoursToFirstAnswer"].as_f64().unwrap();
    assert!(
        (0.0..0.1).contains(&median),
        "answered within seconds: {median}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_changes_check_the_expected_version() {
    let app = TestApp::spawn().await;
    let (_, c) = setup(&app, "Acme").await;
    let created = app
        .gql(
            "mutation($c: ID!) { createFeedback(input: { communityId: $c, title: \"Dark mode\", category: FEATURE_REQUEST }) { id version } }",
            json!({ "c": c }),
        )
        .await;
    let item = created.data()["createFeedback"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(created.data()["createFeedback"]["version"], 1);
    let status = "mutation($id: ID!, $s: FeedbackStatus!, $v: Int) { changeFeedbackStatus(id: $id, status: $s, expectedVersion: $v) { status version } }";
    let moved = app
        .gql(status, json!({ "id": item, "s": "ACKNOWLEDGED", "v": 1 }))
        .await;
    assert_eq!(moved.data()["changeFeedbackStatus"]["version"], 2);
    // Someone who read version 1 cannot overwrite the change.
    let stale = app
        .gql(status, json!({ "id": item, "s": "DECLINED", "v": 1 }))
        .await;
    assert_eq!(stale.code(), "CONFLICT", "{}", stale.body);
    let answer = "mutation($id: ID!, $v: Int) { answerFeedback(id: $id, answer: \"Soon\", expectedVersion: $v) { version } }";
    assert_eq!(
        app.gql(answer, json!({ "id": item, "v": 1 })).await.code(),
        "CONFLICT"
    );
    let a = app.gql(answer, json!({ "id": item, "v": 2 })).await;
    assert_eq!(a.data()["answerFeedback"]["version"], 3);
    let read = app
        .gql(
            "query($c: ID!) { feedbackItems(communityId: $c) { edges { node { status answer version } } } }",
            json!({ "c": c }),
        )
        .await;
    let node = &read.data()["feedbackItems"]["edges"][0]["node"];
    assert_eq!(
        node["status"], "ACKNOWLEDGED",
        "the stale change wrote nothing"
    );
    assert_eq!(node["answer"], "Soon");
}
