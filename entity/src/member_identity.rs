//! A member's account on one platform.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `member_identity`; unique per brand, platform and external id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "member_identity")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The member.
    pub member_id: Uuid,
    /// Platform name, e.g. `DISCORD`.
    pub platform: String,
    /// The platform's user id.
    pub external_id: String,
    /// User name on the platform (personal data).
    pub handle: Option<String>,
    /// Created.
    pub created_at: DateTimeUtc,
}

/// Relations of `member_identity`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
