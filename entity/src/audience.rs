//! A named target group of a brand, researched before a community exists.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `audience`. List columns hold JSON arrays of strings.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audience")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// Name, unique within the brand.
    pub name: String,
    /// Who they are.
    pub description: Option<String>,
    /// Age bands, e.g. `["25-34", "65+"]`.
    pub age_bands: String,
    /// Locations.
    pub locations: String,
    /// Languages (BCP 47 tags).
    pub languages: String,
    /// Interests.
    pub interests: String,
    /// Values.
    pub values: String,
    /// Goals.
    pub goals: String,
    /// Pain points.
    pub pain_points: String,
    /// Estimated number of people.
    pub estimated_size: Option<i64>,
    /// `DRAFT`, `ACTIVE` or `ARCHIVED`.
    pub status: String,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `audience`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
