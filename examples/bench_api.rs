//! Trivial authenticated queries against a plain actix-web endpoint serving
//! the same bytes from the same process, both driven by wrk: what the
//! GraphQL layer, token checks, rate limiting and brand scope cost on top of
//! HTTP. Run it with `scripts/bench.sh api`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

mod support;

use serde_json::json;
use support::Bench;

#[tokio::main]
async fn main() {
    let bench = Bench::start(|_| {}).await;
    let api = &bench.api;
    let brand = api
        .call(
            "mutation { createBrand(input: { name: \"Bench Outdoors\" }) { id } }",
            json!({}),
        )
        .await["createBrand"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The trivial query has the target; one cached row is shown for scale.
    let cases = [
        (
            "typename",
            "{ __typename }",
            json!({}),
            "  (target >= 0.60)",
        ),
        (
            "brand",
            "query($id: ID!) { brand(id: $id) { id name status } }",
            json!({ "id": brand }),
            "",
        ),
    ];
    for (name, query, variables, target) in cases {
        let body = api.raw(query, variables.clone()).await;
        assert!(!String::from_utf8_lossy(&body).contains("errors"));
        let plain = bench.plain_endpoint(body.clone());
        let (rate, reference) = bench
            .throughput(name, query, variables.clone(), &plain)
            .await;
        assert_eq!(api.raw(query, variables).await, body);
        println!(
            "{name:<9} over GraphQL:  {rate:>9.0} req/s ({} bytes)",
            body.len()
        );
        println!("{name:<9} plain:         {reference:>9.0} req/s");
        println!("{name:<9} ratio:         {:>9.2}{target}", rate / reference);
    }
}
