//! Audience research: a brand's audiences (named target groups), the
//! brand's codebook of tags (with the keyword rule that tags findings), and
//! the places where an audience already gathers. The evidence itself is the
//! `finding` area; what it says and the recommendation the `insight` area.
//!
//! `service.rs` holds audiences, the codebook and gathering places;
//! `graphql.rs` types and thin resolvers; `loaders.rs` the DataLoaders of
//! its relation fields.

pub mod graphql;
pub mod loaders;
pub mod service;
