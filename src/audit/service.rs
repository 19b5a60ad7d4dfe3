//! Writing and reading audit events.

use async_graphql::InputObject;
use chrono::Utc;
use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::{
    auth::Caller,
    context::AppContext,
    error::AppResult,
    pagination::{newest_first, Page, PageRequest},
};

/// What happened, to which object.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Verb, e.g. `brand.update`.
    pub action: &'a str,
    /// Object kind, e.g. `brand`.
    pub object_type: &'a str,
    /// The object.
    pub object_id: Option<Uuid>,
    /// The brand it belongs to.
    pub brand_id: Option<Uuid>,
    /// Extra facts; never secrets.
    pub details: Option<serde_json::Value>,
}

/// Records an event for the caller, on `db` (pass the write's transaction so
/// the event and the change commit together).
pub async fn record<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    event: Event<'_>,
) -> AppResult<()> {
    let (actor_type, actor_id) = caller.actor();
    record_as(db, actor_type, actor_id, &caller.request_id, event).await
}

/// Records that the caller did `action` to a brand's object `id` of
/// `object_type`: [`record`] with the event spelled out.
pub async fn record_object<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    action: &str,
    (object_type, id, brand): (&str, Uuid, Uuid),
    details: Option<serde_json::Value>,
) -> AppResult<()> {
    record(
        db,
        caller,
        Event {
            action,
            object_type,
            object_id: Some(id),
            brand_id: Some(brand),
            details,
        },
    )
    .await
}

/// Records an event for an explicit actor (e.g. the user who just signed in).
pub async fn record_as<C: ConnectionTrait>(
    db: &C,
    actor_type: &str,
    actor_id: Option<Uuid>,
    request_id: &str,
    event: Event<'_>,
) -> AppResult<()> {
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(Utc::now()),
        actor_type: Set(actor_type.into()),
        actor_id: Set(actor_id),
        action: Set(event.action.into()),
        object_type: Set(event.object_type.into()),
        object_id: Set(event.object_id),
        brand_id: Set(event.brand_id),
        request_id: Set((!request_id.is_empty()).then(|| request_id.to_string())),
        details: Set(event.details.map(|d| d.to_string())),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Filters of the audit log.
#[derive(Debug, Clone, Default, InputObject)]
pub struct AuditEventFilter {
    /// Only events about this brand's objects.
    pub brand_id: Option<async_graphql::ID>,
    /// Only events by this user or integration.
    pub actor_id: Option<async_graphql::ID>,
    /// Only this action, e.g. `brand.update`.
    pub action: Option<String>,
}

/// Lists events, newest first (admins only).
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    filter: AuditEventFilter,
    page: PageRequest,
) -> AppResult<Page<audit_event::Model>> {
    caller.admin()?;
    let mut cond = Condition::all();
    if let Some(b) = &filter.brand_id {
        cond = cond
            .add(audit_event::Column::BrandId.eq(crate::context::parse_id("filter.brandId", b)?));
    }
    if let Some(a) = &filter.actor_id {
        cond = cond
            .add(audit_event::Column::ActorId.eq(crate::context::parse_id("filter.actorId", a)?));
    }
    if let Some(action) = &filter.action {
        cond = cond.add(audit_event::Column::Action.eq(action.clone()));
    }
    newest_first(
        &app.db,
        audit_event::Entity::find().filter(cond),
        audit_event::Column::Id,
        &page,
        CURSOR_TAG,
        |m| m.id,
    )
    .await
}

/// Cursor tag of the audit log's only ordering.
pub const CURSOR_TAG: &str = "audit";
