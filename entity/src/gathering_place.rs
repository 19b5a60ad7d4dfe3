//! Where an audience already meets.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `gathering_place`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "gathering_place")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The audience that gathers there.
    pub audience_id: Uuid,
    /// Platform name, e.g. `REDDIT` or `IN_PERSON`.
    pub platform: String,
    /// Name, e.g. `r/ultralight`.
    pub name: String,
    /// Address.
    pub url: Option<String>,
    /// People there.
    pub member_count: Option<i64>,
    /// Posts per week.
    pub posts_per_week: Option<f64>,
    /// Whether the brand takes part there already.
    pub brand_present: bool,
    /// Whether the house rules allow self-promotion (null: unknown).
    pub self_promotion_allowed: Option<bool>,
    /// The house rules, as written.
    pub house_rules: Option<String>,
    /// Estimated share of the audience found there, 0..1.
    pub audience_share: Option<f64>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `gathering_place`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
