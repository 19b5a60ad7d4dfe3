//! A recognition programme of a community, with its criteria.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `reward_programme`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "reward_programme")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The community.
    pub community_id: Uuid,
    /// Name.
    pub name: String,
    /// `BADGE`, `POINTS`, `PERK`, `EARLY_ACCESS`, `SHOUT_OUT` or `GIFT`.
    pub kind: String,
    /// What it is.
    pub description: Option<String>,
    /// Criterion: at least this many activities...
    pub min_activities: i32,
    /// ...in this many days.
    pub window_days: i32,
    /// Criterion: at least this engagement level (0-10).
    pub min_level: i32,
    /// Created.
    pub created_at: DateTimeUtc,
}

/// Relations of `reward_programme`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
