//! The frozen report as CSV, one figure per line, for spreadsheets: the
//! same figures as the page, at full precision.
//!
//! Columns: `section, figure, group, period, value, sample_size, sample_of,
//! observations, insufficient`. Empty cells are figures with no value (too
//! few people, or nothing to compare).

use crate::{
    error::{AppError, AppResult},
    impact::{
        matched::MatchedEffect,
        report::{CustomerGroup, Figure, GroupFigures, SampleUnit},
    },
    reporting::snapshot::Frozen,
};

/// One figure.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// `sales`, `joiners`, `matched`, `retention`, `cohorts`,
    /// `satisfaction`, `monthly`, `engagement`.
    pub section: &'static str,
    /// What it measures, e.g. `spend_per_customer`.
    pub figure: String,
    /// `members`, `non_members`, `difference`, a community's name...
    pub group: String,
    /// A month (`YYYY-MM`) for monthly figures and cohorts.
    pub period: String,
    /// The value.
    pub value: Option<f64>,
    /// People it is computed over.
    pub sample_size: Option<i64>,
    /// What those people are.
    pub sample_of: Option<&'static str>,
    /// Observations (orders, responses).
    pub observations: Option<i64>,
    /// Below the minimum sample.
    pub insufficient: Option<bool>,
}

fn unit(u: SampleUnit) -> &'static str {
    match u {
        SampleUnit::Customers => "CUSTOMERS",
        SampleUnit::Buyers => "BUYERS",
        SampleUnit::Respondents => "RESPONDENTS",
        SampleUnit::Trainees => "TRAINEES",
        SampleUnit::RoleHolders => "ROLE_HOLDERS",
    }
}

fn figure(section: &'static str, name: &str, group: &str, period: &str, f: &Figure) -> Row {
    Row {
        section,
        figure: name.into(),
        group: group.into(),
        period: period.into(),
        value: f.value,
        sample_size: Some(f.sample_size),
        sample_of: Some(unit(f.sample_of)),
        observations: Some(f.observations),
        insufficient: Some(f.insufficient),
    }
}

fn groups(out: &mut Vec<Row>, section: &'static str, name: &str, g: &GroupFigures) {
    out.push(figure(section, name, "members", "", &g.members));
    out.push(figure(section, name, "non_members", "", &g.non_members));
}

fn value(section: &'static str, name: &str, group: &str, v: Option<f64>) -> Row {
    Row {
        section,
        figure: name.into(),
        group: group.into(),
        value: v,
        ..Row::default()
    }
}

fn effect(out: &mut Vec<Row>, name: &str, e: &MatchedEffect) {
    for (what, v) in [
        ("joiners_mean", e.joiners_mean),
        ("controls_mean", e.controls_mean),
        ("difference", e.difference),
        ("relative", e.relative),
        ("ci_low", e.ci_low),
        ("ci_high", e.ci_high),
        ("relative_ci_low", e.relative_ci_low),
        ("relative_ci_high", e.relative_ci_high),
    ] {
        out.push(value(
            "matched",
            &format!("{name}_{what}"),
            "joiners - controls",
            v,
        ));
    }
}

/// Every figure of the report, in page order.
pub fn rows(f: &Frozen) -> Vec<Row> {
    let r = &f.report;
    let mut out = Vec::new();
    if let Some(s) = &r.sales {
        groups(
            &mut out,
            "sales",
            "spend_per_customer",
            &s.spend_per_customer,
        );
        groups(
            &mut out,
            "sales",
            "orders_per_customer",
            &s.orders_per_customer,
        );
        groups(
            &mut out,
            "sales",
            "average_order_value",
            &s.average_order_value,
        );
        let u = &s.spend_uplift;
        for (name, v) in [
            ("spend_uplift", u.difference),
            ("spend_uplift_ci_low", u.ci_low),
            ("spend_uplift_ci_high", u.ci_high),
            ("spend_uplift_relative", u.relative),
            ("spend_uplift_relative_ci_low", u.relative_ci_low),
            ("spend_uplift_relative_ci_high", u.relative_ci_high),
        ] {
            let mut row = value("sales", name, "members - non_members", v);
            row.insufficient = Some(u.insufficient);
            out.push(row);
        }
        let j = &s.joiners;
        for (name, group, v, n) in [
            (
                "spend_per_day_before",
                "joiners",
                j.joiners_before,
                j.joiners,
            ),
            ("spend_per_day_after", "joiners", j.joiners_after, j.joiners),
            (
                "spend_per_day_before",
                "controls",
                j.controls_before,
                j.controls,
            ),
            (
                "spend_per_day_after",
                "controls",
                j.controls_after,
                j.controls,
            ),
            (
                "difference_in_differences",
                "joiners - controls",
                j.difference,
                j.joiners,
            ),
            (
                "difference_ci_low",
                "joiners - controls",
                j.ci_low,
                j.joiners,
            ),
            (
                "difference_ci_high",
                "joiners - controls",
                j.ci_high,
                j.joiners,
            ),
        ] {
            let mut row = value("joiners", name, group, v);
            row.sample_size = Some(n);
            row.insufficient = Some(j.insufficient);
            out.push(row);
        }
        if let Some(m) = &s.matched {
            effect(&mut out, "spend_per_30_days", &m.spend);
            effect(&mut out, "orders_per_30_days", &m.orders);
        }
    }
    if let Some(ret) = &r.retention {
        groups(
            &mut out,
            "retention",
            "repeat_purchase_rate",
            &ret.repeat_purchase_rate,
        );
        for c in &ret.cohorts {
            let group = match c.group {
                CustomerGroup::Members => "members",
                CustomerGroup::NonMembers => "non_members",
            };
            for (k, rate) in c.retention.iter().enumerate() {
                out.push(Row {
                    section: "cohorts",
                    figure: format!("retention_month_{k}"),
                    group: group.into(),
                    period: c.cohort.clone(),
                    value: *rate,
                    sample_size: Some(c.size),
                    sample_of: Some(unit(SampleUnit::Customers)),
                    observations: Some(c.size),
                    insufficient: Some(c.insufficient),
                });
            }
        }
    }
    groups(&mut out, "satisfaction", "nps", &r.satisfaction.nps);
    groups(&mut out, "satisfaction", "csat", &r.satisfaction.csat);
    for p in f.monthly.iter().flatten() {
        out.push(figure(
            "monthly",
            "spend_per_buyer",
            "members",
            &p.period,
            &p.member_spend_per_customer,
        ));
        out.push(figure(
            "monthly",
            "spend_per_buyer",
            "non_members",
            &p.period,
            &p.non_member_spend_per_customer,
        ));
        for (group, orders) in [
            ("members", p.member_orders),
            ("non_members", p.non_member_orders),
        ] {
            out.push(Row {
                period: p.period.clone(),
                ..value("monthly", "orders", group, Some(orders as f64))
            });
        }
    }
    for c in &r.engagement {
        let h = &c.health;
        for (name, v) in [
            ("members", Some(h.members as f64)),
            ("active_members_7d", Some(h.active_members_7d as f64)),
            ("active_members_30d", Some(h.active_members_30d as f64)),
            ("stickiness", h.stickiness),
            ("new_members", Some(h.new_members as f64)),
            ("departed_members", Some(h.departed_members as f64)),
            (
                "activities_per_active_member",
                h.activities_per_active_member,
            ),
            ("reply_rate", h.reply_rate),
        ] {
            out.push(value("engagement", name, &c.name, v));
        }
    }
    out
}

/// The CSV document.
pub fn render(f: &Frozen) -> AppResult<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let internal = |e: ::csv::Error| AppError::Internal(e.into());
    w.write_record([
        "section",
        "figure",
        "group",
        "period",
        "value",
        "sample_size",
        "sample_of",
        "observations",
        "insufficient",
    ])
    .map_err(internal)?;
    let opt = |v: Option<String>| v.unwrap_or_default();
    for r in rows(f) {
        w.write_record([
            r.section.to_string(),
            r.figure,
            r.group,
            r.period,
            opt(r.value.map(|v| v.to_string())),
            opt(r.sample_size.map(|v| v.to_string())),
            opt(r.sample_of.map(str::to_string)),
            opt(r.observations.map(|v| v.to_string())),
            opt(r.insufficient.map(|v| v.to_string())),
        ])
        .map_err(internal)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}
