//! Webhooks end to end: a local receiver on 127.0.0.1, signed deliveries
//! written with the change, retried until a 2xx, claimed by one of two
//! instances at a time, redelivered by hand, disabled after failing.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::{
    helpers::TestApp,
    live::{listening, Ws, EVENTS},
};

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

/// A receiver that answers the statuses queued for it (then 204), and
/// keeps what it got.
#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<Received>>>,
    pub answers: Arc<Mutex<VecDeque<u16>>>,
}

async fn receive(req: HttpRequest, body: web::Bytes, r: web::Data<Receiver>) -> HttpResponse {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    r.got.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: String::from_utf8_lossy(&body).to_string(),
    });
    let status = r.answers.lock().unwrap().pop_front().unwrap_or(204);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).body("ok")
}

/// Starts a receiver; answers its base URL.
pub fn receiver(r: &Receiver) -> String {
    let data = web::Data::new(r.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/{path}", web::post().to(receive))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    format!("http://127.0.0.1:{port}")
}

async fn app() -> TestApp {
    TestApp::spawn_with(|s| {
        s.webhooks.deliver = true;
        s.webhooks.allow_private_networks = true;
        s.webhooks.poll_interval_ms = 50;
        s.webhooks.first_retry_ms = 100;
    })
    .await
}

pub async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const CREATE: &str = "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret endpoint { id url eventTypes disabledAt } } }";
const DELIVERIES: &str = "query($e: ID!) { webhookDeliveries(endpointId: $e) { totalCount edges { node { id webhookId eventType status payload attempts { statusCode latencyMs error } } } } }";
const ORDERS: &str =
    "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted rejected { index } } }";

fn order(id: &str, amount: &str) -> Value {
    json!({ "externalId": id, "customerRef": "c-1", "orderedAt": "2026-11-02T10:00:00Z", "amount": amount, "currency": "EUR" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_reaches_a_signed_endpoint_exactly_once_through_failures_and_instances() {
    let app = app().await;
    // A second instance on the same database runs its own worker too.
    let second = app.another_instance().await;
    let brand = app.create_brand("Acme").await;
    let other = app.create_brand("Other").await;
    let (_, bot, _) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    let (_, other_bot, _) = app.integration_token(&other, &["INGEST_ORDERS"]).await;
    let r = Receiver::default();
    let base = receiver(&r);

    // The integration registers its endpoint; the secret is shown once.
    let created = app
        .gql_as(Some(&bot), CREATE, json!({ "i": { "url": format!("{base}/hook"), "eventTypes": ["INGEST_COMMITTED", "REPORT_FROZEN"] } }))
        .await;
    let created = created.data()["createWebhookEndpoint"].clone();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let endpoint = created["endpoint"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        created["endpoint"]["eventTypes"],
        json!(["INGEST_COMMITTED", "REPORT_FROZEN"])
    );

    // The receiver fails twice, then takes it.
    r.answers.lock().unwrap().extend([500, 503]);
    let a = app.gql_as(Some(&bot), ORDERS, json!({ "i": { "brandId": brand, "rows": [order("o1", "10.00"), order("o2", "20.00")] } })).await;
    assert_eq!(a.data()["ingestOrders"]["inserted"], 2);
    wait_for("a delivery answered 2xx", || {
        r.got.lock().unwrap().len() >= 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "{got:?}");
    // One message: the same id each time, signed as Standard Webhooks says.
    assert!(got.iter().all(|g| g.id == got[0].id));
    for g in &got {
        let expected =
            hearth::webhook::sign::signature(&secret, &g.id, g.timestamp.parse().unwrap(), &g.body)
                .unwrap();
        assert_eq!(g.signature, expected);
    }
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "ingest.committed");
    assert_eq!(body["data"]["brandId"], json!(brand));
    assert_eq!(body["data"]["inserted"], 2);
    assert_eq!(body["data"]["ingest"], "impact.ingest_orders");

    // The attempts are readable per endpoint.
    let d = app
        .gql_as(Some(&bot), DELIVERIES, json!({ "e": endpoint }))
        .await;
    let d = d.data()["webhookDeliveries"].clone();
    assert_eq!(d["totalCount"], 1);
    let node = &d["edges"][0]["node"];
    assert_eq!(node["status"], "DELIVERED");
    assert_eq!(node["webhookId"], json!(got[0].id));
    let codes: Vec<&Value> = node["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["statusCode"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(503), &json!(204)]);

    // A refused batch writes nothing, no event either; another brand's
    // ingest reaches nobody here.
    let refused = app
        .gql_as(
            Some(&bot),
            ORDERS,
            json!({ "i": { "brandId": brand, "rows": [order("o3", "not money")] } }),
        )
        .await;
    assert_eq!(refused.data()["ingestOrders"]["inserted"], 0);
    let elsewhere = app
        .gql_as(
            Some(&other_bot),
            ORDERS,
            json!({ "i": { "brandId": other, "rows": [order("x1", "5.00")] } }),
        )
        .await;
    assert_eq!(elsewhere.data()["ingestOrders"]["inserted"], 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(r.got.lock().unwrap().len(), 3);

    // Ten batches through two instances' workers: each message once.
    for n in 0..10 {
        let who = if n % 2 == 0 { &app } else { &second };
        who.gql_as(
            Some(&bot),
            ORDERS,
            json!({ "i": { "brandId": brand, "rows": [order(&format!("b{n}"), "1.00")] } }),
        )
        .await
        .data();
    }
    wait_for("ten more deliveries", || r.got.lock().unwrap().len() >= 13).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let got = r.got.lock().unwrap().clone();
    let mut ids: Vec<&str> = got.iter().skip(3).map(|g| g.id.as_str()).collect();
    assert_eq!(ids.len(), 10, "{got:?}");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 10, "a message was delivered twice");

    // Redelivered by hand: the same id again.
    let first = node["id"].as_str().unwrap();
    let again = app
        .gql_as(
            Some(&bot),
            "mutation($id: ID!) { redeliverWebhook(id: $id) { status } }",
            json!({ "id": first }),
        )
        .await;
    assert_eq!(again.data()["redeliverWebhook"]["status"], "PENDING");
    wait_for("the redelivery", || r.got.lock().unwrap().len() >= 14).await;
    assert_eq!(r.got.lock().unwrap()[13].id, got[0].id);

    // Another brand's staff and integrations see none of it.
    let (_, stranger) = app.consultant_for(&[&other]).await;
    assert_eq!(
        app.gql_as(Some(&stranger), DELIVERIES, json!({ "e": endpoint }))
            .await
            .code(),
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql_as(Some(&other_bot), DELIVERIES, json!({ "e": endpoint }))
            .await
            .code(),
        "NOT_FOUND"
    );
    let theirs = app
        .gql_as(Some(&stranger), "query { webhookEndpoints(integrationId: \"00000000-0000-7000-8000-000000000000\") { totalCount } }", json!({}))
        .await;
    assert_eq!(theirs.code(), "NOT_FOUND");
    let node_view = app
        .gql_as(
            Some(&stranger),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": endpoint }),
        )
        .await;
    assert_eq!(node_view.data()["node"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_too_long_is_disabled_and_its_owner_told() {
    let app = TestApp::spawn_with(|s| {
        s.webhooks.deliver = true;
        s.webhooks.allow_private_networks = true;
        s.webhooks.poll_interval_ms = 50;
        s.webhooks.first_retry_ms = 100;
        s.webhooks.disable_after_secs = 0;
    })
    .await;
    let brand = app.create_brand("Acme").await;
    let (integration, bot, _) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    let failing = Receiver::default();
    failing.answers.lock().unwrap().extend([500; 50]);
    let failing_url = format!("{}/down", receiver(&failing));
    let told = Receiver::default();
    let told_url = format!("{}/owner", receiver(&told));
    // The brand's consultant registers both for the integration.
    let (_, consultant) = app.consultant_for(&[&brand]).await;
    let down = app
        .gql_as(Some(&consultant), CREATE, json!({ "i": { "integrationId": integration, "url": failing_url, "eventTypes": ["INGEST_COMMITTED"] } }))
        .await;
    let down = down.data()["createWebhookEndpoint"]["endpoint"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.gql_as(Some(&consultant), CREATE, json!({ "i": { "integrationId": integration, "url": told_url, "eventTypes": ["ENDPOINT_DISABLED"] } }))
        .await
        .data();

    app.gql_as(
        Some(&bot),
        ORDERS,
        json!({ "i": { "brandId": brand, "rows": [order("o1", "10.00")] } }),
    )
    .await
    .data();
    wait_for("the owner to be told", || {
        !told.got.lock().unwrap().is_empty()
    })
    .await;
    let body: Value = serde_json::from_str(&told.got.lock().unwrap()[0].body).unwrap();
    assert_eq!(body["type"], "webhook.endpoint_disabled");
    assert_eq!(body["data"]["endpointId"], json!(down));
    let listed = app
        .gql_as(
            Some(&bot),
            "query { webhookEndpoints { edges { node { id disabledAt disabledReason } } } }",
            json!({}),
        )
        .await;
    let disabled = listed.data()["webhookEndpoints"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == json!(down))
        .unwrap()
        .clone();
    assert!(!disabled["node"]["disabledAt"].is_null());
    // No more attempts at a disabled endpoint.
    let tried = failing.got.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(failing.got.lock().unwrap().len(), tried);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_are_checked_and_internal_addresses_refused() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let (_, bot, _) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    for (url, events) in [
        ("http://127.0.0.1:9/hook", json!(["INGEST_COMMITTED"])),
        (
            "http://169.254.169.254/latest/meta-data",
            json!(["INGEST_COMMITTED"]),
        ),
        ("http://[::1]/hook", json!(["INGEST_COMMITTED"])),
        ("ftp://example.com/hook", json!(["INGEST_COMMITTED"])),
        ("http://127.0.0.1:9/hook", json!([])),
    ] {
        let a = app
            .gql_as(
                Some(&bot),
                CREATE,
                json!({ "i": { "url": url, "eventTypes": events } }),
            )
            .await;
        assert_eq!(a.code(), "BAD_USER_INPUT", "{url}");
    }
    let listed = app
        .gql_as(
            Some(&bot),
            "query { webhookEndpoints { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(listed.data()["webhookEndpoints"]["totalCount"], 0);
    // Client users manage no endpoints.
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let (integration, _, _) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    let refused = app
        .gql_as(Some(&client), CREATE, json!({ "i": { "integrationId": integration, "url": "https://example.com/hook", "eventTypes": ["INGEST_COMMITTED"] } }))
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_slipping_away_and_certifications_expiring_are_announced_once() {
    let app = TestApp::spawn_with(|s| {
        s.webhooks.deliver = true;
        s.webhooks.allow_private_networks = true;
        s.webhooks.poll_interval_ms = 50;
        s.webhooks.scan_interval_secs = 1;
    })
    .await;
    let brand = app.create_brand("Acme").await;
    let (_, bot, _) = app
        .integration_token(&brand, &["INGEST_ACTIVITIES", "INGEST_TRAINING"])
        .await;
    let r = Receiver::default();
    let url = format!("{}/scan", receiver(&r));
    app.gql_as(Some(&bot), CREATE, json!({ "i": { "url": url, "eventTypes": ["MEMBER_SLIPPING_AWAY", "CERTIFICATION_EXPIRING"] } }))
        .await
        .data();
    // The brand's client follows the same two events live.
    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let mut ws = Ws::connect(&app, &client).await;
    ws.subscribe(
        "scan",
        EVENTS,
        json!({ "t": ["MEMBER_SLIPPING_AWAY", "CERTIFICATION_EXPIRING"] }),
    )
    .await;
    listening(&app, 1).await;
    let community = app
        .gql(
            "mutation($b: ID!) { createCommunity(input: { brandId: $b, name: \"Trail\", purpose: \"Hikes\", kind: LIFESTYLE, platform: DISCORD }) { id } }",
            json!({ "b": brand }),
        )
        .await;
    let community = community.data()["createCommunity"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // di posted 20 times 40-59 days ago and not since (an ultra slipping
    // away); al was active yesterday.
    let now = chrono::Utc::now();
    let mut rows: Vec<Value> = (0..20)
        .map(|i| json!({ "sourceKey": format!("di-{i}"), "externalId": "di", "handle": "di", "kind": "post", "occurredAt": (now - chrono::Duration::days(40 + i)).to_rfc3339() }))
        .collect();
    rows.push(json!({ "sourceKey": "al-1", "externalId": "al", "handle": "al", "kind": "post", "occurredAt": (now - chrono::Duration::days(1)).to_rfc3339() }));
    app.gql_as(
        Some(&bot),
        "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }",
        json!({ "i": { "communityId": community, "rows": rows } }),
    )
    .await
    .data();
    // A certification issued 350 days ago, valid 12 months: it expires in
    // about 15 days.
    let programme = app
        .gql(
            "mutation($b: ID!) { createTrainingProgramme(input: { brandId: $b, title: \"Hosting\", validityMonths: 12, modules: [{ title: \"Read\", kind: READING, activityId: \"https://lms.example/read\" }] }) { id modules { id } } }",
            json!({ "b": brand }),
        )
        .await;
    let programme = programme.data()["createTrainingProgramme"].clone();
    let trainee = app
        .gql("mutation($b: ID!) { createTrainee(input: { brandId: $b, name: \"Mara\", email: \"mara@acme.example\" }) { id } }", json!({ "b": brand }))
        .await;
    let trainee = trainee.data()["createTrainee"]["id"].clone();
    app.gql(
        "mutation($p: ID!, $t: ID!) { enrollTrainees(input: { programmeId: $p, traineeIds: [$t] }) { enrolled } }",
        json!({ "p": programme["id"], "t": trainee }),
    )
    .await
    .data();
    let done = app
        .gql_as(
            Some(&bot),
            "mutation($i: IngestTrainingStatementsInput!) { ingestTrainingStatements(input: $i) { inserted rejected { index reason } } }",
            json!({ "i": { "brandId": brand, "rows": [{ "statementId": uuid::Uuid::new_v4().to_string(), "actorEmail": "mara@acme.example", "verb": "COMPLETED", "moduleId": programme["modules"][0]["id"], "timestamp": (now - chrono::Duration::days(350)).to_rfc3339() }] } }),
        )
        .await;
    assert_eq!(
        done.data()["ingestTrainingStatements"]["inserted"],
        1,
        "{}",
        done.body
    );

    wait_for("both announcements", || r.got.lock().unwrap().len() >= 2).await;
    // Two more scans announce nothing again.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    let mut types: Vec<String> = got
        .iter()
        .map(|g| {
            serde_json::from_str::<Value>(&g.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    types.sort();
    assert_eq!(types, ["certification.expiring", "member.slipping_away"]);
    let slip: Value = got
        .iter()
        .map(|g| serde_json::from_str::<Value>(&g.body).unwrap())
        .find(|b| b["type"] == "member.slipping_away")
        .unwrap();
    assert_eq!(slip["data"]["communityId"], json!(community));
    let di = app
        .gql(
            "query($c: ID!) { slippingAway(communityId: $c) { edges { node { memberId } } } }",
            json!({ "c": community }),
        )
        .await;
    assert_eq!(
        slip["data"]["memberId"],
        di.data()["slippingAway"]["edges"][0]["node"]["memberId"]
    );

    // The subscriber got the same two, once each, with their subjects.
    let mut live = [ws.event("scan").await, ws.event("scan").await];
    assert!(ws.recv_within(Duration::from_millis(300)).await.is_none());
    live.sort_by_key(|e| e["type"].as_str().unwrap().to_string());
    assert_eq!(live[0]["type"], "CERTIFICATION_EXPIRING");
    assert_eq!(live[0]["subjectId"], live[0]["data"]["certificationId"]);
    assert_eq!(live[1]["type"], "MEMBER_SLIPPING_AWAY");
    assert_eq!(live[1]["subjectId"], slip["data"]["memberId"]);
    assert_eq!(live[1]["data"], slip["data"]);
}
