//! Publishing: integrations with `publish:content` claim due items under a
//! lease, post them, and report the outcome.
//!
//! A claim takes scheduled items of the integration's brand whose slot has
//! come, that no live lease holds and whose backoff has passed, and gives
//! them a new lease in one statement: on PostgreSQL the candidates are
//! locked with `FOR UPDATE SKIP LOCKED`, so concurrent claimers take
//! different items; on SQLite the claim runs in a write transaction
//! (`BEGIN IMMEDIATE`), which SQLite runs one at a time, so a second
//! claimer sees the first one's leases. An expired lease is offered again.

use chrono::{DateTime, Duration, Utc};
use entity::content_item;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};
use serde_json::json;
use uuid::Uuid;

use crate::content::service::{item_in, save_versioned as update, ContentStatus};
use crate::{
    audit::service as audit,
    auth::{BrandScope, Caller},
    context::AppContext,
    db::{self, WriteTxn},
    error::{AppError, AppResult},
    validation,
};

/// The scope publishing integrations hold.
pub const SCOPE: &str = "publish:content";
/// Failed attempts after which an item is `FAILED`.
pub const MAX_ATTEMPTS: i32 = 5;
/// Wait after the first failure; doubled after each further one.
pub const FIRST_BACKOFF_SECS: i64 = 60;

/// The wait before attempt `attempts + 1` after `attempts` failures.
pub fn backoff(attempts: i32) -> Duration {
    Duration::seconds(FIRST_BACKOFF_SECS << (attempts.clamp(1, 16) - 1))
}

/// The brand of a publishing integration (`FORBIDDEN` for anyone else).
pub fn brand_of(caller: &Caller) -> AppResult<Uuid> {
    Ok(caller.integration_with(SCOPE)?.brand_id)
}

/// Claims up to `limit` due items for `lease_secs` seconds.
pub async fn claim(
    app: &AppContext,
    caller: &Caller,
    limit: i32,
    lease_secs: i32,
) -> AppResult<Vec<content_item::Model>> {
    let brand = brand_of(caller)?;
    if !(1..=100).contains(&limit) {
        return Err(AppError::bad_input("limit", "limit must be 1-100"));
    }
    if !(1..=3600).contains(&lease_secs) {
        return Err(AppError::bad_input(
            "leaseSeconds",
            "leaseSeconds must be 1-3600",
        ));
    }
    let now = Utc::now();
    let expires = now + Duration::seconds(i64::from(lease_secs));
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let backend = txn.get_database_backend();
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    // Every claimed item gets its own lease id: one statement for the
    // candidates, one multi-row update for the leases.
    let candidates = IdRow::find_by_statement(db::raw(
        backend,
        &format!(
            "SELECT id FROM content_item WHERE brand_id = ? AND status = 'SCHEDULED' \
             AND scheduled_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?) \
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?) \
             ORDER BY scheduled_at, id LIMIT ?{lock}"
        ),
        vec![
            brand.into(),
            now.into(),
            now.into(),
            now.into(),
            i64::from(limit).into(),
        ],
    ))
    .all(&txn)
    .await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let values = crate::ingest::values_cte(candidates.len(), &["id", "lease"]);
    let mut params: Vec<sea_orm::Value> = candidates
        .iter()
        .flat_map(|c| [sea_orm::Value::from(c.id), Uuid::now_v7().into()])
        .collect();
    params.extend([expires.into(), now.into(), brand.into()]);
    let set = match backend {
        DbBackend::Postgres => "lease_id = CAST(v.lease AS uuid)",
        _ => "lease_id = v.lease",
    };
    let (id_join, returning) = match backend {
        DbBackend::Postgres => ("content_item.id = CAST(v.id AS uuid)", "content_item.*"),
        // SQLite's RETURNING names only the updated table's columns.
        _ => ("content_item.id = v.id", "*"),
    };
    let claimed = content_item::Model::find_by_statement(db::raw(
        backend,
        &format!(
            "{values} UPDATE content_item SET {set}, lease_expires_at = ?, updated_at = ?, \
             version = version + 1 FROM v WHERE {id_join} AND content_item.brand_id = ? \
             RETURNING {returning}"
        ),
        params,
    ))
    .all(&txn)
    .await?;
    audit::record_object(
        &txn,
        caller,
        "content.claim",
        ("content_item", claimed[0].id, brand),
        Some(json!({ "items": claimed.iter().map(|c| c.id).collect::<Vec<_>>() })),
    )
    .await?;
    txn.commit().await?;
    let mut claimed = claimed;
    claimed.sort_by_key(|c| (c.scheduled_at, c.id));
    Ok(claimed)
}

#[derive(FromQueryResult)]
struct IdRow {
    id: Uuid,
}

/// The item under the caller's lease, for a report. `Ok(None)` when the
/// report repeats one already taken in (a replay changes nothing).
async fn leased(
    txn: &WriteTxn,
    brand: Uuid,
    id: Uuid,
    lease: Uuid,
    replayed: impl Fn(&content_item::Model) -> bool,
) -> AppResult<Result<content_item::Model, content_item::Model>> {
    let item = item_in(txn, &BrandScope::One(brand), id).await?;
    if replayed(&item) {
        return Ok(Err(item));
    }
    if ContentStatus::from_db(&item.status)? != ContentStatus::Scheduled
        || item.lease_id != Some(lease)
    {
        return Err(AppError::Conflict(
            "this lease does not hold the item (it expired and was claimed again, or the item changed); claim again".into(),
        ));
    }
    Ok(Ok(item))
}

/// Records that a leased item was posted. Repeating the same report
/// (same external post id) answers the item unchanged.
pub async fn published(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    lease: Uuid,
    external_post_id: &str,
    url: Option<&str>,
    published_at: Option<DateTime<Utc>>,
) -> AppResult<content_item::Model> {
    let brand = brand_of(caller)?;
    if !crate::ingest::plain(external_post_id, 200) {
        return Err(AppError::bad_input(
            "externalPostId",
            "externalPostId must be 1-200 characters",
        ));
    }
    let external = external_post_id.trim().to_string();
    let url = url.map(|u| validation::url("url", u)).transpose()?;
    let now = Utc::now();
    let at = published_at.unwrap_or(now);
    if at > now + Duration::minutes(5) {
        return Err(AppError::bad_input(
            "publishedAt",
            "publishedAt is in the future",
        ));
    }
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let item = match leased(&txn, brand, id, lease, |i| {
        i.status == ContentStatus::Published.as_str()
            && i.external_post_id.as_deref() == Some(external.as_str())
    })
    .await?
    {
        Ok(item) => item,
        Err(replay) => return Ok(replay),
    };
    let saved = update(
        &txn,
        &item,
        content_item::ActiveModel {
            status: sea_orm::Set(ContentStatus::Published.as_str().into()),
            external_post_id: sea_orm::Set(Some(external)),
            post_url: sea_orm::Set(url),
            published_at: sea_orm::Set(Some(at)),
            lease_id: sea_orm::Set(None),
            lease_expires_at: sea_orm::Set(None),
            status_reason: sea_orm::Set(None),
            ..Default::default()
        },
    )
    .await?;
    audit::record_object(
        &txn,
        caller,
        "content.published",
        ("content_item", id, brand),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Records a failed attempt under a lease: the item is offered again after
/// the backoff, or becomes `FAILED` after [`MAX_ATTEMPTS`]. Repeating the
/// report of the same lease answers the item unchanged.
pub async fn failed(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    lease: Uuid,
    error: &str,
) -> AppResult<content_item::Model> {
    let brand = brand_of(caller)?;
    let error = validation::text("error", error, 1, 2000)?;
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let item = match leased(&txn, brand, id, lease, |i| {
        i.last_failed_lease == Some(lease)
    })
    .await?
    {
        Ok(item) => item,
        Err(replay) => return Ok(replay),
    };
    let attempts = item.attempts + 1;
    let now = Utc::now();
    let mut changes = content_item::ActiveModel {
        attempts: sea_orm::Set(attempts),
        last_error: sea_orm::Set(Some(error.clone())),
        last_failed_lease: sea_orm::Set(Some(lease)),
        lease_id: sea_orm::Set(None),
        lease_expires_at: sea_orm::Set(None),
        ..Default::default()
    };
    if attempts >= MAX_ATTEMPTS {
        changes.status = sea_orm::Set(ContentStatus::Failed.as_str().into());
        changes.status_reason = sea_orm::Set(Some(format!(
            "publishing failed {attempts} times; last error: {error}"
        )));
    } else {
        changes.next_attempt_at = sea_orm::Set(Some(now + backoff(attempts)));
    }
    let saved = update(&txn, &item, changes).await?;
    audit::record_object(
        &txn,
        caller,
        "content.publish_failed",
        ("content_item", id, brand),
        Some(json!({ "attempts": attempts })),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}
