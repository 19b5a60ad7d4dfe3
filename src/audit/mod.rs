//! The audit log: every mutation leaves a row (who, what, which object, when,
//! from which request). Admins read it; nothing in the API edits it.

pub mod graphql;
pub mod service;
