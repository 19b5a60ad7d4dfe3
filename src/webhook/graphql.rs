//! GraphQL for webhook endpoints, deliveries and their attempts.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{webhook_attempt, webhook_delivery, webhook_endpoint};

use super::{outbox::WebhookEvent, service};
use crate::{
    context::{parse_id, to_id, ContextExt},
    error::AppResult,
    pagination::{Connection, PageRequest},
};

/// An address an integration receives events at.
#[derive(Debug, Clone, SimpleObject)]
pub struct WebhookEndpoint {
    /// Unique id.
    pub id: ID,
    /// The brand.
    pub brand_id: ID,
    /// The integration it belongs to.
    pub integration_id: ID,
    /// Where events are POSTed.
    pub url: String,
    /// The events it receives.
    pub event_types: Vec<WebhookEvent>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it stopped receiving (by hand, or after failing for a day).
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why it stopped.
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed (cleared by a success).
    pub failing_since: Option<DateTime<Utc>>,
}

impl From<webhook_endpoint::Model> for WebhookEndpoint {
    fn from(m: webhook_endpoint::Model) -> Self {
        Self {
            event_types: service::events_of(&m),
            id: to_id(m.id),
            brand_id: to_id(m.brand_id),
            integration_id: to_id(m.integration_id),
            url: m.url,
            created_at: m.created_at,
            disabled_at: m.disabled_at,
            disabled_reason: m.disabled_reason,
            failing_since: m.failing_since,
        }
    }
}

/// An endpoint just registered, with its signing secret: shown only now.
#[derive(Debug, Clone, SimpleObject)]
pub struct CreatedWebhookEndpoint {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// The `whsec_` secret receivers verify `webhook-signature` with (the
    /// Standard Webhooks libraries take it as it is).
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum WebhookDeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A 2xx answered.
    Delivered,
    /// Retries ran out after a day, or the endpoint was disabled.
    Failed,
}

/// One HTTP attempt.
#[derive(Debug, Clone, SimpleObject)]
pub struct WebhookAttempt {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The response status, when one came.
    pub status_code: Option<i32>,
    /// Milliseconds until the answer or the failure.
    pub latency_ms: i64,
    /// What went wrong.
    pub error: Option<String>,
}

impl From<webhook_attempt::Model> for WebhookAttempt {
    fn from(m: webhook_attempt::Model) -> Self {
        Self {
            at: m.at,
            status_code: m.status_code,
            latency_ms: m.latency_ms,
            error: m.error,
        }
    }
}

/// One event for one endpoint.
#[derive(Debug, Clone, SimpleObject)]
pub struct WebhookDelivery {
    /// Unique id.
    pub id: ID,
    /// The `webhook-id` header it is sent with (`msg_` and the id):
    /// receivers drop duplicates by it.
    pub webhook_id: String,
    /// The endpoint.
    pub endpoint_id: ID,
    /// The event's `type`.
    pub event_type: String,
    /// The JSON body sent.
    pub payload: String,
    /// When the change committed.
    pub created_at: DateTime<Utc>,
    /// Where it stands.
    pub status: WebhookDeliveryStatus,
    /// When the next attempt is due (while pending).
    pub next_attempt_at: DateTime<Utc>,
    /// When a 2xx answered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Its attempts, oldest first.
    pub attempts: Vec<WebhookAttempt>,
}

/// A delivery as the API shows it, with its attempts.
pub fn delivery(m: webhook_delivery::Model, attempts: Vec<WebhookAttempt>) -> WebhookDelivery {
    WebhookDelivery {
        webhook_id: format!("msg_{}", m.id.simple()),
        id: to_id(m.id),
        endpoint_id: to_id(m.endpoint_id),
        event_type: m.event_type,
        payload: m.payload,
        created_at: m.created_at,
        status: match m.status.as_str() {
            "DELIVERED" => WebhookDeliveryStatus::Delivered,
            "FAILED" => WebhookDeliveryStatus::Failed,
            _ => WebhookDeliveryStatus::Pending,
        },
        next_attempt_at: m.next_attempt_at,
        delivered_at: m.delivered_at,
        attempts,
    }
}

/// What to register.
#[derive(Debug, InputObject)]
pub struct CreateWebhookEndpointInput {
    /// The integration (staff only; an integration registers its own).
    pub integration_id: Option<ID>,
    /// An absolute http(s) URL on a public address.
    pub url: String,
    /// The events it receives (at least one).
    pub event_types: Vec<WebhookEvent>,
}

/// Webhook queries.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// An integration's endpoints, newest first (the calling integration's
    /// own, or, for the brand's staff, the one named).
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integration (staff only).")] integration_id: Option<ID>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<WebhookEndpoint>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            service::ENDPOINT_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let integration = integration_id
            .map(|i| parse_id("integrationId", &i))
            .transpose()?;
        let page = service::list(ctx.app()?, ctx.caller()?, integration, page).await?;
        Ok(page.map(WebhookEndpoint::from).into())
    }

    /// An endpoint's deliveries, newest first, each with its attempts.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint.")] endpoint_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<WebhookDelivery>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            service::DELIVERY_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let app = ctx.app()?;
        let page = service::deliveries(
            app,
            ctx.caller()?,
            parse_id("endpointId", &endpoint_id)?,
            page,
        )
        .await?;
        let ids: Vec<uuid::Uuid> = page.rows.iter().map(|(_, d)| d.id).collect();
        let attempts = crate::loaders::group(
            service::attempts_of(app, &ids)
                .await?
                .into_iter()
                .map(|a| (a.delivery_id, WebhookAttempt::from(a))),
        );
        Ok(page
            .map(|d| {
                let mine = attempts.get(&d.id).cloned().unwrap_or_default();
                delivery(d, mine)
            })
            .into())
    }
}

/// Webhook mutations.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint for an integration (the integration itself,
    /// or the brand's staff); answers its signing secret, once.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint.")] input: CreateWebhookEndpointInput,
    ) -> async_graphql::Result<CreatedWebhookEndpoint> {
        let integration = input
            .integration_id
            .as_ref()
            .map(|i| parse_id("input.integrationId", i))
            .transpose()?;
        let (endpoint, secret) = service::create(
            ctx.app()?,
            ctx.caller()?,
            integration,
            &input.url,
            &input.event_types,
        )
        .await?;
        Ok(CreatedWebhookEndpoint {
            endpoint: endpoint.into(),
            secret,
        })
    }

    /// Disables an endpoint, or enables it again (clearing its failure).
    async fn set_webhook_endpoint_enabled(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint.")] id: ID,
        #[graphql(desc = "Receive events (true) or not.")] enabled: bool,
    ) -> async_graphql::Result<WebhookEndpoint> {
        Ok(
            service::set_enabled(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, enabled)
                .await?
                .into(),
        )
    }

    /// Sends a delivery again, with the same `webhook-id`.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The delivery.")] id: ID,
    ) -> async_graphql::Result<WebhookDelivery> {
        let app = ctx.app()?;
        let d = service::redeliver(app, ctx.caller()?, parse_id("id", &id)?).await?;
        let attempts: AppResult<Vec<WebhookAttempt>> = Ok(service::attempts_of(app, &[d.id])
            .await?
            .into_iter()
            .map(Into::into)
            .collect());
        Ok(delivery(d, attempts?))
    }
}
