//! Share links: an unguessable token (256 bits) in the link, stored only as
//! its SHA-256 digest; an expiry of 1-90 days; revocation that takes effect
//! on the next view (nothing about a link is cached).

use chrono::{Duration, Utc};
use entity::{report_share_link, report_snapshot};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{
    audit::service::{self as audit, Event},
    auth::{tokens, Caller},
    context::AppContext,
    db::WriteTxn,
    error::{AppError, AppResult},
    pagination::{newest_first, Page, PageRequest},
};

/// Cursor tag of share-link lists.
pub const CURSOR_TAG: &str = "share-links";
/// Days a link stands unless told otherwise.
pub const DEFAULT_DAYS: i32 = 7;
/// The longest a link may stand.
pub const MAX_DAYS: i32 = 90;

/// A link just created, with the token its URL carries (shown once).
pub struct Created {
    /// The stored link.
    pub link: report_share_link::Model,
    /// The token; only its digest is stored.
    pub token: String,
}

/// The path a link opens: the page, with the token as `key`.
pub fn path(snapshot: Uuid, token: &str) -> String {
    format!("/reports/{snapshot}?key={token}")
}

/// Creates a link to a snapshot of a brand the caller may change (admins
/// and the brand's consultants; client users may not share).
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    snapshot: Uuid,
    days: Option<i32>,
) -> AppResult<Created> {
    let scope = caller.write_scope()?;
    let me = caller.user()?.id;
    let days = days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::bad_input(
            "expiresInDays",
            format!("expiresInDays is 1-{MAX_DAYS}"),
        ));
    }
    let snap = report_snapshot::Entity::find_by_id(snapshot)
        .filter(scope.condition(report_snapshot::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("report snapshot"))?;
    let (token, hash) = tokens::opaque_token();
    let now = Utc::now();
    let txn = WriteTxn::outside_reports(app, snap.brand_id).await?;
    let link = report_share_link::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(snap.brand_id),
        snapshot_id: Set(snap.id),
        token_hash: Set(hash),
        created_by: Set(me),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(i64::from(days))),
        revoked_at: Set(None),
        revoked_by: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "impact.share_link.create",
            object_type: "report_share_link",
            object_id: Some(link.id),
            brand_id: Some(link.brand_id),
            details: Some(serde_json::json!({
                "snapshotId": link.snapshot_id,
                "expiresAt": link.expires_at,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Created { link, token })
}

/// Revokes a link; from the next request on it opens nothing. Revoking a
/// revoked link answers it unchanged.
pub async fn revoke(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
) -> AppResult<report_share_link::Model> {
    let scope = caller.write_scope()?;
    let me = caller.user()?.id;
    let link = report_share_link::Entity::find_by_id(id)
        .filter(scope.condition(report_share_link::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("share link"))?;
    if link.revoked_at.is_some() {
        return Ok(link);
    }
    let txn = WriteTxn::outside_reports(app, link.brand_id).await?;
    let mut active: report_share_link::ActiveModel = link.into();
    active.revoked_at = Set(Some(Utc::now()));
    active.revoked_by = Set(Some(me));
    let link = active.update(&txn).await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "impact.share_link.revoke",
            object_type: "report_share_link",
            object_id: Some(link.id),
            brand_id: Some(link.brand_id),
            details: Some(serde_json::json!({ "snapshotId": link.snapshot_id })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(link)
}

/// A snapshot's links, newest first (staff of the brand).
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    snapshot: Uuid,
    page: PageRequest,
) -> AppResult<Page<report_share_link::Model>> {
    let scope = caller.write_scope()?;
    let snap = report_snapshot::Entity::find_by_id(snapshot)
        .filter(scope.condition(report_snapshot::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("report snapshot"))?;
    let q =
        report_share_link::Entity::find().filter(report_share_link::Column::SnapshotId.eq(snap.id));
    newest_first(
        &app.db,
        q,
        report_share_link::Column::Id,
        &page,
        CURSOR_TAG,
        |l| l.id,
    )
    .await
}

/// The link `token` stands for on `snapshot`, if it is neither expired nor
/// revoked; read from the database on every view.
pub async fn open(
    app: &AppContext,
    snapshot: Uuid,
    token: &str,
) -> AppResult<Option<report_share_link::Model>> {
    Ok(report_share_link::Entity::find()
        .filter(report_share_link::Column::TokenHash.eq(tokens::hash_opaque(token)))
        .filter(report_share_link::Column::SnapshotId.eq(snapshot))
        .filter(report_share_link::Column::RevokedAt.is_null())
        .filter(report_share_link::Column::ExpiresAt.gt(Utc::now()))
        .one(&app.db)
        .await?)
}

/// Whether a link opens anything now.
pub fn status(link: &report_share_link::Model) -> &'static str {
    if link.revoked_at.is_some() {
        "REVOKED"
    } else if link.expires_at <= Utc::now() {
        "EXPIRED"
    } else {
        "ACTIVE"
    }
}
