//! Brand scope: consultants, client users, admins; audit log; user and
//! integration management.

use serde_json::json;

use crate::helpers::TestApp;

const BRAND: &str = "query($id: ID!) { brand(id: $id) { id name version } }";
const UPDATE: &str = "mutation($id: ID!, $name: String!) { updateBrand(id: $id, input: { name: $name }) { name version } }";

async fn version(app: &TestApp, brand: &str) -> i64 {
    app.gql(BRAND, json!({ "id": brand })).await.data()["brand"]["version"]
        .as_i64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consultants_see_and_change_only_assigned_brands() {
    let app = TestApp::spawn().await;
    let mine = app.create_brand("Mine").await;
    let theirs = app.create_brand("Theirs").await;
    let (consultant, token) = app.consultant_for(&[&mine]).await;
    let t = Some(token.as_str());

    let list = app
        .gql_as(
            t,
            "{ brands { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(list.data()["brands"]["totalCount"], 1);
    assert_eq!(
        list.data()["brands"]["edges"][0]["node"]["id"],
        mine.as_str()
    );
    assert_eq!(
        app.gql_as(t, BRAND, json!({ "id": mine })).await.data()["brand"]["name"],
        "Mine"
    );

    // Another brand looks exactly like a missing one, for reads and writes.
    let missing = "01900000-0000-7000-8000-000000000000";
    let other = app.gql_as(t, BRAND, json!({ "id": theirs })).await;
    let absent = app.gql_as(t, BRAND, json!({ "id": missing })).await;
    assert_eq!(other.code(), "NOT_FOUND");
    assert_eq!(
        other.body["errors"][0]["message"],
        absent.body["errors"][0]["message"]
    );
    let write = app
        .gql_as(t, UPDATE, json!({ "id": theirs, "name": "Hijacked" }))
        .await;
    assert_eq!(write.code(), "NOT_FOUND");
    assert_eq!(version(&app, &theirs).await, 1, "zero rows changed");

    let ok = app
        .gql_as(t, UPDATE, json!({ "id": mine, "name": "Mine Renamed" }))
        .await;
    assert_eq!(ok.data()["updateBrand"]["version"], 2);

    // Consultants do not create or archive brands.
    let create = app
        .gql_as(
            t,
            "mutation { createBrand(input: { name: \"New\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(create.code(), "FORBIDDEN");
    let archive = app
        .gql_as(
            t,
            "mutation($id: ID!) { archiveBrand(id: $id) { id } }",
            json!({ "id": mine }),
        )
        .await;
    assert_eq!(archive.code(), "FORBIDDEN");

    // Assignment changes apply at once (the cached assignments are dropped).
    app.gql(
        "mutation($u: ID!, $b: ID!) { assignConsultant(userId: $u, brandId: $b) { assignedBrandIds } }",
        json!({ "u": consultant, "b": theirs }),
    )
    .await
    .data();
    assert!(app.gql_as(t, BRAND, json!({ "id": theirs })).await.data()["brand"].is_object());
    app.gql(
        "mutation($u: ID!, $b: ID!) { unassignConsultant(userId: $u, brandId: $b) { id } }",
        json!({ "u": consultant, "b": theirs }),
    )
    .await
    .data();
    assert_eq!(
        app.gql_as(t, BRAND, json!({ "id": theirs })).await.code(),
        "NOT_FOUND"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_users_read_their_brand_and_write_nothing() {
    let app = TestApp::spawn().await;
    let own = app.create_brand("Own").await;
    let other = app.create_brand("Other").await;
    let (_, token) = app.user_token("CLIENT", Some(&own)).await;
    let t = Some(token.as_str());

    let list = app
        .gql_as(
            t,
            "{ brands { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(list.data()["brands"]["totalCount"], 1);
    assert_eq!(
        app.gql_as(t, BRAND, json!({ "id": own })).await.data()["brand"]["name"],
        "Own"
    );
    assert_eq!(
        app.gql_as(t, BRAND, json!({ "id": other })).await.code(),
        "NOT_FOUND"
    );

    let write = app
        .gql_as(t, UPDATE, json!({ "id": own, "name": "Changed" }))
        .await;
    assert_eq!(write.code(), "FORBIDDEN");
    assert_eq!(version(&app, &own).await, 1);
    let integration = app
        .gql_as(
            t,
            "mutation($b: ID!) { createIntegration(input: { brandId: $b, name: \"x\", scopes: [READ_REPORTS] }) { id } }",
            json!({ "b": own }),
        )
        .await;
    assert_eq!(integration.code(), "FORBIDDEN");
    let users = app.gql_as(t, "{ users { totalCount } }", json!({})).await;
    assert_eq!(users.code(), "FORBIDDEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_are_scoped_to_the_consultants_brands() {
    let app = TestApp::spawn().await;
    let mine = app.create_brand("Mine").await;
    let theirs = app.create_brand("Theirs").await;
    let (_, their_integration_token, their_token_id) =
        app.integration_token(&theirs, &["READ_REPORTS"]).await;
    let (_, token) = app.consultant_for(&[&mine]).await;
    let t = Some(token.as_str());
    let create = "mutation($b: ID!) { createIntegration(input: { brandId: $b, name: \"Shop\", scopes: [INGEST_ORDERS, INGEST_ORDERS] }) { id scopes } }";

    let ok = app.gql_as(t, create, json!({ "b": mine })).await;
    assert_eq!(
        ok.data()["createIntegration"]["scopes"],
        json!(["INGEST_ORDERS"])
    );
    assert_eq!(
        app.gql_as(t, create, json!({ "b": theirs })).await.code(),
        "NOT_FOUND"
    );

    let list = app
        .gql_as(t, "{ integrations { totalCount } }", json!({}))
        .await;
    assert_eq!(list.data()["integrations"]["totalCount"], 1);
    let all = app.gql("{ integrations { totalCount } }", json!({})).await;
    assert_eq!(all.data()["integrations"]["totalCount"], 2);

    let revoke = app
        .gql_as(
            t,
            "mutation($id: ID!) { revokeIntegrationToken(tokenId: $id) }",
            json!({ "id": their_token_id }),
        )
        .await;
    assert_eq!(revoke.code(), "NOT_FOUND");
    let still = app
        .gql_as(
            Some(&their_integration_token),
            "{ currentIntegration { id } }",
            json!({}),
        )
        .await;
    assert!(
        still.data()["currentIntegration"].is_object(),
        "nothing was revoked"
    );

    let bad = app
        .gql("mutation($b: ID!) { createIntegration(input: { brandId: $b, name: \"x\", scopes: [] }) { id } }", json!({ "b": mine }))
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert_eq!(bad.body["errors"][0]["extensions"]["field"], "input.scopes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_management_is_for_admins_and_validates_input() {
    let app = TestApp::spawn().await;
    let brand = app.create_brand("Acme").await;
    let q = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }";
    let cases = [
        (
            json!({ "email": "a@b.test", "displayName": "A", "role": "CLIENT", "password": "long enough password" }),
            "input.brandId",
        ),
        (
            json!({ "email": "a@b.test", "displayName": "A", "role": "CONSULTANT", "brandId": brand, "password": "long enough password" }),
            "input.brandId",
        ),
        (
            json!({ "email": "not-an-email", "displayName": "A", "role": "ADMIN", "password": "long enough password" }),
            "input.email",
        ),
        (
            json!({ "email": "a@b.test", "displayName": "A", "role": "ADMIN", "password": "short" }),
            "input.password",
        ),
        (
            json!({ "email": "a@b.test", "displayName": "", "role": "ADMIN", "password": "long enough password" }),
            "input.displayName",
        ),
    ];
    for (input, field) in cases {
        let a = app.gql(q, json!({ "i": input })).await;
        assert_eq!(a.code(), "BAD_USER_INPUT", "{input}: {}", a.body);
        assert_eq!(a.body["errors"][0]["extensions"]["field"], field, "{input}");
    }
    let users = app.gql("{ users { totalCount } }", json!({})).await;
    assert_eq!(
        users.data()["users"]["totalCount"],
        1,
        "nothing was written"
    );

    let ok = app
        .gql(q, json!({ "i": { "email": "Ana@Acme.test", "displayName": "Ana", "role": "CLIENT", "brandId": brand, "password": "long enough password" } }))
        .await;
    assert!(ok.data()["createUser"]["id"].is_string());
    let dup = app
        .gql(q, json!({ "i": { "email": "ana@acme.test", "displayName": "Ana", "role": "ADMIN", "password": "long enough password" } }))
        .await;
    assert_eq!(dup.code(), "CONFLICT");

    let (consultant, token) = app.consultant_for(&[&brand]).await;
    let a = app
        .gql_as(Some(&token), q, json!({ "i": { "email": "x@y.test", "displayName": "X", "role": "ADMIN", "password": "long enough password" } }))
        .await;
    assert_eq!(a.code(), "FORBIDDEN");
    let me = app
        .gql_as(Some(&token), "{ me { role assignedBrandIds } }", json!({}))
        .await;
    assert_eq!(me.data()["me"]["assignedBrandIds"], json!([brand]));
    let other = app
        .gql_as(
            Some(&token),
            "query($id: ID!) { user(id: $id) { id } }",
            json!({ "id": consultant }),
        )
        .await;
    assert!(
        other.data()["user"].is_object(),
        "users can read themselves"
    );

    let list = app.gql("{ users(filter: { role: CONSULTANT }) { totalCount edges { node { assignedBrandIds } } } }", json!({})).await;
    assert_eq!(list.data()["users"]["totalCount"], 1);
    assert_eq!(
        list.data()["users"]["edges"][0]["node"]["assignedBrandIds"],
        json!([brand])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutation_is_audited_and_only_admins_read_the_log() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": "mutation { createBrand(input: { name: \"Audited\" }) { id } }" }))
        .send()
        .await
        .unwrap();
    let a = TestApp::answer(res).await;
    let brand = a.data()["createBrand"]["id"].as_str().unwrap().to_string();
    let request_id = a.header("x-request-id").unwrap().to_string();
    app.gql(UPDATE, json!({ "id": brand, "name": "Audited Again" }))
        .await
        .data();

    let log = app
        .gql(
            "query($b: ID!) { auditEvents(filter: { brandId: $b }) { totalCount edges { node { action actorType actorId objectType objectId requestId } } } }",
            json!({ "b": brand }),
        )
        .await;
    let events = &log.data()["auditEvents"];
    assert_eq!(events["totalCount"], 2);
    assert_eq!(
        events["edges"][0]["node"]["action"], "brand.update",
        "newest first"
    );
    let created = &events["edges"][1]["node"];
    assert_eq!(created["action"], "brand.create");
    assert_eq!(created["actorType"], "user");
    assert_eq!(created["objectType"], "brand");
    assert_eq!(created["objectId"], brand.as_str());
    assert_eq!(created["requestId"], request_id.as_str());
    let me = app.gql("{ me { id } }", json!({})).await;
    assert_eq!(created["actorId"], me.data()["me"]["id"]);

    let (_, token) = app.consultant_for(&[&brand]).await;
    let denied = app
        .gql_as(Some(&token), "{ auditEvents { totalCount } }", json!({}))
        .await;
    assert_eq!(denied.code(), "FORBIDDEN");
    let sdl = hearth::graphql::sdl();
    for verb in ["updateAuditEvent", "deleteAuditEvent", "createAuditEvent"] {
        assert!(!sdl.contains(verb), "the API cannot edit the audit log");
    }
}

/// A consultant of `brand` as services see one, built directly (no HTTP).
fn consultant_of(brand: uuid::Uuid) -> hearth::auth::Caller {
    use hearth::auth::{Caller, Principal, UserPrincipal};
    Caller {
        principal: Principal::User(UserPrincipal {
            id: uuid::Uuid::now_v7(),
            role: entity::user::Role::Consultant,
            brand_id: None,
            assigned: std::sync::Arc::new(vec![brand]),
        }),
        request_id: "test".into(),
        client_ip: "127.0.0.1".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_called_directly_with_a_foreign_scope_return_no_foreign_rows() {
    use hearth::{
        auth::BrandScope,
        engagement::service::{self as engagement, HealthOf},
        error::AppError,
        impact::report::{self, ReportParams},
    };
    let app = TestApp::spawn().await;
    let mine = app.create_brand("Mine").await;
    let theirs = app.create_brand("Theirs").await;
    let their_club = app
        .gql(
            "mutation($b: ID!) { createCommunity(input: { brandId: $b, name: \"Club\", purpose: \"p\", kind: PRODUCT, platform: DISCORD }) { id } }",
            json!({ "b": theirs }),
        )
        .await
        .data()["createCommunity"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.gql(
        "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }",
        json!({ "i": { "communityId": their_club, "rows": [{ "sourceKey": "1", "externalId": "eve", "kind": "message", "occurredAt": chrono::Utc::now().to_rfc3339() }] } }),
    )
    .await
    .data();
    let (mine, theirs, their_club) = (
        uuid::Uuid::parse_str(&mine).unwrap(),
        uuid::Uuid::parse_str(&theirs).unwrap(),
        uuid::Uuid::parse_str(&their_club).unwrap(),
    );
    let ctx = &app.context;
    let caller = consultant_of(mine);

    // The scope hands out no access to another brand.
    let scope = caller.report_scope().unwrap();
    assert!(matches!(
        scope.grant(theirs, "brand"),
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        engagement::community_health(ctx, &caller, their_club, None, None).await,
        Err(AppError::NotFound(_))
    ));

    // With access to its own brand, a service asked for another brand's
    // community (a resolver that forgot its check) finds nothing of it.
    let access = scope.grant(mine, "brand").unwrap();
    let to = chrono::Utc::now() + chrono::Duration::minutes(1);
    let from = to - chrono::Duration::days(30);
    let health = engagement::health_of(
        ctx,
        HealthOf::Community(access, their_club),
        &[(their_club, "UTC")],
        from,
        to,
    )
    .await
    .unwrap();
    assert!(health.is_empty(), "{health:?}");
    // The same call with their brand does see the activity: the filter, not
    // an empty table, made the difference.
    let admin = BrandScope::All.grant(theirs, "brand").unwrap();
    let seen = engagement::health_of(
        ctx,
        HealthOf::Community(admin, their_club),
        &[(their_club, "UTC")],
        from,
        to,
    )
    .await
    .unwrap();
    assert_eq!(seen[&their_club].activities, 1);

    let params = ReportParams {
        brand: access,
        community_id: Some(their_club),
        from,
        to,
        currency: None,
        min_sample: 1,
        cohort_months: 6,
        matched: false,
    };
    let r = report::compute(ctx, &params).await.unwrap();
    assert!(
        r.engagement.is_empty(),
        "no foreign community in the report"
    );
    assert!(r.sales.is_none());

    // The DataLoaders' fetchers apply the scope they are built with.
    use hearth::{community::service, member::service as members};
    let own = BrandScope::One(mine);
    let all = BrandScope::All;
    let page = members::first_members_of(ctx, &all, &[their_club], 10)
        .await
        .unwrap();
    let eve = page[0].member_id;
    assert!(members::first_members_of(ctx, &own, &[their_club], 10)
        .await
        .unwrap()
        .is_empty());
    assert!(members::members_by_id(ctx, &own, &[eve])
        .await
        .unwrap()
        .is_empty());
    assert!(members::identities_of(ctx, &own, &[eve])
        .await
        .unwrap()
        .is_empty());
    assert!(members::memberships_of(ctx, &own, &[eve])
        .await
        .unwrap()
        .is_empty());
    assert!(members::member_counts(ctx, &own, &[their_club])
        .await
        .unwrap()
        .is_empty());
    assert!(service::channels_of(ctx, &own, &[their_club])
        .await
        .unwrap()
        .is_empty());
    let assigned = BrandScope::Assigned(uuid::Uuid::now_v7(), std::sync::Arc::new(vec![mine]));
    assert!(members::members_by_id(ctx, &assigned, &[eve])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        members::members_by_id(ctx, &all, &[eve])
            .await
            .unwrap()
            .len(),
        1
    );
}
