//! A person of a brand's team who is trained.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `trainee`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "trainee")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// Name (personal data).
    pub name: String,
    /// E-mail, lower case, unique per brand (personal data).
    pub email: String,
    /// Job role.
    pub job_role: Option<String>,
    /// A client user account of the brand.
    pub user_id: Option<Uuid>,
    /// A community member of the brand.
    pub member_id: Option<Uuid>,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `trainee`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
