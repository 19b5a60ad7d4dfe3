//! How statements get their connections: a GraphQL query holds one
//! connection of the main pool for all its statements (PostgreSQL), so the
//! driver's check of a connection going back to the pool is paid once per
//! query rather than once per statement.

use std::time::Duration;

use hearth::db::Db;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn backend_pid(db: &Db) -> i32 {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_backend_pid() AS pid",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "pid").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_runs_every_statement_on_the_one_connection_it_holds() {
    if crate::helpers::postgres_url().is_none() {
        // SQLite has no round trip to save: a handle there holds nothing.
        return;
    }
    let app = TestApp::spawn().await;
    let pool = app.context.db.pool().get_postgres_connection_pool().clone();
    let one = app.context.db.holding_one_connection().unwrap();
    let first = backend_pid(&one).await;
    for _ in 0..3 {
        assert_eq!(backend_pid(&one).await, first);
    }
    let clone = one.clone();
    assert_eq!(backend_pid(&clone).await, first, "clones share it");
    // A temporary table lives in one session only: every statement sees it.
    let sql = |text: &str| Statement::from_string(DbBackend::Postgres, text);
    one.execute_raw(sql("CREATE TEMP TABLE held_probe (k INT PRIMARY KEY)"))
        .await
        .unwrap();
    one.execute_raw(sql("INSERT INTO held_probe VALUES (1)"))
        .await
        .unwrap();
    let again = one
        .execute_raw(sql("INSERT INTO held_probe VALUES (1)"))
        .await
        .expect_err("the key is taken");
    // Reported as the ORM reports a failed write, so that callers read it alike.
    assert!(matches!(again, sea_orm::DbErr::Exec(_)), "{again:?}");
    assert!(
        matches!(
            again.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ),
        "{again:?}"
    );
    one.execute_raw(sql("DROP TABLE held_probe")).await.unwrap();
    let other = app.context.db.holding_one_connection().unwrap();
    assert_ne!(
        backend_pid(&other).await,
        first,
        "two queries never share one"
    );
    let idle_while_held = pool.num_idle();
    assert!(
        pool.size() as usize >= idle_while_held + 2,
        "both are taken from the pool: size {}, idle {idle_while_held}",
        pool.size()
    );
    drop((one, clone, other));
    // Given back (after the driver's check) once the last clone is gone.
    let back = async {
        while pool.num_idle() < idle_while_held + 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), back)
        .await
        .expect("the held connections went back to the pool");
}

/// A server whose pool holds one connection, given up on after 1 s.
async fn one_connection_app() -> TestApp {
    TestApp::spawn_with(|s| {
        s.database.max_connections = 1;
        s.database.acquire_timeout_secs = 1;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_begun_while_a_query_holds_the_only_connection_does_not_wait_for_it() {
    let app = one_connection_app().await;
    let select = || Statement::from_string(app.context.db.get_database_backend(), "SELECT 1");
    // SQLite holds nothing: there the write and the reads share the pool.
    let one = app
        .context
        .db
        .holding_one_connection()
        .unwrap_or_else(|| app.context.db.clone());
    one.query_one_raw(select()).await.unwrap();
    // The transaction needs the pool's only connection, which the handle
    // gives back first; waiting for it instead would time out after 1 s.
    let txn = one
        .begin()
        .await
        .expect("the transaction got the connection");
    txn.query_one_raw(select()).await.unwrap();
    txn.commit().await.unwrap();
    one.query_one_raw(select())
        .await
        .expect("the handle takes a connection again");
}

const CREATE: &str = "mutation($i: CreateCommunityInput!) { createCommunity(input: $i) { id } }";
const INGEST: &str =
    "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_statement_of_a_query_reads_through_the_connection_it_holds() {
    // One connection in the pool: a statement of a query that went to the
    // pool instead of the query's own connection would wait for the
    // connection its own query holds, and fail with TIMEOUT after 1 s.
    let app = one_connection_app().await;
    let brand = app.create_brand("Acme").await;
    let community = app
        .gql(
            CREATE,
            json!({ "i": { "brandId": brand, "name": "Trail club", "purpose": "Owners swap trail tips", "kind": "PRODUCT", "platform": "DISCORD" } }),
        )
        .await
        .data()["createCommunity"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let occurred = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let rows: Vec<Value> = (0..30)
        .map(|i| json!({ "sourceKey": format!("k{i}"), "externalId": format!("u{i}"), "handle": format!("u{i}"), "kind": "message", "occurredAt": occurred }))
        .collect();
    let ingested = app
        .gql(
            INGEST,
            json!({ "i": { "communityId": community, "rows": rows } }),
        )
        .await;
    assert_eq!(ingested.data()["ingestActivities"]["inserted"], 30);

    let (_, client) = app.user_token("CLIENT", Some(&brand)).await;
    let nested = "{ communities(first: 20) { totalCount edges { node { name members(first: 20) { totalCount edges { node { role member { displayName identities { platform externalId } } } } } } } } }";
    let brands = "{ brands(first: 10) { edges { node { name communities(first: 5) { totalCount edges { node { name } } } } } } }";
    let scored = "query($c: ID!) { communityMembers(communityId: $c, first: 100) { totalCount edges { node { engagement { score band } member { displayName } } } } }";
    // Four at once: each waits its turn for the one connection.
    let answers = futures_util::future::join_all([
        app.gql_as(Some(&app.admin_token), nested, json!({})),
        app.gql_as(Some(&app.admin_token), nested, json!({})),
        app.gql_as(Some(&client), brands, json!({})),
        app.gql_as(Some(&app.admin_token), scored, json!({ "c": community })),
    ])
    .await;
    for a in &answers[..2] {
        let node = &a.data()["communities"]["edges"][0]["node"];
        assert_eq!(node["name"], "Trail club");
        assert_eq!(node["members"]["totalCount"], 30);
        assert_eq!(node["members"]["edges"].as_array().unwrap().len(), 20);
        assert_eq!(
            node["members"]["edges"][0]["node"]["member"]["identities"][0]["platform"],
            "DISCORD"
        );
    }
    let brand_node = &answers[2].data()["brands"]["edges"][0]["node"];
    assert_eq!(brand_node["name"], "Acme");
    assert_eq!(brand_node["communities"]["totalCount"], 1);
    let scored = &answers[3].data()["communityMembers"];
    assert_eq!(scored["totalCount"], 30);
    assert_eq!(scored["edges"].as_array().unwrap().len(), 30);
}
