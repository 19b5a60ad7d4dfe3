//! What trainees achieve: results as xAPI-shaped statements (pushed by
//! integrations or recorded by staff), the cmi5 rules that turn them into
//! satisfied modules and complete enrollments, the certifications issued
//! and renewed when they do (read and revoked in the `certification`
//! area), and the programme's training report. Rules in `docs/training.md`.
//!
//! `rules.rs` holds the pure `moveOn` rules; `service.rs` the ingest and
//! bringing enrollments and certifications up to date; `report.rs` the
//! programme report; `graphql.rs` thin resolvers.

pub mod graphql;
pub mod report;
pub mod rules;
pub mod service;
