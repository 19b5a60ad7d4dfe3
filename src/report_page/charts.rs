//! Charts as inline SVG: each with a title and a text alternative that says
//! what it shows in words (screen readers read those, not the shapes), and
//! a `viewBox` so it scales to the page's width on a phone and in print.

use maud::{html, Markup};

/// Members' colour.
pub const MEMBERS: &str = "#1f6b4a";
/// Other customers' colour.
pub const OTHERS: &str = "#b35c12";

/// One bar: label, value, colour and a note (sample size, flag).
pub struct Bar<'a> {
    /// What the bar is.
    pub label: &'a str,
    /// Its value; `None` draws "no value".
    pub value: Option<f64>,
    /// Fill colour.
    pub color: &'a str,
    /// Small print under the bar.
    pub note: String,
}

/// A horizontal bar chart. `fmt` formats values.
pub fn bars(
    id: &str,
    title: &str,
    desc: &str,
    bars: &[Bar<'_>],
    fmt: impl Fn(f64) -> String,
) -> Markup {
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let row = 46.0;
    let height = row * bars.len() as f64 + 8.0;
    let (left, width) = (120.0, 150.0);
    html! {
        svg.chart.bars role="img" aria-labelledby={ (id) "-t " (id) "-d" } viewBox={ "0 0 360 " (height) }
            preserveAspectRatio="xMinYMin meet" {
            title id={ (id) "-t" } { (title) }
            desc id={ (id) "-d" } { (desc) }
            @for (i, b) in bars.iter().enumerate() {
                @let y = 6.0 + row * i as f64;
                text x="0" y=(y + 21.0) class="label" { (b.label) }
                @if let Some(v) = b.value {
                    rect x=(left) y=(y + 4.0) width=((v / max * width).max(1.0)) height="24" fill=(b.color) {}
                    text x=(left + (v / max * width).max(1.0) + 8.0) y=(y + 21.0) class="value" { (fmt(v)) }
                } @else {
                    text x=(left) y=(y + 21.0) class="value muted" { "no value" }
                }
                text x=(left) y=(y + 42.0) class="note" { (b.note) }
            }
        }
    }
}

/// A point with its 95% interval on an axis through 0.
pub fn interval(
    id: &str,
    title: &str,
    desc: &str,
    point: f64,
    low: f64,
    high: f64,
    fmt: impl Fn(f64) -> String,
) -> Markup {
    let lo = low.min(0.0).min(point);
    let hi = high.max(0.0).max(point);
    let pad = ((hi - lo) * 0.15).max(f64::MIN_POSITIVE);
    let (lo, hi) = (lo - pad, hi + pad);
    let x = |v: f64| 20.0 + (v - lo) / (hi - lo) * 560.0;
    html! {
        svg.chart role="img" aria-labelledby={ (id) "-t " (id) "-d" } viewBox="0 0 600 90"
            preserveAspectRatio="xMinYMin meet" {
            title id={ (id) "-t" } { (title) }
            desc id={ (id) "-d" } { (desc) }
            line x1="20" x2="580" y1="50" y2="50" class="axis" {}
            line x1=(x(0.0)) x2=(x(0.0)) y1="38" y2="75" class="zero" {}
            text x=(x(0.0)) y="88" text-anchor="middle" class="note" { "0" }
            line x1=(x(low)) x2=(x(high)) y1="50" y2="50" stroke=(MEMBERS) stroke-width="6" stroke-linecap="round" {}
            circle cx=(x(point)) cy="50" r="9" fill=(MEMBERS) {}
            text x=(x(low)) y="30" text-anchor="middle" class="note" { (fmt(low)) }
            text x=(x(high)) y="30" text-anchor="middle" class="note" { (fmt(high)) }
            text x=(x(point)) y="18" text-anchor="middle" class="value" { (fmt(point)) }
        }
    }
}

/// A series of a line chart.
pub struct Series<'a> {
    /// Legend text.
    pub label: &'a str,
    /// Line colour.
    pub color: &'a str,
    /// One value per period; `None` leaves a gap.
    pub values: Vec<Option<f64>>,
}

/// A line chart over `periods` (a gap where a value is missing), with a
/// legend, y ticks at 0, half and the top, and every few periods labelled.
pub fn lines(
    id: &str,
    title: &str,
    desc: &str,
    periods: &[String],
    series: &[Series<'_>],
    fmt: impl Fn(f64) -> String,
) -> Markup {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b))
        .max(f64::MIN_POSITIVE);
    let (left, right, top, bottom) = (70.0, 590.0, 30.0, 230.0);
    let n = periods.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + (right - left) * i as f64 / n;
    let y = |v: f64| bottom - (bottom - top) * v / max;
    let every = periods.len().div_ceil(6).max(1);
    html! {
        svg.chart role="img" aria-labelledby={ (id) "-t " (id) "-d" } viewBox="0 0 600 280"
            preserveAspectRatio="xMinYMin meet" {
            title id={ (id) "-t" } { (title) }
            desc id={ (id) "-d" } { (desc) }
            @for t in [0.0, 0.5, 1.0] {
                line x1=(left) x2=(right) y1=(y(max * t)) y2=(y(max * t)) class="grid" {}
                text x=(left - 8.0) y=(y(max * t) + 4.0) text-anchor="end" class="note" { (fmt(max * t)) }
            }
            @for (i, p) in periods.iter().enumerate() {
                @if i % every == 0 || i + 1 == periods.len() {
                    text x=(x(i)) y=(bottom + 18.0) class="note"
                        text-anchor=(if i == 0 { "start" } else if i + 1 == periods.len() { "end" } else { "middle" }) { (p) }
                }
            }
            @for s in series {
                @for segment in segments(&s.values) {
                    polyline fill="none" stroke=(s.color) stroke-width="3"
                        points=(segment.iter().map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v))).collect::<Vec<_>>().join(" ")) {}
                }
                @for (i, v) in s.values.iter().enumerate() {
                    @if let Some(v) = v {
                        circle cx=(x(i)) cy=(y(*v)) r="3.5" fill=(s.color) {}
                    }
                }
            }
            @for (k, s) in series.iter().enumerate() {
                rect x=(left + 170.0 * k as f64) y="4" width="14" height="14" fill=(s.color) {}
                text x=(left + 20.0 + 170.0 * k as f64) y="16" class="note" { (s.label) }
            }
        }
    }
}

/// Runs of consecutive values, with their indices.
fn segments(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut run = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => run.push((i, *v)),
            None if !run.is_empty() => out.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_splits_a_line() {
        let s = segments(&[Some(1.0), None, Some(2.0), Some(3.0), None]);
        assert_eq!(s, vec![vec![(0, 1.0)], vec![(2, 2.0), (3, 3.0)]]);
    }

    #[test]
    fn charts_carry_a_title_and_a_text_alternative() {
        let svg = bars(
            "spend",
            "Spend",
            "Members 12, others 10",
            &[Bar {
                label: "Members",
                value: Some(12.0),
                color: MEMBERS,
                note: "n = 40".into(),
            }],
            |v| format!("{v:.0}"),
        )
        .into_string();
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"spend-t\">Spend</title>"));
        assert!(svg.contains("<desc id=\"spend-d\">Members 12, others 10</desc>"));
    }
}
