//! A brand's community on one platform.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `community`. Enum-like columns hold their API names.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "community")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// Name, unique within the brand.
    pub name: String,
    /// Why the community exists.
    pub purpose: String,
    /// `PRODUCT`, `LIFESTYLE`, `PROFESSIONAL`, `LOCAL` or `CAUSE`.
    pub kind: String,
    /// Platform name, e.g. `DISCORD`.
    pub platform: String,
    /// Where it lives on the platform.
    pub platform_url: Option<String>,
    /// Lifecycle status.
    pub status: String,
    /// Intended number of members.
    pub target_size: Option<i32>,
    /// IANA time zone.
    pub time_zone: String,
    /// Cadence policy: most prompts in any 7 days.
    pub max_prompts_per_week: Option<i32>,
    /// Cadence policy: least hours between prompts.
    pub min_gap_hours: Option<i32>,
    /// Cadence policy: quiet hours start (hour of day, local).
    pub quiet_hours_start: Option<i32>,
    /// Cadence policy: quiet hours end (hour of day, local).
    pub quiet_hours_end: Option<i32>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
    /// The audience it was built for.
    pub audience_id: Option<Uuid>,
    /// The recommendation it followed, as JSON, frozen when it was created.
    pub recommendation: Option<String>,
}

/// Relations of `community`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
