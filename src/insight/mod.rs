//! What an audience's evidence says: figures per tag, platform and month,
//! terms the codebook does not cover yet, and an explained recommendation
//! of community type, platform and purpose. Formula in `docs/research.md`.
//!
//! `service.rs` holds the figures, suggestions and the recommendation's
//! inputs; `recommend.rs` the scoring itself (pure); `graphql.rs` thin
//! resolvers.

pub mod graphql;
pub mod recommend;
pub mod service;
