//! Which brands a consultant works on.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `consultant_assignment`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "consultant_assignment")]
pub struct Model {
    /// The consultant.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The brand.
    #[sea_orm(primary_key, auto_increment = false)]
    pub brand_id: Uuid,
    /// When the assignment was made.
    pub created_at: DateTimeUtc,
}

/// Relations of `consultant_assignment`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
