//! A training result: one xAPI-shaped statement.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `training_statement`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "training_statement")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The sender's statement id (a UUID), unique per brand.
    pub statement_id: String,
    /// The actor.
    pub trainee_id: Uuid,
    /// `launched`, `completed`, `passed`, ... (upper case).
    pub verb: String,
    /// The module, when named by id.
    pub module_id: Option<Uuid>,
    /// The LMS's activity id, when named so.
    pub activity_id: Option<String>,
    /// Scaled score, -1..1.
    pub score_scaled: Option<f64>,
    /// Whether the attempt succeeded.
    pub success: Option<bool>,
    /// Whether the attempt completed the module.
    pub completion: Option<bool>,
    /// Time spent, seconds.
    pub duration_secs: Option<f64>,
    /// When it happened.
    pub occurred_at: DateTimeUtc,
    /// Fingerprint of the payload.
    pub payload_hash: String,
    /// Staff who recorded it.
    pub recorded_by_user_id: Option<Uuid>,
    /// Integration that pushed it.
    pub recorded_by_integration_id: Option<Uuid>,
    /// Stored.
    pub created_at: DateTimeUtc,
}

/// Relations of `training_statement`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
