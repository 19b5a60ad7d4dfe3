//! Client brands: the tenants of the agency. Create, update, archive, fetch
//! (read through the cache) and list.

pub mod graphql;
pub mod service;
