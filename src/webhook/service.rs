//! Endpoints and their deliveries: managed by the integration they belong
//! to, or by the brand's staff (admins and its consultants).

use chrono::Utc;
use entity::{integration, webhook_attempt, webhook_delivery, webhook_endpoint};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::{delivery, outbox::WebhookEvent, sign};
use crate::{
    audit::service::{self as audit, Event},
    auth::{Caller, Principal},
    context::AppContext,
    db::WriteTxn,
    error::{AppError, AppResult},
    pagination::{newest_first, Page, PageRequest},
    validation,
};

/// Cursor tag of endpoint lists.
pub const ENDPOINT_CURSOR: &str = "webhook-endpoints";
/// Cursor tag of delivery lists.
pub const DELIVERY_CURSOR: &str = "webhook-deliveries";
/// Most endpoints one integration may have.
pub const MAX_ENDPOINTS: u64 = 20;

/// The integration whose endpoints the caller manages: the calling
/// integration itself, or, for the brand's staff, the one named.
async fn owner(
    app: &AppContext,
    caller: &Caller,
    named: Option<Uuid>,
) -> AppResult<integration::Model> {
    let id = match (&caller.principal, named) {
        (Principal::Integration(i), None) => i.id,
        (Principal::Integration(i), Some(n)) if n == i.id => i.id,
        (Principal::Integration(_), Some(_)) => return Err(AppError::NotFound("integration")),
        (_, Some(n)) => n,
        (_, None) => {
            return Err(AppError::bad_input(
                "integrationId",
                "name the integration whose endpoints these are",
            ))
        }
    };
    let mut q = integration::Entity::find_by_id(id);
    if !matches!(caller.principal, Principal::Integration(_)) {
        q = q.filter(
            caller
                .write_scope()?
                .condition(integration::Column::BrandId),
        );
    }
    let found = q
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("integration"))?;
    if found.revoked_at.is_some() {
        return Err(AppError::Conflict("the integration is revoked".into()));
    }
    Ok(found)
}

/// An endpoint the caller manages.
async fn endpoint(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
) -> AppResult<webhook_endpoint::Model> {
    let found = webhook_endpoint::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("webhook endpoint"))?;
    let allowed = match &caller.principal {
        Principal::Integration(i) => i.id == found.integration_id,
        _ => caller
            .write_scope()?
            .check(found.brand_id, "webhook endpoint")
            .is_ok(),
    };
    if !allowed {
        return Err(AppError::NotFound("webhook endpoint"));
    }
    Ok(found)
}

/// The event types of an endpoint.
pub fn events_of(m: &webhook_endpoint::Model) -> Vec<WebhookEvent> {
    serde_json::from_str::<Vec<String>>(&m.event_types)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| WebhookEvent::from_name(n))
        .collect()
}

/// Registers an endpoint; answers it with its signing secret (shown once).
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    integration: Option<Uuid>,
    url: &str,
    events: &[WebhookEvent],
) -> AppResult<(webhook_endpoint::Model, String)> {
    let owner = owner(app, caller, integration).await?;
    let url = validation::url("input.url", url)?;
    if events.is_empty() {
        return Err(AppError::bad_input(
            "input.eventTypes",
            "name at least one event type",
        ));
    }
    delivery::check_url(&app.settings.webhooks, &url)
        .await
        .map_err(|why| AppError::bad_input("input.url", why))?;
    use sea_orm::PaginatorTrait;
    let existing = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::IntegrationId.eq(owner.id))
        .count(&app.db)
        .await?;
    if existing >= MAX_ENDPOINTS {
        return Err(AppError::bad_input(
            "input.url",
            format!("an integration has at most {MAX_ENDPOINTS} endpoints"),
        ));
    }
    let mut names: Vec<&str> = events.iter().map(|e| e.name()).collect();
    names.sort_unstable();
    names.dedup();
    let secret = sign::new_secret();
    let txn = WriteTxn::outside_reports(app, owner.brand_id).await?;
    let saved = webhook_endpoint::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(owner.brand_id),
        integration_id: Set(owner.id),
        url: Set(url),
        event_types: Set(serde_json::to_string(&names).map_err(|e| AppError::Internal(e.into()))?),
        secret: Set(secret.clone()),
        created_at: Set(Utc::now()),
        disabled_at: Set(None),
        disabled_reason: Set(None),
        failing_since: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "webhook.endpoint.create",
            object_type: "webhook_endpoint",
            object_id: Some(saved.id),
            brand_id: Some(saved.brand_id),
            details: Some(serde_json::json!({ "url": saved.url, "eventTypes": names })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((saved, secret))
}

/// An integration's endpoints, newest first.
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    integration: Option<Uuid>,
    page: PageRequest,
) -> AppResult<Page<webhook_endpoint::Model>> {
    let owner = owner(app, caller, integration).await?;
    let q = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::IntegrationId.eq(owner.id));
    newest_first(
        &app.db,
        q,
        webhook_endpoint::Column::Id,
        &page,
        ENDPOINT_CURSOR,
        |m| m.id,
    )
    .await
}

/// Disables or re-enables an endpoint (re-enabling clears its failure).
pub async fn set_enabled(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    enabled: bool,
) -> AppResult<webhook_endpoint::Model> {
    let found = endpoint(app, caller, id).await?;
    let txn = WriteTxn::outside_reports(app, found.brand_id).await?;
    let brand = found.brand_id;
    let mut active: webhook_endpoint::ActiveModel = found.into();
    if enabled {
        active.disabled_at = Set(None);
        active.disabled_reason = Set(None);
        active.failing_since = Set(None);
    } else {
        active.disabled_at = Set(Some(Utc::now()));
        active.disabled_reason = Set(Some("disabled by hand".into()));
    }
    let saved = active.update(&txn).await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: if enabled {
                "webhook.endpoint.enable"
            } else {
                "webhook.endpoint.disable"
            },
            object_type: "webhook_endpoint",
            object_id: Some(saved.id),
            brand_id: Some(brand),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// An endpoint's deliveries, newest first.
pub async fn deliveries(
    app: &AppContext,
    caller: &Caller,
    endpoint_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<webhook_delivery::Model>> {
    let found = endpoint(app, caller, endpoint_id).await?;
    let q =
        webhook_delivery::Entity::find().filter(webhook_delivery::Column::EndpointId.eq(found.id));
    newest_first(
        &app.db,
        q,
        webhook_delivery::Column::Id,
        &page,
        DELIVERY_CURSOR,
        |m| m.id,
    )
    .await
}

/// The attempts of deliveries, oldest first (one statement).
pub async fn attempts_of(
    app: &AppContext,
    deliveries: &[Uuid],
) -> AppResult<Vec<webhook_attempt::Model>> {
    let backend = app.db.get_database_backend();
    Ok(webhook_attempt::Entity::find()
        .filter(crate::db::one_of(
            backend,
            webhook_attempt::Column::DeliveryId,
            deliveries,
        ))
        .order_by_asc(webhook_attempt::Column::At)
        .order_by_asc(webhook_attempt::Column::Id)
        .all(&app.db)
        .await?)
}

/// Sends a delivery again (same `webhook-id`, so receivers that took it
/// already can drop it), whatever its status.
pub async fn redeliver(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
) -> AppResult<webhook_delivery::Model> {
    let found = webhook_delivery::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("webhook delivery"))?;
    let ep = endpoint(app, caller, found.endpoint_id)
        .await
        .map_err(|_| AppError::NotFound("webhook delivery"))?;
    if ep.disabled_at.is_some() {
        return Err(AppError::Conflict(
            "the endpoint is disabled; enable it first".into(),
        ));
    }
    let txn = WriteTxn::outside_reports(app, found.brand_id).await?;
    let brand = found.brand_id;
    let mut active: webhook_delivery::ActiveModel = found.into();
    active.status = Set("PENDING".into());
    active.attempts = Set(0);
    active.next_attempt_at = Set(Utc::now());
    active.locked_until = Set(None);
    let saved = active.update(&txn).await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "webhook.delivery.redeliver",
            object_type: "webhook_delivery",
            object_id: Some(saved.id),
            brand_id: Some(brand),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}
