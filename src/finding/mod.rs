//! Research findings: pieces of evidence about an audience, recorded one at
//! a time or ingested in bulk, tagged by the codebook's keyword rule and by
//! people, and searched in full text with web-search syntax on both
//! databases. Rules in `docs/research.md`.
//!
//! `service.rs` holds findings, their tags, ingest and search (words,
//! keyword matching and the search syntax are [`crate::text`]);
//! `graphql.rs` types and thin resolvers; `loaders.rs` the DataLoaders of
//! its relation fields.

pub mod graphql;
pub mod loaders;
pub mod service;
