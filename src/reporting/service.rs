//! Reports served to callers under the freshness policy (see
//! [`crate::cache::flight`]): the impact report and its time series, each
//! computed once per brand, parameters and data version on the reports pool.

use std::{sync::Arc, time::Duration};

use async_graphql::{Enum, SimpleObject};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};

use crate::{
    brand::data_version,
    cache::{
        flight::{self, Served},
        versions::VersionsRead,
        CacheKey,
    },
    context::AppContext,
    db,
    error::AppResult,
    impact::report::{
        compute, currency, customers_cte, figure, Figure, ImpactReport, ReportFreshness,
        ReportParams, SampleUnit,
    },
};

/// The report's series: brand and parameters; each of its answers is
/// stored under the brand's data version it was computed from.
fn series(p: &ReportParams, what: &str) -> CacheKey {
    CacheKey::brand(
        p.brand.id(),
        &format!(
            "{what}:{}:{}:{}:{}:{}:{}:{}",
            p.community_id.map(|c| c.to_string()).unwrap_or_default(),
            p.from.timestamp_micros(),
            p.to.timestamp_micros(),
            p.currency.as_deref().unwrap_or(""),
            p.min_sample,
            p.cohort_months,
            if p.matched { "m" } else { "" },
        ),
    )
}

/// How long an answer may be served while newer data exists: `None` when
/// the caller wants every committed write.
fn max_staleness(app: &AppContext, fresh: bool) -> Option<Duration> {
    let secs = app.settings.reports.max_staleness_secs;
    (!fresh && secs > 0).then(|| Duration::from_secs(secs))
}

/// The key that identifies the answer [`serve`] would give now, without
/// computing: a replayed response stands while it is unchanged. `read`
/// holds versions already read in this request.
pub async fn key(
    app: &AppContext,
    p: &ReportParams,
    fresh: bool,
    read: &VersionsRead,
) -> AppResult<CacheKey> {
    let current = data_version::current_or_read(app, p.brand.id(), read).await?;
    let series = series(p, "impact");
    Ok(
        match app
            .cache
            .lookup::<ImpactReport>(&series, current, max_staleness(app, fresh))
            .await
        {
            Some(hit) => hit.key,
            // What the computation it would wait for is stored under.
            None => flight::answer_key(&series, current, current),
        },
    )
}

/// The report under the freshness policy (see [`crate::cache::flight`]):
/// the current data version's report when stored; else, unless `fresh`, one
/// computed at most `reports.max_staleness_secs` ago (refreshed in the
/// background); else one computation shared by every request waiting for
/// it, on the reports pool. A stored answer touches no database.
pub async fn serve(
    app: &AppContext,
    p: &ReportParams,
    fresh: bool,
) -> AppResult<(Arc<ImpactReport>, CacheKey)> {
    let served = serve_aggregate(app, p, "impact", fresh, |heavy, params| async move {
        compute(&heavy, &params).await
    })
    .await?;
    let mut report = served.computed.value.clone();
    report.freshness = freshness_of(&served);
    Ok((Arc::new(report), served.key))
}

/// An aggregate of the brand's data under the freshness policy, computed
/// (once) on the reports pool; `what` names it in its series.
async fn serve_aggregate<T, F, Fut>(
    app: &AppContext,
    p: &ReportParams,
    what: &str,
    fresh: bool,
    compute: F,
) -> AppResult<Served<T>>
where
    T: Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    F: FnOnce(AppContext, ReportParams) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = AppResult<T>> + Send + 'static,
{
    let current = data_version::current(app, p.brand.id()).await?;
    let (heavy, params) = (app.for_reports(), p.clone());
    app.cache
        .serve(
            &series(p, what),
            current,
            max_staleness(app, fresh),
            move || compute(heavy, params),
        )
        .await
}

/// What a served aggregate was computed from.
fn freshness_of<T>(served: &Served<T>) -> ReportFreshness {
    ReportFreshness {
        data_version: served.computed.version,
        computed_at: served.computed.computed_at,
        current_data_version: served.current_version,
        newer_data_exists: served.newer_data_exists(),
    }
}

/// The time series under the freshness policy (as [`serve`]).
pub async fn serve_time_series(
    app: &AppContext,
    p: &ReportParams,
    interval: Interval,
    fresh: bool,
) -> AppResult<(String, Vec<TimePoint>, ReportFreshness)> {
    let what = match interval {
        Interval::Week => "impact-weeks",
        Interval::Month => "impact-months",
    };
    let served = serve_aggregate(app, p, what, fresh, move |heavy, params| async move {
        time_series(&heavy, &params, interval).await
    })
    .await?;
    let (currency, points) = served.computed.value.clone();
    Ok((currency, points, freshness_of(&served)))
}

/// Time-series bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum Interval {
    /// Calendar weeks starting on Monday (UTC).
    Week,
    /// Calendar months (UTC).
    Month,
}

/// One bucket of the time series.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct TimePoint {
    /// Bucket start, `YYYY-MM-DD` (weeks) or `YYYY-MM` (months).
    pub period: String,
    /// Members' spend per buying customer.
    pub member_spend_per_customer: Figure,
    /// Other customers' spend per buying customer.
    pub non_member_spend_per_customer: Figure,
    /// Members' orders.
    pub member_orders: i64,
    /// Other customers' orders.
    pub non_member_orders: i64,
}

#[derive(FromQueryResult)]
struct PointRow {
    period: String,
    grp: i32,
    buyers: i64,
    orders: i64,
    spend: f64,
}

/// Spend and orders per bucket for members and other customers.
pub async fn time_series(
    app: &AppContext,
    p: &ReportParams,
    interval: Interval,
) -> AppResult<(String, Vec<TimePoint>)> {
    let Some(cur) = currency(app, p).await? else {
        return Ok((p.currency.clone().unwrap_or_default(), Vec::new()));
    };
    let backend = app.db.get_database_backend();
    let bucket = match interval {
        Interval::Week => db::week_of(backend, "o.ordered_at"),
        Interval::Month => db::month_of(backend, "o.ordered_at"),
    };
    let (cte, mut values) = customers_cte(p.brand.id(), p.community_id);
    let sql = format!(
        "WITH {cte} SELECT {bucket} AS period, \
           CASE WHEN cust.joined_at IS NOT NULL AND cust.joined_at < ? THEN 1 ELSE 0 END AS grp, \
           COUNT(DISTINCT o.customer_id) AS buyers, COUNT(*) AS orders, \
           CAST(SUM(o.amount_e4) AS DOUBLE PRECISION) / 10000.0 AS spend \
         FROM customer_order o JOIN cust ON cust.id = o.customer_id \
         WHERE o.brand_id = ? AND o.currency = ? AND o.ordered_at >= ? AND o.ordered_at < ? \
         GROUP BY 1, 2 ORDER BY 1"
    );
    values.extend([
        p.to.into(),
        p.brand.id().into(),
        cur.clone().into(),
        p.from.into(),
        p.to.into(),
    ]);
    let rows = PointRow::find_by_statement(db::raw(backend, &sql, values))
        .all(&app.db)
        .await?;
    let mut points: Vec<TimePoint> = Vec::new();
    for r in rows {
        if points
            .last()
            .map(|pt| pt.period != r.period)
            .unwrap_or(true)
        {
            points.push(TimePoint {
                period: r.period.clone(),
                member_spend_per_customer: figure(None, 0, SampleUnit::Buyers, 0, p.min_sample),
                non_member_spend_per_customer: figure(None, 0, SampleUnit::Buyers, 0, p.min_sample),
                member_orders: 0,
                non_member_orders: 0,
            });
        }
        if let Some(pt) = points.last_mut() {
            let f = figure(
                (r.buyers > 0).then(|| r.spend / r.buyers as f64),
                r.buyers,
                SampleUnit::Buyers,
                r.buyers,
                p.min_sample,
            );
            if r.grp == 1 {
                pt.member_spend_per_customer = f;
                pt.member_orders = r.orders;
            } else {
                pt.non_member_spend_per_customer = f;
                pt.non_member_orders = r.orders;
            }
        }
    }
    Ok((cur, points))
}
