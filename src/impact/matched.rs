//! The matched comparison of the impact report: members who joined in the
//! period against non-members with the same history, by coarsened exact
//! matching (CEM).
//!
//! **Units.** A joiner is a customer of the report's population who joined
//! in the period; their *reference month* M is the calendar month (UTC) they
//! joined in. A control unit is a non-member of the population (not joined
//! before the period's end) at one reference month M of the joiners: the
//! same customer is a unit once per such month.
//!
//! **History** at M, over the [`PRE_MONTHS`] calendar months before M: spend
//! and number of orders, and whether the customer had ordered before M at
//! all. **Strata**: M × spend bin × orders bin × tenure bin ([`SPEND_BINS`],
//! [`ORDER_BINS`]; tenure: no order before M, first order in the last
//! [`PRE_MONTHS`] months, earlier).
//!
//! **Outcome**: spend and orders per 30 days from the start of the month
//! after M to the period's end (so every joiner has joined), in the report
//! currency. Joiners whose month after M starts at or after the period's end
//! are not measured yet.
//!
//! **Estimate**: in each stratum holding joiners and controls, the joiners'
//! mean outcome minus the controls'; averaged over strata weighted by their
//! joiners (the effect on the matched joiners). Its variance is
//! Σ wₛ² (s²ⱼ,ₛ/nⱼ,ₛ + s²꜀,ₛ/n꜀,ₛ) with wₛ the stratum's share of matched
//! joiners and s² the stratum's sample variance (the group's pooled
//! within-stratum variance for a stratum with one person); the interval is
//! ± 1.96 standard errors (normal). Relative = difference ÷ the weighted
//! controls' mean, its interval the difference's divided by that mean.
//!
//! **Balance**: standardised mean differences of the history features,
//! (mean of joiners − mean of controls) ÷ √((s²ⱼ + s²꜀)/2) with the variances
//! before matching, before (all joiners, all control units) and after
//! matching (matched joiners; controls weighted by nⱼ,ₛ/n꜀,ₛ).

use async_graphql::SimpleObject;
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use sea_orm::FromQueryResult;
use serde::{Deserialize, Serialize};

use super::report::ReportParams;
use crate::{context::AppContext, db, error::AppResult};

/// Calendar months of history before the reference month.
pub const PRE_MONTHS: u32 = 6;

/// Upper bounds of the spend bins (report currency) over the history
/// months; a last bin holds the rest. 0 is a bin of its own.
pub const SPEND_BINS: [f64; 3] = [0.0, 50.0, 200.0];

/// Upper bounds of the order-count bins over the history months; a last
/// bin holds the rest.
pub const ORDER_BINS: [i64; 3] = [0, 1, 3];

/// A matched uplift with its interval.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct MatchedEffect {
    /// Matched joiners' mean per 30 days (weighted as the estimate).
    pub joiners_mean: Option<f64>,
    /// Their matched controls' mean per 30 days.
    pub controls_mean: Option<f64>,
    /// `joinersMean − controlsMean`.
    pub difference: Option<f64>,
    /// `difference ÷ controlsMean`.
    pub relative: Option<f64>,
    /// Lower bound of the 95% interval of `difference` (normal).
    pub ci_low: Option<f64>,
    /// Upper bound of that interval.
    pub ci_high: Option<f64>,
    /// Lower bound of the 95% interval of `relative`.
    pub relative_ci_low: Option<f64>,
    /// Upper bound of that interval.
    pub relative_ci_high: Option<f64>,
}

/// The balance of one history feature.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct Balance {
    /// `PRE_SPEND`, `PRE_ORDERS` or `WAS_CUSTOMER` (0/1).
    pub feature: String,
    /// Standardised mean difference before matching.
    pub before_matching: Option<f64>,
    /// ...and after.
    pub after_matching: Option<f64>,
}

/// Joiners against non-members with the same history (see the module
/// documentation): the report's matched comparison.
#[derive(Debug, Clone, SimpleObject, Serialize, Deserialize)]
pub struct MatchedComparison {
    /// Joiners with an outcome window (joined before the last month of the period).
    pub joiners: i64,
    /// Joiners in a stratum with at least one control.
    pub matched_joiners: i64,
    /// Joiners without: not in the estimate.
    pub unmatched_joiners: i64,
    /// Control units in the matched strata (a non-member counts once per
    /// reference month).
    pub matched_controls: i64,
    /// Spend per 30 days.
    pub spend: MatchedEffect,
    /// Orders per 30 days (purchase frequency).
    pub orders: MatchedEffect,
    /// Balance of the history features.
    pub balance: Vec<Balance>,
    /// Whether matched joiners or controls are below the minimum sample.
    pub insufficient: bool,
}

/// One stratum's group: sums over its units.
#[derive(Debug, FromQueryResult)]
struct StratumRow {
    stratum: String,
    joiner: i32,
    n: i64,
    spend: f64,
    spend_ss: f64,
    orders: f64,
    orders_ss: f64,
    pre_spend: f64,
    pre_spend_sq: f64,
    pre_orders: f64,
    pre_orders_sq: f64,
    was_customer: f64,
}

fn month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(t.year(), t.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Utc.from_utc_datetime(&d))
        .unwrap_or(t)
}

/// The reference months of the period with an outcome window: (month
/// `YYYY-MM`, first history month `YYYY-MM`, days from the next month's
/// start to the period's end).
fn reference_months(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(String, String, f64)> {
    let mut out = Vec::new();
    let mut m = month_start(from);
    while m < to {
        let Some(next) = m.checked_add_months(Months::new(1)) else {
            break;
        };
        if next >= to {
            break;
        }
        let pre = m
            .checked_sub_months(Months::new(PRE_MONTHS))
            .unwrap_or(m)
            .format("%Y-%m")
            .to_string();
        let days = (to - next).num_seconds() as f64 / 86_400.0;
        out.push((m.format("%Y-%m").to_string(), pre, days));
        m = next;
    }
    out
}

fn bins_sql(expr: &str, bounds: &[String]) -> String {
    let arms: Vec<String> = bounds
        .iter()
        .enumerate()
        .map(|(i, b)| format!("WHEN {expr} <= {b} THEN {i}"))
        .collect();
    format!("CASE {} ELSE {} END", arms.join(" "), bounds.len())
}

/// Computes the matched comparison in one statement (aggregated by stratum).
pub async fn compare(
    app: &AppContext,
    p: &ReportParams,
    cur: &str,
) -> AppResult<MatchedComparison> {
    let months = reference_months(p.from, p.to);
    let backend = app.db.get_database_backend();
    let empty = |joiners: i64| MatchedComparison {
        joiners,
        matched_joiners: 0,
        unmatched_joiners: joiners,
        matched_controls: 0,
        spend: effect(&[], Field::Spend),
        orders: effect(&[], Field::Orders),
        balance: Vec::new(),
        insufficient: true,
    };
    if months.is_empty() {
        return Ok(empty(0));
    }
    let (cte, mut values) = super::report::customers_cte(p.brand.id(), p.community_id);
    let month_o = db::month_of(backend, "o.ordered_at");
    let month_j = db::month_of(backend, "cust.joined_at");
    let spend_bins: Vec<String> = SPEND_BINS
        .iter()
        .map(|b| format!("{:.1}", b * 10_000.0))
        .collect();
    let order_bins: Vec<String> = ORDER_BINS.iter().map(|b| b.to_string()).collect();
    let spend_bin = bins_sql("f.pre_amt", &spend_bins);
    let order_bin = bins_sql("f.pre_n", &order_bins);
    let concat = |parts: &[String]| match backend {
        sea_orm::DbBackend::Postgres => parts
            .iter()
            .map(|p| format!("CAST({p} AS TEXT)"))
            .collect::<Vec<_>>()
            .join(" || ':' || "),
        _ => parts.join(" || ':' || "),
    };
    let stratum = concat(&[
        "f.m".to_string(),
        spend_bin,
        order_bin,
        "CASE WHEN f.first_mo IS NULL OR f.first_mo >= f.m THEN 0 WHEN f.first_mo >= f.pre THEN 1 ELSE 2 END".to_string(),
    ]);
    let months_cte =
        crate::ingest::values_cte(months.len(), &["m", "pre", "days"]).replacen("WITH v", "v", 1);
    let sql = format!(
        "WITH {cte}, {months_cte}, \
         om AS (SELECT o.customer_id AS cid, {month_o} AS mo, SUM(o.amount_e4) AS amt, COUNT(*) AS n \
                FROM customer_order o WHERE o.brand_id = ? AND o.currency = ? AND o.ordered_at < ? GROUP BY o.customer_id, {month_o}), \
         pop AS (SELECT cid, MIN(mo) AS first_mo FROM om GROUP BY cid), \
         jn AS (SELECT cust.id AS cid, {month_j} AS m FROM cust JOIN pop ON pop.cid = cust.id \
                WHERE cust.joined_at >= ? AND cust.joined_at < ?), \
         jm AS (SELECT DISTINCT v.m AS m, v.pre AS pre, v.days AS days FROM v JOIN jn ON jn.m = v.m), \
         units AS (SELECT jn.cid AS cid, 1 AS joiner, jm.m AS m, jm.pre AS pre, jm.days AS days FROM jn JOIN jm ON jm.m = jn.m \
                   UNION ALL \
                   SELECT cust.id, 0, jm.m, jm.pre, jm.days FROM cust JOIN pop ON pop.cid = cust.id CROSS JOIN jm \
                   WHERE cust.joined_at IS NULL OR cust.joined_at >= ?), \
         f AS (SELECT u.cid AS cid, u.joiner AS joiner, u.m AS m, u.pre AS pre, u.days AS days, \
                 COALESCE(SUM(CASE WHEN om.mo >= u.pre AND om.mo < u.m THEN om.amt ELSE 0 END), 0) AS pre_amt, \
                 COALESCE(SUM(CASE WHEN om.mo >= u.pre AND om.mo < u.m THEN om.n ELSE 0 END), 0) AS pre_n, \
                 COALESCE(SUM(CASE WHEN om.mo > u.m THEN om.amt ELSE 0 END), 0) AS post_amt, \
                 COALESCE(SUM(CASE WHEN om.mo > u.m THEN om.n ELSE 0 END), 0) AS post_n, \
                 MIN(om.mo) AS first_mo \
               FROM units u LEFT JOIN om ON om.cid = u.cid GROUP BY u.cid, u.joiner, u.m, u.pre, u.days), \
         y AS (SELECT {stratum} AS stratum, f.joiner AS joiner, \
                 CAST(f.post_amt AS DOUBLE PRECISION) / 10000.0 * 30.0 / f.days AS spend, \
                 CAST(f.post_n AS DOUBLE PRECISION) * 30.0 / f.days AS orders, \
                 CAST(f.pre_amt AS DOUBLE PRECISION) / 10000.0 AS pre_spend, \
                 CAST(f.pre_n AS DOUBLE PRECISION) AS pre_orders, \
                 CAST(CASE WHEN f.first_mo IS NOT NULL AND f.first_mo < f.m THEN 1 ELSE 0 END AS DOUBLE PRECISION) AS was_customer FROM f), \
         d AS (SELECT y.*, spend - AVG(spend) OVER (PARTITION BY stratum, joiner) AS ds, \
                 orders - AVG(orders) OVER (PARTITION BY stratum, joiner) AS dn FROM y) \
         SELECT stratum, joiner, COUNT(*) AS n, SUM(spend) AS spend, SUM(ds * ds) AS spend_ss, \
           SUM(orders) AS orders, SUM(dn * dn) AS orders_ss, \
           SUM(pre_spend) AS pre_spend, SUM(pre_spend * pre_spend) AS pre_spend_sq, \
           SUM(pre_orders) AS pre_orders, SUM(pre_orders * pre_orders) AS pre_orders_sq, \
           SUM(was_customer) AS was_customer \
         FROM d GROUP BY stratum, joiner"
    );
    // In the statement's order: the customers, the months, then the rest.
    for (m, pre, days) in &months {
        values.extend([m.clone().into(), pre.clone().into(), (*days).into()]);
    }
    values.extend([
        p.brand.id().into(),
        cur.into(),
        p.to.into(),
        p.from.into(),
        p.to.into(),
        p.to.into(),
    ]);
    let rows = StratumRow::find_by_statement(db::raw(backend, &sql, values))
        .all(&app.db)
        .await?;
    let joiners: i64 = rows.iter().filter(|r| r.joiner == 1).map(|r| r.n).sum();
    let strata: Vec<(&StratumRow, &StratumRow)> = rows
        .iter()
        .filter(|r| r.joiner == 1)
        .filter_map(|j| {
            rows.iter()
                .find(|c| c.joiner == 0 && c.stratum == j.stratum && c.n > 0)
                .map(|c| (j, c))
        })
        .collect();
    if strata.is_empty() {
        let mut out = empty(joiners);
        out.balance = balance(&rows, &[]);
        return Ok(out);
    }
    let matched_joiners: i64 = strata.iter().map(|(j, _)| j.n).sum();
    let matched_controls: i64 = strata.iter().map(|(_, c)| c.n).sum();
    Ok(MatchedComparison {
        joiners,
        matched_joiners,
        unmatched_joiners: joiners - matched_joiners,
        matched_controls,
        spend: effect(&strata, Field::Spend),
        orders: effect(&strata, Field::Orders),
        balance: balance(&rows, &strata),
        insufficient: matched_joiners < p.min_sample || matched_controls < p.min_sample,
    })
}

#[derive(Clone, Copy)]
enum Field {
    Spend,
    Orders,
}

impl Field {
    fn sums(self, r: &StratumRow) -> (f64, f64) {
        match self {
            Self::Spend => (r.spend, r.spend_ss),
            Self::Orders => (r.orders, r.orders_ss),
        }
    }
}

/// The stratum-weighted difference of `field` over matched strata.
fn effect(strata: &[(&StratumRow, &StratumRow)], field: Field) -> MatchedEffect {
    let none = MatchedEffect {
        joiners_mean: None,
        controls_mean: None,
        difference: None,
        relative: None,
        ci_low: None,
        ci_high: None,
        relative_ci_low: None,
        relative_ci_high: None,
    };
    let total: i64 = strata.iter().map(|(j, _)| j.n).sum();
    if total == 0 {
        return none;
    }
    // Each group's pooled within-stratum variance, for strata of one person.
    let pooled = |rows: &mut dyn Iterator<Item = &StratumRow>| {
        let (ss, df) = rows.fold((0.0, 0i64), |(ss, df), r| {
            (ss + field.sums(r).1, df + (r.n - 1))
        });
        (df > 0).then(|| ss / df as f64)
    };
    let pooled_j = pooled(&mut strata.iter().map(|s| s.0));
    let pooled_c = pooled(&mut strata.iter().map(|s| s.1));
    let var_of = |r: &StratumRow, pooled: Option<f64>| {
        if r.n >= 2 {
            Some(field.sums(r).1 / (r.n - 1) as f64)
        } else {
            pooled
        }
    };
    let (mut mj, mut mc, mut var) = (0.0, 0.0, Some(0.0));
    for (j, c) in strata {
        let w = j.n as f64 / total as f64;
        let (yj, yc) = (field.sums(j).0 / j.n as f64, field.sums(c).0 / c.n as f64);
        mj += w * yj;
        mc += w * yc;
        var = match (var, var_of(j, pooled_j), var_of(c, pooled_c)) {
            (Some(v), Some(vj), Some(vc)) => Some(v + w * w * (vj / j.n as f64 + vc / c.n as f64)),
            _ => None,
        };
    }
    let difference = mj - mc;
    let z = crate::stats::z_quantile();
    let interval = var.map(|v| (difference - z * v.sqrt(), difference + z * v.sqrt()));
    let relative = (mc != 0.0).then(|| difference / mc);
    MatchedEffect {
        joiners_mean: Some(mj),
        controls_mean: Some(mc),
        difference: Some(difference),
        relative,
        ci_low: interval.map(|i| i.0),
        ci_high: interval.map(|i| i.1),
        relative_ci_low: interval.zip(relative).map(|(i, _)| i.0 / mc),
        relative_ci_high: interval.zip(relative).map(|(i, _)| i.1 / mc),
    }
}

/// Standardised mean differences of the history features.
fn balance(rows: &[StratumRow], strata: &[(&StratumRow, &StratumRow)]) -> Vec<Balance> {
    type Pick = fn(&StratumRow) -> (f64, f64);
    let features: [(&str, Pick); 3] = [
        ("PRE_SPEND", |r| (r.pre_spend, r.pre_spend_sq)),
        ("PRE_ORDERS", |r| (r.pre_orders, r.pre_orders_sq)),
        // A 0/1 feature: its squares are itself.
        ("WAS_CUSTOMER", |r| (r.was_customer, r.was_customer)),
    ];
    features
        .iter()
        .map(|(name, pick)| {
            // (weight, Σx, Σx²) per group, over the rows given.
            let moments = |group: &mut dyn Iterator<Item = (f64, &StratumRow)>| {
                let (mut n, mut s, mut s2) = (0.0, 0.0, 0.0);
                for (w, r) in group {
                    let (x, x2) = pick(r);
                    n += w * r.n as f64;
                    s += w * x;
                    s2 += w * x2;
                }
                (n > 0.0).then(|| (s / n, (s2 / n - (s / n).powi(2)).max(0.0)))
            };
            let before_j = moments(&mut rows.iter().filter(|r| r.joiner == 1).map(|r| (1.0, r)));
            let before_c = moments(&mut rows.iter().filter(|r| r.joiner == 0).map(|r| (1.0, r)));
            let scale = match (before_j, before_c) {
                (Some((_, vj)), Some((_, vc))) if vj + vc > 0.0 => Some(((vj + vc) / 2.0).sqrt()),
                _ => None,
            };
            let smd = |j: Option<(f64, f64)>, c: Option<(f64, f64)>| match (j, c, scale) {
                (Some((mj, _)), Some((mc, _)), Some(sd)) => Some((mj - mc) / sd),
                _ => None,
            };
            let after_j = moments(&mut strata.iter().map(|(j, _)| (1.0, *j)));
            let after_c = moments(&mut strata.iter().map(|(j, c)| (j.n as f64 / c.n as f64, *c)));
            Balance {
                feature: (*name).to_string(),
                before_matching: smd(before_j, before_c),
                after_matching: smd(after_j, after_c),
            }
        })
        .collect()
}
