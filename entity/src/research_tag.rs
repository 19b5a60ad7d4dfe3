//! A tag of a brand's research codebook.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `research_tag`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "research_tag")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// Stable key, unique within the brand, e.g. `sustainability`.
    pub key: String,
    /// Label shown to people.
    pub label: String,
    /// `INTEREST`, `VALUE`, `GOAL`, `PAIN_POINT`, `PRODUCT_THEME` or `PLACE`.
    pub kind: String,
    /// JSON array of keywords (lower case, words separated by one space).
    pub keywords: String,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `research_tag`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
