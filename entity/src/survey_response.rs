//! An answer to an NPS, CSAT or CES survey.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `survey_response`; `external_id` is unique per brand.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "survey_response")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The survey tool's id for the answer.
    pub external_id: String,
    /// `NPS` (0-10), `CSAT` (1-5) or `CES` (1-7).
    pub kind: String,
    /// The score.
    pub score: i32,
    /// Free text.
    pub comment: Option<String>,
    /// The customer who answered, if known.
    pub customer_id: Option<Uuid>,
    /// The member who answered, if known.
    pub member_id: Option<Uuid>,
    /// When they answered.
    pub responded_at: DateTimeUtc,
    /// Stored.
    pub created_at: DateTimeUtc,
    /// Fingerprint of the payload the row arrived with (none before it was kept).
    pub payload_hash: Option<String>,
}

/// Relations of `survey_response`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
