//! Content campaigns: a brand's campaigns over its communities, with their
//! objective, period, targets and approval lead time. Staff plan them;
//! client users of the brand read them. What a campaign posts is the
//! `content` area, when it posts the `schedule` area, and publishing and
//! its results the `publishing` area.
//!
//! `service.rs` holds campaigns; `graphql.rs` types and thin resolvers;
//! `loaders.rs` the DataLoaders of its relation fields.

pub mod graphql;
pub mod loaders;
pub mod service;
