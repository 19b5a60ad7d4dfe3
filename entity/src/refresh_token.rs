//! Opaque refresh tokens, stored only as hashes, rotated on every use.

use sea_orm::entity::prelude::*;

/// A row of `refresh_token`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_token")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Tokens descending from one login share a family; reuse revokes it.
    pub family_id: Uuid,
    /// SHA-256 of the token, hex.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// When the token was issued.
    pub created_at: DateTimeUtc,
    /// When it stops working.
    pub expires_at: DateTimeUtc,
    /// When it was exchanged for a new one.
    pub used_at: Option<DateTimeUtc>,
    /// When it (or its family) was revoked.
    pub revoked_at: Option<DateTimeUtc>,
}

/// Relations of `refresh_token`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
