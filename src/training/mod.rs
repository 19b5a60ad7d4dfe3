//! Team training records: the catalogue of programmes and their modules
//! (agency-wide or for one brand), the brand's trainees, and enrollments.
//!
//! `programmes.rs` holds the catalogue; `records.rs` trainees and
//! enrollments; `graphql.rs` types and thin resolvers; `loaders.rs` the
//! DataLoaders of its relation fields.

pub mod certifications;
pub mod graphql;
pub mod loaders;
pub mod programmes;
pub mod records;
pub mod results;
pub mod roles;
pub mod rules;
