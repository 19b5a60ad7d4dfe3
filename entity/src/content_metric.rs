//! A dated observation of one metric of a content item.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `content_metric`; the latest observation of a metric counts.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "content_metric")]
pub struct Model {
    /// The item.
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: Uuid,
    /// `REACH`, `REACTIONS`, `REPLIES`, ...
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: String,
    /// Poll option for `VOTES`; empty otherwise.
    #[sea_orm(primary_key, auto_increment = false)]
    pub option_key: String,
    /// When it was observed.
    #[sea_orm(primary_key, auto_increment = false)]
    pub observed_at: DateTimeUtc,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The count.
    pub value: f64,
    /// The integration that pushed it.
    pub recorded_by_integration_id: Option<Uuid>,
    /// Stored.
    pub created_at: DateTimeUtc,
}

/// Relations of `content_metric`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
