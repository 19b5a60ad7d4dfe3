//! Persisted queries as Apollo clients send them, and the allow-list mode.

use serde_json::{json, Value};

use crate::helpers::{redis_url, test_settings, Answer, TestApp};

fn hash(query: &str) -> String {
    hearth::persisted_queries::sha256(query)
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs a request body as the admin (or with `token`).
async fn post(app: &TestApp, token: Option<&str>, body: Value) -> Answer {
    let token = token
        .map(str::to_string)
        .unwrap_or_else(|| app.admin_token.clone());
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    TestApp::answer(res).await
}

const BRAND: &str = "query($id: ID!) { brand(id: $id) { name } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_registered_by_its_hash_runs_by_hash_alone() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme Outdoors").await;
    let h = hash(BRAND);
    let vars = json!({ "id": brand });

    // Unknown hash: the code Apollo clients look for, with a 200.
    let miss = post(
        &app,
        None,
        json!({ "variables": vars, "extensions": persisted(&h) }),
    )
    .await;
    assert_eq!(miss.status, 200);
    assert_eq!(miss.code(), "PERSISTED_QUERY_NOT_FOUND");
    assert!(miss.body.get("data").is_none());

    // A hash that is not the document's: refused, and nothing registered.
    let wrong = hash("{ me { id } }");
    let refused = post(
        &app,
        None,
        json!({ "query": BRAND, "variables": vars, "extensions": persisted(&wrong) }),
    )
    .await;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (400, "BAD_USER_INPUT")
    );
    let still = post(&app, None, json!({ "extensions": persisted(&wrong) })).await;
    assert_eq!(still.code(), "PERSISTED_QUERY_NOT_FOUND");

    // A document that fails the document limits is not registered either.
    let broken = "{ me { id ";
    let failed = post(
        &app,
        None,
        json!({ "query": broken, "extensions": persisted(&hash(broken)) }),
    )
    .await;
    assert_eq!(failed.code(), "GRAPHQL_PARSE_FAILED");
    let not_kept = post(
        &app,
        None,
        json!({ "extensions": persisted(&hash(broken)) }),
    )
    .await;
    assert_eq!(not_kept.code(), "PERSISTED_QUERY_NOT_FOUND");

    // The document with its hash runs and is registered; then the hash
    // alone runs it, over POST and GET, with other variables too.
    let first = post(
        &app,
        None,
        json!({ "query": BRAND, "variables": vars, "extensions": persisted(&h) }),
    )
    .await;
    assert_eq!(first.data()["brand"]["name"], "Acme Outdoors");
    let again = post(
        &app,
        None,
        json!({ "variables": vars, "extensions": persisted(&h) }),
    )
    .await;
    assert_eq!(again.data()["brand"]["name"], "Acme Outdoors");
    let other = app.create_brand("Birch Bikes").await;
    let by_get = app
        .client
        .get(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .query(&[
            ("variables", json!({ "id": other }).to_string()),
            ("extensions", persisted(&h).to_string()),
        ])
        .send()
        .await
        .unwrap();
    let by_get = TestApp::answer(by_get).await;
    assert_eq!(by_get.data()["brand"]["name"], "Birch Bikes");
    // An upper-case hash names the same document.
    let upper = post(
        &app,
        None,
        json!({ "variables": vars, "extensions": persisted(&h.to_uppercase()) }),
    )
    .await;
    assert_eq!(upper.data()["brand"]["name"], "Acme Outdoors");

    // A registered document is text, not data: another brand's client runs
    // it under their own scope and sees nothing of Acme.
    let (_, client) = app.user_token("CLIENT", Some(&other)).await;
    let scoped = post(
        &app,
        Some(&client),
        json!({ "variables": vars, "extensions": persisted(&h) }),
    )
    .await;
    assert_eq!(scoped.code(), "NOT_FOUND");
    let own = post(
        &app,
        Some(&client),
        json!({ "variables": { "id": other }, "extensions": persisted(&h) }),
    )
    .await;
    assert_eq!(own.data()["brand"]["name"], "Birch Bikes");

    // Malformed extensions are bad input.
    for ext in [
        json!({ "persistedQuery": { "version": 2, "sha256Hash": h } }),
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
        json!({ "persistedQuery": "yes" }),
    ] {
        let bad = post(
            &app,
            None,
            json!({ "query": BRAND, "variables": vars, "extensions": ext }),
        )
        .await;
        assert_eq!(
            (bad.status.as_u16(), bad.code()),
            (400, "BAD_USER_INPUT"),
            "{ext}"
        );
    }

    // Instances share registered documents through Redis; on the embedded
    // default each instance has its own.
    let second = app.another_instance().await;
    let elsewhere = post(
        &second,
        None,
        json!({ "variables": vars, "extensions": persisted(&h) }),
    )
    .await;
    if redis_url().is_some() {
        assert_eq!(elsewhere.data()["brand"]["name"], "Acme Outdoors");
    } else {
        assert_eq!(elsewhere.code(), "PERSISTED_QUERY_NOT_FOUND");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allow_list_runs_only_its_documents() {
    let me = "query Me { me { email role } }";
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("persisted-queries.json");
    std::fs::write(
        &manifest,
        json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": hash(me), "name": "Me", "type": "query", "body": me }],
        })
        .to_string(),
    )
    .unwrap();
    let path = manifest.clone();
    let app = TestApp::spawn_with(move |s| s.persisted_queries.allow_list_file = Some(path)).await;

    // Listed: by hash, or sent in full.
    let by_hash = post(&app, None, json!({ "extensions": persisted(&hash(me)) })).await;
    assert_eq!(by_hash.data()["me"]["role"], "ADMIN");
    let in_full = post(&app, None, json!({ "query": me })).await;
    assert_eq!(in_full.data()["me"]["role"], "ADMIN");
    // Anything else is refused, registering included; an unknown hash is
    // not found.
    let other = "{ brands(first: 1) { totalCount } }";
    let refused = post(&app, None, json!({ "query": other })).await;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (400, "DOCUMENT_NOT_ALLOWED")
    );
    let register = post(
        &app,
        None,
        json!({ "query": other, "extensions": persisted(&hash(other)) }),
    )
    .await;
    assert_eq!(register.code(), "DOCUMENT_NOT_ALLOWED");
    let unknown = post(&app, None, json!({ "extensions": persisted(&hash(other)) })).await;
    assert_eq!(unknown.code(), "PERSISTED_QUERY_NOT_FOUND");

    // A manifest whose id is not its document's hash stops start-up,
    // naming the entry; so does a missing file.
    std::fs::write(&manifest, json!({ hash("{ me { id } }"): me }).to_string()).unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.persisted_queries.allow_list_file = Some(manifest.clone());
    let err = hearth::startup::Application::build(settings.clone())
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("is not the SHA-256 of its document"),
        "{err}"
    );
    settings.persisted_queries.allow_list_file = Some(dir.path().join("missing.json"));
    let err = hearth::startup::Application::build(settings)
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("could not read persisted_queries.allow_list_file"),
        "{err}"
    );
}
