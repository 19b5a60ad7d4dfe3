//! Something members asked for or reported.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `feedback`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The community.
    pub community_id: Uuid,
    /// Who gave it, if known.
    pub member_id: Option<Uuid>,
    /// Short title.
    pub title: String,
    /// Details.
    pub body: Option<String>,
    /// `FEATURE_REQUEST`, `BUG`, `PRAISE`, `COMPLAINT`, `QUESTION` or `OTHER`.
    pub category: String,
    /// -1 (negative) to 1 (positive).
    pub sentiment: Option<f64>,
    /// `NEW`, `ACKNOWLEDGED`, `PLANNED`, `DONE` or `DECLINED`.
    pub status: String,
    /// The brand's answer.
    pub answer: Option<String>,
    /// When it was first answered.
    pub first_answered_at: Option<DateTimeUtc>,
    /// When it was closed (`DONE` or `DECLINED`).
    pub closed_at: Option<DateTimeUtc>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
    /// Incremented on every change; `expectedVersion` checks it.
    pub version: i32,
}

/// Relations of `feedback`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
