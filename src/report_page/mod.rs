//! The client report page: a frozen impact report as a server-rendered HTML
//! page (charts as inline SVG, printable, accessible, readable on a phone)
//! and as CSV, for a signed-in user of the brand or for whoever holds a
//! share link that an admin or the brand's consultant created. Every view is
//! audited.

pub mod charts;
pub mod csv;
pub mod graphql;
pub mod html;
pub mod http;
pub mod links;
