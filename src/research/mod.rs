//! Audience research: audiences, the brand's codebook of tags, findings
//! (recorded, ingested, tagged, searched in full text), gathering places,
//! insights, and an explained recommendation of community type, platform
//! and purpose.
//!
//! `service.rs` holds audiences, the codebook and gathering places;
//! `findings.rs` findings, their tags, ingest and search; `insights.rs` the
//! figures, suggestions and the recommendation's inputs; `recommend.rs` the
//! scoring itself (pure); `text.rs` words, keyword matching and the search
//! syntax; `graphql.rs` types and thin resolvers; `loaders.rs` the
//! DataLoaders of its relation fields.

pub mod findings;
pub mod graphql;
pub mod insights;
pub mod loaders;
pub mod recommend;
pub mod service;
pub mod text;
