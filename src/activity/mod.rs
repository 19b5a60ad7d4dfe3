//! Activity: a brand's activity types and weights, and bulk, idempotent
//! activity ingest (which adds unknown members and memberships).

pub mod graphql;
pub mod service;
