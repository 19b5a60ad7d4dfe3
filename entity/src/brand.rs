//! A client brand: the tenant every other row belongs to.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Lifecycle of a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "UPPERCASE")]
pub enum BrandStatus {
    /// The agency works for this brand.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Kept for its history; read-only.
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}

/// A row of `brand`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "brand")]
pub struct Model {
    /// Time-ordered UUID (v7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Unique, URL-safe handle.
    #[sea_orm(unique)]
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Free text about the brand.
    pub description: Option<String>,
    /// The brand's public web site.
    pub website_url: Option<String>,
    /// Lifecycle status.
    pub status: BrandStatus,
    /// Optimistic-concurrency version, incremented on every write.
    pub version: i32,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
    /// When the brand was archived, if it is.
    pub archived_at: Option<DateTimeUtc>,
    /// Most offers and early-access items a member is addressed in any 30
    /// days, across the brand's communities; `None`: no cap.
    pub max_offers_per_member: Option<i32>,
}

/// Relations of `brand` (none yet).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
