//! Sign-in, tokens, refresh rotation, revocation.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{TestApp, JWT_SECRET, PASSWORD};

const ME: &str = "{ me { id email role } }";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a valid user token for `sub`, to be spoiled one way or another.
fn claims(sub: &str) -> Value {
    json!({
        "iss": "hearth", "aud": "hearth-api", "sub": sub,
        "exp": now() + 600, "nbf": now() - 10, "iat": now() - 10,
        "jti": uuid::Uuid::new_v4().to_string(), "role": "ADMIN"
    })
}

fn sign(claims: &Value, typ: &str, secret: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(typ.into());
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let a = app.gql_as(Some(token), ME, json!({})).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{why}: {}", a.body);
    assert_eq!(a.code(), "UNAUTHENTICATED", "{why}");
    assert_eq!(
        a.header("www-authenticate"),
        Some("Bearer error=\"invalid_token\""),
        "{why}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_returns_tokens_and_me_answers() {
    let app = TestApp::spawn().await;
    let a = app.login_payload("admin@agency.test", PASSWORD).await;
    let token = a.data()["login"]["accessToken"].as_str().unwrap();
    assert!(a.data()["login"]["refreshToken"].as_str().unwrap().len() >= 40);
    let me = app.gql_as(Some(token), ME, json!({})).await;
    assert_eq!(me.data()["me"]["email"], "admin@agency.test");
    assert_eq!(me.data()["me"]["role"], "ADMIN");
    assert_eq!(me.header("cache-control"), Some("private, no-store"));
    // E-mail addresses are matched case-insensitively.
    let again = app.login_payload("Admin@Agency.TEST", PASSWORD).await;
    assert!(again.data()["login"]["accessToken"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_do_not_say_which_part_was_wrong() {
    let app = TestApp::spawn().await;
    let wrong_password = app
        .login_payload("admin@agency.test", "not the password at all")
        .await;
    let unknown_user = app.login_payload("nobody@agency.test", PASSWORD).await;
    assert_eq!(wrong_password.code(), "UNAUTHENTICATED");
    assert_eq!(unknown_user.code(), "UNAUTHENTICATED");
    assert_eq!(
        wrong_password.body["errors"][0]["message"],
        unknown_user.body["errors"][0]["message"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_may_only_log_in() {
    let app = TestApp::spawn().await;
    for q in [
        ME,
        "{ brands { totalCount } }",
        "{ auditEvents { totalCount } }",
    ] {
        let a = app.gql_as(None, q, json!({})).await;
        assert_eq!(a.code(), "UNAUTHENTICATED", "{q}: {}", a.body);
    }
    let a = app
        .gql_as(
            None,
            "mutation { createBrand(input: { name: \"Sneaky\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(a.code(), "UNAUTHENTICATED");
    let count = app.gql("{ brands { totalCount } }", json!({})).await;
    assert_eq!(count.data()["brands"]["totalCount"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_malformed_tokens_are_refused_with_401() {
    let app = TestApp::spawn().await;
    let me = app.gql(ME, json!({})).await;
    let sub = me.data()["me"]["id"].as_str().unwrap().to_string();

    // The control: a correctly made token works, so the refusals below are about what was spoiled.
    let good = sign(&claims(&sub), "at+jwt", JWT_SECRET);
    assert_eq!(
        app.gql_as(Some(&good), ME, json!({})).await.data()["me"]["id"],
        sub.as_str()
    );

    let none_token = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#),
        URL_SAFE_NO_PAD.encode(claims(&sub).to_string())
    );
    assert_refused(&app, &none_token, "alg none").await;
    assert_refused(
        &app,
        &sign(
            &claims(&sub),
            "at+jwt",
            "another-secret-of-at-least-32-bytes!!",
        ),
        "other key",
    )
    .await;

    let mut c = claims(&sub);
    c["exp"] = json!(now() - 120);
    assert_refused(&app, &sign(&c, "at+jwt", JWT_SECRET), "expired").await;
    let mut c = claims(&sub);
    c["nbf"] = json!(now() + 600);
    assert_refused(&app, &sign(&c, "at+jwt", JWT_SECRET), "nbf in the future").await;
    let mut c = claims(&sub);
    c["aud"] = json!("someone-else");
    assert_refused(&app, &sign(&c, "at+jwt", JWT_SECRET), "wrong aud").await;
    let mut c = claims(&sub);
    c["iss"] = json!("evil");
    assert_refused(&app, &sign(&c, "at+jwt", JWT_SECRET), "wrong iss").await;
    let mut c = claims(&sub);
    c["exp"] = json!((now() + 600).to_string());
    assert_refused(&app, &sign(&c, "at+jwt", JWT_SECRET), "exp as a string").await;
    for missing in ["exp", "nbf", "iss", "aud", "sub"] {
        let mut c = claims(&sub);
        c.as_object_mut().unwrap().remove(missing);
        assert_refused(&app, &sign(&c, "at+jwt", JWT_SECRET), missing).await;
    }
    // A user token dressed as an integration token (typ) is refused: the audience differs.
    assert_refused(
        &app,
        &sign(&claims(&sub), "integration+jwt", JWT_SECRET),
        "typ swap",
    )
    .await;
    assert_refused(&app, "not-a-jwt", "garbage").await;
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("authorization", "Basic YWxhZGRpbjpvcGVuc2VzYW1l")
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_accepted_before_is_refused_once_it_expires() {
    // Verified tokens are remembered; expiry must still apply on every use.
    let app = TestApp::spawn_with(|s| s.auth.leeway_secs = 0).await;
    let me = app.gql(ME, json!({})).await;
    let sub = me.data()["me"]["id"].as_str().unwrap().to_string();
    let mut c = claims(&sub);
    c["exp"] = json!(now() + 2);
    let short = sign(&c, "at+jwt", JWT_SECRET);
    for _ in 0..3 {
        let a = app.gql_as(Some(&short), ME, json!({})).await;
        assert_eq!(a.data()["me"]["id"], sub.as_str());
    }
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_refused(&app, &short, "expired after it was accepted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_and_integration_tokens_are_not_interchangeable() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let (_, token, _) = app.integration_token(&brand, &["INGEST_ACTIVITIES"]).await;

    for q in [ME, "{ brands { totalCount } }"] {
        let a = app.gql_as(Some(&token), q, json!({})).await;
        assert_eq!(a.code(), "FORBIDDEN", "{q}: {}", a.body);
    }
    let a = app
        .gql_as(
            Some(&token),
            "{ currentIntegration { brandId scopes } }",
            json!({}),
        )
        .await;
    assert_eq!(a.data()["currentIntegration"]["brandId"], brand.as_str());
    assert_eq!(
        a.data()["currentIntegration"]["scopes"],
        json!(["INGEST_ACTIVITIES"])
    );

    let a = app.gql("{ currentIntegration { id } }", json!({})).await;
    assert_eq!(
        a.code(),
        "FORBIDDEN",
        "a user token where an integration token belongs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let first = app.login_payload("admin@agency.test", PASSWORD).await;
    let r1 = first.data()["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let q = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }";

    let second = app.gql_as(None, q, json!({ "t": r1 })).await;
    let r2 = second.data()["refreshToken"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let access = second.data()["refreshToken"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(r1, r2);
    assert!(app.gql_as(Some(&access), ME, json!({})).await.data()["me"].is_object());

    // Reusing r1 fails and revokes r2 as well.
    let reuse = app.gql_as(None, q, json!({ "t": r1 })).await;
    assert_eq!(reuse.code(), "UNAUTHENTICATED");
    let after = app.gql_as(None, q, json!({ "t": r2 })).await;
    assert_eq!(
        after.code(),
        "UNAUTHENTICATED",
        "the whole family is revoked"
    );

    // Logout revokes too.
    let third = app.login_payload("admin@agency.test", PASSWORD).await;
    let r3 = third.data()["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let out = app
        .gql_as(
            None,
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": r3 }),
        )
        .await;
    assert_eq!(out.data()["logout"], true);
    assert_eq!(
        app.gql_as(None, q, json!({ "t": r3 })).await.code(),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        app.gql_as(None, q, json!({ "t": "made-up" })).await.code(),
        "UNAUTHENTICATED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_users_cannot_sign_in_or_refresh() {
    let app = TestApp::spawn().await;
    let (id, email) = app.create_user("CONSULTANT", None).await;
    let login = app.login_payload(&email, PASSWORD).await;
    let refresh = login.data()["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    app.gql(
        "mutation($id: ID!) { updateUser(id: $id, input: { status: DISABLED }) { status } }",
        json!({ "id": id }),
    )
    .await
    .data();
    assert_eq!(
        app.login_payload(&email, PASSWORD).await.code(),
        "UNAUTHENTICATED"
    );
    let r = app
        .gql_as(
            None,
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": refresh }),
        )
        .await;
    assert_eq!(r.code(), "UNAUTHENTICATED");
}

async fn revoked_integration_tokens_are_refused(app: &TestApp) {
    let brand = app.create_brand("Acme").await;
    let (integration, token, token_id) = app.integration_token(&brand, &["INGEST_ORDERS"]).await;
    let q = "{ currentIntegration { id } }";
    assert!(app.gql_as(Some(&token), q, json!({})).await.data()["currentIntegration"].is_object());
    app.gql(
        "mutation($id: ID!) { revokeIntegrationToken(tokenId: $id) }",
        json!({ "id": token_id }),
    )
    .await
    .data();
    let a = app.gql_as(Some(&token), q, json!({})).await;
    assert_eq!(
        a.status,
        StatusCode::UNAUTHORIZED,
        "a revoked token stops at once"
    );

    // A lifetime out of range is refused by field.
    let bad = app
        .gql(
            "mutation($id: ID!) { issueIntegrationToken(id: $id, expiresInDays: 0) { token } }",
            json!({ "id": integration }),
        )
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert_eq!(
        bad.body["errors"][0]["extensions"]["field"],
        "expiresInDays"
    );

    // Revoking the integration stops every one of its tokens.
    let t2 = app
        .gql(
            "mutation($id: ID!) { issueIntegrationToken(id: $id) { token } }",
            json!({ "id": integration }),
        )
        .await;
    let t2 = t2.data()["issueIntegrationToken"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(app.gql_as(Some(&t2), q, json!({})).await.data()["currentIntegration"].is_object());
    app.gql(
        "mutation($id: ID!) { revokeIntegration(id: $id) { revokedAt } }",
        json!({ "id": integration }),
    )
    .await
    .data();
    assert_eq!(
        app.gql_as(Some(&t2), q, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_integration_tokens_are_refused_at_once() {
    let app = TestApp::spawn().await;
    revoked_integration_tokens_are_refused(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_holds_with_redis_down() {
    let app = TestApp::spawn_with(|s| {
        s.redis.url = Some(secrecy::SecretString::from(
            "redis://127.0.0.1:1/".to_string(),
        ));
        s.redis.timeout_ms = 100;
    })
    .await;
    revoked_integration_tokens_are_refused(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ed25519_keys_sign_and_the_algorithm_cannot_be_switched() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let app = TestApp::spawn_with(|s| {
        s.auth.jwt_secret = None;
        s.auth.ed25519_private_key_file = Some(fixtures.join("test-ed25519-private.pem"));
        s.auth.ed25519_public_key_file = Some(fixtures.join("test-ed25519-public.pem"));
    })
    .await;
    let header = jsonwebtoken::decode_header(&app.admin_token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    let me = app.gql(ME, json!({})).await;
    let sub = me.data()["me"]["id"].as_str().unwrap().to_string();
    // Algorithm confusion: an HS256 token keyed with the public key is refused.
    let public = std::fs::read_to_string(fixtures.join("test-ed25519-public.pem")).unwrap();
    assert_refused(
        &app,
        &sign(&claims(&sub), "at+jwt", &public),
        "HS256 with the public key",
    )
    .await;
    assert_refused(
        &app,
        &sign(&claims(&sub), "at+jwt", JWT_SECRET),
        "HS256 with a secret",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_time_limit_fails_with_timeout() {
    // Sign-in hashes a password (tens of milliseconds by design); 1 ms is too little.
    let slow = TestApp::spawn_with(|s| s.server.request_timeout_ms = 1).await;
    let a = slow.login_payload("admin@agency.test", PASSWORD).await;
    assert_eq!(a.code(), "TIMEOUT", "{}", a.body);
    assert_eq!(a.status, StatusCode::GATEWAY_TIMEOUT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_refresh_tokens_are_pruned_and_live_ones_kept() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    app.login_payload("admin@agency.test", PASSWORD)
        .await
        .data();
    let live = app.login_payload("admin@agency.test", PASSWORD).await;
    let live = live.data()["login"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let db = &app.context.db;
    let backend = db.get_database_backend();
    let count = || async {
        let row = db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT COUNT(*) AS n FROM refresh_token",
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    assert_eq!(count().await, 2);
    // Age the older sign-in's token past its expiry and the day of grace.
    let old = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let set = hearth::db::raw(
        backend,
        "UPDATE refresh_token SET expires_at = ? WHERE id = (SELECT id FROM refresh_token ORDER BY created_at, id LIMIT 1)",
        vec![chrono::DateTime::parse_from_rfc3339(&old)
            .unwrap()
            .to_utc()
            .into()],
    );
    db.execute_raw(set).await.unwrap();
    let pruned = hearth::account::service::prune_refresh_tokens(db)
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(count().await, 1);
    let q = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }";
    let again = app.gql_as(None, q, json!({ "t": live })).await;
    assert!(again.data()["refreshToken"]["accessToken"].is_string());
}
