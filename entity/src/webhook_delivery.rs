//! One event for one endpoint: the outbox row, written with the change.

use sea_orm::entity::prelude::*;

/// A row of `webhook_delivery`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    /// UUID; the `webhook-id` receivers drop duplicates by.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The brand.
    pub brand_id: Uuid,
    /// Where it goes.
    pub endpoint_id: Uuid,
    /// e.g. `ingest.committed`.
    pub event_type: String,
    /// The JSON body sent.
    pub payload: String,
    /// When the change committed.
    pub created_at: DateTimeUtc,
    /// `PENDING`, `DELIVERED` or `FAILED`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due.
    pub next_attempt_at: DateTimeUtc,
    /// An instance holds it until then.
    pub locked_until: Option<DateTimeUtc>,
    /// When a 2xx answered.
    pub delivered_at: Option<DateTimeUtc>,
    /// The last response status.
    pub last_status: Option<i32>,
    /// The last failure.
    pub last_error: Option<String>,
}

/// Relations of `webhook_delivery`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
