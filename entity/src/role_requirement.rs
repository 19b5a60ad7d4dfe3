//! A community role that requires a valid certification of a programme.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `role_requirement`; one per community and role.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "role_requirement")]
pub struct Model {
    /// The community.
    #[sea_orm(primary_key, auto_increment = false)]
    pub community_id: Uuid,
    /// `HOST`, `MODERATOR` or `AMBASSADOR`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub role: String,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The programme whose certification the role needs.
    pub programme_id: Uuid,
    /// Set.
    pub created_at: DateTimeUtc,
}

/// Relations of `role_requirement`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
