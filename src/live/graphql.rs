//! GraphQL for live updates: the `events` subscription and its event type.

use std::sync::Arc;

use async_graphql::{Context, Json, Object, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};

use super::{
    bus::LiveEvent,
    service::{self, Subscriber},
};
use crate::{
    context::{parse_id, to_id, ContextExt},
    error::AppError,
    webhook::outbox::WebhookEvent,
};

/// Something that happened in a brand, sent to subscribers once the change
/// that caused it committed.
pub struct BrandEvent(Arc<LiveEvent>);

/// Something that happened in a brand, sent to subscribers once the change
/// that caused it committed.
#[Object]
impl BrandEvent {
    /// Unique per event; events are not stored for reading, so this is not
    /// a node id.
    async fn event_id(&self) -> ID {
        to_id(self.0.id)
    }

    /// What happened.
    #[graphql(name = "type")]
    async fn kind(&self) -> Result<WebhookEvent, AppError> {
        // Subscriptions only receive the types they named, all known.
        WebhookEvent::from_name(&self.0.kind).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("unknown event type {}", self.0.kind))
        })
    }

    /// The brand it happened in.
    async fn brand_id(&self) -> ID {
        to_id(self.0.brand_id)
    }

    /// When the change was made (its transaction committed just after).
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// The id of the object the event is about, for `node(id:)`: the
    /// content item, member, certification or report snapshot; `null` for
    /// `INGEST_COMMITTED`.
    async fn subject_id(&self) -> Option<ID> {
        let key = match WebhookEvent::from_name(&self.0.kind)? {
            WebhookEvent::ContentAwaitingApproval | WebhookEvent::ContentApproved => "itemId",
            WebhookEvent::MemberSlippingAway => "memberId",
            WebhookEvent::CertificationExpiring => "certificationId",
            WebhookEvent::ReportFrozen => "snapshotId",
            WebhookEvent::IngestCommitted | WebhookEvent::EndpointDisabled => return None,
        };
        self.0.data[key].as_str().map(|s| ID(s.to_string()))
    }

    /// The event's details: the same object webhooks carry in `data` (see
    /// the event types in the webhook documentation).
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.data.clone())
    }
}

/// Live subscriptions, served over WebSocket (`graphql-transport-ws`).
#[derive(Default)]
pub struct LiveSubscription;

#[Subscription]
impl LiveSubscription {
    /// Events in the brands the caller may read (a user's brands, an
    /// integration's own brand), each sent once the change that caused it
    /// has committed, on whichever instance it was made. `brandId` narrows
    /// to one brand (`NOT_FOUND` for one the caller may not read); `types`
    /// to some event types (all but `ENDPOINT_DISABLED` when left
    /// out). Best effort: a subscriber that falls far behind misses events
    /// (webhooks deliver every one).
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this brand's events.")] brand_id: Option<ID>,
        #[graphql(desc = "Only these event types (at least one).")] types: Option<
            Vec<WebhookEvent>,
        >,
    ) -> Result<impl Stream<Item = BrandEvent>, AppError> {
        let app = ctx.app()?;
        let caller = ctx.caller()?;
        let subscriber = ctx.data::<Arc<Subscriber>>().map_err(|_| {
            AppError::bad_input("subscription", "subscriptions are served over WebSocket")
        })?;
        let brand = brand_id.map(|b| parse_id("brandId", &b)).transpose()?;
        let filter = service::filter(app, caller, brand, types).await?;
        Ok(service::events(app, subscriber.clone(), filter).map(BrandEvent))
    }
}
