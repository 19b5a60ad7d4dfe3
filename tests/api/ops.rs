//! Operational endpoints, CORS, and behaviour when Redis is down or the
//! database drops a connection.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{postgres_url, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["database"], "up");
    assert_eq!(body["cache"]["status"], "up");
    let kind = if crate::helpers::redis_url().is_some() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(body["cache"]["kind"], kind);

    app.gql("query CountBrands { brands { totalCount } }", json!({}))
        .await
        .data();
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains("hearth_http_requests_total{operation=\"CountBrands\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(text.contains("hearth_http_request_duration_seconds_bucket{operation=\"CountBrands\""));
    for pool in ["main", "reports"] {
        assert!(
            text.contains(&format!(
                "hearth_db_pool_connections{{pool=\"{pool}\",state=\"idle\"}}"
            )),
            "{text}"
        );
    }
    assert!(text.contains("hearth_cache_requests_total") || !text.is_empty());
    assert!(app.statements().await >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operation_names_cannot_grow_the_metrics_without_bound() {
    let app = TestApp::spawn().await;
    // Anonymous callers' operations all count as `anonymous`.
    for i in 0..20 {
        app.gql_as(None, &format!("query Anon{i} {{ __typename }}"), json!({}))
            .await;
    }
    // Signed-in callers' names are labels up to the bound, then `other`.
    for i in 0..(hearth::http::observe::MAX_OPERATION_LABELS + 50) {
        app.gql(&format!("query Op{i} {{ __typename }}"), json!({}))
            .await;
    }
    let text = app.get("/metrics").await.text().await.unwrap();
    let labels: std::collections::HashSet<&str> = text
        .lines()
        .filter(|l| l.starts_with("hearth_http_requests_total{"))
        .filter_map(|l| l.split("operation=\"").nth(1)?.split('"').next())
        .collect();
    assert!(!labels.iter().any(|l| l.starts_with("Anon")), "{labels:?}");
    assert!(
        labels.contains("anonymous") && labels.contains("other"),
        "{labels:?}"
    );
    assert!(
        labels.len() <= hearth::http::observe::MAX_OPERATION_LABELS + 3,
        "{}",
        labels.len()
    );
    assert!(
        text.contains("hearth_http_requests_total{operation=\"other\",status=\"200\"} 50"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_is_served_in_development_and_can_be_turned_off() {
    let app = TestApp::spawn().await;
    let res = app.get("/graphiql").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .text()
        .await
        .unwrap()
        .to_lowercase()
        .contains("graphiql"));

    let off = TestApp::spawn_with(|s| s.server.graphiql = Some(false)).await;
    assert_eq!(off.get("/graphiql").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_turns_off_introspection_and_suggestions() {
    let app =
        TestApp::spawn_with(|s| s.environment = hearth::config::Environment::Production).await;
    assert_eq!(app.get("/graphiql").await.status(), StatusCode::NOT_FOUND);
    let a = app
        .gql("{ __schema { queryType { name } } }", json!({}))
        .await;
    assert!(a.body["data"]["__schema"].is_null(), "{}", a.body);
    let a = app.gql("{ brnds { totalCount } }", json!({})).await;
    let message = a.body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_configured_origins() {
    let app =
        TestApp::spawn_with(|s| s.server.cors_origins = vec!["https://app.example".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, authorization",
            )
            .send()
    };
    let ok = preflight("https://app.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let none = TestApp::spawn().await;
    let res = none
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/graphql", none.address),
        )
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        res.headers().get("access-control-allow-origin").is_none(),
        "no origins by default"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_redis_slows_nothing_down_and_readiness_stays_green() {
    // Nothing listens on port 1: every Redis call fails fast.
    let app = TestApp::spawn_with(|s| {
        s.redis.url = Some(secrecy::SecretString::from(
            "redis://127.0.0.1:1/".to_string(),
        ));
        s.redis.timeout_ms = 200;
    })
    .await;
    let started = std::time::Instant::now();
    let id = app.create_brand("Acme").await;
    for _ in 0..3 {
        let a = app
            .gql(
                "query($id: ID!) { brand(id: $id) { name } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(a.data()["brand"]["name"], "Acme");
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["cache"]["status"], "down");
    assert!(
        app.metric("hearth_cache_requests_total{result=\"error\"}")
            .await
            >= 1.0
    );
}

/// Ends every database session of `app`'s instance from the server side,
/// as a restart, a failover or a proxy's idle cut would (PostgreSQL); how
/// many it ended.
async fn end_sessions(app: &TestApp, admin_url: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Database, Statement};
    use secrecy::ExposeSecret;
    let url = app
        .settings
        .database
        .url
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_string();
    let name = url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let admin = Database::connect(admin_url).await.unwrap();
    let ended = admin
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'hearth'",
            [name.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    admin.close().await.ok();
    ended
}

/// Creates community `name` in `brand`.
async fn create_community(app: &TestApp, brand: &str, name: &str) -> crate::helpers::Answer {
    app.gql(
        "mutation($b: ID!, $n: String!) { createCommunity(input: { brandId: $b, name: $n, purpose: \"Fans\", kind: PRODUCT, platform: DISCORD }) { name } }",
        json!({ "b": brand, "n": name }),
    )
    .await
}

/// On PostgreSQL: an instance with `ping_idle_after_ms`, whose brand got
/// communities `Before 0-2` through pooled connections the database then
/// ended; with that brand. None on SQLite, which has no server to end a
/// connection (the PostgreSQL run covers these tests).
async fn sessions_ended_under(ping_idle_after_ms: u64) -> Option<(TestApp, String)> {
    let admin_url = postgres_url()?;
    let app = TestApp::spawn_with(|s| s.database.ping_idle_after_ms = ping_idle_after_ms).await;
    let brand = app.create_brand("Acme").await;
    for k in 0..3 {
        let a = create_community(&app, &brand, &format!("Before {k}")).await;
        assert_eq!(a.data()["createCommunity"]["name"], format!("Before {k}"));
    }
    assert!(
        end_sessions(&app, &admin_url).await >= 1,
        "the instance held no connection"
    );
    Some((app, brand))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_database_dropped_while_idle_is_replaced_before_use() {
    // Pooled connections are checked only once idle for
    // `database.ping_idle_after_ms`; one the database dropped meanwhile must
    // be replaced, never handed to a request.
    let Some((app, brand)) = sessions_ended_under(200).await else {
        return;
    };
    // Past the idle threshold every request still gets a live connection.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    for k in 0..5 {
        let a = create_community(&app, &brand, &format!("After {k}")).await;
        assert_eq!(a.data()["createCommunity"]["name"], format!("After {k}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_on_a_connection_the_database_cut_answers_retry_later_and_writes_nothing() {
    // A connection cut while in use (here: before the idle check would see
    // it) is a passing outage, not an internal error: 503
    // `SERVICE_UNAVAILABLE` with `Retry-After`, nothing written, and the
    // pool replaces the connection.
    let Some((app, brand)) = sessions_ended_under(600_000).await else {
        return;
    };
    // Each cut connection fails one request at most; then they are replaced.
    let mut refused = Vec::new();
    let mut created = None;
    for k in 0..=app.settings.database.max_connections {
        let name = format!("During {k}");
        let a = create_community(&app, &brand, &name).await;
        if a.body.get("errors").is_none() {
            created = Some(name);
            break;
        }
        assert_eq!(a.code(), "SERVICE_UNAVAILABLE", "{}", a.body);
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(a.header("retry-after").is_some());
        refused.push(name);
    }
    assert!(!refused.is_empty(), "no request met a cut connection");
    let created = created.expect("the pool never replaced its cut connections");

    // Only the request that succeeded wrote a community.
    let page = app
        .gql(
            "{ communities(first: 50) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    let mut names: Vec<String> = page.data()["communities"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["Before 0", "Before 1", "Before 2", created.as_str()]
    );
}

/// Connections open in the instance's pools (idle and in use).
async fn pooled(app: &TestApp) -> f64 {
    app.metric("hearth_db_pool_connections").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sqlite_connections_are_closed_and_postgresql_ones_kept() {
    // SQLite keeps a page cache and prepared statements per connection for
    // as long as it lives; an idle one is closed to give that memory back.
    // A PostgreSQL connection costs a handshake to open again, so it stays.
    let app = TestApp::spawn_with(|s| s.database.sqlite_idle_close_secs = 1).await;
    let brand = app.create_brand("Acme").await;
    let names: Vec<String> = (0..8).map(|k| format!("Burst {k}")).collect();
    let writes = names.iter().map(|n| create_community(&app, &brand, n));
    for a in futures_util::future::join_all(writes).await {
        assert!(a.body["errors"].is_null(), "{:?}", a.body);
    }
    let busy = pooled(&app).await;
    assert!(busy >= 1.0, "the burst opened no connection");
    // The pool looks for idle connections once per idle period.
    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
    let idle = pooled(&app).await;
    if postgres_url().is_some() {
        assert_eq!(idle, busy, "PostgreSQL connections are kept");
    } else {
        assert_eq!(idle, 0.0, "every idle SQLite connection was closed");
    }
    // The next request opens what it needs, and everything written is there.
    let list = app.gql("{ communities { totalCount } }", json!({})).await;
    assert_eq!(list.data()["communities"]["totalCount"], 8);
}
