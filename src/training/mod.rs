//! Team training records: the catalogue of programmes and their modules
//! (agency-wide or for one brand), the brand's trainees, enrollments,
//! results, certifications, and community roles that require them.
//!
//! `programmes.rs` holds the catalogue; `records.rs` trainees and
//! enrollments; `results.rs` results and the certifications they earn
//! (`rules.rs` the pure `moveOn` rules); `certifications.rs` listing,
//! expiry, revocation and verification; `roles.rs` roles that require
//! training; `report.rs` the programme report; `graphql.rs` types and thin resolvers; `loaders.rs` the
//! DataLoaders of its relation fields.

pub mod certifications;
pub mod graphql;
pub mod loaders;
pub mod programmes;
pub mod records;
pub mod report;
pub mod results;
pub mod roles;
pub mod rules;
