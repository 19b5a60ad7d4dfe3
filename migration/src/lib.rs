//! Database migrations. Landed migrations are never edited; each change is a
//! new file with a real `down`.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261128_000001_create_brand;
mod m20261128_000002_accounts;
mod m20261128_000003_communities;
mod m20261128_000004_impact;
mod m20261202_000005_access_version;
mod m20261202_000006_refresh_token_user_index;
mod m20261202_000007_feedback_version;
mod m20261202_000008_payload_fingerprint;
mod m20261202_000009_research;
mod m20261203_000010_campaigns;
mod m20261203_000011_content_attribution;
mod m20261203_000012_offer_recipients;
mod m20261203_000013_training;
mod m20261203_000014_training_results;
mod m20261203_000015_role_requirements;
mod m20261203_000016_current_member_pages;
mod m20261206_000017_order_summaries;
mod m20261206_000018_report_pages;
mod m20261206_000019_webhooks;
mod m20261206_000020_event_markers;
mod m20261206_000021_summary_fillfactor;
mod m20261206_000022_order_covering_indexes;
mod m20261206_000023_customer_member_links;

/// Applies this crate's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_brand::Migration),
            Box::new(m20261128_000002_accounts::Migration),
            Box::new(m20261128_000003_communities::Migration),
            Box::new(m20261128_000004_impact::Migration),
            Box::new(m20261202_000005_access_version::Migration),
            Box::new(m20261202_000006_refresh_token_user_index::Migration),
            Box::new(m20261202_000007_feedback_version::Migration),
            Box::new(m20261202_000008_payload_fingerprint::Migration),
            Box::new(m20261202_000009_research::Migration),
            Box::new(m20261203_000010_campaigns::Migration),
            Box::new(m20261203_000011_content_attribution::Migration),
            Box::new(m20261203_000012_offer_recipients::Migration),
            Box::new(m20261203_000013_training::Migration),
            Box::new(m20261203_000014_training_results::Migration),
            Box::new(m20261203_000015_role_requirements::Migration),
            Box::new(m20261203_000016_current_member_pages::Migration),
            Box::new(m20261206_000017_order_summaries::Migration),
            Box::new(m20261206_000018_report_pages::Migration),
            Box::new(m20261206_000019_webhooks::Migration),
            Box::new(m20261206_000020_event_markers::Migration),
            Box::new(m20261206_000021_summary_fillfactor::Migration),
            Box::new(m20261206_000022_order_covering_indexes::Migration),
            Box::new(m20261206_000023_customer_member_links::Migration),
        ]
    }
}
