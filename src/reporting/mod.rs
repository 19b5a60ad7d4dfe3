//! Reporting: impact reports served to callers under the freshness policy
//! (one computation per brand, parameters and data version, on the reports
//! pool; answers up to `reports.max_staleness_secs` old unless `fresh`),
//! their weekly or monthly time series, and frozen snapshots that the client
//! report page (`report_page`) renders. The figures are the `impact` area.
//!
//! `service.rs` holds serving and the time series; `snapshot.rs` freezing
//! and reading snapshots; `graphql.rs` types and thin resolvers.

pub mod graphql;
pub mod service;
pub mod snapshot;
