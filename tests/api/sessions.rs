//! Sessions that end at once, and caches that cannot serve what a committed
//! write made untrue, forced through the interleavings that used to break
//! them: a lost confirmation after the commit, and a reader that puts an
//! old version back late. Each runs on one instance and, where Redis is
//! configured, across two instances sharing the database and Redis.

use std::sync::atomic::Ordering;

use hearth::cache::versions::Subject;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{redis_url, TestApp, JWT_SECRET, PASSWORD};

const ME: &str = "{ me { id role status } }";
const BRAND: &str = "query($id: ID!) { brand(id: $id) { name } }";
const UPDATE_USER: &str =
    "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id version } }";

async fn refused(app: &TestApp, token: &str, why: &str) {
    let a = app.gql_as(Some(token), ME, json!({})).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{why}: {}", a.body);
    assert_eq!(a.code(), "UNAUTHENTICATED", "{why}");
}

async fn admitted(app: &TestApp, token: &str, why: &str) -> Value {
    let a = app.gql_as(Some(token), ME, json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{why}: {}", a.body);
    a.data()["me"].clone()
}

/// A signed-in user: (id, e-mail, access token, refresh token).
async fn signed_in(
    app: &TestApp,
    role: &str,
    brand: Option<&str>,
) -> (String, String, String, String) {
    let (id, email) = app.create_user(role, brand).await;
    let a = app.login_payload(&email, PASSWORD).await;
    let login = &a.data()["login"];
    (
        id,
        email,
        login["accessToken"].as_str().unwrap().to_string(),
        login["refreshToken"].as_str().unwrap().to_string(),
    )
}

async fn update_user(app: &TestApp, id: &str, input: Value) {
    app.gql(UPDATE_USER, json!({ "id": id, "i": input }))
        .await
        .data();
}

async fn rename(app: &TestApp, brand: &str, name: &str) {
    app.gql(
        "mutation($id: ID!, $n: String!) { updateBrand(id: $id, input: { name: $n }) { name } }",
        json!({ "id": brand, "n": name }),
    )
    .await
    .data();
}

async fn brand_name(app: &TestApp, token: &str, brand: &str) -> Value {
    let a = app.gql_as(Some(token), BRAND, json!({ "id": brand })).await;
    a.body["data"]["brand"]["name"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_a_user_refuses_their_access_token_on_the_next_request() {
    let app = TestApp::spawn().await;
    let (id, _, token, _) = signed_in(&app, "CONSULTANT", None).await;
    assert_eq!(admitted(&app, &token, "before").await["status"], "ACTIVE");
    update_user(&app, &id, json!({ "status": "DISABLED" })).await;
    refused(&app, &token, "a disabled user's token").await;
    // Enabling again does not bring the old session back: it was ended.
    update_user(&app, &id, json!({ "status": "ACTIVE" })).await;
    refused(&app, &token, "an ended session stays ended").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_a_role_or_resetting_a_password_ends_every_session_at_once() {
    let app = TestApp::spawn().await;
    let (id, email, first, _) = signed_in(&app, "CONSULTANT", None).await;
    let second = app.login(&email, PASSWORD).await;
    update_user(&app, &id, json!({ "role": "ADMIN" })).await;
    refused(&app, &first, "role changed: first session").await;
    refused(&app, &second, "role changed: second session").await;
    let again = app.login(&email, PASSWORD).await;
    assert_eq!(admitted(&app, &again, "new sign-in").await["role"], "ADMIN");

    update_user(
        &app,
        &id,
        json!({ "password": "another long enough passphrase" }),
    )
    .await;
    refused(&app, &again, "password reset by an admin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_its_own_session_at_once_and_no_other() {
    let app = TestApp::spawn().await;
    let (_, email, token, refresh) = signed_in(&app, "CONSULTANT", None).await;
    let other = app.login(&email, PASSWORD).await;
    let out = app
        .gql_as(
            Some(&token),
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": refresh }),
        )
        .await;
    assert_eq!(out.data()["logout"], true);
    refused(&app, &token, "the signed-out session").await;
    admitted(&app, &other, "another device's session").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_ones_own_password_ends_every_session() {
    let app = TestApp::spawn().await;
    let (_, _, token, _) = signed_in(&app, "CONSULTANT", None).await;
    let changed = app
        .gql_as(
            Some(&token),
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
            json!({ "c": PASSWORD, "n": "a brand new long passphrase" }),
        )
        .await;
    assert_eq!(changed.data()["changePassword"], true);
    refused(&app, &token, "after changing the password").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_a_user_that_does_not_exist_is_refused() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": "hearth", "aud": "hearth-api", "sub": Uuid::now_v7().to_string(),
        "exp": now + 600, "nbf": now - 10, "iat": now - 10,
        "jti": Uuid::new_v4().to_string(), "role": "ADMIN"
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    let token = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()).unwrap(),
    )
    .unwrap();
    refused(&app, &token, "a well-signed token for nobody").await;
}

/// Unassigning a consultant takes effect on the next request, even when the
/// confirmation after the commit is lost (`faults` on every instance given).
async fn unassigning_takes_effect_at_once(write: &TestApp, read: &TestApp) {
    let brand = write.create_brand("Acme").await;
    let (user, token) = write.consultant_for(&[&brand]).await;
    assert_eq!(brand_name(read, &token, &brand).await, "Acme", "assigned");
    lose_confirmations(&[write, read], true);
    write
        .gql(
            "mutation($u: ID!, $b: ID!) { unassignConsultant(userId: $u, brandId: $b) { id } }",
            json!({ "u": user, "b": brand }),
        )
        .await
        .data();
    let a = read
        .gql_as(Some(&token), BRAND, json!({ "id": brand }))
        .await;
    assert_eq!(a.code(), "NOT_FOUND", "unassigned: {}", a.body);
    let a = write
        .gql_as(Some(&token), BRAND, json!({ "id": brand }))
        .await;
    assert_eq!(
        a.code(),
        "NOT_FOUND",
        "unassigned, on the writer: {}",
        a.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unassigning_a_consultant_takes_effect_at_once_despite_a_lost_confirmation() {
    let app = TestApp::spawn().await;
    unassigning_takes_effect_at_once(&app, &app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unassigning_takes_effect_at_once_on_another_instance() {
    if redis_url().is_none() {
        // Instances share state only through Redis; without it there is one.
        return;
    }
    let app = TestApp::spawn().await;
    let other = app.another_instance().await;
    unassigning_takes_effect_at_once(&app, &other).await;
}

/// A brand read through the cache shows a rename at once, although the
/// confirmation is lost and a late reader then puts the old version back.
async fn no_stale_brand_after_a_committed_write(write: &TestApp, read: &TestApp) {
    let brand = write.create_brand("Before").await;
    let admin = write.admin_token.clone();
    assert_eq!(brand_name(read, &admin, &brand).await, "Before");
    assert_eq!(brand_name(read, &admin, &brand).await, "Before", "cached");
    let subject = Subject::BrandData(Uuid::parse_str(&brand).unwrap());
    let old = subject.read_db(&write.context.db).await.unwrap();

    lose_confirmations(&[write, read], true);
    rename(write, &brand, "After").await;
    assert_eq!(
        brand_name(read, &admin, &brand).await,
        "After",
        "confirmation lost"
    );

    // A reader that read the old version before the commit puts it back now.
    late_reader(&[write, read], subject, old).await;
    assert_eq!(
        brand_name(read, &admin, &brand).await,
        "After",
        "late reader"
    );
    assert_eq!(
        brand_name(write, &admin, &brand).await,
        "After",
        "late reader, writer"
    );

    // With confirmations back, the new version is served from the cache.
    lose_confirmations(&[write, read], false);
    rename(write, &brand, "Final").await;
    late_reader(&[write, read], subject, old).await;
    assert_eq!(brand_name(read, &admin, &brand).await, "Final");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stale_read_after_a_write_despite_lost_confirmations_and_late_readers() {
    let app = TestApp::spawn().await;
    no_stale_brand_after_a_committed_write(&app, &app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stale_read_after_a_write_on_another_instance() {
    if redis_url().is_none() {
        return;
    }
    let app = TestApp::spawn().await;
    let other = app.another_instance().await;
    no_stale_brand_after_a_committed_write(&app, &other).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_reader_cannot_bring_back_a_disabled_users_access() {
    let app = TestApp::spawn().await;
    let (id, _, token, _) = signed_in(&app, "CLIENT", Some(&app.create_brand("Acme").await)).await;
    admitted(&app, &token, "before").await;
    let subject = Subject::User(Uuid::parse_str(&id).unwrap());
    let old = subject.read_db(&app.context.db).await.unwrap();
    lose_confirmations(&[&app], true);
    update_user(&app, &id, json!({ "status": "DISABLED" })).await;
    late_reader(&[&app], subject, old).await;
    refused(&app, &token, "disabled, with the old version put back").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_integration_token_is_refused_despite_a_lost_confirmation() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let (integration, token, token_id) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    let q = "{ currentIntegration { id } }";
    assert!(app.gql_as(Some(&token), q, json!({})).await.data()["currentIntegration"].is_object());
    let subject = Subject::Integration(Uuid::parse_str(&integration).unwrap());
    let old = subject.read_db(&app.context.db).await.unwrap();
    lose_confirmations(&[&app], true);
    app.gql(
        "mutation($id: ID!) { revokeIntegrationToken(tokenId: $id) }",
        json!({ "id": token_id }),
    )
    .await
    .data();
    late_reader(&[&app], subject, old).await;
    let a = app.gql_as(Some(&token), q, json!({})).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
}

/// Makes every confirmation of a version bump on these instances fail (or
/// succeed again), as a Redis timeout after the commit would.
fn lose_confirmations(apps: &[&TestApp], lose: bool) {
    for app in apps {
        app.context
            .versions
            .faults()
            .drop_confirms
            .store(lose, Ordering::SeqCst);
    }
}

/// What a reader that read `old` before a commit does afterwards: puts it
/// back into every instance's mirror.
async fn late_reader(apps: &[&TestApp], subject: Subject, old: i64) {
    for app in apps {
        app.context.versions.fill(subject, old).await;
    }
}
