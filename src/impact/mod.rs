//! Impact measurement: customers, orders and survey responses pushed in
//! bulk; impact reports (sales, retention, satisfaction, engagement) of
//! members against other customers, cached by the brand's data version, and
//! frozen snapshots.

pub mod graphql;
pub mod ingest;
pub mod matched;
pub mod report;
pub mod snapshot;
