//! The report page: one self-contained HTML document (no script, no
//! external resource), readable on a phone, printable, with every figure's
//! sample size and small-sample flag next to it. Every figure is also a
//! `<data>` element whose `value` is the figure at full precision and whose
//! `data-figure` names it as the CSV does (`section.figure.group[.period]`).

use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::{
    charts::{self, Bar, Series, MEMBERS, OTHERS},
    csv,
};
use crate::{
    impact::report::{CohortRow, CustomerGroup, Figure, GroupFigures, SampleUnit},
    reporting::snapshot::Frozen,
};

/// What the page says about whose report it is.
pub struct Heading {
    /// The brand's name.
    pub brand: String,
    /// The community's name, for a report about one.
    pub community: Option<String>,
}

const STYLE: &str = r#"
:root { color-scheme: light; --ink: #1d232a; --muted: #5b6570; --line: #d9dee3; --members: #1f6b4a; --others: #b35c12; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f8; }
main { max-width: 60rem; margin: 0 auto; padding: 1.25rem; }
header { margin-bottom: 1rem; }
.eyebrow { text-transform: uppercase; letter-spacing: .06em; font-size: .8rem; color: var(--muted); margin: 0; }
h1 { font-size: 1.8rem; margin: .2rem 0; }
h2 { font-size: 1.25rem; margin: 0 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; margin: 0 0 1rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; }
.big { font-size: 2.2rem; font-weight: 700; line-height: 1.1; }
.muted, .note { color: var(--muted); }
p.note { font-size: .9rem; margin: .25rem 0; }
.flag { display: inline-block; font-size: .78rem; font-weight: 600; color: #7a4b00; background: #fff3d6; border: 1px solid #e8c36a; border-radius: 999px; padding: 0 .5rem; margin-left: .35rem; }
svg.chart { width: 100%; height: auto; display: block; margin: .25rem 0; }
svg.bars { max-width: 30rem; }
svg .label { font-size: 13px; fill: var(--ink); }
svg .value { font-size: 13px; font-weight: 600; fill: var(--ink); }
svg .note { font-size: 11px; fill: var(--muted); }
svg .axis { stroke: #9aa4ae; stroke-width: 1; }
svg .zero { stroke: var(--ink); stroke-width: 1.5; stroke-dasharray: 3 3; }
svg .grid { stroke: var(--line); stroke-width: 1; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; vertical-align: -.05rem; margin-right: .3rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: .35rem .5rem; text-align: right; border-bottom: 1px solid var(--line); white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
caption { text-align: left; color: var(--muted); font-size: .85rem; padding-bottom: .3rem; }
td.heat { text-align: center; min-width: 3rem; }
details summary { cursor: pointer; color: var(--muted); margin-top: .5rem; }
footer { color: var(--muted); font-size: .85rem; }
@media (max-width: 30rem) { main { padding: .6rem; } section { padding: .8rem; } .big { font-size: 1.7rem; } }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  section { border: none; border-top: 1px solid #999; border-radius: 0; padding: .6rem 0; break-inside: avoid; }
  details > *:not(summary) { display: block; }
  details summary { display: none; }
  .flag { border-color: #000; background: none; color: #000; }
  .scroll { overflow: visible; }
}
"#;

fn money(currency: &str, v: f64) -> String {
    let sign = if v < 0.0 { "−" } else { "" };
    let v = v.abs();
    match currency {
        "EUR" => format!("{sign}€{v:.2}"),
        "USD" => format!("{sign}${v:.2}"),
        "GBP" => format!("{sign}£{v:.2}"),
        other => format!("{sign}{v:.2} {other}"),
    }
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn signed_percent(v: f64) -> String {
    let s = if v >= 0.0 { "+" } else { "−" };
    format!("{s}{:.1}%", v.abs() * 100.0)
}

fn plain(v: f64) -> String {
    format!("{v:.2}")
}

fn whom(unit: SampleUnit) -> &'static str {
    match unit {
        SampleUnit::Customers => "customers",
        SampleUnit::Buyers => "buyers",
        SampleUnit::Respondents => "respondents",
        SampleUnit::Trainees => "trainees",
        SampleUnit::RoleHolders => "role holders",
    }
}

/// A figure's value as a `<data>` element.
fn data(key: &str, v: Option<f64>, fmt: &dyn Fn(f64) -> String) -> Markup {
    match v {
        Some(v) => html! { data value=(v) data-figure=(key) { (fmt(v)) } },
        None => html! { data value="" data-figure=(key) { "—" } },
    }
}

fn flag(insufficient: bool, n: i64, unit: &str, min: i64) -> Markup {
    html! {
        @if insufficient {
            span.flag title={ "Fewer than " (min) " " (unit) ": read with care" } {
                "small sample: " (n) " " (unit)
            }
        }
    }
}

/// A figure for both groups: a chart and the two values with their
/// sample sizes and flags.
fn pair(
    id: &str,
    key: &str,
    title: &str,
    g: &GroupFigures,
    min: i64,
    fmt: &dyn Fn(f64) -> String,
) -> Markup {
    let note = |f: &Figure| {
        let mut n = format!("n = {} {}", f.sample_size, whom(f.sample_of));
        if f.insufficient {
            n.push_str(" · small sample");
        }
        n
    };
    let describe = |f: &Figure| f.value.map(fmt).unwrap_or_else(|| "no value".into());
    let desc = format!(
        "{title}: members {} ({}), other customers {} ({}).",
        describe(&g.members),
        note(&g.members),
        describe(&g.non_members),
        note(&g.non_members)
    );
    html! {
        div {
            h3 { (title) }
            (charts::bars(id, title, &desc, &[
                Bar { label: "Members", value: g.members.value, color: MEMBERS, note: note(&g.members) },
                Bar { label: "Other customers", value: g.non_members.value, color: OTHERS, note: note(&g.non_members) },
            ], fmt))
            p.note {
                "Members " (data(&format!("{key}.members"), g.members.value, fmt))
                (flag(g.members.insufficient, g.members.sample_size, whom(g.members.sample_of), min))
                " · others " (data(&format!("{key}.non_members"), g.non_members.value, fmt))
                (flag(g.non_members.insufficient, g.non_members.sample_size, whom(g.non_members.sample_of), min))
            }
        }
    }
}

fn heat(rate: Option<f64>) -> Markup {
    match rate {
        None => html! { td.heat.muted { "·" } },
        Some(r) => {
            let light = 96.0 - (r.clamp(0.0, 1.0) * 60.0);
            let ink = if light < 60.0 { "#fff" } else { "#1d232a" };
            html! { td.heat style={ "background:hsl(152,45%," (format!("{light:.0}")) "%);color:" (ink) } { (format!("{:.0}%", r * 100.0)) } }
        }
    }
}

fn cohort_table(rows: &[CohortRow], min: i64) -> Markup {
    let months = rows.iter().map(|c| c.retention.len()).max().unwrap_or(0);
    html! {
        div.scroll {
            table {
                caption { "Share of each cohort with an order in its k-th month (month 0 is the month of joining or first order); · = not reached yet." }
                thead { tr {
                    th scope="col" { "Cohort" } th scope="col" { "Group" } th scope="col" { "People" }
                    @for k in 0..months { th scope="col" { "M" (k) } }
                } }
                tbody {
                    @for c in rows {
                        tr {
                            th scope="row" { (c.cohort) }
                            td { @if c.group == CustomerGroup::Members { "Members" } @else { "Others" } }
                            td { (c.size) (flag(c.insufficient, c.size, "customers", min)) }
                            @for k in 0..months { (heat(c.retention.get(k).copied().flatten())) }
                        }
                    }
                }
            }
        }
    }
}

fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn date(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y").to_string()
}

/// The whole page.
pub fn render(f: &Frozen, heading: &Heading) -> String {
    let r = &f.report;
    let min = r.min_sample;
    let last_day = r.to - chrono::Duration::seconds(1);
    let period = format!("{} – {}", date(r.from), date(last_day));
    let page_title = format!("{}: impact report, {period}", heading.brand);
    let rows_count = csv::rows(f).len();
    let body = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (page_title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    header {
                        p.eyebrow { "Impact report · frozen " (date(f.model.created_at)) }
                        h1 { (heading.brand) }
                        p.muted {
                            (period)
                            @if let Some(c) = &heading.community { " · members of " (c) }
                            " · " (rows_count) " figures, also as CSV"
                        }
                        p.legend {
                            span { span.swatch style={ "background:" (MEMBERS) } {} "Members" }
                            span { span.swatch style={ "background:" (OTHERS) } {} "Other customers" }
                        }
                    }
                    @if let Some(s) = &r.sales {
                        @let cur = s.currency.clone();
                        @let fmt_money = move |v: f64| money(&cur, v);
                        @let u = &s.spend_uplift;
                        section #headline aria-labelledby="headline-h" {
                            h2 #headline-h { "Do members spend more?" }
                            @if let (Some(d), Some(rel)) = (u.difference, u.relative) {
                                p.big { (data("sales.spend_uplift_relative.members - non_members", Some(rel), &signed_percent)) " spend per customer" }
                                p {
                                    "Members spent " (data("sales.spend_uplift.members - non_members", Some(d), &fmt_money))
                                    " more per customer than other customers"
                                    @if let (Some(lo), Some(hi)) = (u.ci_low, u.ci_high) {
                                        " (95% interval " (data("sales.spend_uplift_ci_low.members - non_members", Some(lo), &fmt_money))
                                        " to " (data("sales.spend_uplift_ci_high.members - non_members", Some(hi), &fmt_money)) ")"
                                    }
                                    "."
                                    @if u.insufficient { span.flag { "small sample" } }
                                }
                                @if let (Some(lo), Some(hi)) = (u.relative_ci_low, u.relative_ci_high) {
                                    (charts::interval("uplift", "Relative spend uplift with its 95% interval",
                                        &format!("Members spend {} of other customers' spend per customer more, 95% interval {} to {}.", signed_percent(rel), signed_percent(lo), signed_percent(hi)),
                                        rel, lo, hi, signed_percent))
                                    p.note {
                                        @if lo > 0.0 { "The interval excludes 0: the difference is unlikely to be chance. " }
                                        @else { "The interval includes 0: the difference may be chance. " }
                                        "Members choose to join, so read this as an association; the joiners' before-and-after comparison below is the closer hint of an effect."
                                    }
                                }
                            } @else {
                                p.muted { "Not enough customers in both groups to compare." }
                            }
                        }
                        section #sales aria-labelledby="sales-h" {
                            h2 #sales-h { "Spend and purchase frequency" }
                            div.grid {
                                (pair("spend", "sales.spend_per_customer", "Spend per customer", &s.spend_per_customer, min, &fmt_money))
                                (pair("orders", "sales.orders_per_customer", "Orders per customer", &s.orders_per_customer, min, &plain))
                                (pair("aov", "sales.average_order_value", "Average order value", &s.average_order_value, min, &fmt_money))
                            }
                        }
                        @let j = &s.joiners;
                        section #joiners aria-labelledby="joiners-h" {
                            h2 #joiners-h { "Before and after joining" }
                            p {
                                (count(j.joiners, "member", "members")) " joined in the period; against " (count(j.controls, "customer", "customers")) " who did not join, their spend per person-day changed by "
                                (data("joiners.difference_in_differences.joiners - controls", j.difference, &fmt_money)) " more"
                                @if let (Some(lo), Some(hi)) = (j.ci_low, j.ci_high) {
                                    " (95% interval " (data("joiners.difference_ci_low.joiners - controls", Some(lo), &fmt_money)) " to "
                                    (data("joiners.difference_ci_high.joiners - controls", Some(hi), &fmt_money)) ")"
                                }
                                "."
                                (flag(j.insufficient, j.joiners, "joiners", min))
                            }
                            (charts::bars("joiners", "Spend per person-day before and after joining",
                                &format!("Joiners before {}, after {}; customers who did not join before {}, after {}.",
                                    j.joiners_before.map(&fmt_money).unwrap_or_default(), j.joiners_after.map(&fmt_money).unwrap_or_default(),
                                    j.controls_before.map(&fmt_money).unwrap_or_default(), j.controls_after.map(&fmt_money).unwrap_or_default()),
                                &[
                                    Bar { label: "Joiners, before", value: j.joiners_before, color: "#7fb59a", note: format!("n = {} joiners", j.joiners) },
                                    Bar { label: "Joiners, after", value: j.joiners_after, color: MEMBERS, note: String::new() },
                                    Bar { label: "Others, before", value: j.controls_before, color: "#e0a873", note: format!("n = {} customers", j.controls) },
                                    Bar { label: "Others, after", value: j.controls_after, color: OTHERS, note: String::new() },
                                ], &fmt_money))
                        }
                    }
                    @if let Some(ret) = &r.retention {
                        section #retention aria-labelledby="retention-h" {
                            h2 #retention-h { "Retention" }
                            (pair("repeat", "retention.repeat_purchase_rate", "Repeat purchase rate", &ret.repeat_purchase_rate, min, &percent))
                            h3 { "Cohorts" }
                            (cohort_table(&ret.cohorts, min))
                        }
                    }
                    section #satisfaction aria-labelledby="satisfaction-h" {
                        h2 #satisfaction-h { "Satisfaction" }
                        div.grid {
                            (pair("nps", "satisfaction.nps", "Net Promoter Score", &r.satisfaction.nps, min, &|v: f64| format!("{v:.0}")))
                            (pair("csat", "satisfaction.csat", "CSAT (share of 4-5 answers)", &r.satisfaction.csat, min, &percent))
                        }
                    }
                    section #monthly aria-labelledby="monthly-h" {
                        h2 #monthly-h { "Month by month" }
                        @match (&f.monthly, &r.sales) {
                            (Some(points), Some(s)) if !points.is_empty() => {
                                @let cur = s.currency.clone();
                                @let fmt_money = move |v: f64| money(&cur, v);
                                @let periods: Vec<String> = points.iter().map(|p| p.period.clone()).collect();
                                (charts::lines("monthly", "Spend per buying customer, month by month",
                                    &format!("Monthly spend per buying customer from {} to {}, members against other customers; the table below lists every value.",
                                        periods.first().cloned().unwrap_or_default(), periods.last().cloned().unwrap_or_default()),
                                    &periods,
                                    &[
                                        Series { label: "Members", color: MEMBERS, values: points.iter().map(|p| p.member_spend_per_customer.value).collect() },
                                        Series { label: "Other customers", color: OTHERS, values: points.iter().map(|p| p.non_member_spend_per_customer.value).collect() },
                                    ], &fmt_money))
                                details {
                                    summary { "The numbers" }
                                    div.scroll { table {
                                        caption { "Spend per buying customer and orders per month." }
                                        thead { tr { th scope="col" { "Month" } th scope="col" { "Members" } th scope="col" { "Others" } th scope="col" { "Members' orders" } th scope="col" { "Others' orders" } } }
                                        tbody { @for p in points { tr {
                                            th scope="row" { (p.period) }
                                            td { (data(&format!("monthly.spend_per_buyer.members.{}", p.period), p.member_spend_per_customer.value, &fmt_money))
                                                 (flag(p.member_spend_per_customer.insufficient, p.member_spend_per_customer.sample_size, "buyers", min)) }
                                            td { (data(&format!("monthly.spend_per_buyer.non_members.{}", p.period), p.non_member_spend_per_customer.value, &fmt_money))
                                                 (flag(p.non_member_spend_per_customer.insufficient, p.non_member_spend_per_customer.sample_size, "buyers", min)) }
                                            td { (p.member_orders) }
                                            td { (p.non_member_orders) }
                                        } } }
                                    } }
                                }
                            }
                            _ => { p.muted { "No monthly figures were frozen with this report." } }
                        }
                    }
                    section #communities aria-labelledby="communities-h" {
                        h2 #communities-h { "Community health" }
                        @if r.engagement.is_empty() {
                            p.muted { "No community in this report." }
                        } @else {
                            div.scroll { table {
                                caption { "Over the report's last 30 days; stickiness = average daily active members ÷ members active in the 30 days." }
                                thead { tr {
                                    th scope="col" { "Community" } th scope="col" { "Members" } th scope="col" { "Active, 7 days" }
                                    th scope="col" { "Active, 30 days" } th scope="col" { "Stickiness" } th scope="col" { "Reply rate" }
                                } }
                                tbody { @for c in &r.engagement { tr {
                                    th scope="row" { (c.name) }
                                    td { (data(&format!("engagement.members.{}", c.name), Some(c.health.members as f64), &|v: f64| format!("{v:.0}"))) }
                                    td { (c.health.active_members_7d) }
                                    td { (c.health.active_members_30d) }
                                    td { (data(&format!("engagement.stickiness.{}", c.name), c.health.stickiness, &percent)) }
                                    td { (data(&format!("engagement.reply_rate.{}", c.name), c.health.reply_rate, &percent)) }
                                } } }
                            } }
                        }
                    }
                    footer {
                        p { "Figures flagged “small sample” rest on fewer than " (min) " people. Every figure's definition is in the API documentation; the CSV at the same address with .csv holds the same figures at full precision." }
                        p { "Computed " (r.generated_at.format("%Y-%m-%d %H:%M UTC")) " from data version " (r.freshness.data_version) "." }
                    }
                }
            }
        }
    };
    body.into_string()
}
