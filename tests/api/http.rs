//! GraphQL over HTTP: methods, media types, limits, status codes, error codes.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_over_get_works_and_mutation_over_get_is_405() {
    let app = TestApp::spawn().await;
    app.create_brand("Acme").await;
    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .query(&[("query", "query Names { brands { totalCount } }")])
        .send()
        .await
        .unwrap();
    let a = TestApp::answer(res).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.data()["brands"]["totalCount"], 1);

    let res = app
        .client
        .get(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .query(&[(
            "query",
            "mutation { createBrand(input: { name: \"Via Get\" }) { id } }",
        )])
        .send()
        .await
        .unwrap();
    let a = TestApp::answer(res).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.header("allow"), Some("POST"));
    let count = app.gql("{ brands { totalCount } }", json!({})).await;
    assert_eq!(
        count.data()["brands"]["totalCount"],
        1,
        "nothing was written"
    );

    let res = app
        .client
        .put(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_and_media_types() {
    let app = TestApp::spawn().await;
    let url = format!("{}/graphql", app.address);
    let post = |ct: &'static str, body: &'static str| {
        app.client
            .post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
    };

    let res = post("text/plain", "{\"query\":\"{ brands { totalCount } }\"}")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = post("application/json", "not json").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = post("application/json", "{\"variables\":{}}")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = post(
        "application/json",
        "{\"query\":\"{ brands { totalCount } }\",\"variables\":[1]}",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = post(
        "application/json",
        "[{\"query\":\"{ brands { totalCount } }\"},{\"query\":\"{ brands { totalCount } }\"}]",
    )
    .await
    .unwrap();
    let a = TestApp::answer(res).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "batches are refused");
    assert!(a.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("batch"));
    let res = post(
        "application/json; charset=utf-8",
        "{\"query\":\"{ brands { totalCount } }\"}",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_the_limit_is_413_before_it_is_buffered() {
    let app = TestApp::spawn_with(|s| s.server.body_limit_bytes = 4096).await;
    let big = format!(
        "{{\"query\":\"{{ brands {{ totalCount }} }}\",\"variables\":{{\"pad\":\"{}\"}}}}",
        "x".repeat(8000)
    );
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let a = TestApp::answer(res).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.code(), "PAYLOAD_TOO_LARGE");

    // Streamed without a length: still cut off at the limit.
    let chunks: Vec<Result<String, std::io::Error>> =
        (0..10).map(|_| Ok("x".repeat(1000))).collect();
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    if let Ok(res) = res {
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parse_and_validation_errors_follow_the_media_type() {
    let app = TestApp::spawn().await;
    let a = app.gql("{ brands { ", json!({})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.code(), "GRAPHQL_PARSE_FAILED");
    let a = app.gql("{ brands { nope } }", json!({})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.code(), "GRAPHQL_VALIDATION_FAILED");

    let send = |q: &'static str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": q }))
            .send()
    };
    let a = TestApp::answer(send("{ brands { ").await.unwrap()).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.header("content-type"),
        Some("application/graphql-response+json")
    );
    let a = TestApp::answer(send("{ brands { nope } }").await.unwrap()).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.code(), "GRAPHQL_VALIDATION_FAILED");
    let a = TestApp::answer(send("{ brands { totalCount } }").await.unwrap()).await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_document_is_still_validated_against_new_variables() {
    // A request's exact bytes are validated in full once; the same document
    // with other variables, or a request that failed, is validated again.
    let app = TestApp::spawn().await;
    let q = "query($n: Int) { brands(first: $n) { totalCount } }";
    for _ in 0..2 {
        let a = app.gql(q, json!({ "n": 5 })).await;
        assert_eq!(a.data()["brands"]["totalCount"], 0);
    }
    for _ in 0..2 {
        let a = app.gql(q, json!({ "n": "five" })).await;
        assert_eq!(a.code(), "GRAPHQL_VALIDATION_FAILED", "{}", a.body);
        assert!(a.body["data"].is_null());
    }
    for _ in 0..2 {
        let a = app.gql("{ brands { nope } }", json!({})).await;
        assert_eq!(a.code(), "GRAPHQL_VALIDATION_FAILED");
    }
    // Over GET the query string is the request.
    for _ in 0..2 {
        let res = app
            .client
            .get(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .query(&[("query", q), ("variables", r#"{"n":"five"}"#)])
            .send()
            .await
            .unwrap();
        let a = TestApp::answer(res).await;
        assert_eq!(a.code(), "GRAPHQL_VALIDATION_FAILED", "{}", a.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_has_a_request_id_and_no_store() {
    let app = TestApp::spawn().await;
    let a = app.gql("{ brands { totalCount } }", json!({})).await;
    let id = a.header("x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    assert_eq!(a.header("cache-control"), Some("private, no-store"));
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-request-id", "trace-abc-123")
        .json(&json!({ "query": "{ brands { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["x-request-id"],
        "trace-abc-123",
        "a sane incoming id is kept"
    );
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-request-id", "bad id with spaces and \"quotes\"")
        .json(&json!({ "query": "{ brands { totalCount } }" }))
        .send()
        .await
        .unwrap();
    assert_ne!(
        res.headers()["x-request-id"],
        "bad id with spaces and \"quotes\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_errors_carry_the_request_id_and_no_sql() {
    let app = TestApp::spawn().await;
    // Break the database under the running app.
    let db = sea_orm::Database::connect(secrecy::ExposeSecret::expose_secret(
        app.settings.database.url.as_ref().unwrap(),
    ))
    .await
    .unwrap();
    sea_orm::ConnectionTrait::execute_unprepared(&db, "ALTER TABLE brand RENAME TO brand_gone")
        .await
        .unwrap();
    let a = app.gql("{ brands { totalCount } }", json!({})).await;
    assert_eq!(a.code(), "INTERNAL", "{}", a.body);
    let err = &a.body["errors"][0];
    assert_eq!(
        err["extensions"]["requestId"].as_str(),
        a.header("x-request-id")
    );
    let text = a.body.to_string().to_lowercase();
    for leak in [
        "select", "table", "sqlite", "postgres", "relation", "brand\"",
    ] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_limit_refuses_deep_documents() {
    let app = TestApp::spawn().await;
    // Introspection allows arbitrary nesting through types: a cheap deep
    // query, past even the deeper limit introspection-only queries get.
    let mut q = String::from("{ __schema { types { fields { type ");
    for _ in 0..14 {
        q.push_str("{ ofType ");
    }
    q.push_str("{ name }");
    q.push_str(&" }".repeat(14));
    q.push_str(" } } } }");
    let a = app.gql(&q, json!({})).await;
    assert_eq!(a.code(), "GRAPHQL_VALIDATION_FAILED", "{}", a.body);
}
