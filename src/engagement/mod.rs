//! Engagement: members' scores, levels and bands, member lists by band,
//! members slipping away, and community health.

pub mod graphql;
pub mod service;
