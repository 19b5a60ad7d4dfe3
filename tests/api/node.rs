//! Relay object identification: the `Node` interface and `node` / `nodes`,
//! with the same brand scope as every other read.

use serde_json::{json, Value};

use crate::helpers::TestApp;

const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
  ... on Brand { name } ... on Community { name } ... on Channel { name }
  ... on Member { displayName } ... on User { email } ... on TrainingProgramme { title }
  ... on ReportShareLink { status } } }";

fn id(v: &Value) -> String {
    v.as_str().unwrap().to_string()
}

#[test]
fn every_object_with_an_id_implements_node_as_relay_expects() {
    let sdl =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(sdl.contains("interface Node {"), "no Node interface");
    assert!(sdl
        .contains("node(\n\t\t\"\"\"\n\t\tAn object's id.\n\t\t\"\"\"\n\t\tid: ID!\n\t): Node\n"));
    assert!(sdl.contains("): [Node]!\n"));
    let mut checked = 0;
    for block in sdl.split("\ntype ").skip(1) {
        let (head, body) = block.split_once('{').unwrap();
        let body = body.split("\n}").next().unwrap();
        let name = head.split_whitespace().next().unwrap();
        if ["Query", "Mutation"].contains(&name) {
            continue;
        }
        if body.lines().any(|l| l.trim() == "id: ID!") {
            assert!(
                head.contains("implements Node"),
                "{name} has an id but does not implement Node"
            );
            checked += 1;
        } else {
            assert!(
                !head.contains("Node"),
                "{name} implements Node without an id"
            );
        }
    }
    assert!(checked >= 23, "{checked} types");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_refetches_what_you_may_read_and_answers_null_for_anything_else() {
    let app = TestApp::spawn().await;
    let acme = app.create_brand("Acme").await;
    let other = app.create_brand("Other").await;
    let community = app
        .gql(
            "mutation($b: ID!) { createCommunity(input: { brandId: $b, name: \"Trail\", purpose: \"Hikes\", kind: LIFESTYLE, platform: DISCORD }) { id } }",
            json!({ "b": acme }),
        )
        .await;
    let community = id(&community.data()["createCommunity"]["id"]);
    let channel = app
        .gql(
            "mutation($c: ID!) { createChannel(input: { communityId: $c, name: \"general\", kind: CHAT }) { id } }",
            json!({ "c": community }),
        )
        .await;
    let channel = id(&channel.data()["createChannel"]["id"]);
    let member = app
        .gql(
            "mutation($b: ID!) { createMember(input: { brandId: $b, displayName: \"Ana\", identities: [{ platform: DISCORD, externalId: \"ana\" }] }) { id } }",
            json!({ "b": acme }),
        )
        .await;
    let member = id(&member.data()["createMember"]["id"]);
    let programme = app
        .gql(
            "mutation { createTrainingProgramme(input: { title: \"Fundamentals\", modules: [{ title: \"Intro\", kind: VIDEO }] }) { id } }",
            json!({}),
        )
        .await;
    let programme = id(&programme.data()["createTrainingProgramme"]["id"]);
    let (client_id, client) = app.user_token("CLIENT", Some(&acme)).await;
    let (_, stranger) = app.user_token("CLIENT", Some(&other)).await;
    let (_, consultant) = app.consultant_for(&[&acme]).await;
    let missing = uuid::Uuid::now_v7().to_string();

    // The admin refetches each, of any type, in the order asked; a
    // repeated id answers the same object; an unknown one null.
    let ids = json!([acme, community, channel, member, client_id, programme, missing, acme]);
    let a = app.gql(NODES, json!({ "ids": ids })).await;
    let nodes = a.data()["nodes"].as_array().unwrap().clone();
    let types: Vec<&str> = nodes
        .iter()
        .map(|n| n["__typename"].as_str().unwrap_or("null"))
        .collect();
    assert_eq!(
        types,
        [
            "Brand",
            "Community",
            "Channel",
            "Member",
            "User",
            "TrainingProgramme",
            "null",
            "Brand"
        ]
    );
    for (n, asked) in nodes.iter().zip(ids.as_array().unwrap()) {
        if !n.is_null() {
            assert_eq!(&n["id"], asked);
        }
    }
    assert_eq!(nodes[0]["name"], "Acme");
    assert_eq!(nodes[2]["name"], "general");
    assert_eq!(nodes[3]["displayName"], "Ana");

    // The brand's client sees its brand, community, channel and member, the
    // agency-wide programme and themselves; another brand's client sees
    // none of Acme's, exactly as missing ones.
    let mine = app
        .gql_as(
            Some(&client),
            NODES,
            json!({ "ids": [acme, community, channel, member, client_id, programme] }),
        )
        .await;
    assert!(
        mine.data()["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| !n.is_null()),
        "{}",
        mine.body
    );
    let theirs = app
        .gql_as(
            Some(&stranger),
            NODES,
            json!({ "ids": [acme, community, channel, member, client_id, missing] }),
        )
        .await;
    assert_eq!(
        theirs.data()["nodes"],
        json!([null, null, null, null, null, null])
    );
    let one = app
        .gql_as(
            Some(&stranger),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": community }),
        )
        .await;
    assert_eq!(one.data()["node"], Value::Null);

    // Share links are for the brand's staff only.
    let snapshot = app
        .gql(
            "mutation($b: ID!, $f: DateTime!, $t: DateTime!) { freezeImpactReport(brandId: $b, from: $f, to: $t) { id } }",
            json!({ "b": acme, "f": "2026-01-01T00:00:00Z", "t": "2026-02-01T00:00:00Z" }),
        )
        .await;
    let snapshot = id(&snapshot.data()["freezeImpactReport"]["id"]);
    let link = app
        .gql_as(
            Some(&consultant),
            "mutation($s: ID!) { createReportShareLink(snapshotId: $s) { link { id } } }",
            json!({ "s": snapshot }),
        )
        .await;
    let link = id(&link.data()["createReportShareLink"]["link"]["id"]);
    let staff = app
        .gql_as(Some(&consultant), NODES, json!({ "ids": [link, snapshot] }))
        .await;
    assert_eq!(staff.data()["nodes"][0]["status"], "ACTIVE");
    assert_eq!(staff.data()["nodes"][1]["__typename"], "ReportSnapshot");
    let client_view = app
        .gql_as(Some(&client), NODES, json!({ "ids": [link, snapshot] }))
        .await;
    assert_eq!(client_view.data()["nodes"][0], Value::Null);
    assert_eq!(
        client_view.data()["nodes"][1]["__typename"],
        "ReportSnapshot"
    );

    // Two statements whatever the number of types: which ids are whose,
    // then one per type present.
    let before = app.statements().await;
    app.gql_as(
        Some(&client),
        "query($id: ID!) { node(id: $id) { id } }",
        json!({ "id": community }),
    )
    .await
    .data();
    assert_eq!(app.statements().await - before, 2.0);

    // Bad input: a malformed id, no ids, more than 100.
    let bad = app
        .gql("query { node(id: \"nope\") { id } }", json!({}))
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    let none = app.gql(NODES, json!({ "ids": [] })).await;
    assert_eq!(none.code(), "BAD_USER_INPUT");
    let many: Vec<String> = (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let over = app.gql(NODES, json!({ "ids": many })).await;
    assert_eq!(over.code(), "BAD_USER_INPUT");
}
