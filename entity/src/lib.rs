//! Database entities, one module per table.
//!
//! These types describe storage only. GraphQL types live beside each domain
//! area in the service crate, so a column added here never reaches the API
//! by accident.

pub mod brand;
