//! A member's place in one community.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `membership`; one per community and member.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "membership")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The community.
    pub community_id: Uuid,
    /// The member.
    pub member_id: Uuid,
    /// `MEMBER`, `MODERATOR`, `AMBASSADOR`, `HOST` or `STAFF`.
    pub role: String,
    /// When they joined.
    pub joined_at: DateTimeUtc,
    /// When they left, if they did.
    pub left_at: Option<DateTimeUtc>,
}

/// Relations of `membership`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
