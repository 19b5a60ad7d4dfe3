//! GraphQL types and resolvers for the audit log (read-only).

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::audit_event;

use super::service::{self, AuditEventFilter, CURSOR_TAG};
use crate::{
    context::ContextExt,
    pagination::{Connection, PageRequest},
};

/// One recorded change.
#[derive(Debug, Clone, SimpleObject)]
pub struct AuditEvent {
    /// Unique id.
    pub id: ID,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// `user`, `integration` or `anonymous`.
    pub actor_type: String,
    /// The user or integration that did it.
    pub actor_id: Option<ID>,
    /// What was done, e.g. `brand.update`.
    pub action: String,
    /// Kind of object changed, e.g. `brand`.
    pub object_type: String,
    /// The object changed.
    pub object_id: Option<ID>,
    /// The brand the object belongs to.
    pub brand_id: Option<ID>,
    /// The request that did it (matches `X-Request-Id` and the logs).
    pub request_id: Option<String>,
    /// Extra facts, as JSON text.
    pub details: Option<String>,
}

impl From<audit_event::Model> for AuditEvent {
    fn from(m: audit_event::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            at: m.at,
            actor_type: m.actor_type,
            actor_id: m.actor_id.map(|i| ID(i.to_string())),
            action: m.action,
            object_type: m.object_type,
            object_id: m.object_id.map(|i| ID(i.to_string())),
            brand_id: m.brand_id.map(|i| ID(i.to_string())),
            request_id: m.request_id,
            details: m.details,
        }
    }
}

/// Audit log queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, newest first (admins only).
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Which events to include.")] filter: Option<AuditEventFilter>,
    ) -> async_graphql::Result<Connection<AuditEvent>> {
        let page = PageRequest::new(first, after.as_deref(), CURSOR_TAG, 1, ctx.wants_total())?;
        let page =
            service::list(ctx.app()?, ctx.caller()?, filter.unwrap_or_default(), page).await?;
        Ok(page.map(AuditEvent::from).into())
    }
}
