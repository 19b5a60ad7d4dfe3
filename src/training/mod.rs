//! Team training: the catalogue of programmes and their modules
//! (agency-wide or for one brand). Who is trained (trainees and their
//! enrollments) is the `trainee` area; what trainees achieve (results,
//! certifications, the roles that require them, the report) is the
//! `certification` area.
//!
//! `programmes.rs` holds the catalogue; `graphql.rs` types and thin
//! resolvers; `loaders.rs` the DataLoaders of its relation fields.

pub mod graphql;
pub mod loaders;
pub mod programmes;
