//! Content campaigns: campaigns over a brand's communities, content items
//! with typed fields and versions, the client's approval, scheduling under
//! the community's cadence policy, and publishing by integrations under a
//! lease.
//!
//! `service.rs` holds campaigns; `content.rs` items, versions, reviews, the
//! status machine, scheduling and the calendar; `cadence.rs` the cadence
//! guard itself (pure); `offers.rs` whom offers reach under the brand's cap;
//! `publish.rs` claims and publishing reports; `results.rs` pushed metrics
//! and the figures over them;
//! `graphql.rs` types and thin resolvers; `loaders.rs` the DataLoaders of
//! its relation fields.

pub mod cadence;
pub mod content;
pub mod graphql;
pub mod loaders;
pub mod offers;
pub mod publish;
pub mod results;
pub mod service;
