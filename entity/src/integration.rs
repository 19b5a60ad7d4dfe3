//! A machine client of one brand (a Discord bot, a shop, an LMS).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `integration`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "integration")]
pub struct Model {
    /// Row id; the `sub` of its tokens.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The brand it belongs to.
    pub brand_id: Uuid,
    /// Name shown to staff.
    pub name: String,
    /// Granted scopes, space-separated (`ingest:activities read:reports`).
    pub scopes: String,
    /// When it was revoked; its tokens stop working at once.
    pub revoked_at: Option<DateTimeUtc>,
    /// Who created it.
    pub created_by: Uuid,
    /// When it was created.
    pub created_at: DateTimeUtc,
}

/// Relations of `integration`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
