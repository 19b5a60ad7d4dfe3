//! One HTTP attempt to deliver an event.

use sea_orm::entity::prelude::*;

/// A row of `webhook_attempt`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempt")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The delivery.
    pub delivery_id: Uuid,
    /// When it was made.
    pub at: DateTimeUtc,
    /// The response status, when one came.
    pub status_code: Option<i32>,
    /// Milliseconds until the response (or the failure).
    pub latency_ms: i64,
    /// What went wrong.
    pub error: Option<String>,
}

/// Relations of `webhook_attempt`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
