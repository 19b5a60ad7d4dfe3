//! Database entities, one module per table.
//!
//! These types describe storage only. GraphQL types live beside each domain
//! area in the service crate, so a column added here (a password hash, say)
//! never reaches the API by accident.

pub mod audit_event;
pub mod brand;
pub mod consultant_assignment;
pub mod integration;
pub mod integration_token;
pub mod refresh_token;
pub mod user;
