//! A training programme: agency-wide or for one brand.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `training_programme`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "training_programme")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand; `None`: agency-wide.
    pub brand_id: Option<Uuid>,
    /// Title.
    pub title: String,
    /// What it teaches.
    pub description: Option<String>,
    /// Months a certification stays valid; `None`: no expiry.
    pub validity_months: Option<i32>,
    /// `ACTIVE` or `ARCHIVED`.
    pub status: String,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `training_programme`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
