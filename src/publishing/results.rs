//! Results: metric observations pushed per published item, and the figures
//! built on them (per item, per campaign against its targets, per kind of
//! content in a community), computed in SQL over the latest observation of
//! each metric. Definitions in `docs/campaigns.md`.

use std::collections::{HashMap, HashSet};

use async_graphql::{InputObject, SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};
use entity::{content_item, content_metric};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryResult, Set};
use uuid::Uuid;

use crate::{
    auth::{BrandScope, Caller, Principal},
    context::{parse_id, AppContext},
    db::{self, WriteTxn},
    error::AppResult,
    ingest::{
        check_count, finish, insert_new, may_ingest, sort_rows, stops, IngestMode, IngestSummary,
        RejectedRow,
    },
};
use crate::{
    campaign::service::{self, CampaignTarget, ContentMetric},
    content::service::{self as content, ContentKind, ContentStatus},
};

/// One observation of a metric of a published item.
#[derive(Debug, Clone, InputObject, serde::Deserialize)]
// Read like the GraphQL input type when a batch is read from JSON
// (`ingest::ReadRows`): the same names, no other field.
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContentMetricRowInput {
    /// The item (published, of the brand).
    pub item_id: ID,
    /// What is counted.
    pub metric: ContentMetric,
    /// `VOTES` only: the poll option voted for (one of the item's options).
    pub option: Option<String>,
    /// When it was observed (at most 5 minutes ahead).
    pub observed_at: DateTime<Utc>,
    /// The count (0 or more; `REVENUE` in the brand's currency).
    pub value: f64,
}

/// A batch of observations.
#[derive(Debug, Clone, InputObject)]
pub struct IngestContentMetricsInput {
    /// The brand.
    pub brand_id: ID,
    /// Up to 10,000 rows.
    pub rows: Vec<ContentMetricRowInput>,
    /// What to do with rejected rows (default `ALL_OR_NOTHING`).
    pub mode: Option<IngestMode>,
}

/// Pushes metric observations, idempotent by item, metric, option and
/// observation time: a row whose key is stored already is a duplicate and
/// changes nothing (send a correction with a new `observedAt`; the latest
/// observation counts).
pub async fn ingest(
    app: &AppContext,
    caller: &Caller,
    input: IngestContentMetricsInput,
) -> AppResult<IngestSummary> {
    let brand = parse_id("input.brandId", &input.brand_id)?;
    may_ingest(app, caller, brand, super::publish::SCOPE).await?;
    check_count(input.rows.len())?;
    let ids: HashSet<Uuid> = input
        .rows
        .iter()
        .filter_map(|r| Uuid::parse_str(r.item_id.as_str()).ok())
        .collect();
    let items: HashMap<Uuid, content_item::Model> = if ids.is_empty() {
        HashMap::new()
    } else {
        content_item::Entity::find()
            .filter(content_item::Column::Id.is_in(ids))
            .filter(content_item::Column::BrandId.eq(brand))
            .all(&app.db)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect()
    };
    let now = Utc::now();
    let integration = match &caller.principal {
        Principal::Integration(i) => Some(i.id),
        _ => None,
    };
    let checked = input
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let reject = |field: &str, why: &str| RejectedRow::new(i, field, why);
            let item = Uuid::parse_str(r.item_id.as_str())
                .ok()
                .and_then(|id| items.get(&id))
                .ok_or_else(|| reject("itemId", "no such content item of the brand"))?;
            if item.status != ContentStatus::Published.as_str() {
                return Err(reject("itemId", "results are for published items"));
            }
            if !r.value.is_finite() || r.value < 0.0 {
                return Err(reject("value", "value is a number, 0 or more"));
            }
            if r.observed_at > now + Duration::minutes(5) {
                return Err(reject("observedAt", "observedAt is in the future"));
            }
            let option = match (r.metric, r.option.as_deref().map(str::trim)) {
                (ContentMetric::Votes, Some(o)) => {
                    let options = content::fields_of(item)
                        .ok()
                        .and_then(|f| f.poll_options)
                        .unwrap_or_default();
                    options
                        .iter()
                        .find(|p| p.eq_ignore_ascii_case(o))
                        .cloned()
                        .ok_or_else(|| reject("option", "not one of the poll's options"))?
                }
                (ContentMetric::Votes, None) if item.kind == ContentKind::Poll.as_str() => {
                    return Err(reject("option", "votes of a poll name their option"))
                }
                (_, Some(_)) => return Err(reject("option", "option is only for VOTES")),
                (_, None) => String::new(),
            };
            Ok(content_metric::ActiveModel {
                item_id: Set(item.id),
                brand_id: Set(brand),
                metric: Set(r.metric.as_str().into()),
                option_key: Set(option),
                observed_at: Set(r.observed_at),
                value: Set(r.value),
                recorded_by_integration_id: Set(integration),
                created_at: Set(now),
            })
        })
        .collect();
    let (good, mut summary) = sort_rows(checked, |m: &content_metric::ActiveModel| {
        format!(
            "{:?}/{:?}/{:?}/{:?}",
            m.item_id, m.metric, m.option_key, m.observed_at
        )
    });
    if stops(input.mode, &mut summary) {
        return Ok(summary);
    }
    let rows = good.len() as i32;
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let inserted = insert_new(
        &txn,
        good,
        [
            content_metric::Column::ItemId,
            content_metric::Column::Metric,
            content_metric::Column::OptionKey,
            content_metric::Column::ObservedAt,
        ],
    )
    .await? as i32;
    summary.inserted = inserted;
    summary.duplicates += rows - inserted;
    finish(caller, txn, brand, "content.ingest_metrics", &summary).await?;
    Ok(summary)
}

/// The latest observation of every metric (options summed for votes), as
/// a CTE `latest(item_id, metric, value)` over the items `items_sql` selects.
fn latest_cte(items_sql: &str) -> String {
    format!(
        "WITH latest AS (SELECT m.item_id AS item_id, m.metric AS metric, SUM(m.value) AS value \
         FROM content_metric m WHERE m.item_id IN ({items_sql}) AND m.observed_at = \
         (SELECT MAX(x.observed_at) FROM content_metric x WHERE x.item_id = m.item_id \
         AND x.metric = m.metric AND x.option_key = m.option_key) GROUP BY m.item_id, m.metric)"
    )
}

/// Interactions: the metrics that count as members engaging with an item.
pub const INTERACTIONS: [ContentMetric; 5] = [
    ContentMetric::Reactions,
    ContentMetric::Replies,
    ContentMetric::Shares,
    ContentMetric::Clicks,
    ContentMetric::Votes,
];

fn metric_sum(metric: ContentMetric) -> String {
    format!(
        "SUM(CASE WHEN l.metric = '{}' THEN l.value ELSE 0 END)",
        metric.as_str()
    )
}

fn per_item_sql(items_sql: &str) -> String {
    let interactions = INTERACTIONS
        .iter()
        .map(|m| format!("'{}'", m.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{}, per_item AS (SELECT i.id AS item_id, i.kind AS kind, \
         SUM(CASE WHEN l.metric = 'REACH' THEN l.value END) AS reach, \
         SUM(CASE WHEN l.metric IN ({interactions}) THEN l.value ELSE 0 END) AS interactions, \
         {} AS replies, {} AS rsvps, {} AS attendance \
         FROM content_item i LEFT JOIN latest l ON l.item_id = i.id \
         WHERE i.id IN ({items_sql}) GROUP BY i.id, i.kind)",
        latest_cte(items_sql),
        metric_sum(ContentMetric::Replies),
        metric_sum(ContentMetric::Rsvps),
        metric_sum(ContentMetric::Attendance),
    )
}

/// An item's results.
#[derive(Debug, Clone, SimpleObject)]
pub struct ContentResults {
    /// Latest value of each metric observed (votes: all options together).
    pub metrics: Vec<MetricValue>,
    /// Latest votes per poll option.
    pub votes: Vec<OptionVotes>,
    /// Reactions + replies + shares + clicks + votes.
    pub interactions: f64,
    /// Interactions / reach; null without a reach above 0.
    pub engagement_rate: Option<f64>,
    /// Attendance / RSVPs; null without RSVPs.
    pub attendance_rate: Option<f64>,
    /// Activities ingested from the community that name this item.
    pub answering_activities: i64,
    /// Distinct members among them.
    pub answering_members: i64,
    /// Orders of the brand that used the item's offer code or a member's
    /// own code of it.
    pub attributed_orders: i64,
    /// Their amounts, per currency.
    pub attributed_revenue: Vec<Revenue>,
}

/// An amount in one currency.
#[derive(Debug, Clone, SimpleObject)]
pub struct Revenue {
    /// ISO 4217 code.
    pub currency: String,
    /// The amount.
    pub amount: f64,
    /// Orders behind it.
    pub orders: i64,
}

/// Orders that used the offer codes of the items `items_sql` selects (the
/// item's code or a member's own code of it), per currency (and per item
/// when `per_item`). `items_sql` appears twice: bind its values twice.
fn attributed_sql(items_sql: &str, per_item: bool) -> String {
    let (select, group) = if per_item {
        ("c.item_id AS item_id, ", "c.item_id, ")
    } else {
        ("", "")
    };
    format!(
        "SELECT {select}o.currency AS currency, COUNT(*) AS orders, \
         CAST(SUM(o.amount_e4) AS BIGINT) AS amount_e4 FROM \
         (SELECT id AS item_id, brand_id, offer_code AS code FROM content_item \
          WHERE offer_code IS NOT NULL AND id IN ({items_sql}) \
          UNION ALL SELECT item_id, brand_id, offer_code AS code FROM content_recipient \
          WHERE offer_code IS NOT NULL AND item_id IN ({items_sql})) c \
         JOIN customer_order o ON o.brand_id = c.brand_id AND o.offer_code = c.code \
         GROUP BY {group}o.currency ORDER BY o.currency"
    )
}

/// `values` twice, for a statement that selects the same items twice.
fn twice(values: &[sea_orm::Value]) -> Vec<sea_orm::Value> {
    values.iter().chain(values).cloned().collect()
}

fn revenue(r: &QueryResult) -> AppResult<Revenue> {
    Ok(Revenue {
        currency: r.try_get("", "currency")?,
        amount: r.try_get::<i64>("", "amount_e4")? as f64 / 10_000.0,
        orders: r.try_get("", "orders")?,
    })
}

/// A metric's value.
#[derive(Debug, Clone, SimpleObject)]
pub struct MetricValue {
    /// The metric.
    pub metric: ContentMetric,
    /// Its value.
    pub value: f64,
}

/// Votes for one poll option.
#[derive(Debug, Clone, SimpleObject)]
pub struct OptionVotes {
    /// The option.
    pub option: String,
    /// Latest count.
    pub votes: f64,
}

fn ratio(n: f64, d: Option<f64>) -> Option<f64> {
    d.filter(|d| *d > 0.0).map(|d| n / d)
}

fn get_f64(r: &QueryResult, col: &str) -> AppResult<Option<f64>> {
    Ok(r.try_get::<Option<f64>>("", col)?)
}

/// Results of many items (four statements), in `scope`.
pub async fn results_of(
    app: &AppContext,
    scope: &BrandScope,
    items: &[Uuid],
) -> AppResult<HashMap<Uuid, ContentResults>> {
    if items.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = app.db.get_database_backend();
    let (in_scope, scope_values) = scope.sql("brand_id");
    let marks = vec!["?"; items.len()].join(", ");
    let items_sql = format!("SELECT id FROM content_item WHERE id IN ({marks}) AND {in_scope}");
    let mut values: Vec<sea_orm::Value> = items.iter().map(|i| (*i).into()).collect();
    values.extend(scope_values);
    let sql = format!(
        "{latest} SELECT l.item_id AS item_id, l.metric AS metric, CAST(l.value AS DOUBLE PRECISION) AS value \
         FROM latest l ORDER BY l.item_id, l.metric",
        latest = latest_cte(&items_sql)
    );
    let rows = app
        .db
        .query_all_raw(db::raw(backend, &sql, values.clone()))
        .await?;
    let mut out: HashMap<Uuid, ContentResults> = items
        .iter()
        .map(|i| {
            (
                *i,
                ContentResults {
                    metrics: Vec::new(),
                    votes: Vec::new(),
                    interactions: 0.0,
                    engagement_rate: None,
                    attendance_rate: None,
                    answering_activities: 0,
                    answering_members: 0,
                    attributed_orders: 0,
                    attributed_revenue: Vec::new(),
                },
            )
        })
        .collect();
    for r in rows {
        let item: Uuid = r.try_get("", "item_id")?;
        let metric: String = r.try_get("", "metric")?;
        let value = get_f64(&r, "value")?.unwrap_or(0.0);
        if let Some(res) = out.get_mut(&item) {
            res.metrics.push(MetricValue {
                metric: ContentMetric::from_db(&metric)?,
                value,
            });
        }
    }
    let votes_sql = format!(
        "SELECT m.item_id AS item_id, m.option_key AS option_key, CAST(m.value AS DOUBLE PRECISION) AS value \
         FROM content_metric m WHERE m.item_id IN ({items_sql}) AND m.metric = 'VOTES' AND m.option_key <> '' \
         AND m.observed_at = (SELECT MAX(x.observed_at) FROM content_metric x WHERE x.item_id = m.item_id \
         AND x.metric = m.metric AND x.option_key = m.option_key) ORDER BY m.item_id, m.option_key"
    );
    for r in app
        .db
        .query_all_raw(db::raw(backend, &votes_sql, values.clone()))
        .await?
    {
        let item: Uuid = r.try_get("", "item_id")?;
        if let Some(res) = out.get_mut(&item) {
            res.votes.push(OptionVotes {
                option: r.try_get("", "option_key")?,
                votes: get_f64(&r, "value")?.unwrap_or(0.0),
            });
        }
    }
    let answers_sql = format!(
        "SELECT a.content_item_id AS item_id, COUNT(*) AS activities, \
         COUNT(DISTINCT a.member_id) AS members FROM activity a \
         WHERE a.content_item_id IN ({items_sql}) GROUP BY a.content_item_id"
    );
    for r in app
        .db
        .query_all_raw(db::raw(backend, &answers_sql, values.clone()))
        .await?
    {
        let item: Uuid = r.try_get("", "item_id")?;
        if let Some(res) = out.get_mut(&item) {
            res.answering_activities = r.try_get("", "activities")?;
            res.answering_members = r.try_get("", "members")?;
        }
    }
    for r in app
        .db
        .query_all_raw(db::raw(
            backend,
            &attributed_sql(&items_sql, true),
            twice(&values),
        ))
        .await?
    {
        let item: Uuid = r.try_get("", "item_id")?;
        if let Some(res) = out.get_mut(&item) {
            let rev = revenue(&r)?;
            res.attributed_orders += rev.orders;
            res.attributed_revenue.push(rev);
        }
    }
    for res in out.values_mut() {
        let value = |m: ContentMetric| res.metrics.iter().find(|v| v.metric == m).map(|v| v.value);
        let interactions: f64 = INTERACTIONS.iter().filter_map(|m| value(*m)).sum();
        res.engagement_rate = ratio(interactions, value(ContentMetric::Reach));
        res.attendance_rate =
            value(ContentMetric::Attendance).and_then(|a| ratio(a, value(ContentMetric::Rsvps)));
        res.interactions = interactions;
    }
    Ok(out)
}

/// A campaign's totals against its targets.
#[derive(Debug, Clone, SimpleObject)]
pub struct CampaignResults {
    /// Items published.
    pub published_items: i64,
    /// Every metric observed, summed over the campaign's items (latest
    /// observation of each).
    pub totals: Vec<MetricValue>,
    /// Each target with what was reached.
    pub targets: Vec<TargetProgress>,
    /// Distinct members with an activity naming one of its items.
    pub answering_members: i64,
    /// Orders that used its items' offer codes, per currency.
    pub attributed_revenue: Vec<Revenue>,
    /// The campaign's communities during the campaign (from its start to
    /// its end, or now if earlier) against the same length of time just
    /// before it.
    pub community_activity: ActivityComparison,
}

/// A target and the progress towards it.
#[derive(Debug, Clone, SimpleObject)]
pub struct TargetProgress {
    /// The target.
    pub target: CampaignTarget,
    /// Reached so far.
    pub actual: f64,
    /// actual / target value.
    pub progress: f64,
}

/// Community activity in two windows of the same length.
#[derive(Debug, Clone, SimpleObject)]
pub struct ActivityComparison {
    /// Start of the window before.
    pub before_from: DateTime<Utc>,
    /// Start of the campaign window (end of the window before).
    pub during_from: DateTime<Utc>,
    /// End of the campaign window.
    pub during_to: DateTime<Utc>,
    /// Activities in the window before.
    pub activities_before: i64,
    /// Activities during.
    pub activities_during: i64,
    /// Distinct active members before.
    pub active_members_before: i64,
    /// Distinct active members during.
    pub active_members_during: i64,
    /// activities during / before − 1; null when there were none before.
    pub activity_change: Option<f64>,
}

/// A campaign's results, in the caller's scope.
pub async fn campaign_results(
    app: &AppContext,
    caller: &Caller,
    campaign: Uuid,
) -> AppResult<CampaignResults> {
    let c = service::campaign_in(app, &caller.read_scope()?, campaign).await?;
    let backend = app.db.get_database_backend();
    let items_sql = "SELECT id FROM content_item WHERE campaign_id = ? AND brand_id = ?";
    let sql = format!(
        "{} SELECT l.metric AS metric, CAST(SUM(l.value) AS DOUBLE PRECISION) AS value FROM latest l \
         GROUP BY l.metric ORDER BY l.metric",
        latest_cte(items_sql)
    );
    let ids = vec![c.id.into(), c.brand_id.into()];
    let mut totals = Vec::new();
    for r in app
        .db
        .query_all_raw(db::raw(backend, &sql, ids.clone()))
        .await?
    {
        let metric: String = r.try_get("", "metric")?;
        totals.push(MetricValue {
            metric: ContentMetric::from_db(&metric)?,
            value: get_f64(&r, "value")?.unwrap_or(0.0),
        });
    }
    let attributed = app
        .db
        .query_all_raw(db::raw(
            backend,
            &attributed_sql(items_sql, false),
            twice(&ids),
        ))
        .await?
        .iter()
        .map(revenue)
        .collect::<AppResult<Vec<_>>>()?;
    let answering = app
        .db
        .query_one_raw(db::raw(
            backend,
            &format!(
                "SELECT COUNT(DISTINCT a.member_id) AS n FROM activity a WHERE a.content_item_id IN ({items_sql})"
            ),
            ids.clone(),
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let published = app
        .db
        .query_one_raw(db::raw(
            backend,
            "SELECT COUNT(*) AS n FROM content_item WHERE campaign_id = ? AND brand_id = ? AND status = 'PUBLISHED'",
            ids,
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let targets = service::targets_of(&c)?
        .into_iter()
        .map(|t| {
            let actual = totals
                .iter()
                .find(|v| v.metric == t.metric)
                .map_or(0.0, |v| v.value);
            TargetProgress {
                progress: actual / t.value,
                actual,
                target: t,
            }
        })
        .collect();
    let during_to = c.ends_at.min(Utc::now()).max(c.starts_at);
    let before_from = c.starts_at - (during_to - c.starts_at);
    let windows = "SUM(CASE WHEN a.occurred_at >= ? AND a.occurred_at < ? THEN 1 ELSE 0 END) AS during, \
         SUM(CASE WHEN a.occurred_at >= ? AND a.occurred_at < ? THEN 1 ELSE 0 END) AS before_n, \
         COUNT(DISTINCT CASE WHEN a.occurred_at >= ? AND a.occurred_at < ? THEN a.member_id END) AS members_during, \
         COUNT(DISTINCT CASE WHEN a.occurred_at >= ? AND a.occurred_at < ? THEN a.member_id END) AS members_before";
    let sql = format!(
        "SELECT {windows} FROM activity a WHERE a.brand_id = ? AND a.community_id IN \
         (SELECT community_id FROM campaign_community WHERE campaign_id = ?) \
         AND a.occurred_at >= ? AND a.occurred_at < ?"
    );
    let (s, b) = (c.starts_at, before_from);
    let row = app
        .db
        .query_one_raw(db::raw(
            backend,
            &sql,
            vec![
                s.into(),
                during_to.into(),
                b.into(),
                s.into(),
                s.into(),
                during_to.into(),
                b.into(),
                s.into(),
                c.brand_id.into(),
                c.id.into(),
                b.into(),
                during_to.into(),
            ],
        ))
        .await?;
    let count = |col: &str| -> AppResult<i64> {
        Ok(match &row {
            Some(r) => r.try_get::<Option<i64>>("", col)?.unwrap_or(0),
            None => 0,
        })
    };
    let (during, before) = (count("during")?, count("before_n")?);
    Ok(CampaignResults {
        published_items: published,
        answering_members: answering,
        attributed_revenue: attributed,
        totals,
        targets,
        community_activity: ActivityComparison {
            before_from,
            during_from: s,
            during_to,
            activities_before: before,
            activities_during: during,
            active_members_before: count("members_before")?,
            active_members_during: count("members_during")?,
            activity_change: (before > 0).then(|| during as f64 / before as f64 - 1.0),
        },
    })
}

/// Fewest published items of a kind for its figures to stand on their own.
pub const MIN_ITEMS: i64 = 5;

/// How one kind of content does in a community.
#[derive(Debug, Clone, SimpleObject)]
pub struct KindPerformance {
    /// The kind.
    pub kind: ContentKind,
    /// Published items of the kind.
    pub items: i64,
    /// Of which with a reach above 0.
    pub items_with_reach: i64,
    /// Mean engagement rate over the items with a reach.
    pub mean_engagement_rate: Option<f64>,
    /// Mean replies per item.
    pub mean_replies: f64,
    /// Mean attendance rate over the items with RSVPs.
    pub mean_attendance_rate: Option<f64>,
    /// Fewer than 5 published items: read with care.
    pub small_sample: bool,
}

/// Which kinds of content work best in a community: published items per
/// kind, by mean engagement rate (highest first; kinds without one last).
pub async fn performance(
    app: &AppContext,
    caller: &Caller,
    community: Uuid,
) -> AppResult<Vec<KindPerformance>> {
    let c = crate::community::service::readable(app, caller, community).await?;
    let backend = app.db.get_database_backend();
    let items_sql =
        "SELECT id FROM content_item WHERE community_id = ? AND brand_id = ? AND status = 'PUBLISHED'";
    let sql = format!(
        "{} SELECT kind, COUNT(*) AS items, \
         COUNT(CASE WHEN reach > 0 THEN 1 END) AS with_reach, \
         CAST(AVG(CASE WHEN reach > 0 THEN interactions / reach END) AS DOUBLE PRECISION) AS engagement, \
         CAST(AVG(replies) AS DOUBLE PRECISION) AS replies, \
         CAST(AVG(CASE WHEN rsvps > 0 THEN attendance / rsvps END) AS DOUBLE PRECISION) AS attendance \
         FROM per_item GROUP BY kind",
        per_item_sql(items_sql)
    );
    // The items query appears twice (in `latest` and in `per_item`).
    let ids: Vec<sea_orm::Value> = vec![
        c.id.into(),
        c.brand_id.into(),
        c.id.into(),
        c.brand_id.into(),
    ];
    let mut out = Vec::new();
    for r in app.db.query_all_raw(db::raw(backend, &sql, ids)).await? {
        let kind: String = r.try_get("", "kind")?;
        let items: i64 = r.try_get("", "items")?;
        out.push(KindPerformance {
            kind: ContentKind::from_db(&kind)?,
            items,
            items_with_reach: r.try_get("", "with_reach")?,
            mean_engagement_rate: get_f64(&r, "engagement")?,
            mean_replies: get_f64(&r, "replies")?.unwrap_or(0.0),
            mean_attendance_rate: get_f64(&r, "attendance")?,
            small_sample: items < MIN_ITEMS,
        });
    }
    out.sort_by(|a, b| {
        b.mean_engagement_rate
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.mean_engagement_rate.unwrap_or(f64::NEG_INFINITY))
            .then(a.kind.as_str().cmp(b.kind.as_str()))
    });
    Ok(out)
}
