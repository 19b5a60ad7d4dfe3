//! Trainees: the people of a brand's team who are trained, and their
//! enrollments in the catalogue's programmes (the `training` area). Staff
//! (admins, the brand's consultants) write; client users of the brand read;
//! another brand's rows are `NOT_FOUND`. An enrollment's status is derived
//! from its record; results and certifications are the `certification` area.
//!
//! `service.rs` holds trainees and enrollments; `graphql.rs` types and thin
//! resolvers; `loaders.rs` the DataLoaders of its relation fields.

pub mod graphql;
pub mod loaders;
pub mod service;
