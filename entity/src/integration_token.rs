//! A token issued to an integration; its id is the JWT's `jti`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `integration_token`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "integration_token")]
pub struct Model {
    /// The token's `jti`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The integration it was issued to.
    pub integration_id: Uuid,
    /// The integration's brand (kept for scoped queries).
    pub brand_id: Uuid,
    /// Who issued it.
    pub created_by: Uuid,
    /// When it was issued.
    pub created_at: DateTimeUtc,
    /// When it stops working.
    pub expires_at: DateTimeUtc,
    /// When it was revoked.
    pub revoked_at: Option<DateTimeUtc>,
}

/// Relations of `integration_token`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
