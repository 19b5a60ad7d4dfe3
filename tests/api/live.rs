//! Live subscriptions end to end: a real WebSocket client speaking
//! `graphql-transport-ws` to the server, events from committed writes on
//! this or another instance, brand scope, revocation and the protocol's
//! close codes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, Message},
    MaybeTlsStream, WebSocketStream,
};

use crate::{
    helpers::{postgres_url, TestApp, PASSWORD},
    webhooks::{receiver, wait_for, Receiver},
};

/// What the server sent.
#[derive(Debug)]
pub enum Got {
    Message(Value),
    Closed(u16, String),
}

/// A WebSocket client of the test.
pub struct Ws(WebSocketStream<MaybeTlsStream<TcpStream>>);

pub const EVENTS: &str = "subscription($b: ID, $t: [WebhookEvent!]) { events(brandId: $b, types: $t) { eventId type brandId occurredAt subjectId data } }";
const ORDERS: &str =
    "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted rejected { index } } }";
/// How long a test waits for something that must come.
const WAIT: Duration = Duration::from_secs(10);

impl Ws {
    /// Opens a socket offering the protocol.
    pub async fn open(app: &TestApp) -> Self {
        Self::open_at(&app.address).await
    }

    /// Opens a socket to the server at `base` (`http://host:port`).
    pub async fn open_at(base: &str) -> Self {
        let url = format!("{}/graphql", base.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (stream, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        Self(stream)
    }

    /// Opens a socket and completes `connection_init` with `token`.
    pub async fn connect(app: &TestApp, token: &str) -> Self {
        Self::connect_at(&app.address, token).await
    }

    /// [`Ws::connect`] to the server at `base`.
    pub async fn connect_at(base: &str, token: &str) -> Self {
        let mut ws = Self::open_at(base).await;
        ws.send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
            .await;
        match ws.recv().await {
            Got::Message(m) => assert_eq!(m["type"], "connection_ack", "{m}"),
            other => panic!("expected connection_ack, got {other:?}"),
        }
        ws
    }

    pub async fn send(&mut self, v: Value) {
        self.0.send(Message::text(v.to_string())).await.unwrap();
    }

    /// The next protocol message (server pings answered and skipped) or
    /// the close; fails after [`WAIT`].
    pub async fn recv(&mut self) -> Got {
        self.recv_within(WAIT)
            .await
            .unwrap_or_else(|| panic!("nothing arrived within {WAIT:?}"))
    }

    pub async fn recv_within(&mut self, within: Duration) -> Option<Got> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.0.next())
                .await
                .ok()?;
            match frame {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(Got::Message(v));
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Some(Got::Closed(code, reason));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(Got::Closed(1006, String::new())),
            }
        }
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next `next` payload's event for subscription `id`.
    pub async fn event(&mut self, id: &str) -> Value {
        match self.recv().await {
            Got::Message(m) if m["type"] == "next" && m["id"] == id => {
                assert!(m["payload"].get("errors").is_none(), "{m}");
                m["payload"]["data"]["events"].clone()
            }
            other => panic!("expected an event for {id}, got {other:?}"),
        }
    }

    pub async fn closed(&mut self) -> (u16, String) {
        match self.recv().await {
            Got::Closed(code, reason) => (code, reason),
            other => panic!("expected the socket to close, got {other:?}"),
        }
    }
}

/// Waits until `n` subscriptions listen on `app`'s instance.
pub async fn listening(app: &TestApp, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.context.live.receivers() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "subscriptions did not start"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn order(id: &str, amount: &str) -> Value {
    json!({ "externalId": id, "customerRef": "c-1", "orderedAt": "2026-11-02T10:00:00Z", "amount": amount, "currency": "EUR" })
}

async fn ingest(app: &TestApp, token: &str, brand: &str, rows: Value) -> Value {
    app.gql_as(
        Some(token),
        ORDERS,
        json!({ "i": { "brandId": brand, "rows": rows } }),
    )
    .await
    .body
}

/// A second instance on the same database (and Redis), where the bus
/// crosses instances (Redis, PostgreSQL). The embedded default (SQLite,
/// in-process bus) is one instance by design: there the writer is `app`.
async fn second_instance(app: &TestApp) -> Option<TestApp> {
    match postgres_url() {
        Some(_) => Some(app.another_instance().await),
        None => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_on_one_instance_reaches_a_subscriber_and_a_webhook_on_another() {
    let app = TestApp::spawn_with(|s| {
        s.webhooks.deliver = true;
        s.webhooks.allow_private_networks = true;
        s.webhooks.poll_interval_ms = 50;
    })
    .await;
    let second = second_instance(&app).await;
    let writer = second.as_ref().unwrap_or(&app);
    let brand = app.create_brand("Acme").await;
    let (_, bot, _) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    let r = Receiver::default();
    let base = receiver(&r);
    app.gql_as(
        Some(&bot),
        "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }",
        json!({ "i": { "url": format!("{base}/hook"), "eventTypes": ["INGEST_COMMITTED"] } }),
    )
    .await
    .data();
    let (_, client_email) = app.create_user("CLIENT", Some(&brand)).await;
    let client = app.login(&client_email, PASSWORD).await;

    let mut ws = Ws::connect(&app, &client).await;
    ws.subscribe("s1", EVENTS, json!({})).await;
    listening(&app, 1).await;

    let answer = ingest(
        writer,
        &bot,
        &brand,
        json!([order("o-1", "10.00"), order("o-2", "12.50")]),
    )
    .await;
    assert_eq!(answer["data"]["ingestOrders"]["inserted"], 2, "{answer}");

    let event = ws.event("s1").await;
    assert_eq!(event["type"], "INGEST_COMMITTED");
    // The instance reports what it holds open.
    assert_eq!(
        app.metric("hearth_live_open{kind=\"connections\"}").await,
        1.0
    );
    assert_eq!(
        app.metric("hearth_live_open{kind=\"subscriptions\"}").await,
        1.0
    );
    assert_eq!(event["brandId"], brand);
    assert_eq!(event["subjectId"], Value::Null);
    assert_eq!(event["data"]["ingest"], "impact.ingest_orders");
    assert_eq!(event["data"]["inserted"], 2);
    assert_eq!(event["data"]["rejected"], 0);

    // The webhook endpoint gets the same event.
    wait_for("the webhook delivery", || !r.got.lock().unwrap().is_empty()).await;
    let body: Value = serde_json::from_str(&r.got.lock().unwrap()[0].body).unwrap();
    assert_eq!(body["type"], "ingest.committed");
    assert_eq!(body["data"], event["data"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_brands_subscriber_receives_nothing() {
    let app = TestApp::spawn().await;
    let second = second_instance(&app).await;
    let writer = second.as_ref().unwrap_or(&app);
    let acme = app.create_brand("Acme").await;
    let other = app.create_brand("Other").await;
    let (_, acme_bot, _) = app.integration_token(&acme, &["INGEST_ORDERS"]).await;
    let (_, other_bot, _) = app.integration_token(&other, &["INGEST_ORDERS"]).await;
    let (_, other_client) = app.create_user("CLIENT", Some(&other)).await;
    let other_client = app.login(&other_client, PASSWORD).await;
    let (_, consultant) = app.consultant_for(&[&acme]).await;

    // A client of the other brand, an integration of the other brand and
    // a consultant assigned to Acme only, all asking for everything.
    let mut other_ws = Ws::connect(&app, &other_client).await;
    other_ws.subscribe("a", EVENTS, json!({})).await;
    let mut bot_ws = Ws::connect(&app, &other_bot).await;
    bot_ws.subscribe("b", EVENTS, json!({})).await;
    let mut consultant_ws = Ws::connect(&app, &consultant).await;
    consultant_ws.subscribe("c", EVENTS, json!({})).await;
    listening(&app, 3).await;

    ingest(writer, &acme_bot, &acme, json!([order("o-1", "10.00")])).await;
    let seen = consultant_ws.event("c").await;
    assert_eq!(seen["brandId"], acme);
    // Then an event of the other brand: the first thing its subscribers
    // get is theirs, so Acme's never reached them.
    ingest(writer, &other_bot, &other, json!([order("x-1", "5.00")])).await;
    for (ws, id) in [(&mut other_ws, "a"), (&mut bot_ws, "b")] {
        let first = ws.event(id).await;
        assert_eq!(first["brandId"], other, "{first}");
    }
    // And the consultant, who may not read the other brand, gets nothing more.
    assert!(consultant_ws
        .recv_within(Duration::from_millis(500))
        .await
        .is_none());

    // Naming another brand is NOT_FOUND, as a brand that does not exist.
    for brand in [acme.clone(), uuid::Uuid::now_v7().to_string()] {
        other_ws.subscribe("n", EVENTS, json!({ "b": brand })).await;
        match other_ws.recv().await {
            Got::Message(m) => {
                assert_eq!(m["type"], "error", "{m}");
                assert_eq!(m["id"], "n");
                assert_eq!(m["payload"][0]["extensions"]["code"], "NOT_FOUND");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_committed_changes_are_sent_and_types_filter_them() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let (_, bot, _) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    let mut ws = Ws::connect(&app, &app.admin_token).await;
    ws.subscribe("all", EVENTS, json!({ "b": brand })).await;
    ws.subscribe("frozen", EVENTS, json!({ "t": ["REPORT_FROZEN"] }))
        .await;
    listening(&app, 2).await;

    // An all-or-nothing batch with a bad row writes nothing: no event.
    let refused = ingest(
        &app,
        &bot,
        &brand,
        json!([order("o-1", "10.00"), order("o-2", "-1")]),
    )
    .await;
    assert_eq!(refused["data"]["ingestOrders"]["inserted"], 0, "{refused}");
    // A replay of stored rows changes nothing: no event either.
    ingest(&app, &bot, &brand, json!([order("o-3", "7.00")])).await;
    ingest(&app, &bot, &brand, json!([order("o-3", "7.00")])).await;
    let first = ws.event("all").await;
    assert_eq!(first["data"]["inserted"], 1, "{first}");

    // Freezing a report: both subscriptions get it, with the snapshot as subject.
    let frozen = app
        .gql(
            "mutation($b: ID!, $from: DateTime!, $to: DateTime!) { freezeImpactReport(brandId: $b, from: $from, to: $to) { id } }",
            json!({ "b": brand, "from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z" }),
        )
        .await;
    let snapshot = frozen.data()["freezeImpactReport"]["id"].clone();
    let mut got = Vec::new();
    for _ in 0..2 {
        match ws.recv().await {
            Got::Message(m) if m["type"] == "next" => got.push(m),
            other => panic!("{other:?}"),
        }
    }
    got.sort_by_key(|m| m["id"].as_str().unwrap().to_string());
    assert_eq!(got[0]["id"], "all");
    assert_eq!(got[1]["id"], "frozen");
    for m in &got {
        let e = &m["payload"]["data"]["events"];
        assert_eq!(e["type"], "REPORT_FROZEN");
        assert_eq!(e["subjectId"], snapshot);
        assert_eq!(e["data"]["snapshotId"], snapshot);
    }
    // The subject is a node the subscriber can fetch.
    let node = app
        .gql(
            "query($id: ID!) { node(id: $id) { __typename id } }",
            json!({ "id": snapshot }),
        )
        .await;
    assert_eq!(node.data()["node"]["__typename"], "ReportSnapshot");

    // Completing a subscription stops it; the other goes on.
    ws.send(json!({ "id": "all", "type": "complete" })).await;
    listening(&app, 1).await;
    ingest(&app, &bot, &brand, json!([order("o-4", "9.00")])).await;
    assert!(ws.recv_within(Duration::from_millis(500)).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_session_closes_the_socket_with_4403() {
    let app = TestApp::spawn_with(|s| s.subscriptions.recheck_secs = 1).await;
    let brand = app.create_brand("Acme").await;
    let (_, email) = app.create_user("CLIENT", Some(&brand)).await;
    let login = app.login_payload(&email, PASSWORD).await;
    let access = login.data()["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let refresh = login.data()["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ws = Ws::connect(&app, &access).await;
    ws.subscribe("s", EVENTS, json!({})).await;
    listening(&app, 1).await;

    let out = app
        .gql_as(
            Some(&access),
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": refresh }),
        )
        .await;
    out.data();
    let (code, reason) = ws.closed().await;
    assert_eq!(code, 4403, "{reason}");
    assert!(reason.starts_with("Forbidden"), "{reason}");
    listening(&app, 0).await;
    // The same token cannot open a new connection.
    let mut again = Ws::open(&app).await;
    again
        .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {access}") } }))
        .await;
    assert_eq!(again.closed().await.0, 4403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unassigned_consultant_stops_receiving_at_once() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let (_, bot, _) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    let (consultant_id, token) = app.consultant_for(&[&brand]).await;
    let mut ws = Ws::connect(&app, &token).await;
    ws.subscribe("s", EVENTS, json!({})).await;
    listening(&app, 1).await;
    ingest(&app, &bot, &brand, json!([order("o-1", "10.00")])).await;
    ws.event("s").await;

    app.gql(
        "mutation($u: ID!, $b: ID!) { unassignConsultant(userId: $u, brandId: $b) { id } }",
        json!({ "u": consultant_id, "b": brand }),
    )
    .await
    .data();
    // The next event is checked against the access as it is now.
    ingest(&app, &bot, &brand, json!([order("o-2", "10.00")])).await;
    assert!(ws.recv_within(Duration::from_millis(700)).await.is_none());
}

#[tokio::test]
async fn the_protocol_closes_with_its_codes() {
    let app = TestApp::spawn_with(|s| {
        s.subscriptions.init_timeout_secs = 1;
        s.subscriptions.max_connections_per_principal = 2;
        s.subscriptions.max_per_connection = 1;
    })
    .await;
    let admin = app.admin_token.clone();

    // No connection_init in time: 4408.
    let mut ws = Ws::open(&app).await;
    assert_eq!(ws.closed().await.0, 4408);
    // A missing, forged or malformed token: 4403.
    for payload in [
        json!({}),
        json!({ "authorization": "Bearer not-a-token" }),
        json!(null),
    ] {
        let mut ws = Ws::open(&app).await;
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        assert_eq!(ws.closed().await.0, 4403, "{payload}");
    }
    // Subscribing before the acknowledgement: 4401.
    let mut ws = Ws::open(&app).await;
    ws.subscribe("s", EVENTS, json!({})).await;
    assert_eq!(ws.closed().await.0, 4401);
    // Something that is not a protocol message: 4400.
    let mut ws = Ws::connect(&app, &admin).await;
    ws.send(json!({ "type": "hello" })).await;
    assert_eq!(ws.closed().await.0, 4400);
    // A second connection_init: 4429.
    let mut ws = Ws::connect(&app, &admin).await;
    ws.send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {admin}") } }))
        .await;
    assert_eq!(ws.closed().await.0, 4429);

    // Two connections per caller here; the third is closed with 4429.
    let mut first = Ws::connect(&app, &admin).await;
    let _second = Ws::connect(&app, &admin).await;
    let mut third = Ws::open(&app).await;
    third
        .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {admin}") } }))
        .await;
    let (code, reason) = third.closed().await;
    assert_eq!(code, 4429);
    assert!(reason.contains("at most 2"), "{reason}");

    // A ping gets its pong, with the payload.
    first
        .send(json!({ "type": "ping", "payload": { "n": 1 } }))
        .await;
    match first.recv().await {
        Got::Message(m) => assert_eq!(m, json!({ "type": "pong", "payload": { "n": 1 } })),
        other => panic!("{other:?}"),
    }
    // One subscription per connection here: the second is refused with an error.
    first.subscribe("one", EVENTS, json!({})).await;
    listening(&app, 1).await;
    first.subscribe("two", EVENTS, json!({})).await;
    match first.recv().await {
        Got::Message(m) => {
            assert_eq!(m["type"], "error");
            assert_eq!(m["id"], "two");
            assert_eq!(m["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
        }
        other => panic!("{other:?}"),
    }
    // Queries belong on HTTP; bad arguments are refused with their field.
    first.send(json!({ "id": "one", "type": "complete" })).await;
    listening(&app, 0).await;
    first.subscribe("q", "{ me { id } }", json!({})).await;
    match first.recv().await {
        Got::Message(m) => {
            assert_eq!(m["type"], "error", "{m}");
            assert_eq!(m["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
        }
        other => panic!("{other:?}"),
    }
    for types in [json!([]), json!(["ENDPOINT_DISABLED"])] {
        first.subscribe("t", EVENTS, json!({ "t": types })).await;
        match first.recv().await {
            Got::Message(m) => {
                assert_eq!(m["type"], "error", "{m}");
                assert_eq!(m["payload"][0]["extensions"]["field"], "types");
            }
            other => panic!("{other:?}"),
        }
    }
    // The same id twice at once: 4409.
    first.subscribe("dup", EVENTS, json!({})).await;
    listening(&app, 1).await;
    first.subscribe("dup", EVENTS, json!({})).await;
    assert_eq!(first.closed().await.0, 4409);

    // Without the subprotocol the upgrade is refused; over HTTP a
    // subscription is refused with a pointer to the socket.
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let over_http = app.gql(EVENTS, json!({})).await;
    assert_eq!(over_http.status, 400);
    assert_eq!(over_http.code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn the_server_pings_to_keep_the_connection_alive() {
    let app = TestApp::spawn_with(|s| s.subscriptions.keepalive_secs = 1).await;
    let mut ws = Ws::connect(&app, &app.admin_token.clone()).await;
    let frame = tokio::time::timeout(Duration::from_secs(3), ws.0.next())
        .await
        .expect("no ping within 3 s")
        .unwrap()
        .unwrap();
    assert_eq!(frame, Message::text(r#"{"type":"ping"}"#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_without_redis_carries_events_between_instances_by_notify() {
    // Where only PostgreSQL is configured, events travel by LISTEN/NOTIFY.
    if postgres_url().is_none() {
        return;
    }
    let app = TestApp::spawn_with(|s| {
        s.redis.url = None;
    })
    .await;
    assert_eq!(app.context.live.kind(), "postgres");
    let second = app.another_instance().await;
    let writer = &second;
    let brand = app.create_brand("Acme").await;
    let (_, bot, _) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    let mut ws = Ws::connect(&app, &app.admin_token.clone()).await;
    ws.subscribe("s", EVENTS, json!({})).await;
    listening(&app, 1).await;
    // A refused batch rolls back, and its notification with it.
    ingest(writer, &bot, &brand, json!([order("o-0", "-1")])).await;
    ingest(
        writer,
        &bot,
        &brand,
        json!([order("o-1", "10.00"), order("o-2", "1.00")]),
    )
    .await;
    let event = ws.event("s").await;
    assert_eq!(event["data"]["inserted"], 2);
    assert_eq!(event["brandId"], brand);
}
