//! A brand's own weight for an activity type (built-in defaults apply otherwise).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `activity_type`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "activity_type")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// Key used in ingest, e.g. `message`.
    pub key: String,
    /// Name shown.
    pub name: String,
    /// Weight in engagement scores (1-12).
    pub weight: i32,
}

/// Relations of `activity_type`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
