//! A room or topic inside a community.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `channel`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "channel")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The community.
    pub community_id: Uuid,
    /// Name, unique in the community.
    pub name: String,
    /// `CHAT`, `FORUM`, `ANNOUNCEMENTS`, `EVENTS`, `VOICE` or `FEEDBACK`.
    pub kind: String,
    /// The platform's id for it.
    pub external_id: Option<String>,
    /// Created.
    pub created_at: DateTimeUtc,
}

/// Relations of `channel`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
