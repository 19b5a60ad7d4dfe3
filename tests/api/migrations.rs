//! Migrations run up, down and up again on the test database.

use hearth::db;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{fresh_database, test_settings};

async fn brand_table_exists(conn: &db::Db) -> bool {
    let backend = conn.get_database_backend();
    conn.query_one_raw(Statement::from_string(
        backend,
        "SELECT COUNT(*) FROM brand",
    ))
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_up_down_and_up_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.database.url = Some(secrecy::SecretString::from(
        fresh_database(dir.path()).await,
    ));
    let conn = db::connect(&settings, None).await.unwrap();

    assert!(db::migration_status(&conn)
        .await
        .unwrap()
        .iter()
        .all(|(_, applied)| !applied));
    db::migrate_up(&conn).await.unwrap();
    assert!(db::migration_status(&conn)
        .await
        .unwrap()
        .iter()
        .all(|(_, applied)| *applied));
    assert!(brand_table_exists(&conn).await);

    let count = db::migration_status(&conn).await.unwrap().len() as u32;
    db::migrate_down(&conn, count).await.unwrap();
    assert!(db::migration_status(&conn)
        .await
        .unwrap()
        .iter()
        .all(|(_, applied)| !applied));
    assert!(
        !brand_table_exists(&conn).await,
        "down removes what up created"
    );

    db::migrate_up(&conn).await.unwrap();
    assert!(brand_table_exists(&conn).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_statement_is_cut_off_as_timeout_on_postgres() {
    if crate::helpers::postgres_url().is_none() {
        // SQLite has no statement timeout; the PostgreSQL run covers this.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.database.statement_timeout_ms = 100;
    let conn = db::connect(&settings, None).await.unwrap();
    let err = conn
        .execute_unprepared("SELECT pg_sleep(2)")
        .await
        .expect_err("the statement should have been cancelled");
    let app_err: hearth::error::AppError = err.into();
    assert_eq!(app_err.code(), "TIMEOUT", "{app_err:?}");
}
