//! A certification earned by completing a programme.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `certification`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "certification")]
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
    /// The enrollment that earned it.
    pub enrollment_id: Uuid,
    /// 1 for the first, 2 for the first renewal, ...
    pub number: i32,
    /// When it was earned.
    pub issued_at: DateTimeUtc,
    /// When it lapses; `None`: never.
    pub expires_at: Option<DateTimeUtc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTimeUtc>,
    /// Why.
    pub revoked_reason: Option<String>,
    /// Verification code (random), unique.
    pub code: String,
    /// Stored.
    pub created_at: DateTimeUtc,
}

/// Relations of `certification`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
