//! What trainees achieve: results as xAPI-shaped statements, the cmi5
//! rules that turn them into satisfied modules and complete enrollments,
//! certifications (issued, expiring, renewed, revoked, verified by code),
//! community roles that require a valid certification, and the training
//! report. Rules in `docs/training.md`.
//!
//! `rules.rs` holds the pure `moveOn` rules; `results.rs` the ingest and
//! bringing enrollments and certifications up to date; `certifications.rs`
//! listing, expiry, revocation and verification; `roles.rs` roles that
//! require training and the gaps; `report.rs` the programme report;
//! `graphql.rs` types and thin resolvers; `loaders.rs` its DataLoaders.

pub mod certifications;
pub mod graphql;
pub mod loaders;
pub mod report;
pub mod results;
pub mod roles;
pub mod rules;
