//! Brands: create, fetch, update, archive, list.

use serde_json::json;

use crate::helpers::TestApp;

const FIELDS: &str =
    "id slug name description websiteUrl status version createdAt updatedAt archivedAt";

async fn total(app: &TestApp) -> i64 {
    app.gql("{ brands { totalCount } }", json!({})).await.data()["brands"]["totalCount"]
        .as_i64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_brand_then_fetch_it_by_id() {
    let app = TestApp::spawn().await;
    let created = app
        .gql(
            &format!("mutation($i: CreateBrandInput!) {{ createBrand(input: $i) {{ {FIELDS} }} }}"),
            json!({ "i": { "name": "  Acme Outdoors ", "description": "Tents", "websiteUrl": "https://acme.example" } }),
        )
        .await;
    let brand = &created.data()["createBrand"];
    assert_eq!(brand["name"], "Acme Outdoors");
    assert_eq!(brand["slug"], "acme-outdoors");
    assert_eq!(brand["status"], "ACTIVE");
    assert_eq!(brand["version"], 1);
    assert_eq!(brand["websiteUrl"], "https://acme.example");
    assert!(brand["archivedAt"].is_null());

    let fetched = app
        .gql(
            &format!("query($id: ID!) {{ brand(id: $id) {{ {FIELDS} }} }}"),
            json!({ "id": brand["id"] }),
        )
        .await;
    assert_eq!(&fetched.data()["brand"], brand);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_bad_user_input_naming_the_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({ "name": "" }), "input.name"),
        (json!({ "name": "x".repeat(121) }), "input.name"),
        (json!({ "name": "Nul\u{0}Byte" }), "input.name"),
        (
            json!({ "name": "Fine", "slug": "Not A Slug" }),
            "input.slug",
        ),
        (json!({ "name": "Fine", "slug": "-edge" }), "input.slug"),
        (json!({ "name": "!!!" }), "input.slug"),
        (
            json!({ "name": "Fine", "websiteUrl": "javascript:alert(1)" }),
            "input.websiteUrl",
        ),
        (
            json!({ "name": "Fine", "description": "d".repeat(2001) }),
            "input.description",
        ),
    ];
    for (input, field) in cases {
        let a = app
            .gql(
                "mutation($i: CreateBrandInput!) { createBrand(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        assert_eq!(a.code(), "BAD_USER_INPUT", "{input}: {}", a.body);
        assert_eq!(a.body["errors"][0]["extensions"]["field"], field, "{input}");
    }
    assert_eq!(total(&app).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_slug_is_conflict() {
    let app = TestApp::spawn().await;
    app.create_brand("Acme").await;
    let a = app
        .gql(
            "mutation { createBrand(input: { name: \"Other\", slug: \"acme\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(a.code(), "CONFLICT", "{}", a.body);
    assert!(a.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("acme"));
    assert_eq!(total(&app).await, 1);
    // Renaming onto a taken slug is a conflict too.
    let other = app.create_brand("Other").await;
    let a = app
        .gql(
            "mutation($id: ID!) { updateBrand(id: $id, input: { slug: \"acme\" }) { id } }",
            json!({ "id": other }),
        )
        .await;
    assert_eq!(a.code(), "CONFLICT", "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_changes_fields_bumps_version_and_refuses_stale_versions() {
    let app = TestApp::spawn().await;
    let id = app.create_brand("Acme").await;
    let q = "mutation($id: ID!, $i: UpdateBrandInput!) { updateBrand(id: $id, input: $i) { name slug description version } }";
    let a = app
        .gql(q, json!({ "id": id, "i": { "name": "Acme Co", "description": "Gear", "expectedVersion": 1 } }))
        .await;
    let b = &a.data()["updateBrand"];
    assert_eq!(b["name"], "Acme Co");
    assert_eq!(b["slug"], "acme", "the slug does not follow the name");
    assert_eq!(b["description"], "Gear");
    assert_eq!(b["version"], 2);

    let stale = app
        .gql(
            q,
            json!({ "id": id, "i": { "name": "Lost", "expectedVersion": 1 } }),
        )
        .await;
    assert_eq!(stale.code(), "CONFLICT", "{}", stale.body);

    let cleared = app
        .gql(q, json!({ "id": id, "i": { "description": null } }))
        .await;
    assert!(cleared.data()["updateBrand"]["description"].is_null());

    let fetched = app
        .gql(
            "query($id: ID!) { brand(id: $id) { name version } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(fetched.data()["brand"]["name"], "Acme Co");
    assert_eq!(fetched.data()["brand"]["version"], 3);

    let bad = app.gql(q, json!({ "id": id, "i": { "name": " " } })).await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    let after = app
        .gql(
            "query($id: ID!) { brand(id: $id) { name version } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        after.data()["brand"]["version"],
        3,
        "a refused update writes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_ids() {
    let app = TestApp::spawn().await;
    let missing = "01900000-0000-7000-8000-000000000000";
    let a = app
        .gql(
            "query($id: ID!) { brand(id: $id) { id } }",
            json!({ "id": missing }),
        )
        .await;
    assert_eq!(a.code(), "NOT_FOUND");
    let a = app
        .gql(
            "mutation($id: ID!) { updateBrand(id: $id, input: { name: \"x\" }) { id } }",
            json!({ "id": missing }),
        )
        .await;
    assert_eq!(a.code(), "NOT_FOUND");
    let a = app
        .gql(
            "mutation($id: ID!) { archiveBrand(id: $id) { id } }",
            json!({ "id": missing }),
        )
        .await;
    assert_eq!(a.code(), "NOT_FOUND");
    let a = app
        .gql("query { brand(id: \"not-a-uuid\") { id } }", json!({}))
        .await;
    assert_eq!(a.code(), "BAD_USER_INPUT");
    assert_eq!(a.body["errors"][0]["extensions"]["field"], "id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_is_idempotent_and_makes_the_brand_read_only() {
    let app = TestApp::spawn().await;
    let id = app.create_brand("Acme").await;
    let q = "mutation($id: ID!) { archiveBrand(id: $id) { status archivedAt version } }";
    let a = app.gql(q, json!({ "id": id })).await;
    assert_eq!(a.data()["archiveBrand"]["status"], "ARCHIVED");
    assert!(a.data()["archiveBrand"]["archivedAt"].is_string());
    assert_eq!(a.data()["archiveBrand"]["version"], 2);
    let again = app.gql(q, json!({ "id": id })).await;
    assert_eq!(again.data()["archiveBrand"]["version"], 2);
    let upd = app
        .gql(
            "mutation($id: ID!) { updateBrand(id: $id, input: { name: \"x\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(upd.code(), "CONFLICT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_with_keyset_cursors_stable_under_inserts() {
    let app = TestApp::spawn().await;
    for i in 0..25 {
        app.create_brand(&format!("Brand {i:02}")).await;
    }
    let q = "query($after: String, $first: Int) { brands(first: $first, after: $after) { totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let p1 = app.gql(q, json!({})).await;
    let c1 = &p1.data()["brands"];
    assert_eq!(
        c1["edges"].as_array().unwrap().len(),
        20,
        "default page is 20"
    );
    assert_eq!(c1["totalCount"], 25);
    assert_eq!(c1["pageInfo"]["hasNextPage"], true);
    assert_eq!(c1["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(c1["edges"][0]["node"]["name"], "Brand 24", "newest first");

    // A brand added meanwhile does not shift the next page.
    app.create_brand("Late").await;
    let p2 = app
        .gql(q, json!({ "after": c1["pageInfo"]["endCursor"] }))
        .await;
    let c2 = &p2.data()["brands"];
    let names: Vec<&str> = c2["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Brand 04", "Brand 03", "Brand 02", "Brand 01", "Brand 00"]
    );
    assert_eq!(c2["pageInfo"]["hasNextPage"], false);
    assert_eq!(c2["pageInfo"]["hasPreviousPage"], true);

    let p = app.gql(q, json!({ "first": 100 })).await;
    assert_eq!(p.data()["brands"]["edges"].as_array().unwrap().len(), 26);
    let p = app.gql(q, json!({ "first": 0 })).await;
    assert_eq!(p.data()["brands"]["edges"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_arguments_are_validated() {
    let app = TestApp::spawn().await;
    app.create_brand("Acme").await;
    let q = "query($after: String, $first: Int, $order: BrandOrder) { brands(first: $first, after: $after, orderBy: $order) { edges { cursor } } }";
    let a = app.gql(q, json!({ "first": 101 })).await;
    assert_eq!(a.code(), "BAD_USER_INPUT");
    assert_eq!(a.body["errors"][0]["extensions"]["field"], "first");
    let a = app.gql(q, json!({ "first": -1 })).await;
    assert_eq!(a.code(), "BAD_USER_INPUT");
    let a = app.gql(q, json!({ "after": "garbage" })).await;
    assert_eq!(a.code(), "BAD_USER_INPUT");
    assert_eq!(a.body["errors"][0]["extensions"]["field"], "after");
    let by_id = app.gql(q, json!({})).await;
    let cursor = by_id.data()["brands"]["edges"][0]["cursor"].clone();
    let a = app
        .gql(q, json!({ "after": cursor, "order": "NAME_ASC" }))
        .await;
    assert_eq!(
        a.code(),
        "BAD_USER_INPUT",
        "a cursor of another ordering is refused"
    );
    let a = app.gql(q, json!({ "order": "SIDEWAYS" })).await;
    assert_eq!(a.code(), "GRAPHQL_VALIDATION_FAILED", "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_filters_and_orders_by_name() {
    let app = TestApp::spawn().await;
    for name in [
        "Delta Bikes",
        "alpha Coffee",
        "Charlie 100% Wool",
        "bravo Coffee",
    ] {
        app.create_brand(name).await;
    }
    let archived = app.create_brand("Echo Coffee").await;
    app.gql(
        "mutation($id: ID!) { archiveBrand(id: $id) { id } }",
        json!({ "id": archived }),
    )
    .await;

    let q = "query($f: BrandFilter, $o: BrandOrder, $after: String) { brands(filter: $f, orderBy: $o, first: 2, after: $after) { totalCount edges { node { name } } pageInfo { endCursor hasNextPage } } }";
    let names = |a: &crate::helpers::Answer| -> Vec<String> {
        a.data()["brands"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let coffee = app
        .gql(
            q,
            json!({ "f": { "nameContains": "COFFEE", "status": "ACTIVE" }, "o": "NAME_ASC" }),
        )
        .await;
    assert_eq!(coffee.data()["brands"]["totalCount"], 2);
    let mut got = names(&coffee);
    got.sort();
    assert_eq!(got, ["alpha Coffee", "bravo Coffee"]);

    let pct = app.gql(q, json!({ "f": { "nameContains": "0%" } })).await;
    assert_eq!(
        pct.data()["brands"]["totalCount"],
        1,
        "% is matched literally"
    );
    let underscore = app.gql(q, json!({ "f": { "nameContains": "_" } })).await;
    assert_eq!(
        underscore.data()["brands"]["totalCount"],
        0,
        "_ is matched literally"
    );

    let arch = app.gql(q, json!({ "f": { "status": "ARCHIVED" } })).await;
    assert_eq!(names(&arch), ["Echo Coffee"]);

    // Walking two at a time visits every brand once, in the same order as one
    // big page (the database's own collation decides that order), and the
    // descending order is the ascending one reversed.
    let full_q =
        "query($o: BrandOrder) { brands(orderBy: $o, first: 100) { edges { node { name } } } }";
    let mut fulls = Vec::new();
    for order in ["NAME_ASC", "NAME_DESC"] {
        let mut all = Vec::new();
        let mut after = serde_json::Value::Null;
        loop {
            let page = app.gql(q, json!({ "o": order, "after": after })).await;
            all.extend(names(&page));
            if page.data()["brands"]["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page.data()["brands"]["pageInfo"]["endCursor"].clone();
        }
        let full = names(&app.gql(full_q, json!({ "o": order })).await);
        assert_eq!(all, full, "{order}");
        assert_eq!(full.len(), 5);
        fulls.push(full);
    }
    fulls[1].reverse();
    assert_eq!(fulls[0], fulls[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_by_id_is_served_from_the_cache_and_invalidated_on_write() {
    let app = TestApp::spawn().await;
    let id = app.create_brand("Acme").await;
    let q = "query($id: ID!) { brand(id: $id) { name } }";
    app.gql(q, json!({ "id": id })).await.data();
    let a = app
        .without_statements(
            "a cache hit touches no database",
            app.gql(q, json!({ "id": id })),
        )
        .await;
    assert_eq!(a.data()["brand"]["name"], "Acme");

    app.gql(
        "mutation($id: ID!) { updateBrand(id: $id, input: { name: \"Acme Co\" }) { id } }",
        json!({ "id": id }),
    )
    .await
    .data();
    let a = app.gql(q, json!({ "id": id })).await;
    assert_eq!(
        a.data()["brand"]["name"],
        "Acme Co",
        "the write invalidated the entry"
    );
}
