//! Feedback: what members asked for or reported, its status workflow and
//! the brand's answer; closure rate and time to first answer.

pub mod graphql;
pub mod service;
