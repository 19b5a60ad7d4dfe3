//! Certifications and the roles that require them: certifications (issued
//! by the `training_result` area when an enrollment completes; expiring,
//! renewed, revoked, verified by code) and community roles that require a
//! valid certification, with the gaps. Rules in `docs/training.md`.
//!
//! `certifications.rs` holds listing, expiry, revocation and verification;
//! `roles.rs` roles that require training and the gaps; `graphql.rs` types
//! and thin resolvers; `loaders.rs` its DataLoaders.

pub mod certifications;
pub mod graphql;
pub mod loaders;
pub mod roles;
