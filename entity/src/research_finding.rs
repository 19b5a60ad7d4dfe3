//! A piece of evidence about an audience.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `research_finding` (its full-text index is kept by the
/// database: a generated column on PostgreSQL, an FTS5 table on SQLite).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "research_finding")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The audience it is about.
    pub audience_id: Uuid,
    /// The sender's id, unique per brand (ingested findings).
    pub external_id: Option<String>,
    /// Fingerprint of the payload as sent, to tell a replay from a reused id.
    pub payload_hash: Option<String>,
    /// `SURVEY`, `INTERVIEW`, `SOCIAL_LISTENING`, `REVIEW`, `ANALYTICS` or `DESK`.
    pub source: String,
    /// Where it was found (gathering-place platform name).
    pub platform: Option<String>,
    /// The quote or summary.
    pub text: String,
    /// Where it can be seen.
    pub url: Option<String>,
    /// When it was collected.
    pub collected_at: DateTimeUtc,
    /// Tone, -1..1.
    pub sentiment: Option<f64>,
    /// How much it counts (default 1).
    pub weight: f64,
    /// The user who recorded it.
    pub recorded_by_user_id: Option<Uuid>,
    /// The integration that pushed it.
    pub recorded_by_integration_id: Option<Uuid>,
    /// Stored.
    pub created_at: DateTimeUtc,
}

/// Relations of `research_finding`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
