//! Members: the people in a brand's communities, their identities per
//! platform and memberships per community; merging and privacy erasure; the
//! member pages nested below communities.

pub mod graphql;
pub mod loaders;
pub mod service;
