//! Something a member did in a community.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `activity`; `source_key` is unique per brand (idempotent ingest).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "activity")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The community.
    pub community_id: Uuid,
    /// Who did it.
    pub member_id: Uuid,
    /// Where, if known.
    pub channel_id: Option<Uuid>,
    /// Activity type key.
    pub type_key: String,
    /// Weight at ingest time.
    pub weight: i32,
    /// Whether it answered someone else.
    pub is_reply: bool,
    /// When it happened.
    pub occurred_at: DateTimeUtc,
    /// The sender's key that makes the push idempotent.
    pub source_key: String,
    /// Extra facts (JSON text).
    pub properties: Option<String>,
    /// When it was stored.
    pub created_at: DateTimeUtc,
    /// Fingerprint of the payload the row arrived with (none before it was kept).
    pub payload_hash: Option<String>,
    /// The campaign content item it answers, if the sender named one.
    pub content_item_id: Option<Uuid>,
}

/// Relations of `activity`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
