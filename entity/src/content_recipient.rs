//! A member an offer or early-access item is addressed to, or was kept from.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `content_recipient`; one per item and member, fixed when the
/// item is scheduled.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "content_recipient")]
pub struct Model {
    /// The item.
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: Uuid,
    /// The member.
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The item's community.
    pub community_id: Uuid,
    /// The item's slot when the recipients were fixed.
    pub at: DateTimeUtc,
    /// `ADDRESSED` or `CAPPED`.
    pub status: String,
    /// The member's own code, when the item hands out one per member.
    pub offer_code: Option<String>,
    /// Why the member was kept from the offer.
    pub reason: Option<String>,
    /// Stored.
    pub created_at: DateTimeUtc,
}

/// Relations of `content_recipient`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
