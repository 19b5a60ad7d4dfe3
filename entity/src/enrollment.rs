//! A trainee enrolled in a programme.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `enrollment`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "enrollment")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The trainee's brand.
    pub brand_id: Uuid,
    /// The trainee.
    pub trainee_id: Uuid,
    /// The programme.
    pub programme_id: Uuid,
    /// When it should be complete.
    pub due_at: Option<DateTimeUtc>,
    /// First result recorded.
    pub started_at: Option<DateTimeUtc>,
    /// When every required module was satisfied.
    pub completed_at: Option<DateTimeUtc>,
    /// When it was waived.
    pub waived_at: Option<DateTimeUtc>,
    /// Why.
    pub waived_reason: Option<String>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `enrollment`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
