//! Client brands: the tenants of the agency. Create, update, archive, fetch
//! (read through the cache) and list.

pub mod data_version;
pub mod graphql;
pub mod service;
