//! Content items of campaigns: their kinds and typed fields, versions (a
//! change of content is a new version), the client's review (only the
//! brand's client users approve or ask for changes), the status machine and
//! cancelling. Slots are the `schedule` area; publishing the `publishing`
//! area. Rules in `docs/campaigns.md`.
//!
//! `service.rs` holds items, versions and reviews; `graphql.rs` types and
//! thin resolvers; `loaders.rs` the DataLoaders of its relation fields.

pub mod graphql;
pub mod loaders;
pub mod service;
