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
        s.limits.depth = 5;
        s.limits.complexity = 11;
    })
    .await;
    // Depth 5 exactly, then 6.
    let five = app
        .gql(
            "{ __schema { types { fields { type { name } } } } }",
            json!({}),
        )
        .await;
    assert!(!limited(&five), "{}", five.body);
    let six = app
        .gql(
            "{ __schema { types { fields { type { ofType { name } } } } } }",
            json!({}),
        )
        .await;
    assert!(limited(&six), "{}", six.body);

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
