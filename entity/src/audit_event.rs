//! The append-only audit log: one row per mutation.

use sea_orm::entity::prelude::*;

/// A row of `audit_event`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    /// Time-ordered id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// When it happened.
    pub at: DateTimeUtc,
    /// `user`, `integration` or `system`.
    pub actor_type: String,
    /// The user or integration, if any.
    pub actor_id: Option<Uuid>,
    /// What was done, e.g. `brand.create`.
    pub action: String,
    /// Kind of object changed, e.g. `brand`.
    pub object_type: String,
    /// The object changed.
    pub object_id: Option<Uuid>,
    /// The brand the object belongs to, if any.
    pub brand_id: Option<Uuid>,
    /// Request that did it.
    pub request_id: Option<String>,
    /// Extra facts (JSON text), never secrets.
    pub details: Option<String>,
}

/// Relations of `audit_event`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
