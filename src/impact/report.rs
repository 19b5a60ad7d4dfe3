//! The impact report, computed with aggregate SQL on PostgreSQL and SQLite.
//!
//! **Population.** The brand's customers with at least one order (in the
//! report's currency) before the end of the period. A customer is a
//! *member* when they are linked to a member (by identity, or by the
//! member's customer reference) who joined the brand's communities (or the
//! given community) before the end of the period; the others are
//! *non-members*.
//!
//! **Sales.** Per group: spend per customer in the period (customers with no
//! order in the period count as 0), orders per customer, average order value.
//! Uplift = members' mean spend − non-members'; its 95% confidence interval
//! is Welch's (difference ± 1.96 × √(s²ₘ/nₘ + s²ₙ/nₙ)).
//! **Joiners (difference in differences).** Members who joined in the period:
//! their spend per day before joining and after, against non-members' spend
//! per customer per day over the same dates, by calendar day (the joining day
//! counts as after).
//!
//! **Retention.** Repeat purchase rate = customers with 2+ orders in the
//! period / customers with 1+. Cohorts by month of joining (members) or of
//! first order (non-members) within the period; month k's rate is the share
//! of the cohort that ordered in its k-th month; months the cohort has not
//! yet fully reached are left out (null).
//!
//! **Satisfaction.** NPS = % of 9-10 − % of 0-6; CSAT = share of 4-5 answers;
//! a response is a member's when it names a member, or a customer who is one.
//!
//! Every figure carries its sample size and is flagged `insufficient` below
//! the minimum sample (`reports.min_sample`, default 30).

use std::sync::Arc;

use async_graphql::{Enum, SimpleObject, ID};
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::BrandAccess,
    brand::data_version,
    cache::CacheKey,
    context::AppContext,
    db,
    engagement::service::{self as engagement, CommunityHealth},
    error::{AppError, AppResult},
};

/// What a report is about.
#[derive(Debug, Clone, Serialize)]
pub struct ReportParams {
    /// The brand, checked against the caller.
    pub brand: BrandAccess,
    /// One community, or all of the brand's.
    pub community_id: Option<Uuid>,
    /// Period start.
    pub from: DateTime<Utc>,
    /// Period end (exclusive).
    pub to: DateTime<Utc>,
    /// Currency of the sales figures (required when orders use several).
    pub currency: Option<String>,
    /// Figures from fewer people are flagged.
    pub min_sample: i64,
    /// Months of the cohort table.
    pub cohort_months: u32,
}

/// A figure from a sample.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct Figure {
    /// The value; null when there is no one to compute it from.
    pub value: Option<f64>,
    /// How many people (or responses) it comes from.
    pub sample_size: i64,
    /// Whether the sample is below the minimum: read it as a hint, not a fact.
    pub insufficient: bool,
}

/// One figure for members and one for other customers.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct GroupFigures {
    /// Community members.
    pub members: Figure,
    /// Other customers.
    pub non_members: Figure,
}

/// Members' mean spend minus non-members', with its 95% confidence interval.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct Uplift {
    /// The difference of means.
    pub difference: Option<f64>,
    /// The difference relative to non-members' mean (0.19 = 19% more).
    pub relative: Option<f64>,
    /// Lower bound of the 95% confidence interval.
    pub ci_low: Option<f64>,
    /// Upper bound of the 95% confidence interval.
    pub ci_high: Option<f64>,
    /// Whether either group is below the minimum sample.
    pub insufficient: bool,
}

/// Spend of members who joined in the period, before and after joining,
/// against non-members over the same dates (difference in differences).
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct JoinerComparison {
    /// Members (customers) who joined in the period.
    pub joiners: i64,
    /// Non-member customers compared with them.
    pub controls: i64,
    /// Joiners' spend per person per day before joining.
    pub joiners_before: Option<f64>,
    /// ...and after.
    pub joiners_after: Option<f64>,
    /// Non-members' spend per person per day over the joiners' "before" days.
    pub controls_before: Option<f64>,
    /// ...and over their "after" days.
    pub controls_after: Option<f64>,
    /// (joiners' change) − (non-members' change), per person per day.
    pub difference: Option<f64>,
    /// Whether either group is below the minimum sample.
    pub insufficient: bool,
}

/// Sales figures.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct SalesReport {
    /// Currency of every amount here.
    pub currency: String,
    /// Spend per customer in the period.
    pub spend_per_customer: GroupFigures,
    /// Orders per customer in the period.
    pub orders_per_customer: GroupFigures,
    /// Average order value in the period (sample: orders).
    pub average_order_value: GroupFigures,
    /// Members' spend per customer against non-members'.
    pub spend_uplift: Uplift,
    /// Members who joined in the period, before and after.
    pub joiners: JoinerComparison,
}

/// Which group a cohort row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
pub enum CustomerGroup {
    /// Community members.
    Members,
    /// Other customers.
    NonMembers,
}

/// One cohort's retention by month.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct CohortRow {
    /// Members or non-members.
    pub group: CustomerGroup,
    /// Month of joining (members) or first order (non-members), `YYYY-MM`.
    pub cohort: String,
    /// Customers in the cohort.
    pub size: i64,
    /// Share who ordered in months 0, 1, 2, ... of the cohort; null once the
    /// cohort is not yet that old.
    pub retention: Vec<Option<f64>>,
    /// Whether the cohort is below the minimum sample.
    pub insufficient: bool,
}

/// Retention figures.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct RetentionReport {
    /// Customers with 2+ orders in the period / customers with 1+ (sample: buyers).
    pub repeat_purchase_rate: GroupFigures,
    /// Cohort retention table.
    pub cohorts: Vec<CohortRow>,
}

/// Satisfaction figures.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct SatisfactionReport {
    /// Net Promoter Score, -100..100 (sample: NPS responses).
    pub nps: GroupFigures,
    /// Share of CSAT answers that are 4 or 5, 0..1 (sample: CSAT responses).
    pub csat: GroupFigures,
}

/// Health of one community in the report's period.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct CommunityEngagement {
    /// The community.
    pub community_id: ID,
    /// Its name.
    pub name: String,
    /// Its health figures.
    pub health: CommunityHealth,
}

/// The impact report of a brand (or one community) over a period.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct ImpactReport {
    /// The brand.
    pub brand_id: ID,
    /// The community, when the report is about one.
    pub community_id: Option<ID>,
    /// Period start.
    pub from: DateTime<Utc>,
    /// Period end (exclusive).
    pub to: DateTime<Utc>,
    /// When it was computed.
    pub generated_at: DateTime<Utc>,
    /// Figures from fewer people than this are flagged `insufficient`.
    pub min_sample: i64,
    /// Sales; null when there are no orders to report on.
    pub sales: Option<SalesReport>,
    /// Retention; null when there are no orders to report on.
    pub retention: Option<RetentionReport>,
    /// Satisfaction.
    pub satisfaction: SatisfactionReport,
    /// Community health.
    pub engagement: Vec<CommunityEngagement>,
}

fn figure(value: Option<f64>, n: i64, min: i64) -> Figure {
    Figure {
        value: if n > 0 { value } else { None },
        sample_size: n,
        insufficient: n < min,
    }
}

/// The `cust` CTEs: each customer of the brand with the time they joined
/// (the brand's communities, or one). A customer is linked to a member by
/// identity (`customer.member_id`, following merges) or by the member's
/// customer reference; hash joins, not a subquery per customer.
fn customers_cte(brand: Uuid, community: Option<Uuid>) -> (String, Vec<sea_orm::Value>) {
    let comm = if community.is_some() {
        " AND ms.community_id = ?"
    } else {
        ""
    };
    let sql = format!(
        "links AS ( \
           SELECT c.id AS cid, COALESCE(m.merged_into, m.id) AS mid FROM customer c JOIN member m ON m.id = c.member_id \
           WHERE c.brand_id = ? \
           UNION \
           SELECT c.id AS cid, m.id AS mid FROM customer c \
           JOIN member m ON m.brand_id = c.brand_id AND m.customer_ref = c.external_ref AND m.merged_into IS NULL \
           WHERE c.brand_id = ?), \
         joined AS (SELECT l.cid AS cid, MIN(ms.joined_at) AS joined_at FROM links l \
           JOIN membership ms ON ms.member_id = l.mid{comm} GROUP BY l.cid), \
         cust AS (SELECT c.id AS id, joined.joined_at AS joined_at FROM customer c \
           LEFT JOIN joined ON joined.cid = c.id WHERE c.brand_id = ?)"
    );
    let mut values: Vec<sea_orm::Value> = vec![brand.into(), brand.into()];
    if let Some(c) = community {
        values.push(c.into());
    }
    values.push(brand.into());
    (sql, values)
}

#[derive(FromQueryResult)]
struct SalesRow {
    grp: i32,
    n: i64,
    spend: f64,
    spend_sq: f64,
    orders: i64,
    buyers: i64,
    repeaters: i64,
}

#[derive(FromQueryResult)]
struct SatisfactionRow {
    grp: i32,
    kind: String,
    n: i64,
    promoters: i64,
    detractors: i64,
    satisfied: i64,
}

#[derive(FromQueryResult)]
struct JoinerRow {
    joiners: i64,
    controls: i64,
    t_before: f64,
    t_after: f64,
    c_before: f64,
    c_after: f64,
    secs_before: f64,
    secs_after: f64,
}

#[derive(FromQueryResult)]
struct CohortCount {
    grp: i32,
    cohort: String,
    month: Option<String>,
    n: i64,
}

#[derive(FromQueryResult)]
struct CurrencyRow {
    currency: String,
}

/// Picks the report currency: the one asked for, or the only one used.
async fn currency(app: &AppContext, p: &ReportParams) -> AppResult<Option<String>> {
    if let Some(c) = &p.currency {
        let c = c.trim().to_uppercase();
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(AppError::bad_input(
                "currency",
                "currency must be an ISO 4217 code such as EUR",
            ));
        }
        return Ok(Some(c));
    }
    let backend = app.db.get_database_backend();
    let rows = CurrencyRow::find_by_statement(db::raw(
        backend,
        "SELECT DISTINCT currency FROM customer_order WHERE brand_id = ? AND ordered_at >= ? AND ordered_at < ? ORDER BY currency",
        vec![p.brand.id().into(), p.from.into(), p.to.into()],
    ))
    .all(&app.db)
    .await?;
    match rows.len() {
        0 => Ok(None),
        1 => Ok(rows.into_iter().next().map(|r| r.currency)),
        _ => Err(AppError::bad_input(
            "currency",
            format!(
                "orders in the period use {}; amounts in different currencies are never added up, so choose one",
                rows.iter().map(|r| r.currency.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

async fn sales(
    app: &AppContext,
    p: &ReportParams,
    cur: &str,
) -> AppResult<(SalesReport, GroupFigures)> {
    let backend = app.db.get_database_backend();
    let (cte, mut values) = customers_cte(p.brand.id(), p.community_id);
    let sql = format!(
        "WITH {cte}, pc AS ( \
           SELECT cust.id AS id, CASE WHEN cust.joined_at IS NOT NULL AND cust.joined_at < ? THEN 1 ELSE 0 END AS grp, \
             CAST(COALESCE(SUM(CASE WHEN o.ordered_at >= ? THEN o.amount_e4 ELSE 0 END), 0) AS DOUBLE PRECISION) / CAST(10000 AS DOUBLE PRECISION) AS spend, \
             COALESCE(SUM(CASE WHEN o.ordered_at >= ? THEN 1 ELSE 0 END), 0) AS orders \
           FROM cust JOIN customer_order o ON o.customer_id = cust.id AND o.currency = ? AND o.ordered_at < ? \
           GROUP BY cust.id, cust.joined_at) \
         SELECT grp, COUNT(*) AS n, COALESCE(SUM(spend), 0) AS spend, COALESCE(SUM(spend * spend), 0) AS spend_sq, \
           CAST(COALESCE(SUM(orders), 0) AS BIGINT) AS orders, \
           CAST(COALESCE(SUM(CASE WHEN orders >= 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS buyers, \
           CAST(COALESCE(SUM(CASE WHEN orders >= 2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS repeaters \
         FROM pc GROUP BY grp"
    );
    values.extend([
        p.to.into(),
        p.from.into(),
        p.from.into(),
        cur.into(),
        p.to.into(),
    ]);
    let rows = async {
        Ok::<_, AppError>(
            SalesRow::find_by_statement(db::raw(backend, &sql, values))
                .all(&app.db)
                .await?,
        )
    };
    let (rows, joiners) = tokio::try_join!(rows, joiners(app, p, cur))?;
    let get = |g: i32| rows.iter().find(|r| r.grp == g);
    let min = p.min_sample;
    let per_group = |f: &dyn Fn(&SalesRow) -> (Option<f64>, i64)| {
        let (mv, mn) = get(1).map(f).unwrap_or((None, 0));
        let (nv, nn) = get(0).map(f).unwrap_or((None, 0));
        GroupFigures {
            members: figure(mv, mn, min),
            non_members: figure(nv, nn, min),
        }
    };
    let mean = |r: &SalesRow| r.spend / r.n as f64;
    let spend = per_group(&|r| (Some(mean(r)), r.n));
    let orders = per_group(&|r| (Some(r.orders as f64 / r.n as f64), r.n));
    let aov = per_group(&|r| ((r.orders > 0).then(|| r.spend / r.orders as f64), r.orders));
    let repeat = per_group(&|r| {
        (
            (r.buyers > 0).then(|| r.repeaters as f64 / r.buyers as f64),
            r.buyers,
        )
    });
    let var = |r: &SalesRow| {
        if r.n < 2 {
            None
        } else {
            let m = mean(r);
            Some(((r.spend_sq - r.n as f64 * m * m) / (r.n as f64 - 1.0)).max(0.0))
        }
    };
    let uplift = match (get(1), get(0)) {
        (Some(m), Some(n)) => {
            let diff = mean(m) - mean(n);
            let se = match (var(m), var(n)) {
                (Some(vm), Some(vn)) => Some((vm / m.n as f64 + vn / n.n as f64).sqrt()),
                _ => None,
            };
            Uplift {
                difference: Some(diff),
                relative: (mean(n) != 0.0).then(|| diff / mean(n)),
                ci_low: se.map(|s| diff - 1.96 * s),
                ci_high: se.map(|s| diff + 1.96 * s),
                insufficient: m.n < min || n.n < min,
            }
        }
        _ => Uplift {
            difference: None,
            relative: None,
            ci_low: None,
            ci_high: None,
            insufficient: true,
        },
    };
    Ok((
        SalesReport {
            currency: cur.to_string(),
            spend_per_customer: spend,
            orders_per_customer: orders,
            average_order_value: aov,
            spend_uplift: uplift,
            joiners,
        },
        repeat,
    ))
}

async fn joiners(app: &AppContext, p: &ReportParams, cur: &str) -> AppResult<JoinerComparison> {
    let backend = app.db.get_database_backend();
    let (cte, mut values) = customers_cte(p.brand.id(), p.community_id);
    let day_o = db::day_of(backend, "o.ordered_at");
    let day_j = db::day_of(backend, "j.joined_at");
    let secs_before = db::seconds_between(backend, "?", "j.joined_at");
    let secs_after = db::seconds_between(backend, "j.joined_at", "?");
    // Each total is one pass: before and after a joiner's own joining day
    // side by side, and control spend per day weighed by the joiners of each
    // joining day.
    let sql = format!(
        "WITH {cte}, \
         buyers AS (SELECT cust.id, cust.joined_at FROM cust WHERE EXISTS (SELECT 1 FROM customer_order o \
                    WHERE o.customer_id = cust.id AND o.currency = ? AND o.ordered_at < ?)), \
         j AS (SELECT id, joined_at FROM buyers WHERE joined_at >= ? AND joined_at < ?), \
         nm AS (SELECT id FROM buyers WHERE joined_at IS NULL OR joined_at >= ?), \
         od AS (SELECT o.customer_id AS cid, {day_o} AS d, o.amount_e4 AS amt FROM customer_order o \
                WHERE o.brand_id = ? AND o.currency = ? AND o.ordered_at >= ? AND o.ordered_at < ?), \
         jt AS (SELECT COALESCE(SUM(CASE WHEN od.d < {day_j} THEN od.amt ELSE 0 END), 0) AS before, \
                       COALESCE(SUM(CASE WHEN od.d >= {day_j} THEN od.amt ELSE 0 END), 0) AS after \
                FROM od JOIN j ON j.id = od.cid), \
         nmd AS (SELECT od.d AS d, SUM(od.amt) AS amt FROM od JOIN nm ON nm.id = od.cid GROUP BY od.d), \
         jd AS (SELECT {day_j} AS d, COUNT(*) AS n FROM j GROUP BY {day_j}), \
         ct AS (SELECT COALESCE(SUM(CASE WHEN nmd.d < jd.d THEN nmd.amt * jd.n ELSE 0 END), 0) AS before, \
                       COALESCE(SUM(CASE WHEN nmd.d >= jd.d THEN nmd.amt * jd.n ELSE 0 END), 0) AS after \
                FROM nmd CROSS JOIN jd) \
         SELECT (SELECT COUNT(*) FROM j) AS joiners, (SELECT COUNT(*) FROM nm) AS controls, \
           CAST(jt.before AS DOUBLE PRECISION) / 10000.0 AS t_before, \
           CAST(jt.after AS DOUBLE PRECISION) / 10000.0 AS t_after, \
           CAST(ct.before AS DOUBLE PRECISION) / 10000.0 AS c_before, \
           CAST(ct.after AS DOUBLE PRECISION) / 10000.0 AS c_after, \
           CAST((SELECT COALESCE(SUM({secs_before}), 0) FROM j) AS DOUBLE PRECISION) AS secs_before, \
           CAST((SELECT COALESCE(SUM({secs_after}), 0) FROM j) AS DOUBLE PRECISION) AS secs_after \
         FROM jt CROSS JOIN ct"
    );
    values.extend([
        cur.into(),
        p.to.into(),
        p.from.into(),
        p.to.into(),
        p.to.into(),
        p.brand.id().into(),
        cur.into(),
        p.from.into(),
        p.to.into(),
        p.from.into(),
        p.to.into(),
    ]);
    let r = JoinerRow::find_by_statement(db::raw(backend, &sql, values))
        .one(&app.db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("joiner query returned no row")))?;
    let days_before = r.secs_before / 86_400.0;
    let days_after = r.secs_after / 86_400.0;
    let rate = |amount: f64, person_days: f64| (person_days > 0.0).then(|| amount / person_days);
    let jb = rate(r.t_before, days_before);
    let ja = rate(r.t_after, days_after);
    let cb = rate(r.c_before, days_before * r.controls as f64);
    let ca = rate(r.c_after, days_after * r.controls as f64);
    let difference = match (jb, ja, cb, ca) {
        (Some(jb), Some(ja), Some(cb), Some(ca)) => Some((ja - jb) - (ca - cb)),
        _ => None,
    };
    Ok(JoinerComparison {
        joiners: r.joiners,
        controls: r.controls,
        joiners_before: jb,
        joiners_after: ja,
        controls_before: cb,
        controls_after: ca,
        difference,
        insufficient: r.joiners < p.min_sample || r.controls < p.min_sample,
    })
}

async fn cohorts(app: &AppContext, p: &ReportParams, cur: &str) -> AppResult<Vec<CohortRow>> {
    let backend = app.db.get_database_backend();
    let (cte, mut values) = customers_cte(p.brand.id(), p.community_id);
    let month_o = db::month_of(backend, "o.ordered_at");
    let month_j = db::month_of(backend, "cust.joined_at");
    let first_month = db::month_of(backend, "MIN(o.ordered_at)");
    let sql = format!(
        "WITH {cte}, \
         firsts AS (SELECT o.customer_id AS id, {first_month} AS m FROM customer_order o WHERE o.brand_id = ? AND o.currency = ? GROUP BY o.customer_id), \
         co AS (SELECT cust.id AS id, \
                  CASE WHEN cust.joined_at IS NOT NULL AND cust.joined_at < ? THEN 1 ELSE 0 END AS grp, \
                  CASE WHEN cust.joined_at IS NOT NULL AND cust.joined_at < ? THEN {month_j} ELSE firsts.m END AS cohort \
                FROM cust JOIN firsts ON firsts.id = cust.id) \
         SELECT co.grp AS grp, co.cohort AS cohort, {month_o} AS month, COUNT(DISTINCT co.id) AS n \
         FROM co LEFT JOIN customer_order o ON o.customer_id = co.id AND o.currency = ? AND o.ordered_at < ? \
         WHERE co.cohort >= ? AND co.cohort < ? \
         GROUP BY co.grp, co.cohort, {month_o} \
         UNION ALL \
         SELECT co.grp AS grp, co.cohort AS cohort, NULL AS month, COUNT(*) AS n FROM co \
         WHERE co.cohort >= ? AND co.cohort < ? GROUP BY co.grp, co.cohort"
    );
    let from_month = p.from.format("%Y-%m").to_string();
    let to_month = month_after(p.to).format("%Y-%m").to_string();
    values.extend([
        p.brand.id().into(),
        cur.into(),
        p.to.into(),
        p.to.into(),
        cur.into(),
        p.to.into(),
        from_month.clone().into(),
        to_month.clone().into(),
        from_month.into(),
        to_month.into(),
    ]);
    let rows = CohortCount::find_by_statement(db::raw(backend, &sql, values))
        .all(&app.db)
        .await?;
    let mut out: Vec<CohortRow> = Vec::new();
    for size_row in rows.iter().filter(|r| r.month.is_none()) {
        let Some(start) = month_start(&size_row.cohort) else {
            continue;
        };
        let mut retention = Vec::new();
        for k in 0..p.cohort_months {
            let Some(month_begin) = start.checked_add_months(Months::new(k)) else {
                break;
            };
            let month_end = month_after(month_begin);
            // A cohort is only compared at ages it has fully reached.
            if month_end > p.to {
                retention.push(None);
                continue;
            }
            let key = month_begin.format("%Y-%m").to_string();
            let active = rows
                .iter()
                .find(|r| {
                    r.grp == size_row.grp
                        && r.cohort == size_row.cohort
                        && r.month.as_deref() == Some(key.as_str())
                })
                .map(|r| r.n)
                .unwrap_or(0);
            retention.push((size_row.n > 0).then(|| active as f64 / size_row.n as f64));
        }
        out.push(CohortRow {
            group: if size_row.grp == 1 {
                CustomerGroup::Members
            } else {
                CustomerGroup::NonMembers
            },
            cohort: size_row.cohort.clone(),
            size: size_row.n,
            retention,
            insufficient: size_row.n < p.min_sample,
        });
    }
    out.sort_by(|a, b| (a.cohort.as_str(), a.group as u8).cmp(&(b.cohort.as_str(), b.group as u8)));
    Ok(out)
}

fn month_start(ym: &str) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(&format!("{ym}-01"), "%Y-%m-%d").ok()?;
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?))
}

/// The first instant of the month after the one `t` is in.
fn month_after(t: DateTime<Utc>) -> DateTime<Utc> {
    let first = NaiveDate::from_ymd_opt(t.year(), t.month(), 1)
        .and_then(|d| d.checked_add_months(Months::new(1)));
    first
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Utc.from_utc_datetime(&d))
        .unwrap_or(t)
}

async fn satisfaction(app: &AppContext, p: &ReportParams) -> AppResult<SatisfactionReport> {
    let backend = app.db.get_database_backend();
    let (cte, mut values) = customers_cte(p.brand.id(), p.community_id);
    let comm = if p.community_id.is_some() {
        " AND ms.community_id = ?"
    } else {
        ""
    };
    let sql = format!(
        "WITH {cte} SELECT grp, kind, COUNT(*) AS n, \
           CAST(COALESCE(SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), 0) AS BIGINT) AS promoters, \
           CAST(COALESCE(SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS detractors, \
           CAST(COALESCE(SUM(CASE WHEN score >= 4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS satisfied \
         FROM (SELECT s.kind AS kind, s.score AS score, \
                 CASE WHEN (s.member_id IS NOT NULL AND EXISTS (SELECT 1 FROM membership ms WHERE ms.member_id = s.member_id AND ms.joined_at < ?{comm})) \
                        OR (cust.joined_at IS NOT NULL AND cust.joined_at < ?) THEN 1 ELSE 0 END AS grp \
               FROM survey_response s LEFT JOIN cust ON cust.id = s.customer_id \
               WHERE s.brand_id = ? AND s.responded_at >= ? AND s.responded_at < ? AND s.kind IN ('NPS', 'CSAT')) x \
         GROUP BY grp, kind"
    );
    values.push(p.to.into());
    if let Some(c) = p.community_id {
        values.push(c.into());
    }
    values.extend([p.to.into(), p.brand.id().into(), p.from.into(), p.to.into()]);
    let rows = SatisfactionRow::find_by_statement(db::raw(backend, &sql, values))
        .all(&app.db)
        .await?;
    let pick = |g: i32, kind: &str, f: &dyn Fn(&SatisfactionRow) -> f64| {
        let r = rows.iter().find(|r| r.grp == g && r.kind == kind);
        figure(r.map(f), r.map(|r| r.n).unwrap_or(0), p.min_sample)
    };
    let nps = |r: &SatisfactionRow| 100.0 * (r.promoters - r.detractors) as f64 / r.n as f64;
    let csat = |r: &SatisfactionRow| r.satisfied as f64 / r.n as f64;
    Ok(SatisfactionReport {
        nps: GroupFigures {
            members: pick(1, "NPS", &nps),
            non_members: pick(0, "NPS", &nps),
        },
        csat: GroupFigures {
            members: pick(1, "CSAT", &csat),
            non_members: pick(0, "CSAT", &csat),
        },
    })
}

async fn engagement_of(app: &AppContext, p: &ReportParams) -> AppResult<Vec<CommunityEngagement>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mut q = entity::community::Entity::find()
        .filter(entity::community::Column::BrandId.eq(p.brand.id()));
    if let Some(c) = p.community_id {
        q = q.filter(entity::community::Column::Id.eq(c));
    }
    let of = match p.community_id {
        Some(c) => engagement::HealthOf::Community(p.brand, c),
        None => engagement::HealthOf::Brand(p.brand),
    };
    // Three statements whatever the number of communities.
    let (communities, mut health) = tokio::try_join!(
        async {
            Ok::<_, AppError>(
                q.order_by_asc(entity::community::Column::Name)
                    .all(&app.db)
                    .await?,
            )
        },
        engagement::health_of(app, of, p.from, p.to)
    )?;
    Ok(communities
        .into_iter()
        .map(|c| CommunityEngagement {
            community_id: ID(c.id.to_string()),
            health: health
                .remove(&c.id)
                .unwrap_or_else(|| engagement::empty_health(p.from, p.to)),
            name: c.name,
        })
        .collect())
}

/// Computes the report (no cache).
pub async fn compute(app: &AppContext, p: &ReportParams) -> AppResult<ImpactReport> {
    // The statements are independent: they run side by side on the pool.
    let cur = currency(app, p).await?;
    let sales_and_retention = async {
        match &cur {
            Some(cur) => {
                let ((sales, repeat), cohorts) =
                    tokio::try_join!(sales(app, p, cur), cohorts(app, p, cur))?;
                Ok((
                    Some(sales),
                    Some(RetentionReport {
                        repeat_purchase_rate: repeat,
                        cohorts,
                    }),
                ))
            }
            None => Ok((None, None)),
        }
    };
    let ((sales, retention), satisfaction, engagement) = tokio::try_join!(
        sales_and_retention,
        satisfaction(app, p),
        engagement_of(app, p)
    )?;
    Ok(ImpactReport {
        brand_id: ID(p.brand.id().to_string()),
        community_id: p.community_id.map(|c| ID(c.to_string())),
        from: p.from,
        to: p.to,
        generated_at: Utc::now(),
        min_sample: p.min_sample,
        sales,
        retention,
        satisfaction,
        engagement,
    })
}

/// The report's cache key: brand, parameters and the brand's data version,
/// so new data changes it at once.
pub async fn key(app: &AppContext, p: &ReportParams) -> AppResult<CacheKey> {
    let version = data_version::current(app, p.brand.id()).await?;
    Ok(CacheKey::brand(
        p.brand.id(),
        &format!(
            "impact:{}:{}:{}:{}:{}:{}:v{version}",
            p.community_id.map(|c| c.to_string()).unwrap_or_default(),
            p.from.timestamp_micros(),
            p.to.timestamp_micros(),
            p.currency.as_deref().unwrap_or(""),
            p.min_sample,
            p.cohort_months,
        ),
    ))
}

/// The report through the cache, under [`key`]: a hit touches no database.
pub async fn cached(
    app: &AppContext,
    p: &ReportParams,
) -> AppResult<(Arc<ImpactReport>, CacheKey)> {
    let key = key(app, p).await?;
    if let Some(hit) = app.cache.get_versioned::<ImpactReport>(&key).await {
        return Ok((hit, key));
    }
    let report = Arc::new(compute(app, p).await?);
    app.cache.set_versioned(&key, report.clone()).await;
    Ok((report, key))
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
#[derive(Debug, Clone, SimpleObject)]
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
           CASE WHEN cust.joined_at IS NOT NULL AND cust.joined_at < o.ordered_at THEN 1 ELSE 0 END AS grp, \
           COUNT(DISTINCT o.customer_id) AS buyers, COUNT(*) AS orders, \
           CAST(SUM(o.amount_e4) AS DOUBLE PRECISION) / 10000.0 AS spend \
         FROM customer_order o JOIN cust ON cust.id = o.customer_id \
         WHERE o.brand_id = ? AND o.currency = ? AND o.ordered_at >= ? AND o.ordered_at < ? \
         GROUP BY 1, 2 ORDER BY 1"
    );
    values.extend([
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
                member_spend_per_customer: figure(None, 0, p.min_sample),
                non_member_spend_per_customer: figure(None, 0, p.min_sample),
                member_orders: 0,
                non_member_orders: 0,
            });
        }
        if let Some(pt) = points.last_mut() {
            let f = figure(
                (r.buyers > 0).then(|| r.spend / r.buyers as f64),
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
