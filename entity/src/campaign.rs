//! A content campaign over some of a brand's communities.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `campaign`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// Name, unique per brand.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// `ENGAGEMENT`, `LAUNCH`, `RETENTION`, `SALES`, `FEEDBACK` or `ADVOCACY`.
    pub objective: String,
    /// `PLANNED`, `ACTIVE`, `COMPLETED` or `CANCELLED`.
    pub status: String,
    /// First day.
    pub starts_at: DateTimeUtc,
    /// End (exclusive).
    pub ends_at: DateTimeUtc,
    /// The staff user who owns it.
    pub owner_user_id: Option<Uuid>,
    /// JSON array of `{metric, value}` targets.
    pub targets: String,
    /// Hours before its slot by which an item must be approved.
    pub approval_lead_hours: i32,
    /// Incremented on every change.
    pub version: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `campaign`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
