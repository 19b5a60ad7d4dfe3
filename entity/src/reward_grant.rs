//! A reward given to a member.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `reward_grant`; one per programme and member.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "reward_grant")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The programme.
    pub programme_id: Uuid,
    /// The member.
    pub member_id: Uuid,
    /// When it was granted.
    pub granted_at: DateTimeUtc,
    /// A note.
    pub note: Option<String>,
}

/// Relations of `reward_grant`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
