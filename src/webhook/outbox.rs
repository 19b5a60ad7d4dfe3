//! Events, and the outbox rows they become.

use async_graphql::Enum;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    db::{self, WriteTxn},
    error::AppResult,
    live::bus::LiveEvent,
};

/// What an endpoint can receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum WebhookEvent {
    /// `ingest.committed`: an ingest batch changed something (counts).
    IngestCommitted,
    /// `content.awaiting_approval`: a content item was sent to the client.
    ContentAwaitingApproval,
    /// `content.approved`: the client approved a content item's version.
    ContentApproved,
    /// `report.frozen`: an impact report was frozen.
    ReportFrozen,
    /// `member.slipping_away`: a member who was a fan or ultra has had no
    /// activity in the community for 30 days (found by the scan).
    MemberSlippingAway,
    /// `certification.expiring`: a certification expires within 30 days
    /// (found by the scan).
    CertificationExpiring,
    /// `webhook.endpoint_disabled`: one of the integration's endpoints was
    /// disabled after failing for a day.
    EndpointDisabled,
}

impl WebhookEvent {
    /// Every event type.
    pub const ALL: [WebhookEvent; 7] = [
        Self::IngestCommitted,
        Self::ContentAwaitingApproval,
        Self::ContentApproved,
        Self::ReportFrozen,
        Self::MemberSlippingAway,
        Self::CertificationExpiring,
        Self::EndpointDisabled,
    ];

    /// The name receivers see in `type`.
    pub fn name(self) -> &'static str {
        match self {
            Self::IngestCommitted => "ingest.committed",
            Self::ContentAwaitingApproval => "content.awaiting_approval",
            Self::ContentApproved => "content.approved",
            Self::ReportFrozen => "report.frozen",
            Self::MemberSlippingAway => "member.slipping_away",
            Self::CertificationExpiring => "certification.expiring",
            Self::EndpointDisabled => "webhook.endpoint_disabled",
        }
    }

    /// The event type of a name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// Announces `event` in `brand` with the change `txn` makes: a delivery
/// for every endpoint that receives it ([`enqueue`]) and the live event
/// subscribers get once the transaction commits.
pub async fn announce(
    txn: &mut WriteTxn,
    brand: Uuid,
    event: WebhookEvent,
    data: Value,
) -> AppResult<()> {
    let now = Utc::now();
    enqueue_at(txn, brand, event, &data, None, now).await?;
    txn.announce(LiveEvent {
        id: Uuid::now_v7(),
        kind: event.name().into(),
        brand_id: brand,
        occurred_at: now,
        data,
    });
    Ok(())
}

/// Writes one delivery of `event` for every enabled endpoint of `brand`
/// that receives it, inside the caller's transaction (one statement, none
/// read back): the deliveries commit, or roll back, with the change.
/// `only_integration` restricts it to one integration's endpoints. Events
/// for subscribers too go through [`announce`].
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    event: WebhookEvent,
    data: Value,
    only_integration: Option<Uuid>,
) -> AppResult<()> {
    enqueue_at(db, brand, event, &data, only_integration, Utc::now()).await
}

async fn enqueue_at<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    event: WebhookEvent,
    data: &Value,
    only_integration: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let body = json!({
        "type": event.name(),
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    });
    let backend = db.get_database_backend();
    let new_id = match backend {
        DbBackend::Postgres => "gen_random_uuid()",
        _ => "randomblob(16)",
    };
    let mut sql = format!(
        "INSERT INTO webhook_delivery (id, brand_id, endpoint_id, event_type, payload, created_at, status, attempts, next_attempt_at) \
         SELECT {new_id}, brand_id, id, ?, ?, ?, 'PENDING', 0, ? FROM webhook_endpoint \
         WHERE brand_id = ? AND disabled_at IS NULL AND event_types LIKE ?"
    );
    let mut values: Vec<sea_orm::Value> = vec![
        event.name().into(),
        body.to_string().into(),
        now.into(),
        now.into(),
        brand.into(),
        format!("%\"{}\"%", event.name()).into(),
    ];
    if let Some(integration) = only_integration {
        sql.push_str(" AND integration_id = ?");
        values.push(integration.into());
    }
    db.execute_raw(db::raw(backend, &sql, values)).await?;
    Ok(())
}
