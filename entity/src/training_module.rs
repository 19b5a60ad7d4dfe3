//! A module of a training programme.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `training_module`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "training_module")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The programme.
    pub programme_id: Uuid,
    /// The programme's brand; `None`: agency-wide.
    pub brand_id: Option<Uuid>,
    /// Order within the programme, from 1.
    pub position: i32,
    /// Title.
    pub title: String,
    /// `VIDEO`, `READING`, `WORKSHOP`, `QUIZ` or `PRACTICUM`.
    pub kind: String,
    /// Whether the programme needs it.
    pub required: bool,
    /// Scaled score (0..1) that passes.
    pub mastery_score: Option<f64>,
    /// The cmi5 `moveOn` rule.
    pub move_on: String,
    /// Whether renewing the certification needs it again.
    pub renew_required: bool,
    /// An LMS's activity id mapped to this module.
    pub activity_id: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `training_module`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
