//! A person in a brand's communities (brand level, across platforms).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `member`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "member")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// Name shown (personal data; cleared on erasure).
    pub display_name: Option<String>,
    /// The brand's customer reference (personal data; cleared on erasure).
    pub customer_ref: Option<String>,
    /// Set when merged into another member; such rows are hidden.
    pub merged_into: Option<Uuid>,
    /// Set when erased on a privacy request.
    pub erased_at: Option<DateTimeUtc>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `member`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
