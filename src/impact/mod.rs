//! Impact measurement: the report's figures (sales, joiners, retention,
//! satisfaction, engagement, the matched comparison) of members against
//! other customers, over what [`crate::commerce`] takes in. Definitions in
//! `report.rs`; the matched comparison in `matched.rs`. Its types are the
//! GraphQL objects of the report; serving them (the freshness policy, time
//! series, snapshots, resolvers) is the `reporting` area.

pub mod matched;
pub mod report;
