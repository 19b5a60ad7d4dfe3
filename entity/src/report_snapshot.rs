//! A frozen impact report.

use sea_orm::entity::prelude::*;

/// A row of `report_snapshot`; never updated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_snapshot")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The brand.
    pub brand_id: Uuid,
    /// The community, when the report is about one.
    pub community_id: Option<Uuid>,
    /// Period start.
    pub period_from: DateTimeUtc,
    /// Period end (exclusive).
    pub period_to: DateTimeUtc,
    /// Currency of the sales figures.
    pub currency: Option<String>,
    /// The report as JSON.
    pub report: String,
    /// Its monthly time series as JSON (snapshots frozen before the report
    /// page have none).
    pub monthly: Option<String>,
    /// Who froze it.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTimeUtc,
}

/// Relations of `report_snapshot`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
