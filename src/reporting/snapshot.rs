//! Frozen reports: a consultant freezes a report for a period; the brand's
//! users list and read them; nothing changes them afterwards.

use chrono::Utc;
use entity::report_snapshot;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::service::{self, Interval, TimePoint};
use crate::impact::report::{ImpactReport, ReportParams};
use crate::{
    audit::service::{self as audit, Event},
    auth::Caller,
    context::AppContext,
    error::{AppError, AppResult},
    pagination::{newest_first, Page, PageRequest},
};

/// Cursor tag of snapshot lists.
pub const CURSOR_TAG: &str = "snapshots";

/// A frozen report as stored, read back.
pub struct Frozen {
    /// The row.
    pub model: report_snapshot::Model,
    /// The report.
    pub report: ImpactReport,
    /// Its monthly time series (none for snapshots frozen before it was kept).
    pub monthly: Option<Vec<TimePoint>>,
}

impl Frozen {
    /// Reads the stored JSON.
    pub fn from_model(model: report_snapshot::Model) -> AppResult<Self> {
        let internal = |e: serde_json::Error| AppError::Internal(e.into());
        let report = serde_json::from_str(&model.report).map_err(internal)?;
        let monthly = model
            .monthly
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(internal)?;
        Ok(Self {
            model,
            report,
            monthly,
        })
    }
}

/// Computes the report and its monthly time series now and stores them
/// (admins and the brand's consultants).
pub async fn freeze(
    app: &AppContext,
    caller: &Caller,
    params: &ReportParams,
    fresh: bool,
) -> AppResult<Frozen> {
    let me = caller.user()?.id;
    caller.write_scope()?.check(params.brand.id(), "brand")?;
    let (report, _) = service::serve(app, params, fresh).await?;
    let report = ImpactReport::clone(&report);
    let (_, monthly, _) = service::serve_time_series(app, params, Interval::Month, fresh).await?;
    let internal = |e: serde_json::Error| AppError::Internal(e.into());
    let json = serde_json::to_string(&report).map_err(internal)?;
    let monthly_json = serde_json::to_string(&monthly).map_err(internal)?;
    let mut txn = crate::db::WriteTxn::for_brand(app, params.brand.id()).await?;
    let saved = report_snapshot::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(params.brand.id()),
        community_id: Set(params.community_id),
        period_from: Set(params.from),
        period_to: Set(params.to),
        currency: Set(report.sales.as_ref().map(|s| s.currency.clone())),
        report: Set(json),
        monthly: Set(Some(monthly_json)),
        created_by: Set(me),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    crate::webhook::outbox::announce(
        &mut txn,
        params.brand.id(),
        crate::webhook::outbox::WebhookEvent::ReportFrozen,
        serde_json::json!({ "brandId": params.brand.id(), "snapshotId": saved.id, "communityId": saved.community_id, "from": saved.period_from, "to": saved.period_to }),
    )
    .await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "impact.freeze_report",
            object_type: "report_snapshot",
            object_id: Some(saved.id),
            brand_id: Some(params.brand.id()),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Frozen {
        model: saved,
        report,
        monthly: Some(monthly),
    })
}

/// A snapshot the caller may read (clients read their brand's).
pub async fn get(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<Frozen> {
    let scope = caller.report_scope()?;
    let found = report_snapshot::Entity::find_by_id(id)
        .filter(scope.condition(report_snapshot::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("report snapshot"))?;
    Frozen::from_model(found)
}

/// A brand's snapshots, newest first.
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    brand: Uuid,
    page: PageRequest,
) -> AppResult<Page<report_snapshot::Model>> {
    let scope = caller.report_scope()?;
    scope.check(brand, "brand")?;
    let q = report_snapshot::Entity::find().filter(report_snapshot::Column::BrandId.eq(brand));
    newest_first(
        &app.db,
        q,
        report_snapshot::Column::Id,
        &page,
        CURSOR_TAG,
        |m| m.id,
    )
    .await
}
