//! Impact measurement: reports (sales, retention, satisfaction, engagement,
//! the matched comparison) of members against other customers over what
//! [`crate::commerce`] takes in, cached by the brand's data version; time
//! series; frozen snapshots.

pub mod graphql;
pub mod matched;
pub mod report;
pub mod snapshot;
