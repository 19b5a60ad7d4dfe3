//! Recognition: reward programmes with criteria, grants, suggested
//! recipients, and reward impact.

pub mod graphql;
pub mod service;
