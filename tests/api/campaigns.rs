//! Content campaigns: planning, typed content and versions, the client's
//! approval, the cadence guard, the calendar, publishing under a lease,
//! and brand scope.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Timelike, Utc};
use serde_json::{json, Value};

use crate::helpers::TestApp;

const CAMPAIGN: &str = "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id status version communityIds targets { metric value } } }";
const ITEM: &str = "mutation($i: CreateContentItemInput!) { createContentItem(input: $i) { id status contentVersion isPrompt fields { pollOptions offerCode } } }";
const SUBMIT: &str = "mutation($id: ID!) { submitContentForReview(id: $id) { status } }";
const APPROVE: &str = "mutation($id: ID!, $v: Int!) { approveContent(id: $id, contentVersion: $v) { status approvedVersion } }";
const SCHEDULE: &str =
    "mutation($id: ID!, $at: DateTime) { scheduleContent(id: $id, at: $at) { status scheduledAt } }";
const CLAIM: &str = "mutation($n: Int, $s: Int) { claimDueContent(limit: $n, leaseSeconds: $s) { itemId leaseId title } }";

async fn community(app: &TestApp, brand: &str, name: &str, cadence: Value) -> String {
    let a = app
        .gql(
            "mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { id } }",
            json!({ "i": { "brandId": brand, "name": name, "purpose": "Trail talk", "kind": "PRODUCT",
                           "platform": "DISCORD", "timeZone": "UTC", "cadence": cadence } }),
        )
        .await;
    a.data()["createCommunity"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn campaign(app: &TestApp, brand: &str, communities: &[&str]) -> String {
    let now = Utc::now();
    let a = app
        .gql(CAMPAIGN, json!({ "i": { "brandId": brand, "name": format!("Spring {}", uuid::Uuid::new_v4()),
            "objective": "ENGAGEMENT", "startsAt": now - Duration::days(1), "endsAt": now + Duration::days(60),
            "communityIds": communities, "targets": [{ "metric": "REPLIES", "value": 200 }] } }))
        .await;
    a.data()["createCampaign"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn item(
    app: &TestApp,
    campaign: &str,
    community: &str,
    kind: &str,
    at: Option<DateTime<Utc>>,
) -> String {
    let fields = match kind {
        "POLL" => json!({ "pollOptions": ["Boots", "Shoes"] }),
        "EXCLUSIVE_OFFER" => {
            json!({ "offerCode": format!("SPRING{}", &uuid::Uuid::new_v4().simple().to_string()[..6]) })
        }
        _ => json!({}),
    };
    let a = app
        .gql(ITEM, json!({ "i": { "campaignId": campaign, "communityId": community, "kind": kind,
            "title": "Your favourite trail?", "body": "Tell us where you walk.", "fields": fields, "scheduledAt": at } }))
        .await;
    a.data()["createContentItem"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Takes an item through review to approval by a client user of the brand.
async fn approve(app: &TestApp, client: &str, id: &str) {
    app.gql(SUBMIT, json!({ "id": id })).await.data();
    let a = app
        .gql_as(Some(client), APPROVE, json!({ "id": id, "v": 1 }))
        .await;
    assert_eq!(a.data()["approveContent"]["status"], "APPROVED");
}

/// The next whole hour at least `hours` from now.
fn hour(hours: i64) -> DateTime<Utc> {
    let t = Utc::now() + Duration::hours(hours + 1);
    t.with_minute(0)
        .unwrap()
        .with_second(0)
        .unwrap()
        .with_nanosecond(0)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_are_validated_and_client_users_only_read_them() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let other = app.create_brand("Other").await;
    let c = community(&app, &brand, "Trail", Value::Null).await;
    let theirs = community(&app, &other, "Theirs", Value::Null).await;
    let now = Utc::now();
    let base = json!({ "brandId": brand, "name": "Spring", "objective": "LAUNCH", "startsAt": now,
                       "endsAt": now + Duration::days(30), "communityIds": [c] });
    let with = |k: &str, v: Value| {
        let mut i = base.clone();
        i[k] = v;
        json!({ "i": i })
    };
    for (vars, code, field) in [
        (
            with("endsAt", json!(now - Duration::days(1))),
            "BAD_USER_INPUT",
            Some("input.endsAt"),
        ),
        (
            with("communityIds", json!([])),
            "BAD_USER_INPUT",
            Some("input.communityIds"),
        ),
        (with("communityIds", json!([theirs])), "NOT_FOUND", None),
        (
            with("targets", json!([{ "metric": "REPLIES", "value": 0 }])),
            "BAD_USER_INPUT",
            Some("input.targets.0.value"),
        ),
        (
            with("approvalLeadHours", json!(1000)),
            "BAD_USER_INPUT",
            Some("input.approvalLeadHours"),
        ),
    ] {
        let a = app.gql(CAMPAIGN, vars).await;
        assert_eq!(a.code(), code, "{}", a.body);
        if let Some(f) = field {
            assert_eq!(a.body["errors"][0]["extensions"]["field"], f, "{}", a.body);
        }
    }
    let count = "query($b: ID!) { campaigns(filter: { brandId: $b }) { totalCount } }";
    assert_eq!(
        app.gql(count, json!({ "b": brand })).await.data()["campaigns"]["totalCount"],
        0,
        "nothing was written"
    );
    let a = app.gql(CAMPAIGN, json!({ "i": base })).await;
    let created = &a.data()["createCampaign"];
    assert_eq!(created["status"], "PLANNED");
    assert_eq!(created["communityIds"], json!([c]));
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.gql(CAMPAIGN, json!({ "i": base })).await.code(),
        "CONFLICT"
    );

    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let read = app
        .gql_as(
            Some(&client),
            "query($id: ID!) { campaign(id: $id) { name objective } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        read.data()["campaign"],
        json!({ "name": "Spring", "objective": "LAUNCH" })
    );
    let mut other_name = base.clone();
    other_name["name"] = json!("By a client");
    assert_eq!(
        app.gql_as(Some(&client), CAMPAIGN, json!({ "i": other_name }))
            .await
            .code(),
        "FORBIDDEN"
    );

    let status = "mutation($id: ID!, $s: CampaignStatus!) { setCampaignStatus(id: $id, status: $s) { status version } }";
    let bad = app.gql(status, json!({ "id": id, "s": "COMPLETED" })).await;
    assert_eq!(
        bad.code(),
        "BAD_USER_INPUT",
        "PLANNED cannot jump to COMPLETED"
    );
    let ok = app.gql(status, json!({ "id": id, "s": "ACTIVE" })).await;
    assert_eq!(
        ok.data()["setCampaignStatus"],
        json!({ "status": "ACTIVE", "version": 2 })
    );
    let stale = app
        .gql(
            "mutation($id: ID!) { updateCampaign(id: $id, input: { name: \"x\", expectedVersion: 1 }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(stale.code(), "CONFLICT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_has_typed_fields_versions_and_a_client_approval_that_belongs_to_a_version() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail", Value::Null).await;
    let camp = campaign(&app, &brand, &[&c]).await;
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let (_, consultant) = app.consultant_for(&[&brand]).await;

    let base = json!({ "campaignId": camp, "communityId": c, "kind": "POLL", "title": "Pick", "body": "Which?" });
    let with = |k: &str, v: Value| {
        let mut i = base.clone();
        i[k] = v;
        json!({ "i": i })
    };
    for (vars, field) in [
        (
            with("fields", json!({ "pollOptions": ["Only one"] })),
            "input.fields.pollOptions",
        ),
        (
            with("fields", json!({ "pollOptions": ["A", "a"] })),
            "input.fields.pollOptions",
        ),
        (
            with(
                "fields",
                json!({ "pollOptions": ["A", "B"], "host": "Ana" }),
            ),
            "input.fields.host",
        ),
        (
            with("kind", json!("EXCLUSIVE_OFFER")),
            "input.fields.offerCode",
        ),
        (with("kind", json!("EVENT")), "input.fields.startsAt"),
        (with("title", json!("  ")), "input.title"),
    ] {
        let a = app.gql(ITEM, vars).await;
        assert_eq!(a.code(), "BAD_USER_INPUT", "{}", a.body);
        assert_eq!(
            a.body["errors"][0]["extensions"]["field"], field,
            "{}",
            a.body
        );
    }
    let a = app
        .gql(
            ITEM,
            with("fields", json!({ "pollOptions": [" Boots ", "Shoes"] })),
        )
        .await;
    let created = &a.data()["createContentItem"];
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(created["isPrompt"], true, "a poll asks members to respond");
    assert_eq!(created["fields"]["pollOptions"], json!(["Boots", "Shoes"]));
    let id = created["id"].as_str().unwrap().to_string();

    // Only IN_REVIEW items are reviewed; only client users review.
    let early = app
        .gql_as(Some(&client), APPROVE, json!({ "id": id, "v": 1 }))
        .await;
    assert_eq!(early.code(), "BAD_USER_INPUT", "{}", early.body);
    assert_eq!(
        app.gql(SUBMIT, json!({ "id": id })).await.data()["submitContentForReview"]["status"],
        "IN_REVIEW"
    );
    assert_eq!(
        app.gql_as(Some(&consultant), APPROVE, json!({ "id": id, "v": 1 }))
            .await
            .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql_as(
            Some(&client),
            "mutation($id: ID!) { submitContentForReview(id: $id) { status } }",
            json!({ "id": id })
        )
        .await
        .code(),
        "FORBIDDEN",
        "approving is the only write a client user gets"
    );
    let changes = "mutation($id: ID!, $v: Int!, $c: String!) { requestContentChanges(id: $id, contentVersion: $v, comment: $c) { status } }";
    assert_eq!(
        app.gql_as(
            Some(&client),
            changes,
            json!({ "id": id, "v": 1, "c": " " })
        )
        .await
        .code(),
        "BAD_USER_INPUT",
        "asking for changes says what"
    );
    let r = app
        .gql_as(
            Some(&client),
            changes,
            json!({ "id": id, "v": 1, "c": "Add a third option" }),
        )
        .await;
    assert_eq!(
        r.data()["requestContentChanges"]["status"],
        "CHANGES_REQUESTED"
    );

    // The edit is version 2; approving version 1 is stale.
    let edit = "mutation($id: ID!, $f: ContentFieldsInput) { updateContentItem(id: $id, input: { fields: $f }) { status contentVersion approvedVersion } }";
    let e = app
        .gql(
            edit,
            json!({ "id": id, "f": { "pollOptions": ["Boots", "Shoes", "Sandals"] } }),
        )
        .await;
    assert_eq!(e.data()["updateContentItem"]["contentVersion"], 2);
    app.gql(SUBMIT, json!({ "id": id })).await.data();
    assert_eq!(
        app.gql_as(Some(&client), APPROVE, json!({ "id": id, "v": 1 }))
            .await
            .code(),
        "CONFLICT"
    );
    let ok = app
        .gql_as(Some(&client), APPROVE, json!({ "id": id, "v": 2 }))
        .await;
    assert_eq!(
        ok.data()["approveContent"],
        json!({ "status": "APPROVED", "approvedVersion": 2 })
    );

    // Editing the approved item sends it back to review, without approval.
    let e = app
        .gql(
            edit,
            json!({ "id": id, "f": { "pollOptions": ["Boots", "Trail shoes", "Sandals"] } }),
        )
        .await;
    assert_eq!(
        e.data()["updateContentItem"],
        json!({ "status": "IN_REVIEW", "contentVersion": 3, "approvedVersion": null })
    );
    let h = app
        .gql_as(
            Some(&client),
            "query($id: ID!) { contentItem(id: $id) { versions { edges { node { number fields { pollOptions } } } } reviews { contentVersion decision comment } } }",
            json!({ "id": id }),
        )
        .await;
    let versions: Vec<i64> = h.data()["contentItem"]["versions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["number"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [3, 2, 1], "history, newest first");
    assert_eq!(
        h.data()["contentItem"]["reviews"],
        json!([
            { "contentVersion": 1, "decision": "CHANGES_REQUESTED", "comment": "Add a third option" },
            { "contentVersion": 2, "decision": "APPROVED", "comment": null }
        ])
    );

    // Cancelled is final.
    let cancel = "mutation($id: ID!) { cancelContent(id: $id, reason: \"Off season\") { status publishBlocker } }";
    let x = app.gql(cancel, json!({ "id": id })).await;
    assert_eq!(x.data()["cancelContent"]["status"], "CANCELLED");
    assert_eq!(
        app.gql(cancel, json!({ "id": id })).await.code(),
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.gql(edit, json!({ "id": id, "f": null })).await.code(),
        "BAD_USER_INPUT"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cadence_guard_refuses_a_breaking_slot_naming_the_items_and_suggests_allowed_ones() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    // At most 2 prompts a week, 24 h apart; quiet 22:00-06:00 UTC.
    let c = community(&app, &brand, "Trail", json!({ "maxPromptsPerWeek": 2, "minGapHours": 24, "quietHoursStart": 22, "quietHoursEnd": 6 })).await;
    let camp = campaign(&app, &brand, &[&c]).await;
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    // Slots at noon: day 2 and day 4 ahead take the week's two prompts.
    let noon = |d: i64| {
        let t = Utc::now() + Duration::days(d);
        t.with_hour(12)
            .unwrap()
            .with_minute(0)
            .unwrap()
            .with_second(0)
            .unwrap()
            .with_nanosecond(0)
            .unwrap()
    };
    let first = item(&app, &camp, &c, "QUESTION", Some(noon(2))).await;
    let second = item(&app, &camp, &c, "POLL", Some(noon(4))).await;
    for id in [&first, &second] {
        approve(&app, &client, id).await;
        let s = app.gql(SCHEDULE, json!({ "id": id })).await;
        assert_eq!(s.data()["scheduleContent"]["status"], "SCHEDULED");
    }
    let third = item(&app, &camp, &c, "CHALLENGE", None).await;
    // Not approved yet: it cannot be scheduled.
    assert_eq!(
        app.gql(SCHEDULE, json!({ "id": third, "at": noon(5) }))
            .await
            .code(),
        "BAD_USER_INPUT"
    );
    approve(&app, &client, &third).await;
    // Day 5 noon: 24 h after the second, but a third prompt in the week from day 2.
    let refused = app
        .gql(SCHEDULE, json!({ "id": third, "at": noon(5) }))
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    let msg = refused.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains(&first) && msg.contains(&second), "{msg}");
    assert!(msg.contains("more than 2 prompts"), "{msg}");
    // Day 4 at 20:00: 8 h after the second prompt.
    let close = app
        .gql(
            SCHEDULE,
            json!({ "id": third, "at": noon(4) + Duration::hours(8) }),
        )
        .await;
    let msg = close.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("less than 24 hours") && msg.contains(&second),
        "{msg}"
    );
    // 23:00 is quiet, whatever the kind.
    let quiet = app
        .gql(
            SCHEDULE,
            json!({ "id": third, "at": noon(20) + Duration::hours(11) }),
        )
        .await;
    assert!(
        quiet.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("quiet hours"),
        "{}",
        quiet.body
    );
    // A plain post is not a prompt: day 4 at 13:00 is fine for it.
    let post = item(&app, &camp, &c, "POST", Some(noon(4) + Duration::hours(1))).await;
    approve(&app, &client, &post).await;
    assert_eq!(
        app.gql(SCHEDULE, json!({ "id": post })).await.data()["scheduleContent"]["status"],
        "SCHEDULED"
    );

    // Suggestions: the first prompt slot after day 5 noon is when the week
    // from day 2 noon has passed (day 9 noon); the second a day later would
    // make three in the week from day 4 noon, so day 11 noon.
    let s = app
        .gql(
            "query($c: ID!, $a: DateTime) { suggestSlots(communityId: $c, after: $a, count: 2) }",
            json!({ "c": c, "a": noon(5) }),
        )
        .await;
    let slots: Vec<DateTime<Utc>> =
        serde_json::from_value(s.data()["suggestSlots"].clone()).unwrap();
    assert_eq!(slots, vec![noon(9), noon(11)]);
    let ok = app
        .gql(SCHEDULE, json!({ "id": third, "at": slots[0] }))
        .await;
    assert_eq!(ok.data()["scheduleContent"]["status"], "SCHEDULED");

    // The checklist sees conversation starters ahead.
    let check = app
        .gql(
            "query($id: ID!) { community(id: $id) { setupChecklist { items { key done } } } }",
            json!({ "id": c }),
        )
        .await;
    let items = check.data()["community"]["setupChecklist"]["items"]
        .as_array()
        .unwrap()
        .clone();
    assert!(items
        .iter()
        .any(|i| i["key"] == "CONVERSATION_STARTERS_SCHEDULED" && i["done"] == true));

    // The calendar flags an intended slot that would break the policy.
    let draft = item(
        &app,
        &camp,
        &c,
        "QUESTION",
        Some(noon(2) + Duration::hours(2)),
    )
    .await;
    let cal = app
        .gql(
            "query($b: ID!, $f: DateTime!, $t: DateTime!) { contentCalendar(brandId: $b, from: $f, to: $t, first: 100) { totalCount edges { node { conflicted conflictsWith item { id status } } } } }",
            json!({ "b": brand, "f": Utc::now(), "t": Utc::now() + Duration::days(30) }),
        )
        .await;
    let cal = &cal.data()["contentCalendar"];
    assert_eq!(cal["totalCount"], 5);
    let entry = |id: &str| {
        cal["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["item"]["id"] == id)
            .unwrap()["node"]
            .clone()
    };
    assert_eq!(entry(&draft)["conflicted"], true);
    assert!(entry(&draft)["conflictsWith"]
        .as_array()
        .unwrap()
        .contains(&json!(first)));
    assert_eq!(entry(&post)["conflicted"], false);

    // Paged two at a time, the calendar yields the same entries and flags,
    // in slot order, in three statements a page (the page, the prompts
    // around it, its communities' policies).
    let all: Vec<(Value, Value)> = cal["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["item"]["id"].clone(),
                e["node"]["conflicted"].clone(),
            )
        })
        .collect();
    let paged_q = "query($b: ID!, $f: DateTime!, $t: DateTime!, $a: String) { contentCalendar(brandId: $b, from: $f, to: $t, first: 2, after: $a) { pageInfo { hasNextPage endCursor } edges { node { conflicted item { id } } } } }";
    let (from, to) = (Utc::now(), Utc::now() + Duration::days(30));
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let before = app.statements().await;
        let p = app
            .gql(
                paged_q,
                json!({ "b": brand, "f": from, "t": to, "a": after }),
            )
            .await;
        assert_eq!(app.statements().await - before, 3.0);
        let p = &p.data()["contentCalendar"];
        for e in p["edges"].as_array().unwrap() {
            paged.push((
                e["node"]["item"]["id"].clone(),
                e["node"]["conflicted"].clone(),
            ));
        }
        if p["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = p["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged, all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_not_approved_by_its_deadline_says_why() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail", Value::Null).await;
    let camp = campaign(&app, &brand, &[&c]).await;
    // Default lead: 24 h; a slot 10 h ahead is past its deadline already.
    let late = item(&app, &camp, &c, "QUESTION", Some(hour(10))).await;
    let on_time = item(&app, &camp, &c, "QUESTION", Some(hour(48))).await;
    let q =
        "query($id: ID!) { contentItem(id: $id) { publishBlocker approvalDeadline scheduledAt } }";
    let a = app.gql(q, json!({ "id": late })).await;
    let blocker = a.data()["contentItem"]["publishBlocker"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        blocker.contains("not approved by") && blocker.contains("24 h"),
        "{blocker}"
    );
    let deadline: DateTime<Utc> =
        serde_json::from_value(a.data()["contentItem"]["approvalDeadline"].clone()).unwrap();
    assert_eq!(deadline, hour(10) - Duration::hours(24));
    let b = app.gql(q, json!({ "id": on_time })).await;
    assert_eq!(b.data()["contentItem"]["publishBlocker"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_bots_claim_under_a_lease_and_report_idempotently() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail", Value::Null).await;
    let camp = campaign(&app, &brand, &[&c]).await;
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let (_, bot, _) = app.integration_token(&brand, &["PUBLISH_CONTENT"]).await;
    let (_, ingest_bot, _) = app.integration_token(&brand, &["INGEST_ACTIVITIES"]).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = item(&app, &camp, &c, "POST", None).await;
        approve(&app, &client, &id).await;
        let s = app
            .gql(
                SCHEDULE,
                json!({ "id": id, "at": Utc::now() + Duration::milliseconds(1500) }),
            )
            .await;
        assert_eq!(s.data()["scheduleContent"]["status"], "SCHEDULED");
        ids.push(id);
    }
    assert_eq!(
        app.gql_as(Some(&ingest_bot), CLAIM, json!({})).await.code(),
        "FORBIDDEN",
        "claiming needs publish:content"
    );
    // Not due yet.
    let none = app.gql_as(Some(&bot), CLAIM, json!({})).await;
    assert_eq!(none.data()["claimDueContent"], json!([]));
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    let claimed = app
        .gql_as(Some(&bot), CLAIM, json!({ "n": 1, "s": 1 }))
        .await;
    let claimed = claimed.data()["claimDueContent"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(claimed.len(), 1);
    let first = claimed[0]["itemId"].as_str().unwrap().to_string();
    let lease = claimed[0]["leaseId"].as_str().unwrap().to_string();
    // The other item is still free; the leased one is not offered again.
    let second = app
        .gql_as(Some(&bot), CLAIM, json!({ "n": 10, "s": 60 }))
        .await;
    let second = second.data()["claimDueContent"].as_array().unwrap().clone();
    assert_eq!(second.len(), 1);
    assert_ne!(second[0]["itemId"], json!(first));
    // The first lease expires: the item is offered again with a new lease,
    // and the old lease no longer holds it.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let again = app
        .gql_as(Some(&bot), CLAIM, json!({ "n": 10, "s": 60 }))
        .await;
    let again = again.data()["claimDueContent"].as_array().unwrap().clone();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["itemId"], json!(first));
    let new_lease = again[0]["leaseId"].as_str().unwrap().to_string();
    assert_ne!(new_lease, lease);
    let report = "mutation($i: ID!, $l: ID!, $p: String!) { reportPublished(itemId: $i, leaseId: $l, externalPostId: $p, url: \"https://discord.com/x/1\") { status externalPostId version } }";
    assert_eq!(
        app.gql_as(
            Some(&bot),
            report,
            json!({ "i": first, "l": lease, "p": "p-1" })
        )
        .await
        .code(),
        "CONFLICT"
    );
    let done = app
        .gql_as(
            Some(&bot),
            report,
            json!({ "i": first, "l": new_lease, "p": "p-1" }),
        )
        .await;
    let done = done.data()["reportPublished"].clone();
    assert_eq!(done["status"], "PUBLISHED");
    let replay = app
        .gql_as(
            Some(&bot),
            report,
            json!({ "i": first, "l": new_lease, "p": "p-1" }),
        )
        .await;
    assert_eq!(
        replay.data()["reportPublished"],
        done,
        "a replay changes nothing"
    );

    // Failures back off, and the same failure reported twice counts once.
    let other = second[0]["itemId"].as_str().unwrap().to_string();
    let other_lease = second[0]["leaseId"].as_str().unwrap().to_string();
    let fail = "mutation($i: ID!, $l: ID!) { reportPublishFailed(itemId: $i, leaseId: $l, error: \"429 from the platform\") { status attempts nextAttemptAt lastError } }";
    let f1 = app
        .gql_as(Some(&bot), fail, json!({ "i": other, "l": other_lease }))
        .await;
    let f1 = f1.data()["reportPublishFailed"].clone();
    assert_eq!(f1["attempts"], 1);
    assert_eq!(f1["status"], "SCHEDULED");
    let next: DateTime<Utc> = serde_json::from_value(f1["nextAttemptAt"].clone()).unwrap();
    assert!(
        next > Utc::now() + Duration::seconds(50),
        "first backoff is a minute"
    );
    let f2 = app
        .gql_as(Some(&bot), fail, json!({ "i": other, "l": other_lease }))
        .await;
    assert_eq!(f2.data()["reportPublishFailed"], f1);
    assert_eq!(
        app.gql_as(Some(&bot), CLAIM, json!({})).await.data()["claimDueContent"],
        json!([]),
        "backing off"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_concurrent_claimers_never_get_the_same_item() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail", Value::Null).await;
    let camp = campaign(&app, &brand, &[&c]).await;
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let (_, bot, _) = app.integration_token(&brand, &["PUBLISH_CONTENT"]).await;
    let at = Utc::now() + Duration::seconds(3);
    for _ in 0..24 {
        let id = item(&app, &camp, &c, "POST", None).await;
        approve(&app, &client, &id).await;
        app.gql(SCHEDULE, json!({ "id": id, "at": at }))
            .await
            .data();
    }
    let wait = at - Utc::now() + Duration::milliseconds(200);
    tokio::time::sleep(wait.to_std().unwrap_or_default()).await;
    let mut seen = HashSet::new();
    let mut total = 0;
    for _ in 0..4 {
        let claims = (0..4).map(|_| app.gql_as(Some(&bot), CLAIM, json!({ "n": 2, "s": 300 })));
        for a in futures_util::future::join_all(claims).await {
            for c in a.data()["claimDueContent"].as_array().unwrap() {
                total += 1;
                assert!(
                    seen.insert(c["itemId"].as_str().unwrap().to_string()),
                    "claimed twice: {c}"
                );
            }
        }
    }
    assert_eq!(total, 24, "every item claimed once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_campaigns_items_versions_run_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail", Value::Null).await;
    let (_, consultant) = app.consultant_for(&[&brand]).await;
    for _ in 0..3 {
        let camp = campaign(&app, &brand, &[&c]).await;
        for _ in 0..2 {
            let id = item(&app, &camp, &c, "POST", None).await;
            app.gql(
                "mutation($id: ID!) { updateContentItem(id: $id, input: { body: \"Edited\" }) { id } }",
                json!({ "id": id }),
            )
            .await
            .data();
        }
    }
    let q = "query($n: Int!) { campaigns(first: $n) { edges { node { name items(first: $n) { edges { node { title versions(first: $n) { edges { node { number body } } } } } } } } } }";
    // The first request also loads the consultant's session into the cache.
    app.gql_as(Some(&consultant), q, json!({ "n": 1 }))
        .await
        .data();
    let mut counts = Vec::new();
    for n in [20, 100] {
        let before = app.statements().await;
        let a = app.gql_as(Some(&consultant), q, json!({ "n": n })).await;
        let edges = a.data()["campaigns"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 3);
        for e in edges {
            let items = e["node"]["items"]["edges"].as_array().unwrap();
            assert_eq!(items.len(), 2);
            assert_eq!(
                items[0]["node"]["versions"]["edges"][0]["node"],
                json!({ "number": 2, "body": "Edited" })
            );
        }
        counts.push(app.statements().await - before);
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
    // Campaigns, their items, the items' versions.
    assert_eq!(counts[0], 3.0, "{counts:?}");
    // With totalCount on both nested lists, one page of one row each: the
    // whole counts, one more statement per counted level.
    let totals = "query { campaigns(first: 20) { edges { node { items(first: 1) { totalCount edges { node { versions(first: 1) { totalCount } } } } } } } }";
    let before = app.statements().await;
    let a = app.gql_as(Some(&consultant), totals, json!({})).await;
    assert_eq!(app.statements().await - before, 5.0);
    for e in a.data()["campaigns"]["edges"].as_array().unwrap() {
        let items = &e["node"]["items"];
        assert_eq!(items["totalCount"], 2);
        assert_eq!(items["edges"].as_array().unwrap().len(), 1);
        assert_eq!(items["edges"][0]["node"]["versions"]["totalCount"], 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_brands_campaigns_and_content_are_not_found() {
    let app = TestApp::spawn().await;
    let mine = app.create_brand("Mine").await;
    let theirs = app.create_brand("Theirs").await;
    let c = community(&app, &theirs, "Theirs", Value::Null).await;
    let camp = campaign(&app, &theirs, &[&c]).await;
    let their_client = app.user_token("CLIENT", Some(&theirs)).await.1;
    let id = item(&app, &camp, &c, "QUESTION", Some(hour(72))).await;
    app.gql(SUBMIT, json!({ "id": id })).await.data();
    let (_, consultant) = app.consultant_for(&[&mine]).await;
    let (_, client) = app.user_token("CLIENT", Some(&mine)).await;
    let (_, bot, _) = app.integration_token(&mine, &["PUBLISH_CONTENT"]).await;
    let now = Utc::now();
    let reads = [
        ("query($id: ID!) { campaign(id: $id) { id } }", json!({ "id": camp })),
        ("query($id: ID!) { contentItem(id: $id) { id } }", json!({ "id": id })),
        ("query($id: ID!, $f: DateTime!, $t: DateTime!) { contentCalendar(brandId: $id, from: $f, to: $t) { totalCount } }",
         json!({ "id": theirs, "f": now, "t": now + Duration::days(10) })),
        ("query($id: ID!) { suggestSlots(communityId: $id) }", json!({ "id": c })),
    ];
    for token in [&consultant, &client] {
        for (q, v) in &reads {
            let a = app.gql_as(Some(token), q, v.clone()).await;
            assert_eq!(a.code(), "NOT_FOUND", "{q}: {}", a.body);
        }
        let list = app
            .gql_as(Some(token), "query { campaigns { totalCount } }", json!({}))
            .await;
        assert_eq!(list.data()["campaigns"]["totalCount"], 0);
    }
    let writes = [
        ("mutation($id: ID!) { updateCampaign(id: $id, input: { name: \"x\" }) { id } }", json!({ "id": camp })),
        ("mutation($id: ID!) { setCampaignStatus(id: $id, status: ACTIVE) { id } }", json!({ "id": camp })),
        ("mutation($id: ID!, $c: ID!) { createContentItem(input: { campaignId: $id, communityId: $c, kind: POST, title: \"x\", body: \"x\" }) { id } }", json!({ "id": camp, "c": c })),
        ("mutation($id: ID!) { updateContentItem(id: $id, input: { body: \"x\" }) { id } }", json!({ "id": id })),
        ("mutation($id: ID!) { submitContentForReview(id: $id) { id } }", json!({ "id": id })),
        ("mutation($id: ID!) { scheduleContent(id: $id) { id } }", json!({ "id": id })),
        ("mutation($id: ID!) { cancelContent(id: $id) { id } }", json!({ "id": id })),
        ("mutation($b: ID!, $c: ID!) { createCampaign(input: { brandId: $b, name: \"x\", objective: SALES, startsAt: \"2027-01-01T00:00:00Z\", endsAt: \"2027-02-01T00:00:00Z\", communityIds: [$c] }) { id } }",
         json!({ "b": theirs, "c": c })),
        ("mutation($b: ID!, $c: ID!) { createCampaign(input: { brandId: $b, name: \"x\", objective: SALES, startsAt: \"2027-01-01T00:00:00Z\", endsAt: \"2027-02-01T00:00:00Z\", communityIds: [$c] }) { id } }",
         json!({ "b": mine, "c": c })),
    ];
    for (q, v) in &writes {
        let a = app.gql_as(Some(&consultant), q, v.clone()).await;
        assert_eq!(a.code(), "NOT_FOUND", "{q}: {}", a.body);
    }
    // A client of another brand cannot approve; a bot of another brand
    // cannot report on the item.
    assert_eq!(
        app.gql_as(Some(&client), APPROVE, json!({ "id": id, "v": 1 }))
            .await
            .code(),
        "NOT_FOUND"
    );
    let lease = uuid::Uuid::new_v4().to_string();
    for q in [
        "mutation($i: ID!, $l: ID!) { reportPublished(itemId: $i, leaseId: $l, externalPostId: \"x\") { id } }",
        "mutation($i: ID!, $l: ID!) { reportPublishFailed(itemId: $i, leaseId: $l, error: \"x\") { id } }",
    ] {
        assert_eq!(app.gql_as(Some(&bot), q, json!({ "i": id, "l": lease })).await.code(), "NOT_FOUND");
    }
    // Nothing of theirs changed; their own client still approves it.
    let a = app
        .gql_as(Some(&their_client), APPROVE, json!({ "id": id, "v": 1 }))
        .await;
    assert_eq!(a.data()["approveContent"]["status"], "APPROVED");
}

/// Publishes approved `ids` through a publishing bot; returns nothing.
async fn publish_all(app: &TestApp, client: &str, bot: &str, ids: &[String]) {
    for id in ids {
        approve(app, client, id).await;
        app.gql(
            SCHEDULE,
            json!({ "id": id, "at": Utc::now() + Duration::milliseconds(800) }),
        )
        .await
        .data();
    }
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let claimed = app.gql_as(Some(bot), CLAIM, json!({ "n": 100 })).await;
    for c in claimed.data()["claimDueContent"].as_array().unwrap() {
        app.gql_as(
            Some(bot),
            "mutation($i: ID!, $l: ID!) { reportPublished(itemId: $i, leaseId: $l, externalPostId: $i) { status } }",
            json!({ "i": c["itemId"], "l": c["leaseId"] }),
        )
        .await
        .data();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_use_the_latest_observations_and_match_hand_counts() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let c = community(&app, &brand, "Trail", Value::Null).await;
    let now = Utc::now();
    let camp = app
        .gql(CAMPAIGN, json!({ "i": { "brandId": brand, "name": "Spring", "objective": "ENGAGEMENT",
            "startsAt": now - Duration::days(1), "endsAt": now + Duration::days(30), "communityIds": [c],
            "targets": [{ "metric": "REPLIES", "value": 10 }, { "metric": "REACH", "value": 1000 }] } }))
        .await;
    let camp = camp.data()["createCampaign"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let (_, bot, _) = app.integration_token(&brand, &["PUBLISH_CONTENT"]).await;
    let poll = item(&app, &camp, &c, "POLL", None).await;
    let question = item(&app, &camp, &c, "QUESTION", None).await;
    let draft = item(&app, &camp, &c, "QUESTION", None).await;
    let offer = app
        .gql(ITEM, json!({ "i": { "campaignId": camp, "communityId": c, "kind": "EXCLUSIVE_OFFER",
            "title": "10% off", "body": "For members", "fields": { "offerCode": " trail10 ", "discountPercent": 10 } } }))
        .await;
    assert_eq!(
        offer.data()["createContentItem"]["fields"]["offerCode"],
        "TRAIL10"
    );
    let offer = offer.data()["createContentItem"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    publish_all(
        &app,
        &client,
        &bot,
        &[poll.clone(), question.clone(), offer.clone()],
    )
    .await;

    let t1 = (now - Duration::hours(2)).to_rfc3339();
    let t2 = (now - Duration::hours(1)).to_rfc3339();
    let m = |item: &str, metric: &str, option: Option<&str>, at: &str, value: f64| json!({ "itemId": item, "metric": metric, "option": option, "observedAt": at, "value": value });
    let ingest = "mutation($i: IngestContentMetricsInput!) { ingestContentMetrics(input: $i) { inserted duplicates rejected { index field } } }";
    // Bad rows: an unpublished item, poll votes without their option, an
    // option on another metric, a negative count. Nothing is written.
    let bad = app
        .gql_as(
            Some(&bot),
            ingest,
            json!({ "i": { "brandId": brand, "rows": [
            m(&draft, "REACH", None, &t1, 5.0),
            m(&poll, "VOTES", None, &t1, 5.0),
            m(&poll, "REACH", Some("Boots"), &t1, 5.0),
            m(&question, "REPLIES", None, &t1, -1.0),
            m(&question, "REACH", None, &t1, 50.0),
        ] } }),
        )
        .await;
    let fields: Vec<String> = bad.data()["ingestContentMetrics"]["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        fields,
        [
            "rows.0.itemId",
            "rows.1.option",
            "rows.2.option",
            "rows.3.value"
        ]
    );
    assert_eq!(bad.data()["ingestContentMetrics"]["inserted"], 0);
    let rows = json!([
        m(&poll, "REACH", None, &t1, 100.0),
        m(&poll, "REACH", None, &t2, 200.0),
        m(&poll, "REACTIONS", None, &t2, 10.0),
        m(&poll, "REPLIES", None, &t2, 4.0),
        m(&poll, "VOTES", Some("boots"), &t1, 6.0),
        m(&poll, "VOTES", Some("Boots"), &t2, 8.0),
        m(&poll, "VOTES", Some("Shoes"), &t1, 5.0),
        m(&question, "REACH", None, &t2, 50.0),
        m(&question, "REPLIES", None, &t2, 5.0),
    ]);
    let ok = app
        .gql_as(
            Some(&bot),
            ingest,
            json!({ "i": { "brandId": brand, "rows": rows } }),
        )
        .await;
    assert_eq!(ok.data()["ingestContentMetrics"]["inserted"], 9);
    let replay = app
        .gql_as(
            Some(&bot),
            ingest,
            json!({ "i": { "brandId": brand, "rows": rows } }),
        )
        .await;
    assert_eq!(replay.data()["ingestContentMetrics"]["inserted"], 0);
    assert_eq!(replay.data()["ingestContentMetrics"]["duplicates"], 9);

    // Activity in the community: one a day and a half ago (before the
    // campaign, whose window so far is the last day), two in the last hour.
    app.gql(
        "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }",
        json!({ "i": { "communityId": c, "rows": [
            { "sourceKey": "a1", "externalId": "ana", "kind": "message", "occurredAt": (now - Duration::hours(36)).to_rfc3339() },
            { "sourceKey": "a2", "externalId": "ana", "kind": "message", "occurredAt": (now - Duration::hours(1)).to_rfc3339(), "contentItemId": poll },
            { "sourceKey": "a3", "externalId": "ben", "kind": "message", "occurredAt": (now - Duration::minutes(30)).to_rfc3339(), "contentItemId": poll },
        ] } }),
    )
    .await
    .data();
    let stray = app
        .gql(
            "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted rejected { field } } }",
            json!({ "i": { "communityId": c, "rows": [
                { "sourceKey": "a4", "externalId": "ana", "kind": "message", "occurredAt": now.to_rfc3339(), "contentItemId": uuid::Uuid::new_v4().to_string() },
            ] } }),
        )
        .await;
    assert_eq!(
        stray.data()["ingestActivities"]["rejected"][0]["field"],
        "rows.0.contentItemId"
    );
    // Orders: two with the offer's code (any case), one with another code.
    let orders = app
        .gql(
            "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted rejected { field } } }",
            json!({ "i": { "brandId": brand, "rows": [
                { "externalId": "o1", "customerRef": "c1", "orderedAt": now.to_rfc3339(), "amount": "20.00", "currency": "EUR", "offerCode": "trail10" },
                { "externalId": "o2", "customerRef": "c2", "orderedAt": now.to_rfc3339(), "amount": "30.50", "currency": "EUR", "offerCode": "TRAIL10" },
                { "externalId": "o3", "customerRef": "c3", "orderedAt": now.to_rfc3339(), "amount": "99.00", "currency": "EUR", "offerCode": "OTHER1" },
                { "externalId": "o4", "customerRef": "c4", "orderedAt": now.to_rfc3339(), "amount": "5.00", "currency": "EUR" },
            ] } }),
        )
        .await;
    assert_eq!(
        orders.data()["ingestOrders"]["inserted"],
        4,
        "{}",
        orders.body
    );
    // Stored as sent: the codes normalised, the order without one NULL
    // (one batch, so on PostgreSQL one insert whose NULLs ride a flag array).
    {
        use sea_orm::{ConnectionTrait, Statement};
        let db = &app.context.db;
        let stored: Vec<(String, Option<String>)> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT external_id, offer_code FROM customer_order \
                 WHERE external_id IN ('o1', 'o2', 'o3', 'o4') ORDER BY external_id",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.try_get::<String>("", "external_id").unwrap(),
                    r.try_get::<Option<String>>("", "offer_code").unwrap(),
                )
            })
            .collect();
        let code = |c: &str| Some(c.to_string());
        assert_eq!(
            stored,
            vec![
                ("o1".to_string(), code("TRAIL10")),
                ("o2".to_string(), code("TRAIL10")),
                ("o3".to_string(), code("OTHER1")),
                ("o4".to_string(), None),
            ]
        );
    }
    let bad_code = app
        .gql(
            "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted rejected { field } } }",
            json!({ "i": { "brandId": brand, "rows": [
                { "externalId": "o5", "customerRef": "c1", "orderedAt": now.to_rfc3339(), "amount": "1.00", "currency": "EUR", "offerCode": "no spaces!" },
            ] } }),
        )
        .await;
    assert_eq!(
        bad_code.data()["ingestOrders"]["rejected"][0]["field"],
        "rows.0.offerCode"
    );

    let q = "query($p: ID!, $c: ID!, $o: ID!) { contentItem(id: $p) { results { interactions engagementRate votes { option votes } metrics { metric value } answeringActivities answeringMembers } }
        offer: contentItem(id: $o) { results { attributedOrders attributedRevenue { currency amount orders } } }
        campaign(id: $c) { results { publishedItems answeringMembers attributedRevenue { currency amount orders } totals { metric value } targets { target { metric } actual progress }
          communityActivity { activitiesBefore activitiesDuring activeMembersBefore activeMembersDuring activityChange } } } }";
    let a = app
        .gql_as(
            Some(&client),
            q,
            json!({ "p": poll, "c": camp, "o": offer }),
        )
        .await;
    // Two activities name the poll, by ana and ben.
    assert_eq!(a.data()["contentItem"]["results"]["answeringActivities"], 2);
    assert_eq!(a.data()["contentItem"]["results"]["answeringMembers"], 2);
    // Orders o1 and o2 used TRAIL10: 20.00 + 30.50 = 50.50 EUR.
    let offer_results = &a.data()["offer"]["results"];
    assert_eq!(offer_results["attributedOrders"], 2);
    assert_eq!(
        offer_results["attributedRevenue"],
        json!([{ "currency": "EUR", "amount": 50.5, "orders": 2 }])
    );
    let r = &a.data()["contentItem"]["results"];
    // Poll, latest of each: reach 200, reactions 10, replies 4, votes
    // Boots 8 + Shoes 5 = 13. Interactions 10 + 4 + 13 = 27; 27 / 200 = 0.135.
    assert_eq!(r["interactions"], 27.0);
    assert!((r["engagementRate"].as_f64().unwrap() - 0.135).abs() < 1e-12);
    assert_eq!(
        r["votes"],
        json!([{ "option": "Boots", "votes": 8.0 }, { "option": "Shoes", "votes": 5.0 }])
    );
    let results = &a.data()["campaign"]["results"];
    assert_eq!(results["publishedItems"], 3);
    assert_eq!(results["answeringMembers"], 2);
    assert_eq!(
        results["attributedRevenue"],
        json!([{ "currency": "EUR", "amount": 50.5, "orders": 2 }])
    );
    // Totals: reach 200 + 50 = 250, reactions 10, replies 4 + 5 = 9, votes 13.
    assert_eq!(
        results["totals"],
        json!([
            { "metric": "REACH", "value": 250.0 },
            { "metric": "REACTIONS", "value": 10.0 },
            { "metric": "REPLIES", "value": 9.0 },
            { "metric": "VOTES", "value": 13.0 }
        ])
    );
    // Replies 9 of 10 = 0.9; reach 250 of 1000 = 0.25.
    assert_eq!(
        results["targets"],
        json!([
            { "target": { "metric": "REPLIES" }, "actual": 9.0, "progress": 0.9 },
            { "target": { "metric": "REACH" }, "actual": 250.0, "progress": 0.25 }
        ])
    );
    // 2 activities by 2 members during, 1 by 1 member before: +100%.
    assert_eq!(
        results["communityActivity"],
        json!({ "activitiesBefore": 1, "activitiesDuring": 2, "activeMembersBefore": 1, "activeMembersDuring": 2, "activityChange": 1.0 })
    );

    let p = app
        .gql_as(
            Some(&client),
            "query($c: ID!) { contentPerformance(communityId: $c) { kind items itemsWithReach meanEngagementRate meanReplies smallSample } }",
            json!({ "c": c }),
        )
        .await;
    // Poll 27 / 200 = 0.135 ahead of the question's 5 / 50 = 0.1; one item
    // each, so both small samples (fewer than 5).
    assert_eq!(
        p.data()["contentPerformance"],
        json!([
            { "kind": "POLL", "items": 1, "itemsWithReach": 1, "meanEngagementRate": 0.135, "meanReplies": 4.0, "smallSample": true },
            { "kind": "QUESTION", "items": 1, "itemsWithReach": 1, "meanEngagementRate": 0.1, "meanReplies": 5.0, "smallSample": true },
            { "kind": "EXCLUSIVE_OFFER", "items": 1, "itemsWithReach": 0, "meanEngagementRate": null, "meanReplies": 0.0, "smallSample": true }
        ])
    );

    // Another brand's bot and staff see none of it.
    let other = app.create_brand("Other").await;
    let (_, their_bot, _) = app.integration_token(&other, &["PUBLISH_CONTENT"]).await;
    let theirs = app
        .gql_as(
            Some(&their_bot),
            ingest,
            json!({ "i": { "brandId": other, "rows": [m(&poll, "REACH", None, &t2, 1.0)] } }),
        )
        .await;
    assert_eq!(
        theirs.data()["ingestContentMetrics"]["rejected"][0]["field"],
        "rows.0.itemId"
    );
    assert_eq!(
        app.gql_as(
            Some(&their_bot),
            ingest,
            json!({ "i": { "brandId": brand, "rows": [] } })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
    let (_, their_consultant) = app.consultant_for(&[&other]).await;
    assert_eq!(
        app.gql_as(
            Some(&their_consultant),
            "query($c: ID!) { contentPerformance(communityId: $c) { kind } }",
            json!({ "c": c })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
}

/// Creates an offer item (approved by the client) with `fields`.
async fn offer(app: &TestApp, client: &str, camp: &str, c: &str, fields: Value) -> String {
    let a = app
        .gql(
            ITEM,
            json!({ "i": { "campaignId": camp, "communityId": c, "kind": "EXCLUSIVE_OFFER",
            "title": "Members' price", "body": "Just for you", "fields": fields } }),
        )
        .await;
    let id = a.data()["createContentItem"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    approve(app, client, &id).await;
    id
}

const RECIPIENTS: &str = "query($id: ID!, $s: RecipientStatus) { contentItem(id: $id) { recipientCounts { addressed capped }
    recipients(status: $s) { totalCount edges { node { memberId status offerCode reason identities { externalId } } } } } }";

/// `(externalId, status, offerCode, reason)` of an item's recipients.
async fn recipients_of(
    app: &TestApp,
    id: &str,
) -> Vec<(String, String, Option<String>, Option<String>)> {
    let a = app.gql(RECIPIENTS, json!({ "id": id })).await;
    let mut out: Vec<_> = a.data()["contentItem"]["recipients"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["identities"][0]["externalId"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                n["status"].as_str().unwrap().to_string(),
                n["offerCode"].as_str().map(String::from),
                n["reason"].as_str().map(String::from),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_respect_the_brands_cap_per_member_across_communities_and_hand_out_member_codes() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let brand_q = "query($b: ID!) { brand(id: $b) { maxOffersPerMember } }";
    assert_eq!(
        app.gql(brand_q, json!({ "b": brand })).await.data()["brand"]["maxOffersPerMember"],
        4,
        "a new brand starts with a cap of 4"
    );
    let set_cap = "mutation($b: ID!, $n: Int) { updateBrand(id: $b, input: { maxOffersPerMember: $n }) { maxOffersPerMember } }";
    let bad = app.gql(set_cap, json!({ "b": brand, "n": 0 })).await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert_eq!(
        bad.body["errors"][0]["extensions"]["field"],
        "input.maxOffersPerMember"
    );
    let ok = app.gql(set_cap, json!({ "b": brand, "n": 2 })).await;
    assert_eq!(ok.data()["updateBrand"]["maxOffersPerMember"], 2);

    // Ana is in both communities (the same Discord account), Ben in A, Cara in B.
    let a = community(&app, &brand, "Trail A", Value::Null).await;
    let b = community(&app, &brand, "Trail B", Value::Null).await;
    let now = Utc::now();
    for (c, who) in [(&a, vec!["ana", "ben"]), (&b, vec!["ana", "cara"])] {
        let rows: Vec<Value> = who
            .iter()
            .map(|w| json!({ "sourceKey": format!("{c}-{w}"), "externalId": w, "kind": "message", "occurredAt": (now - Duration::days(1)).to_rfc3339() }))
            .collect();
        app.gql(
            "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }",
            json!({ "i": { "communityId": c, "rows": rows } }),
        )
        .await
        .data();
    }
    let camp = campaign(&app, &brand, &[&a, &b]).await;
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;

    // Validation: per-member codes need a code to start from, and room for
    // the suffix; other kinds take no offer fields.
    let bad_fields = [
        (
            "EARLY_ACCESS",
            json!({ "perMemberCodes": true }),
            "input.fields.perMemberCodes",
        ),
        (
            "EXCLUSIVE_OFFER",
            json!({ "offerCode": "X".repeat(56), "perMemberCodes": true }),
            "input.fields.offerCode",
        ),
    ];
    for (kind, fields, field) in bad_fields {
        let r = app
            .gql(
                ITEM,
                json!({ "i": { "campaignId": camp, "communityId": a, "kind": kind,
                "title": "t", "body": "b", "fields": fields } }),
            )
            .await;
        assert_eq!(r.code(), "BAD_USER_INPUT", "{}", r.body);
        assert_eq!(r.body["errors"][0]["extensions"]["field"], field);
    }
    let post = app
        .gql(
            ITEM,
            json!({ "i": { "campaignId": camp, "communityId": a, "kind": "POST",
            "title": "t", "body": "b", "fields": { "perMemberCodes": true } } }),
        )
        .await;
    assert_eq!(post.code(), "BAD_USER_INPUT");

    let schedule = |id: String, at: DateTime<Utc>| {
        let app = &app;
        async move {
            let s = app.gql(SCHEDULE, json!({ "id": id, "at": at })).await;
            assert_eq!(
                s.data()["scheduleContent"]["status"],
                "SCHEDULED",
                "{}",
                s.body
            );
        }
    };
    let day = |d: i64| hour(24 * d);
    // o1 in A on day 2 with per-member codes; o2 in B on day 10.
    let o1 = offer(
        &app,
        &client,
        &camp,
        &a,
        json!({ "offerCode": "trail", "perMemberCodes": true }),
    )
    .await;
    schedule(o1.clone(), day(2)).await;
    let o2 = offer(&app, &client, &camp, &b, json!({ "offerCode": "TRAILB" })).await;
    schedule(o2.clone(), day(10)).await;
    let r1 = recipients_of(&app, &o1).await;
    assert_eq!(r1.len(), 2);
    let codes: Vec<String> = r1.iter().map(|r| r.2.clone().unwrap()).collect();
    for (r, code) in r1.iter().zip(&codes) {
        assert_eq!(r.1, "ADDRESSED");
        assert!(
            code.len() == 14
                && code.starts_with("TRAIL-")
                && code[6..]
                    .chars()
                    .all(|c| "23456789ABCDEFGHJKLMNPQRSTUVWXYZ".contains(c)),
            "{code}"
        );
    }
    assert_ne!(codes[0], codes[1], "each member has their own code");
    assert_eq!(
        recipients_of(&app, &o2)
            .await
            .iter()
            .map(|r| r.2.clone())
            .collect::<Vec<_>>(),
        vec![None, None],
        "a shared code only"
    );

    // o3 in A on day 20: Ana already has o1 (day 2) and o2 (day 10), so the
    // window [day 2, day 32) would hold 3 > 2: she is kept from it; Ben has
    // only o1: addressed.
    let o3 = offer(&app, &client, &camp, &a, json!({ "offerCode": "TRAIL3" })).await;
    schedule(o3.clone(), day(20)).await;
    let r3 = recipients_of(&app, &o3).await;
    assert_eq!(r3[0].0, "ana");
    assert_eq!(r3[0].1, "CAPPED");
    let reason = r3[0].3.clone().unwrap();
    assert!(reason.contains(&o1) && reason.contains(&o2), "{reason}");
    assert_eq!((r3[1].0.as_str(), r3[1].1.as_str()), ("ben", "ADDRESSED"));
    let counts = app
        .gql(RECIPIENTS, json!({ "id": o3, "s": "CAPPED" }))
        .await;
    assert_eq!(
        counts.data()["contentItem"]["recipientCounts"],
        json!({ "addressed": 1, "capped": 1 })
    );
    assert_eq!(counts.data()["contentItem"]["recipients"]["totalCount"], 1);
    assert_eq!(
        counts.data()["contentItem"]["recipients"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "filtered by status"
    );

    // o4 in B on day 31: the window from day 2 holds o1 and o2 for Ana
    // (capped); Cara has o2 only. Moved to day 33 (past day 2 + 30), the
    // fullest window from day 10 holds o2 alone: Ana is addressed.
    let o4 = offer(&app, &client, &camp, &b, json!({ "offerCode": "TRAIL4" })).await;
    schedule(o4.clone(), day(31)).await;
    let statuses = |r: &[(String, String, Option<String>, Option<String>)]| {
        r.iter()
            .map(|r| (r.0.clone(), r.1.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        statuses(&recipients_of(&app, &o4).await),
        [
            ("ana".into(), "CAPPED".into()),
            ("cara".into(), "ADDRESSED".into())
        ]
    );
    schedule(o4.clone(), day(33)).await;
    assert_eq!(
        statuses(&recipients_of(&app, &o4).await),
        [
            ("ana".into(), "ADDRESSED".into()),
            ("cara".into(), "ADDRESSED".into())
        ]
    );
    // Moving o1 keeps each member's code.
    schedule(o1.clone(), day(3)).await;
    let moved: Vec<String> = recipients_of(&app, &o1)
        .await
        .iter()
        .map(|r| r.2.clone().unwrap())
        .collect();
    assert_eq!(moved, codes);
    // Without a cap nobody is kept from an offer.
    app.gql(set_cap, json!({ "b": brand, "n": null }))
        .await
        .data();
    schedule(o3.clone(), day(21)).await;
    assert_eq!(
        statuses(&recipients_of(&app, &o3).await),
        [
            ("ana".into(), "ADDRESSED".into()),
            ("ben".into(), "ADDRESSED".into())
        ]
    );

    // An order naming Ana's own code counts for o1, as does one naming the
    // shared code of o2: 12.50 EUR and 40.00 EUR.
    let orders = app
        .gql(
            "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
            json!({ "i": { "brandId": brand, "rows": [
                { "externalId": "m1", "customerRef": "c1", "orderedAt": now.to_rfc3339(), "amount": "12.50", "currency": "EUR", "offerCode": codes[0].to_lowercase() },
                { "externalId": "m2", "customerRef": "c2", "orderedAt": now.to_rfc3339(), "amount": "40.00", "currency": "EUR", "offerCode": "trailb" },
            ] } }),
        )
        .await;
    assert_eq!(orders.data()["ingestOrders"]["inserted"], 2);
    let res = app
        .gql(
            "query($a: ID!, $b: ID!) { a: contentItem(id: $a) { results { attributedOrders attributedRevenue { currency amount orders } } }
               b: contentItem(id: $b) { results { attributedOrders } } }",
            json!({ "a": o1, "b": o2 }),
        )
        .await;
    assert_eq!(
        res.data()["a"]["results"]["attributedRevenue"],
        json!([{ "currency": "EUR", "amount": 12.5, "orders": 1 }])
    );
    assert_eq!(res.data()["b"]["results"]["attributedOrders"], 1);

    // A publishing bot gets the addressed members with their codes.
    let (_, bot, _) = app.integration_token(&brand, &["PUBLISH_CONTENT"]).await;
    let due = offer(
        &app,
        &client,
        &camp,
        &a,
        json!({ "offerCode": "NOW", "perMemberCodes": true }),
    )
    .await;
    app.gql(
        SCHEDULE,
        json!({ "id": due, "at": Utc::now() + Duration::milliseconds(800) }),
    )
    .await
    .data();
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let claimed = app
        .gql_as(
            Some(&bot),
            "mutation { claimDueContent(limit: 10) { itemId recipients { edges { node { status offerCode identities { platform externalId } } } } } }",
            json!({}),
        )
        .await;
    let claimed = &claimed.data()["claimDueContent"];
    assert_eq!(claimed[0]["itemId"], json!(due));
    let sent: Vec<&Value> = claimed[0]["recipients"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|n| n["status"] == "ADDRESSED"
        && n["offerCode"].as_str().unwrap().starts_with("NOW-")
        && n["identities"][0]["platform"] == "DISCORD"));

    // Another brand's staff and client see none of it.
    let other = app.create_brand("Other").await;
    let (_, their_consultant) = app.consultant_for(&[&other]).await;
    let (_, their_client) = app.user_token("CLIENT", Some(&other)).await;
    for token in [&their_consultant, &their_client] {
        assert_eq!(
            app.gql_as(Some(token), RECIPIENTS, json!({ "id": o1 }))
                .await
                .code(),
            "NOT_FOUND"
        );
    }
    let their_set = app
        .gql_as(
            Some(&their_consultant),
            set_cap,
            json!({ "b": brand, "n": 9 }),
        )
        .await;
    assert_eq!(their_set.code(), "NOT_FOUND");
}
