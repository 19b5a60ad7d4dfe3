//! A counter per brand, bumped by every write to its measured data; report
//! cache keys include it.

use sea_orm::entity::prelude::*;

/// A row of `brand_data_version`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "brand_data_version")]
pub struct Model {
    /// The brand.
    #[sea_orm(primary_key, auto_increment = false)]
    pub brand_id: Uuid,
    /// Bumped on every write.
    pub version: i64,
}

/// Relations of `brand_data_version`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
