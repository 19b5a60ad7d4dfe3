//! Communities: a brand's community on one platform, its channels, its
//! cadence policy and its setup checklist.
//!
//! Every area folder has the same anatomy: `service.rs` holds the rules and
//! the scoped queries, `graphql.rs` the types and thin resolvers, and
//! `loaders.rs` the DataLoaders its relation fields batch through.

pub mod graphql;
pub mod loaders;
pub mod service;
