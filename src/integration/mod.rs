//! Integrations: machine clients of one brand (a Discord bot, a shop, an
//! LMS) with scopes, and the tokens they push data with.

pub mod graphql;
pub mod service;
