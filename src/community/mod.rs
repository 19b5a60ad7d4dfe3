//! Communities and their members: setup (communities, channels, checklist),
//! members with identities and memberships, activity ingest, engagement and
//! health, recognition, and feedback.
//!
//! Each file holds the rules and queries of one part; `graphql.rs` holds the
//! types and resolvers of all of them.

pub mod activity;
pub mod engagement;
pub mod feedback;
pub mod graphql;
pub mod members;
pub mod recognition;
pub mod service;
