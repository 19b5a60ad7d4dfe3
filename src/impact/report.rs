//! The impact report, computed with aggregate SQL on PostgreSQL and SQLite.
//!
//! **Population.** The brand's customers with at least one order (in the
//! report's currency) before the end of the period. A customer is a
//! *member* when they are linked to a member (by identity, or by the
//! member's customer reference) who joined the brand's communities (or the
//! given community) before the end of the period; the others are
//! *non-members*. The population and each customer's first order are read
//! from the order summaries kept at ingest (`customer_order_summary`, one row
//! per customer and currency), so only the period's orders are read.
//!
//! **Sales.** Per group: spend per customer in the period (customers with no
//! order in the period count as 0), orders per customer, average order value.
//! Uplift = members' mean spend − non-members', with Welch's t interval and
//! a delta-method interval of the relative uplift ([`crate::stats::welch`]).
//! **Joiners (difference in differences).** Members who joined in the period:
//! their spend per person-day before and after the instant they joined,
//! against non-members' spend per person per day over the same spans, with a
//! seeded bootstrap interval over joiners ([`crate::stats::bootstrap`]).
//!
//! **Retention.** Repeat purchase rate = customers with 2+ orders in the
//! period / customers with 1+. Cohorts of the population only, by month of
//! joining (members) or of first order (non-members) when that instant is in
//! the period; month k's rate is the share of the cohort that ordered in its
//! k-th month; months the cohort has not yet fully reached are left out (null).
//!
//! **Satisfaction.** NPS = % of 9-10 − % of 0-6; CSAT = share of 4-5 answers;
//! a response is a member's when it names a member, or a customer who is one.
//!
//! Every figure carries its sample size in people (and what they are) and is
//! flagged `insufficient` below the minimum sample (`reports.min_sample`,
//! default 30).

use async_graphql::{Enum, SimpleObject, ID};
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::matched::MatchedComparison;
use crate::{
    auth::BrandAccess,
    context::AppContext,
    db,
    engagement::service::{self as engagement, CommunityHealth},
    error::{AppError, AppResult},
    stats,
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
    /// Whether to compute the matched comparison.
    pub matched: bool,
}

/// What a figure's sample size counts: always people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
pub enum SampleUnit {
    /// Customers of the population (at least one order before the period's
    /// end), whether or not they ordered in the period.
    Customers,
    /// Customers with at least one order in the period (or the bucket).
    Buyers,
    /// People who answered: responses are counted once per customer (or
    /// member, when no customer is named); an anonymous response is one person.
    Respondents,
    /// Trainees (training reports: one enrollment per trainee and programme).
    Trainees,
    /// Holders of community roles (training reports' role coverage).
    RoleHolders,
}

/// A figure from a sample.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct Figure {
    /// The value; null when there is no one to compute it from.
    pub value: Option<f64>,
    /// How many people it comes from (what they are: `sampleOf`).
    pub sample_size: i64,
    /// What `sampleSize` counts.
    pub sample_of: SampleUnit,
    /// How many observations the value is computed over: orders for an
    /// average order value, responses for NPS and CSAT, else the people.
    pub observations: i64,
    /// Whether the sample (people, never observations) is below the
    /// minimum: read it as a hint, not a fact.
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

/// Members' mean spend minus non-members', with Welch's 95% confidence
/// interval; an association, not an effect (members choose to join).
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct Uplift {
    /// The difference of means.
    pub difference: Option<f64>,
    /// The difference relative to non-members' mean (0.19 = 19% more).
    pub relative: Option<f64>,
    /// Lower bound of the 95% interval of `difference`: difference − t ×
    /// √(s²ₘ/nₘ + s²ₙ/nₙ), t the 0.975 quantile of Student's t with
    /// `degreesOfFreedom`; null below two customers in a group or when both
    /// variances are 0.
    pub ci_low: Option<f64>,
    /// Upper bound of the 95% interval of `difference`.
    pub ci_high: Option<f64>,
    /// Welch–Satterthwaite degrees of freedom of the interval.
    pub degrees_of_freedom: Option<f64>,
    /// Lower bound of the 95% interval of `relative`, by the delta method:
    /// relative − t × √(s²ₘ/(nₘ·n̄²) + m̄²·s²ₙ/(nₙ·n̄⁴)), m̄ and n̄ the means.
    pub relative_ci_low: Option<f64>,
    /// Upper bound of the 95% interval of `relative`.
    pub relative_ci_high: Option<f64>,
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
    /// Lower bound of the 95% percentile-bootstrap interval of `difference`:
    /// 1,000 resamples of the joiners with replacement (fixed seed, so the
    /// same rows give the same interval), non-members held as they are.
    pub ci_low: Option<f64>,
    /// Upper bound of that interval.
    pub ci_high: Option<f64>,
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
    /// Members who joined in the period against non-members with the same
    /// history (coarsened exact matching; definitions in the README); null
    /// unless asked for with `matched: true`.
    pub matched: Option<MatchedComparison>,
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
    /// Which data the report is computed from, and whether newer data
    /// exists (see `fresh` on `impactReport`).
    #[serde(default)]
    pub freshness: ReportFreshness,
}

/// How current a report is.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct ReportFreshness {
    /// The brand's data version the report was computed from: it includes
    /// every write to the brand committed up to that version.
    pub data_version: i64,
    /// When that computation started.
    pub computed_at: DateTime<Utc>,
    /// The brand's data version when this answer was given.
    pub current_data_version: i64,
    /// Whether data newer than the report exists (`currentDataVersion` >
    /// `dataVersion`): the report is at most `reports.max_staleness_secs`
    /// old and a refresh is under way; ask with `fresh: true` to wait for it.
    pub newer_data_exists: bool,
}

impl Default for ReportFreshness {
    /// What a snapshot frozen before freshness was recorded reads as.
    fn default() -> Self {
        Self {
            data_version: 0,
            computed_at: DateTime::UNIX_EPOCH,
            current_data_version: 0,
            newer_data_exists: false,
        }
    }
}

/// A figure over `n` people (`unit`) and `observations` observations.
pub(crate) fn figure(
    value: Option<f64>,
    n: i64,
    unit: SampleUnit,
    observations: i64,
    min: i64,
) -> Figure {
    Figure {
        value: if n > 0 && observations > 0 {
            value
        } else {
            None
        },
        sample_size: n,
        sample_of: unit,
        observations,
        insufficient: n < min,
    }
}

/// The `cust` CTEs: each customer of the brand with the time they joined
/// (the brand's communities, or one). A customer is linked to a member by
/// identity (`customer.member_id`, following merges) or by the member's
/// customer reference (read from the members that have one, through the
/// customers' reference index); hash joins, not a subquery per customer. A
/// customer linked to one member both ways is listed twice in `links`, which
/// only `joined` reads, taking the earliest joining per customer. `joined`
/// holds only the customers who joined (`cid`, `joined_at`): statements
/// that start from orders or summaries (whose customers are the brand's)
/// join it directly instead of every customer in `cust`.
pub fn customers_cte(brand: Uuid, community: Option<Uuid>) -> (String, Vec<sea_orm::Value>) {
    let comm = if community.is_some() {
        " AND ms.community_id = ?"
    } else {
        ""
    };
    let sql = format!(
        "links AS ( \
           SELECT c.id AS cid, COALESCE(m.merged_into, m.id) AS mid FROM customer c JOIN member m ON m.id = c.member_id \
           WHERE c.brand_id = ? AND c.member_id IS NOT NULL \
           UNION ALL \
           SELECT c.id AS cid, m.id AS mid FROM member m \
           JOIN customer c ON c.brand_id = m.brand_id AND c.external_ref = m.customer_ref \
           WHERE m.brand_id = ? AND m.customer_ref IS NOT NULL AND m.merged_into IS NULL), \
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
    spend_ss: f64,
    orders: i64,
    buyers: i64,
    repeaters: i64,
}

#[derive(FromQueryResult)]
struct SatisfactionRow {
    grp: i32,
    kind: String,
    n: i64,
    people: i64,
    promoters: i64,
    detractors: i64,
    satisfied: i64,
}

/// One joiner's spend before and after the instant they joined, and the
/// non-members' spend before that instant and in the whole period.
/// Without joiners, one row with only `c_total`.
#[derive(FromQueryResult)]
struct JoinerRow {
    c_total: f64,
    joined_at: Option<DateTime<Utc>>,
    t_before: Option<f64>,
    t_after: Option<f64>,
    c_before: Option<f64>,
}

/// A joiner's figures, amounts in the currency and durations in days.
struct Joiner {
    spend_before: f64,
    spend_after: f64,
    days_before: f64,
    days_after: f64,
    controls_before: f64,
    controls_after: f64,
}

/// Spend per person per day of joiners and non-members, before and after
/// joining, and the difference in differences.
struct Rates {
    joiners_before: Option<f64>,
    joiners_after: Option<f64>,
    controls_before: Option<f64>,
    controls_after: Option<f64>,
    difference: Option<f64>,
}

/// The four rates and their difference in differences over `joiners`
/// against `controls` non-members.
fn did(joiners: &[&Joiner], controls: i64) -> Rates {
    let sum = |f: fn(&Joiner) -> f64| joiners.iter().map(|j| f(j)).sum::<f64>();
    let (days_before, days_after) = (sum(|j| j.days_before), sum(|j| j.days_after));
    let rate = |amount: f64, person_days: f64| (person_days > 0.0).then(|| amount / person_days);
    let n = controls as f64;
    let jb = rate(sum(|j| j.spend_before), days_before);
    let ja = rate(sum(|j| j.spend_after), days_after);
    let cb = rate(sum(|j| j.controls_before), days_before * n);
    let ca = rate(sum(|j| j.controls_after), days_after * n);
    let difference = match (jb, ja, cb, ca) {
        (Some(jb), Some(ja), Some(cb), Some(ca)) => Some((ja - jb) - (ca - cb)),
        _ => None,
    };
    Rates {
        joiners_before: jb,
        joiners_after: ja,
        controls_before: cb,
        controls_after: ca,
        difference,
    }
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
pub(crate) async fn currency(app: &AppContext, p: &ReportParams) -> AppResult<Option<String>> {
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
    // The brand's currencies, one index probe each (the next currency
    // after the last one found), each kept when an order in the period
    // uses it: a handful of index reads, not a scan of the brand's orders
    // or summaries.
    let rows = CurrencyRow::find_by_statement(db::raw(
        backend,
        "WITH RECURSIVE cur(c) AS ( \
           SELECT MIN(currency) FROM customer_order WHERE brand_id = ? \
           UNION ALL \
           SELECT (SELECT MIN(o.currency) FROM customer_order o WHERE o.brand_id = ? AND o.currency > cur.c) \
           FROM cur WHERE cur.c IS NOT NULL) \
         SELECT cur.c AS currency FROM cur WHERE cur.c IS NOT NULL \
           AND EXISTS (SELECT 1 FROM customer_order o WHERE o.brand_id = ? AND o.currency = cur.c \
             AND o.ordered_at >= ? AND o.ordered_at < ?) \
         ORDER BY cur.c",
        vec![
            p.brand.id().into(),
            p.brand.id().into(),
            p.brand.id().into(),
            p.from.into(),
            p.to.into(),
        ],
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
    // The population comes from the order summaries (a first order before
    // the end); only the period's orders are read, summed per customer
    // before they meet the population. The sum of squared deviations from
    // each group's mean stays exact when the spread is small beside the
    // mean: PostgreSQL's `var_samp` accumulates it in one pass (Youngs and
    // Cramer's updates); elsewhere it is taken from each group's mean (`g`).
    // Each customer's spend is summed as a double: amounts are whole units
    // of 1/10,000, so the sum is exact below 2^53 of them (about 900
    // billion in the currency), and it is the double the figures need, not
    // an arbitrary-precision number converted once per customer.
    let (mean_cte, spend_ss, mean_join) = if backend == sea_orm::DbBackend::Postgres {
        ("", "var_samp(pc.spend) * (COUNT(*) - 1)", "")
    } else {
        (
            ", g AS (SELECT grp, AVG(spend) AS mean FROM pc GROUP BY grp)",
            "SUM((pc.spend - g.mean) * (pc.spend - g.mean))",
            " JOIN g ON g.grp = pc.grp",
        )
    };
    let sql = format!(
        "WITH {cte}, \
         s AS (SELECT o.customer_id AS id, SUM(CAST(o.amount_e4 AS DOUBLE PRECISION)) AS spend, COUNT(*) AS orders FROM customer_order o \
               WHERE o.brand_id = ? AND o.currency = ? AND o.ordered_at >= ? AND o.ordered_at < ? GROUP BY o.customer_id), \
         pc AS ( \
           SELECT f.customer_id AS id, CASE WHEN joined.joined_at IS NOT NULL AND joined.joined_at < ? THEN 1 ELSE 0 END AS grp, \
             CAST(COALESCE(s.spend, 0) AS DOUBLE PRECISION) / CAST(10000 AS DOUBLE PRECISION) AS spend, \
             COALESCE(s.orders, 0) AS orders \
           FROM customer_order_summary f LEFT JOIN joined ON joined.cid = f.customer_id LEFT JOIN s ON s.id = f.customer_id \
           WHERE f.brand_id = ? AND f.currency = ? AND f.first_order_at < ?){mean_cte} \
         SELECT pc.grp AS grp, COUNT(*) AS n, COALESCE(SUM(pc.spend), 0) AS spend, \
           COALESCE({spend_ss}, 0) AS spend_ss, \
           CAST(COALESCE(SUM(pc.orders), 0) AS BIGINT) AS orders, \
           CAST(COALESCE(SUM(CASE WHEN pc.orders >= 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS buyers, \
           CAST(COALESCE(SUM(CASE WHEN pc.orders >= 2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS repeaters \
         FROM pc{mean_join} GROUP BY pc.grp"
    );
    values.extend([
        p.brand.id().into(),
        cur.into(),
        p.from.into(),
        p.to.into(),
        p.to.into(),
        p.brand.id().into(),
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
    let (rows, joiner_rows, matched) = tokio::try_join!(rows, joiners(app, p, cur), async {
        if p.matched {
            super::matched::compare(app, p, cur).await.map(Some)
        } else {
            Ok(None)
        }
    })?;
    let get = |g: i32| rows.iter().find(|r| r.grp == g);
    // The joiners' controls are the non-members of the population.
    let joiners = joiner_comparison(p, &joiner_rows, get(0).map(|r| r.n).unwrap_or(0));
    let min = p.min_sample;
    // (value, people, observations) of a group's row.
    type Of<'a> = &'a dyn Fn(&SalesRow) -> (Option<f64>, i64, i64);
    let per_group = |unit: SampleUnit, f: Of| {
        let (mv, mn, mo) = get(1).map(f).unwrap_or((None, 0, 0));
        let (nv, nn, no) = get(0).map(f).unwrap_or((None, 0, 0));
        GroupFigures {
            members: figure(mv, mn, unit, mo, min),
            non_members: figure(nv, nn, unit, no, min),
        }
    };
    let mean = |r: &SalesRow| r.spend / r.n as f64;
    let spend = per_group(SampleUnit::Customers, &|r| (Some(mean(r)), r.n, r.n));
    let orders = per_group(SampleUnit::Customers, &|r| {
        (Some(r.orders as f64 / r.n as f64), r.n, r.n)
    });
    let aov = per_group(SampleUnit::Buyers, &|r| {
        (
            (r.orders > 0).then(|| r.spend / r.orders as f64),
            r.buyers,
            r.orders,
        )
    });
    let repeat = per_group(SampleUnit::Buyers, &|r| {
        (
            (r.buyers > 0).then(|| r.repeaters as f64 / r.buyers as f64),
            r.buyers,
            r.buyers,
        )
    });
    let sample = |r: &SalesRow| stats::Sample::from_sums(r.n, r.spend, r.spend_ss);
    let uplift = match (get(1), get(0)) {
        (Some(m), Some(n)) => {
            let w = stats::welch(&sample(m), &sample(n));
            Uplift {
                difference: Some(w.difference),
                relative: w.relative,
                ci_low: w.interval.map(|i| i.0),
                ci_high: w.interval.map(|i| i.1),
                degrees_of_freedom: w.degrees_of_freedom,
                relative_ci_low: w.relative_interval.map(|i| i.0),
                relative_ci_high: w.relative_interval.map(|i| i.1),
                insufficient: m.n < min || n.n < min,
            }
        }
        _ => Uplift {
            difference: None,
            relative: None,
            ci_low: None,
            ci_high: None,
            degrees_of_freedom: None,
            relative_ci_low: None,
            relative_ci_high: None,
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
            matched,
        },
        repeat,
    ))
}

/// The joiners' rows (see [`JoinerRow`]); their comparison is made with
/// the number of controls from the sales figures ([`joiner_comparison`]).
async fn joiners(app: &AppContext, p: &ReportParams, cur: &str) -> AppResult<Vec<JoinerRow>> {
    let backend = app.db.get_database_backend();
    let (cte, mut values) = customers_cte(p.brand.id(), p.community_id);
    // Split at the instant of joining: an order at or after it is "after".
    // The population's members (`pm`) are the customers who joined before
    // the period's end and have an order before it.
    // Each joiner's own orders are read through the customer index. The
    // non-members' orders are the period's orders of customers who had not
    // joined by its end (an order in the period makes its customer one of
    // the population), found by an anti-join; `cum` gives their spend
    // before each joining instant (see `controls_before`).
    let (totals, controls) = (joiner_totals(backend), controls_before(backend));
    let sql = format!(
        "WITH {cte}, \
         pm AS (SELECT joined.cid AS id, joined.joined_at AS joined_at FROM joined \
                  JOIN customer_order_summary f ON f.customer_id = joined.cid AND f.currency = ? AND f.first_order_at < ? \
                WHERE joined.joined_at < ?), \
         j AS (SELECT id, joined_at, RANK() OVER (ORDER BY joined_at) AS k FROM pm WHERE joined_at >= ?), \
         {totals}, \
         {controls} \
         SELECT CAST(nmt.total AS DOUBLE PRECISION) / 10000.0 AS c_total, x.joined_at AS joined_at, \
           CAST(x.before AS DOUBLE PRECISION) / 10000.0 AS t_before, \
           CAST(x.after AS DOUBLE PRECISION) / 10000.0 AS t_after, \
           CAST(x.c_before AS DOUBLE PRECISION) / 10000.0 AS c_before \
         FROM nmt LEFT JOIN (SELECT jt.joined_at AS joined_at, jt.before AS before, jt.after AS after, \
                             COALESCE(cum.before, 0) AS c_before \
                           FROM jt JOIN cum ON cum.jid = jt.jid) x ON 1 = 1"
    );
    values.extend([
        // pm: the population's members
        cur.into(),
        p.to.into(),
        p.to.into(),
        // j
        p.from.into(),
        // jt
        cur.into(),
        p.from.into(),
        p.to.into(),
        // the non-members' orders
        p.to.into(),
        p.brand.id().into(),
        cur.into(),
        p.from.into(),
        p.to.into(),
    ]);
    Ok(JoinerRow::find_by_statement(db::raw(backend, &sql, values))
        .all(&app.db)
        .await?)
}

/// Joiners against `controls` non-members (difference in differences,
/// with its bootstrap interval).
fn joiner_comparison(p: &ReportParams, rows: &[JoinerRow], controls: i64) -> JoinerComparison {
    let days = |a: DateTime<Utc>, b: DateTime<Utc>| {
        (b - a).num_microseconds().unwrap_or(0) as f64 / 86_400e6
    };
    let joiners: Vec<Joiner> = rows
        .iter()
        .filter_map(|r| {
            let joined = r.joined_at?;
            let controls_before = r.c_before.unwrap_or(0.0);
            Some(Joiner {
                spend_before: r.t_before.unwrap_or(0.0),
                spend_after: r.t_after.unwrap_or(0.0),
                days_before: days(p.from, joined),
                days_after: days(joined, p.to),
                controls_before,
                controls_after: r.c_total - controls_before,
            })
        })
        .collect();
    let all: Vec<&Joiner> = joiners.iter().collect();
    let rates = did(&all, controls);
    let interval = match rates.difference {
        Some(_) => stats::bootstrap(&joiners, |draw| did(draw, controls).difference),
        None => None,
    };
    JoinerComparison {
        joiners: joiners.len() as i64,
        controls,
        joiners_before: rates.joiners_before,
        joiners_after: rates.joiners_after,
        controls_before: rates.controls_before,
        controls_after: rates.controls_after,
        difference: rates.difference,
        ci_low: interval.map(|i| i.0),
        ci_high: interval.map(|i| i.1),
        insufficient: (joiners.len() as i64) < p.min_sample || controls < p.min_sample,
    }
}

/// The CTE `jt`: each joiner of `j` (`jid`, `joined_at`, `k`) with their
/// spend in the period (currency, from, to: the parameters) before and
/// after the instant they joined, read through the customer index. On
/// PostgreSQL each joiner's orders are summed on their own (a lateral
/// subquery); elsewhere the joiners' orders are grouped per joiner.
fn joiner_totals(backend: sea_orm::DbBackend) -> &'static str {
    if backend == sea_orm::DbBackend::Postgres {
        "jt AS (SELECT j.id AS jid, j.joined_at AS joined_at, j.k AS k, \
                  COALESCE(x.before, 0) AS before, COALESCE(x.after, 0) AS after \
                FROM j LEFT JOIN LATERAL ( \
                  SELECT SUM(CASE WHEN o.ordered_at < j.joined_at THEN o.amount_e4 ELSE 0 END) AS before, \
                    SUM(CASE WHEN o.ordered_at >= j.joined_at THEN o.amount_e4 ELSE 0 END) AS after \
                  FROM customer_order o WHERE o.customer_id = j.id AND o.currency = ? \
                    AND o.ordered_at >= ? AND o.ordered_at < ?) x ON TRUE)"
    } else {
        "jt AS (SELECT j.id AS jid, j.joined_at AS joined_at, j.k AS k, \
                  COALESCE(SUM(CASE WHEN o.ordered_at < j.joined_at THEN o.amount_e4 ELSE 0 END), 0) AS before, \
                  COALESCE(SUM(CASE WHEN o.ordered_at >= j.joined_at THEN o.amount_e4 ELSE 0 END), 0) AS after \
                FROM j LEFT JOIN customer_order o ON o.customer_id = j.id AND o.currency = ? \
                  AND o.ordered_at >= ? AND o.ordered_at < ? \
                GROUP BY j.id, j.joined_at, j.k)"
    }
}

/// The CTEs `nmt` (the non-members' total spend in the period) and `cum`
/// (`jid`, `before`: their spend before each joiner `jt.jid` joined), from
/// the non-members' orders: the period's orders (brand, currency, from, to)
/// of customers who had not joined before its end (the first parameter).
///
/// On PostgreSQL the orders are summed per gap between consecutive joining
/// instants (`width_bucket` over the sorted instants: a hash aggregate, no
/// sort of the orders), and a running sum over those few gaps gives each
/// joiner's figure: joiner `k` in joining order (ties share the first rank)
/// gets the gaps before its instant, so an order at that instant is after.
/// Elsewhere one time line of orders and joinings is summed in order, a
/// joining sorting before an order at the same instant.
fn controls_before(backend: sea_orm::DbBackend) -> &'static str {
    if backend == sea_orm::DbBackend::Postgres {
        "nmb AS (SELECT width_bucket(o.ordered_at, \
                    (SELECT COALESCE(array_agg(joined_at ORDER BY joined_at), '{}') FROM j)) AS b, \
                  SUM(o.amount_e4) AS amt \
                FROM customer_order o LEFT JOIN joined ON joined.cid = o.customer_id AND joined.joined_at < ? \
                WHERE o.brand_id = ? AND o.currency = ? AND o.ordered_at >= ? AND o.ordered_at < ? \
                  AND joined.cid IS NULL GROUP BY 1), \
         nmt AS (SELECT COALESCE(SUM(amt), 0) AS total FROM nmb), \
         ev AS (SELECT b AS pos, 0 AS ord, amt, NULL AS jid FROM nmb UNION ALL SELECT k - 1, 1, 0, jid FROM jt), \
         cum AS (SELECT jid, SUM(amt) OVER (ORDER BY pos, ord ROWS UNBOUNDED PRECEDING) AS before FROM ev)"
    } else {
        "nmo AS (SELECT o.ordered_at AS t, o.amount_e4 AS amt \
                FROM customer_order o LEFT JOIN joined ON joined.cid = o.customer_id AND joined.joined_at < ? \
                WHERE o.brand_id = ? AND o.currency = ? AND o.ordered_at >= ? AND o.ordered_at < ? \
                  AND joined.cid IS NULL), \
         nmt AS (SELECT COALESCE(SUM(amt), 0) AS total FROM nmo), \
         ev AS (SELECT t, amt, 1 AS ord, NULL AS jid FROM nmo UNION ALL SELECT joined_at, 0, 0, jid FROM jt), \
         cum AS (SELECT jid, SUM(amt) OVER (ORDER BY t, ord ROWS UNBOUNDED PRECEDING) AS before FROM ev)"
    }
}

async fn cohorts(app: &AppContext, p: &ReportParams, cur: &str) -> AppResult<Vec<CohortRow>> {
    let backend = app.db.get_database_backend();
    let (cte, mut values) = customers_cte(p.brand.id(), p.community_id);
    let month_o = db::month_key(backend, "o.ordered_at");
    let month_text = db::month_key_text(backend, "month");
    let month_j = db::month_of(backend, "joined.joined_at");
    let month_f = db::month_of(backend, "f.first_order_at");
    // The population only: customers with an order before the period's end,
    // in a cohort when they joined (members) or first ordered (non-members)
    // within the period. Members come from the joinings in the period,
    // non-members from the summaries' first orders in it (by index, never
    // every customer). A cohort's months start with the period's first
    // month, so earlier orders are not read; each customer counts once per
    // month they ordered in, months grouped by their start and written as
    // `YYYY-MM` once per result row.
    let sql = format!(
        "WITH {cte}, \
         cm AS (SELECT joined.cid AS id, 1 AS grp, {month_j} AS cohort FROM joined \
                  JOIN customer_order_summary f ON f.customer_id = joined.cid AND f.currency = ? AND f.first_order_at < ? \
                WHERE joined.joined_at >= ? AND joined.joined_at < ? \
                UNION ALL \
                SELECT f.customer_id AS id, 0 AS grp, {month_f} AS cohort FROM customer_order_summary f \
                  LEFT JOIN joined ON joined.cid = f.customer_id AND joined.joined_at < ? \
                WHERE f.brand_id = ? AND f.currency = ? AND f.first_order_at >= ? AND f.first_order_at < ? \
                  AND joined.cid IS NULL), \
         act AS (SELECT cm.id AS id, cm.grp AS grp, cm.cohort AS cohort, {month_o} AS month \
                 FROM cm JOIN customer_order o ON o.customer_id = cm.id AND o.currency = ? \
                   AND o.ordered_at >= ? AND o.ordered_at < ? \
                 GROUP BY cm.id, cm.grp, cm.cohort, {month_o}) \
         SELECT grp, cohort, {month_text} AS month, COUNT(*) AS n FROM act GROUP BY grp, cohort, month \
         UNION ALL \
         SELECT cm.grp AS grp, cm.cohort AS cohort, NULL AS month, COUNT(*) AS n FROM cm GROUP BY cm.grp, cm.cohort"
    );
    values.extend([
        // members
        cur.into(),
        p.to.into(),
        p.from.into(),
        p.to.into(),
        // non-members
        p.to.into(),
        p.brand.id().into(),
        cur.into(),
        p.from.into(),
        p.to.into(),
        // their orders, from the start of the period's first month
        cur.into(),
        month_start_of(p.from).into(),
        p.to.into(),
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

/// The first instant of the month `t` is in (UTC).
fn month_start_of(t: DateTime<Utc>) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(t.year(), t.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Utc.from_utc_datetime(&d))
        .unwrap_or(t)
}

/// The first instant of the month after the one `t` is in.
fn month_after(t: DateTime<Utc>) -> DateTime<Utc> {
    month_start_of(t)
        .checked_add_months(Months::new(1))
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
        "WITH {cte} SELECT grp, kind, COUNT(*) AS n, COUNT(DISTINCT person) AS people, \
           CAST(COALESCE(SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), 0) AS BIGINT) AS promoters, \
           CAST(COALESCE(SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS detractors, \
           CAST(COALESCE(SUM(CASE WHEN score >= 4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS satisfied \
         FROM (SELECT s.kind AS kind, s.score AS score, COALESCE(s.customer_id, s.member_id, s.id) AS person, \
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
        let (people, responses) = r.map(|r| (r.people, r.n)).unwrap_or((0, 0));
        figure(
            r.map(f),
            people,
            SampleUnit::Respondents,
            responses,
            p.min_sample,
        )
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
    let communities = q
        .order_by_asc(entity::community::Column::Name)
        .all(&app.db)
        .await?;
    let zones: Vec<(Uuid, &str)> = communities
        .iter()
        .map(|c| (c.id, c.time_zone.as_str()))
        .collect();
    let mut health = engagement::health_of(app, of, &zones, p.from, p.to).await?;
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
    // The statements are independent: they run side by side on the pool,
    // satisfaction and engagement while the currency is picked.
    let sales_and_retention = async {
        match currency(app, p).await? {
            Some(cur) => {
                let ((sales, repeat), cohorts) =
                    tokio::try_join!(sales(app, p, &cur), cohorts(app, p, &cur))?;
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
        freshness: ReportFreshness::default(),
    })
}
