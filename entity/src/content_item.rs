//! A piece of campaign content for one community (and channel).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `content_item`: its current content, schedule, approval state
/// and publishing lease.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "content_item")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The campaign.
    pub campaign_id: Uuid,
    /// The community it is posted in.
    pub community_id: Uuid,
    /// The channel, if one is chosen.
    pub channel_id: Option<Uuid>,
    /// `POST`, `QUESTION`, `POLL`, ...
    pub kind: String,
    /// Whether the kind asks members to respond (kept for the cadence guard).
    pub is_prompt: bool,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// JSON object of the kind's own fields.
    pub fields: String,
    /// Slot.
    pub scheduled_at: Option<DateTimeUtc>,
    /// `DRAFT`, `IN_REVIEW`, `CHANGES_REQUESTED`, `APPROVED`, `SCHEDULED`,
    /// `PUBLISHED`, `FAILED` or `CANCELLED`.
    pub status: String,
    /// Number of the current content version.
    pub content_version: i32,
    /// The version the client approved, if any.
    pub approved_version: Option<i32>,
    /// Offer code (offers), unique per brand.
    pub offer_code: Option<String>,
    /// The current publishing lease.
    pub lease_id: Option<Uuid>,
    /// When that lease runs out.
    pub lease_expires_at: Option<DateTimeUtc>,
    /// Failed publishing attempts.
    pub attempts: i32,
    /// Not offered again before this (backoff after a failure).
    pub next_attempt_at: Option<DateTimeUtc>,
    /// The last publishing error.
    pub last_error: Option<String>,
    /// The lease of the last failure reported (a repeat is a replay).
    pub last_failed_lease: Option<Uuid>,
    /// The platform's id for the post.
    pub external_post_id: Option<String>,
    /// The post's address.
    pub post_url: Option<String>,
    /// When it was published.
    pub published_at: Option<DateTimeUtc>,
    /// Why it is in its status (failure, cancellation).
    pub status_reason: Option<String>,
    /// Incremented on every change.
    pub version: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `content_item`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
