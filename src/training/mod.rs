//! Team training: the catalogue of programmes and their modules
//! (agency-wide or for one brand), the brand's trainees, and their
//! enrollments. What trainees achieve (results, certifications, the roles
//! that require them, the report) is the `certification` area.
//!
//! `programmes.rs` holds the catalogue; `records.rs` trainees and
//! enrollments; `graphql.rs` types and thin resolvers; `loaders.rs` the
//! DataLoaders of its relation fields.

pub mod graphql;
pub mod loaders;
pub mod programmes;
pub mod records;
