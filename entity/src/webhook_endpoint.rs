//! An address an integration receives webhook events at.

use sea_orm::entity::prelude::*;

/// A row of `webhook_endpoint`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoint")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The integration's brand.
    pub brand_id: Uuid,
    /// The integration it belongs to.
    pub integration_id: Uuid,
    /// Where events are POSTed.
    pub url: String,
    /// The event types it receives, as a JSON array of names.
    pub event_types: String,
    /// The signing secret (`whsec_` and base64), shown once at creation;
    /// kept because every delivery is signed with it.
    pub secret: String,
    /// When.
    pub created_at: DateTimeUtc,
    /// When it stopped receiving (by hand, or after failing for a day).
    pub disabled_at: Option<DateTimeUtc>,
    /// Why.
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed (cleared by a success).
    pub failing_since: Option<DateTimeUtc>,
}

/// Relations of `webhook_endpoint`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
