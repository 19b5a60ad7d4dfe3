//! GraphQL types and resolvers for impact reports, their time series and
//! frozen snapshots.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use sea_orm::EntityTrait;

use super::{
    service::{self, Interval, TimePoint},
    snapshot,
};
use crate::{
    auth::Caller,
    cache::{
        versions::{Subject, VersionsRead},
        CacheKey,
    },
    context::{parse_id, AppContext, ContextExt},
    error::{AppError, AppResult},
    impact::report::{ImpactReport, ReportFreshness, ReportParams},
    pagination::{Connection, PageRequest},
    response_cache::{CacheKeyCheck, CachedValue},
    validation,
};

/// A frozen report.
#[derive(Debug, Clone, SimpleObject)]
pub struct ReportSnapshot {
    /// Unique id.
    pub id: ID,
    /// The brand.
    pub brand_id: ID,
    /// Period start.
    pub from: DateTime<Utc>,
    /// Period end (exclusive).
    pub to: DateTime<Utc>,
    /// When it was frozen.
    pub created_at: DateTime<Utc>,
    /// The report as it was then.
    pub report: ImpactReport,
    /// Spend and orders per calendar month (UTC) of the period, members
    /// against other customers, as they were then; null for snapshots
    /// frozen before the time series was kept with them.
    pub monthly: Option<Vec<TimePoint>>,
}

/// A frozen report as the API shows it.
pub fn snapshot(f: snapshot::Frozen) -> ReportSnapshot {
    let m = f.model;
    ReportSnapshot {
        id: ID(m.id.to_string()),
        brand_id: ID(m.brand_id.to_string()),
        from: m.period_from,
        to: m.period_to,
        created_at: m.created_at,
        report: f.report,
        monthly: f.monthly,
    }
}

/// The main figures over time, for charts.
#[derive(Debug, Clone, SimpleObject)]
pub struct ImpactTimeSeries {
    /// Currency of the amounts.
    pub currency: String,
    /// Bucket size.
    pub interval: Interval,
    /// One point per bucket with orders.
    pub points: Vec<TimePoint>,
    /// Which data the series is computed from, and whether newer data
    /// exists (as for `impactReport`).
    pub freshness: ReportFreshness,
}

/// A report's arguments as sent.
#[derive(Clone)]
struct ReportArgs {
    brand_id: ID,
    community_id: Option<ID>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    currency: Option<String>,
    min_sample: Option<i32>,
    matched: Option<bool>,
    fresh: bool,
}

impl ReportArgs {
    /// Checks the arguments and the caller's access, and fills in defaults.
    async fn params(&self, app: &AppContext, caller: &Caller) -> AppResult<ReportParams> {
        let brand = parse_id("brandId", &self.brand_id)?;
        let access = caller.report_scope()?.grant(brand, "brand")?;
        let community = match &self.community_id {
            Some(c) => {
                let c = parse_id("communityId", c)?;
                let found = entity::community::Entity::find_by_id(c)
                    .one(&app.db)
                    .await?
                    .filter(|m| m.brand_id == brand)
                    .ok_or(AppError::NotFound("community"))?;
                Some(found.id)
            }
            None => None,
        };
        let to = self.to.unwrap_or_else(default_end);
        let from = self.from.unwrap_or(to - Duration::days(365));
        if from >= to {
            return Err(AppError::bad_input("from", "from must be before to"));
        }
        if to - from > Duration::days(3 * 366) {
            return Err(AppError::bad_input(
                "from",
                "a report covers at most 3 years",
            ));
        }
        let min_sample = validation::number_or(
            "minSample",
            self.min_sample,
            1,
            10_000,
            i64::from(app.settings.reports.min_sample),
        )?;
        Ok(ReportParams {
            brand: access,
            community_id: community,
            from,
            to,
            currency: self.currency.clone(),
            min_sample,
            cohort_months: 6,
            matched: self.matched.unwrap_or(false),
        })
    }
}

/// A replayed report stands while the same arguments, checked again for
/// the caller at hand, still give the same cache key.
impl CacheKeyCheck for ReportArgs {
    fn subjects(&self) -> Vec<Subject> {
        parse_id("brandId", &self.brand_id)
            .map(|b| vec![Subject::BrandData(b)])
            .unwrap_or_default()
    }

    fn key<'a>(
        &'a self,
        app: &'a AppContext,
        caller: &'a Caller,
        read: &'a VersionsRead,
    ) -> BoxFuture<'a, AppResult<CacheKey>> {
        Box::pin(async move {
            service::key(app, &self.params(app, caller).await?, self.fresh, read).await
        })
    }
}

/// The default end of a period: the start of the next UTC minute, so that
/// requests within a minute share one cached report (data written meanwhile
/// still shows at once: it changes the brand's data version).
fn default_end() -> DateTime<Utc> {
    let now = Utc::now();
    let secs = now.timestamp().div_euclid(60) * 60 + 60;
    DateTime::from_timestamp(secs, 0).unwrap_or(now)
}

/// Impact queries.
#[derive(Default)]
pub struct ImpactQuery;

#[Object]
impl ImpactQuery {
    /// The impact report of a brand (or one of its communities) over a
    /// period (default: the last 365 days). Cached until the brand's data changes.
    #[allow(clippy::too_many_arguments)]
    async fn impact_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
        #[graphql(desc = "Only this community's members count as members.")] community_id: Option<
            ID,
        >,
        #[graphql(desc = "Period start.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Period end (exclusive; default the start of the next minute).")]
        to: Option<DateTime<Utc>>,
        #[graphql(desc = "Currency of the sales figures; required when orders use several.")]
        currency: Option<String>,
        #[graphql(desc = "Minimum sample (default from settings, 30).")] min_sample: Option<i32>,
        #[graphql(
            desc = "Also compute `sales.matched`, the matched comparison of joiners (default no: on a large brand it costs several times the rest of the report)."
        )]
        matched: Option<bool>,
        #[graphql(
            desc = "Wait for a report that includes every write committed before this request (default no: while newer data exists, a report computed at most `reports.max_staleness_secs` ago may answer, and `freshness` says so)."
        )]
        fresh: Option<bool>,
    ) -> async_graphql::Result<CachedValue<ImpactReport>> {
        let (app, caller) = (ctx.app()?, ctx.caller()?);
        let args = ReportArgs {
            brand_id,
            community_id,
            from,
            to,
            currency,
            min_sample,
            matched,
            fresh: fresh.unwrap_or(false),
        };
        let (report, key) =
            service::serve(app, &args.params(app, caller).await?, args.fresh).await?;
        Ok(CachedValue::new(report, &key).replayable(args))
    }

    /// Spend and orders of members and other customers per week or month; a
    /// member is a customer who joined before the end of the period asked
    /// for (as in the report), in every bucket.
    #[allow(clippy::too_many_arguments)]
    async fn impact_time_series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
        #[graphql(desc = "Only this community's members count as members.")] community_id: Option<
            ID,
        >,
        #[graphql(desc = "Period start.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Period end (exclusive; default the start of the next minute).")]
        to: Option<DateTime<Utc>>,
        #[graphql(desc = "Currency; required when orders use several.")] currency: Option<String>,
        #[graphql(desc = "Bucket size.")] interval: Interval,
        #[graphql(
            desc = "Wait for a series that includes every write committed before this request (default no, as for `impactReport`)."
        )]
        fresh: Option<bool>,
    ) -> async_graphql::Result<ImpactTimeSeries> {
        let (app, caller) = (ctx.app()?, ctx.caller()?);
        let args = ReportArgs {
            brand_id,
            community_id,
            from,
            to,
            currency,
            min_sample: None,
            matched: None,
            fresh: fresh.unwrap_or(false),
        };
        let p = args.params(app, caller).await?;
        let (currency, points, freshness) =
            service::serve_time_series(app, &p, interval, args.fresh).await?;
        Ok(ImpactTimeSeries {
            currency,
            interval,
            points,
            freshness,
        })
    }

    /// A brand's frozen reports, newest first.
    async fn report_snapshots(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<ReportSnapshot>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            snapshot::CURSOR_TAG,
            1,
            ctx.wants_total(),
        )?;
        let page = snapshot::list(
            ctx.app()?,
            ctx.caller()?,
            parse_id("brandId", &brand_id)?,
            page,
        )
        .await?;
        let mut rows = Vec::with_capacity(page.rows.len());
        for (cursor, m) in page.rows {
            rows.push((cursor, snapshot(snapshot::Frozen::from_model(m)?)));
        }
        Ok(crate::pagination::Page {
            rows,
            has_next: page.has_next,
            has_previous: page.has_previous,
            total: page.total,
        }
        .into())
    }

    /// One frozen report.
    async fn report_snapshot(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The snapshot.")] id: ID,
    ) -> async_graphql::Result<ReportSnapshot> {
        let frozen = snapshot::get(ctx.app()?, ctx.caller()?, parse_id("id", &id)?).await?;
        Ok(snapshot(frozen))
    }
}

/// Impact mutations.
#[derive(Default)]
pub struct ImpactMutation;

#[Object]
impl ImpactMutation {
    /// Freezes the impact report for a period; it never changes afterwards.
    #[allow(clippy::too_many_arguments)]
    async fn freeze_impact_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
        #[graphql(desc = "Only this community's members count as members.")] community_id: Option<
            ID,
        >,
        #[graphql(desc = "Period start.")] from: DateTime<Utc>,
        #[graphql(desc = "Period end (exclusive).")] to: DateTime<Utc>,
        #[graphql(desc = "Currency; required when orders use several.")] currency: Option<String>,
        #[graphql(
            desc = "Freeze a report that includes every write committed before this request (default no: as for `impactReport`, one computed at most `reports.max_staleness_secs` ago may be frozen, and its `freshness` says so)."
        )]
        fresh: Option<bool>,
    ) -> async_graphql::Result<ReportSnapshot> {
        let (app, caller) = (ctx.app()?, ctx.caller()?);
        let args = ReportArgs {
            brand_id,
            community_id,
            from: Some(from),
            to: Some(to),
            currency,
            min_sample: None,
            // A snapshot is computed once: it always holds the matched comparison.
            matched: Some(true),
            fresh: fresh.unwrap_or(false),
        };
        let p = args.params(app, caller).await?;
        Ok(snapshot(
            snapshot::freeze(app, caller, &p, args.fresh).await?,
        ))
    }
}
