//! A link that lets someone without an account read one frozen report.

use sea_orm::entity::prelude::*;

/// A row of `report_share_link`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_share_link")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The snapshot's brand.
    pub brand_id: Uuid,
    /// The frozen report it opens.
    pub snapshot_id: Uuid,
    /// SHA-256 hex digest of the token in the link (the token itself is
    /// shown once, when the link is created).
    pub token_hash: String,
    /// Who created it (an admin or the brand's consultant).
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTimeUtc,
    /// After this instant the link opens nothing.
    pub expires_at: DateTimeUtc,
    /// When it was revoked; it opens nothing from then on.
    pub revoked_at: Option<DateTimeUtc>,
    /// Who revoked it.
    pub revoked_by: Option<Uuid>,
}

/// Relations of `report_share_link`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
