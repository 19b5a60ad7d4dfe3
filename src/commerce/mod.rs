//! Commerce: what a brand's systems push in bulk for impact measurement:
//! customers (linked to members by identity or reference), orders (amounts
//! stored exactly, one currency each) and survey responses (NPS, CSAT, CES).
//! The reports over them live in [`crate::impact`].

pub mod graphql;
pub mod service;
