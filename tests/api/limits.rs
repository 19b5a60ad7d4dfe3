//! Limits, each just under and just over, and throttling.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, PASSWORD};

fn limited(a: &crate::helpers::Answer) -> bool {
    a.code() == "GRAPHQL_VALIDATION_FAILED"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_and_complexity_limits() {
    let app = TestApp::spawn_with(|s| {
        s.limits.depth = 4;
        s.limits.complexity = 11;
    })
    .await;
    // Depth 4 exactly, then 5.
    let four = app
        .gql("{ brands { edges { node { id } } } }", json!({}))
        .await;
    assert!(!limited(&four), "{}", four.body);
    let five = app
        .gql(
            "{ communities { edges { node { cadence { maxPromptsPerWeek } } } } }",
            json!({}),
        )
        .await;
    assert!(limited(&five), "{}", five.body);
    // Introspection beside ordinary fields keeps the ordinary limit.
    let mixed = app
        .gql(
            "{ __typename __schema { types { fields { name } } } brands { totalCount } }",
            json!({}),
        )
        .await;
    assert!(!limited(&mixed), "{}", mixed.body);
    let mixed = app
        .gql(
            "{ __schema { types { fields { type { name } } } } brands { totalCount } }",
            json!({}),
        )
        .await;
    assert!(limited(&mixed), "{}", mixed.body);

    let id = app.create_brand("Acme").await;
    // 11 fields, then 12.
    let eleven = "query($id: ID!) { brand(id: $id) { id slug name description websiteUrl status version createdAt updatedAt archivedAt } }";
    let a = app.gql(eleven, json!({ "id": id })).await;
    assert!(a.data()["brand"].is_object());
    let twelve = "query($id: ID!) { brand(id: $id) { id slug name description websiteUrl status version createdAt updatedAt archivedAt } me { id } }";
    assert!(limited(&app.gql(twelve, json!({ "id": id })).await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_token_size_and_directive_limits() {
    let app = TestApp::spawn_with(|s| s.limits.directives = 2).await;
    let aliases = |n: usize| {
        format!(
            "{{ {} }}",
            (0..n)
                .map(|i| format!("a{i}: me {{ id }}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    assert!(!limited(&app.gql(&aliases(15), json!({})).await));
    let over = app.gql(&aliases(16), json!({})).await;
    assert!(limited(&over), "{}", over.body);

    // 1000 tokens: "{", "}" and 998 names; then one more.
    let tokens = |n: usize| format!("{{ {} }}", vec!["__typename"; n - 2].join(" "));
    assert!(!limited(&app.gql(&tokens(1000), json!({})).await));
    assert!(limited(&app.gql(&tokens(1001), json!({})).await));

    // 15,000 characters, then 15,001 (padding in a comment).
    let sized = |n: usize| {
        let base = "{ __typename }\n#";
        format!("{base}{}", "x".repeat(n - base.len()))
    };
    assert!(!limited(&app.gql(&sized(15_000), json!({})).await));
    assert!(limited(&app.gql(&sized(15_001), json!({})).await));

    let two = app
        .gql(
            "{ me @include(if: true) @skip(if: false) { id } }",
            json!({}),
        )
        .await;
    assert!(two.data()["me"].is_object());
    let app = TestApp::spawn_with(|s| s.limits.directives = 1).await;
    let over = app
        .gql(
            "{ me @include(if: true) @skip(if: false) { id } }",
            json!({}),
        )
        .await;
    assert!(limited(&over), "{}", over.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stock_introspection_query_loads_the_schema() {
    // The exact query GraphiQL and code generators send (graphql-js 16).
    let app = TestApp::spawn().await;
    let query = include_str!("../fixtures/introspection-query.graphql");
    let a = app.gql(query, json!({})).await;
    assert!(a.body["errors"].is_null(), "{}", a.body);
    let types = a.data()["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "Brand"));
    // Ordinary queries keep the depth limit (12 by default).
    let deep = "{ communities { edges { node { cadence { maxPromptsPerWeek } } } } }";
    let nested = format!("{{ __typename {} }}", &deep[1..deep.len() - 1]);
    assert!(!limited(&app.gql(&nested, json!({})).await));
    let thirteen = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } me { id } }";
    assert!(limited(&app.gql(thirteen, json!({})).await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_nested_100_deep_fails_validation_as_documented() {
    let app = TestApp::spawn().await;
    let query = format!("{}{}", "{ a ".repeat(100), "} ".repeat(100));
    let a = app.gql(&query, json!({})).await;
    assert_eq!(a.code(), "GRAPHQL_VALIDATION_FAILED", "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_characters_in_any_string_input_are_bad_user_input() {
    let app = TestApp::spawn().await;
    let q = "query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }";
    let a = app
        .gql(q, json!({ "f": { "action": "brand.create\u{0}" } }))
        .await;
    assert_eq!(a.code(), "BAD_USER_INPUT", "{}", a.body);
    assert_eq!(a.body["errors"][0]["extensions"]["field"], "filter.action");

    let a = app
        .gql(
            "{ auditEvents(filter: { action: \"x\\u0000\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(a.code(), "BAD_USER_INPUT", "{}", a.body);
    assert_eq!(a.body["errors"][0]["extensions"]["field"], "filter.action");

    // A cursor that decodes to a NUL character.
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let cursor = URL_SAFE_NO_PAD.encode("{\"order\":\"x\u{0}\",\"keys\":[]}");
    let a = app
        .gql(
            "query($c: String) { auditEvents(after: $c) { totalCount } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(a.code(), "BAD_USER_INPUT", "{}", a.body);
    assert_eq!(a.body["errors"][0]["extensions"]["field"], "after");
    // And the same input without the NUL works.
    let a = app
        .gql(q, json!({ "f": { "action": "brand.create" } }))
        .await;
    assert!(a.data()["auditEvents"]["totalCount"].is_number());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_shorter_than_its_length_times_out_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(|s| s.server.body_timeout_ms = 500).await;
    let addr = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":";
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("the server answers a stalled body")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_body_is_refused_with_413() {
    let app = TestApp::spawn().await;
    let body = format!(
        "{{\"query\":\"{{ __typename }}\",\"variables\":{{\"pad\":\"{}\"}}}}",
        "x".repeat(50 * 1024 * 1024)
    );
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    match res {
        Ok(res) => assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE),
        // The server may close the connection before the client finished sending.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    // The server is fine afterwards.
    assert!(app.gql("{ me { id } }", json!({})).await.data()["me"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_failed_logins_are_throttled_without_hints() {
    let app = TestApp::spawn().await;
    let q = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";
    let mut throttled = 0;
    let mut messages = std::collections::HashSet::new();
    for i in 0..1000 {
        let email = if i % 2 == 0 {
            "admin@agency.test".to_string()
        } else {
            format!("nobody{i}@agency.test")
        };
        let a = app
            .gql_as(None, q, json!({ "e": email, "p": "wrong password guess" }))
            .await;
        match a.code() {
            "RATE_LIMITED" => {
                throttled += 1;
                assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
                assert!(a.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
            }
            "UNAUTHENTICATED" => {
                messages.insert(a.body["errors"][0]["message"].as_str().unwrap().to_string());
            }
            other => panic!("unexpected {other}: {}", a.body),
        }
    }
    assert!(throttled >= 900, "only {throttled} of 1000 were throttled");
    assert_eq!(messages.len(), 1, "failures all say the same: {messages:?}");
    // The right password is throttled too while the window lasts: no oracle.
    let a = app
        .gql_as(None, q, json!({ "e": "admin@agency.test", "p": PASSWORD }))
        .await;
    assert_eq!(a.code(), "RATE_LIMITED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_per_principal_are_limited() {
    let app = TestApp::spawn_with(|s| s.rate_limit.requests_per_principal_per_minute = 5).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.gql("{ me { id } }", json!({})).await);
    }
    // The first five pass; the sixth in the same minute is refused.
    assert!(statuses[..5].iter().all(|a| a.status == StatusCode::OK));
    let last = &statuses[5];
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(last.code(), "RATE_LIMITED");
    assert!(last.header("retry-after").is_some());
}
