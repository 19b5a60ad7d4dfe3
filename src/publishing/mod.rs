//! Publishing content and what it achieved: integrations claim due items
//! under a lease and report them published or failed (with backoff); they
//! push metric observations of published items; results per item and
//! campaign, and which kinds of content work best in a community. Rules in
//! `docs/campaigns.md`.
//!
//! `publish.rs` holds claims and publishing reports; `results.rs` pushed
//! metrics and the figures over them; `graphql.rs` types and thin
//! resolvers; `loaders.rs` its DataLoaders.

pub mod graphql;
pub mod loaders;
pub mod publish;
pub mod results;
