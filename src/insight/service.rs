//! What an audience's evidence says: figures per tag, platform and month
//! (computed in SQL), terms the codebook does not cover yet, and the
//! community recommendation (see [`super::recommend`]).

use std::collections::{HashMap, HashSet};

use async_graphql::{SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};
use entity::{audience, gathering_place, research_tag};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter};
use uuid::Uuid;

use super::recommend::{self, CommunityRecommendation, FindingEvidence, PlaceEvidence, TagRef};
use crate::{
    auth::Caller,
    context::{to_id, AppContext},
    db,
    error::{AppError, AppResult},
    research::service::{self, FindingSource, GatheringPlatform, TagKind},
    text,
};

/// Figures of one tag over the period.
#[derive(Debug, Clone, SimpleObject)]
pub struct TagInsight {
    /// The tag.
    pub tag_id: ID,
    /// Its key.
    pub key: String,
    /// Its label.
    pub label: String,
    /// Its kind.
    pub kind: TagKind,
    /// Findings carrying it.
    pub findings: i64,
    /// Distinct sources among them.
    pub sources: i64,
    /// Mean sentiment of those with a sentiment; null without any.
    pub mean_sentiment: Option<f64>,
    /// Mean weight.
    pub mean_weight: f64,
    /// Total weight.
    pub total_weight: f64,
}

/// Where the period's findings were found.
#[derive(Debug, Clone, SimpleObject)]
pub struct PlatformShare {
    /// The platform; null for findings without one.
    pub platform: Option<GatheringPlatform>,
    /// Findings found there.
    pub findings: i64,
    /// findings / all findings of the period, 0..1.
    pub share: f64,
}

/// One tag in one month.
#[derive(Debug, Clone, SimpleObject)]
pub struct TagMonth {
    /// The tag's key.
    pub key: String,
    /// Month, `YYYY-MM` (UTC).
    pub month: String,
    /// Findings carrying the tag collected that month.
    pub findings: i64,
    /// Their mean sentiment; null without any.
    pub mean_sentiment: Option<f64>,
}

/// What an audience's findings collected in a period say.
#[derive(Debug, Clone, SimpleObject)]
pub struct AudienceInsights {
    /// The audience.
    pub audience_id: ID,
    /// Start of the period.
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// Findings collected in the period.
    pub findings: i64,
    /// Distinct sources among them.
    pub sources: i64,
    /// Per tag, most findings first (ties by key).
    pub tags: Vec<TagInsight>,
    /// Per platform, most findings first.
    pub platforms: Vec<PlatformShare>,
    /// Sentiment by month for the top tags (at most [`TOP_TAGS`]), by key and month.
    pub sentiment_by_month: Vec<TagMonth>,
}

/// Tags with a monthly sentiment series.
pub const TOP_TAGS: usize = 5;

#[derive(FromQueryResult)]
struct Totals {
    findings: i64,
    sources: i64,
}

#[derive(FromQueryResult)]
struct TagRow {
    id: Uuid,
    key: String,
    label: String,
    kind: String,
    findings: i64,
    sources: i64,
    mean_sentiment: Option<f64>,
    mean_weight: f64,
    total_weight: f64,
}

#[derive(FromQueryResult)]
struct PlatformRow {
    platform: Option<String>,
    findings: i64,
}

#[derive(FromQueryResult)]
struct MonthRow {
    key: String,
    month: String,
    findings: i64,
    mean_sentiment: Option<f64>,
}

/// Computes an audience's insights in SQL (four statements). The period
/// defaults to the 365 days before `to` (default now).
pub async fn insights(
    app: &AppContext,
    caller: &Caller,
    audience: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> AppResult<AudienceInsights> {
    let a = service::readable(app, caller, audience).await?;
    let to = to.unwrap_or_else(Utc::now);
    let from = from.unwrap_or(to - Duration::days(365));
    if from >= to {
        return Err(AppError::bad_input("from", "from must be before to"));
    }
    let backend = app.db.get_database_backend();
    let window =
        "f.audience_id = ? AND f.brand_id = ? AND f.collected_at >= ? AND f.collected_at < ?";
    let bounds =
        || -> Vec<sea_orm::Value> { vec![a.id.into(), a.brand_id.into(), from.into(), to.into()] };
    let totals = Totals::find_by_statement(db::raw(
        backend,
        &format!(
            "SELECT COUNT(*) AS findings, COUNT(DISTINCT f.source) AS sources \
             FROM research_finding f WHERE {window}"
        ),
        bounds(),
    ))
    .one(&app.db)
    .await?
    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("insight totals returned no row")))?;
    let tags = TagRow::find_by_statement(db::raw(
        backend,
        &format!(
            "SELECT t.id AS id, t.key AS key, t.label AS label, t.kind AS kind, \
               COUNT(*) AS findings, COUNT(DISTINCT f.source) AS sources, \
               CAST(AVG(f.sentiment) AS DOUBLE PRECISION) AS mean_sentiment, \
               CAST(AVG(f.weight) AS DOUBLE PRECISION) AS mean_weight, \
               CAST(SUM(f.weight) AS DOUBLE PRECISION) AS total_weight \
             FROM finding_tag ft JOIN research_finding f ON f.id = ft.finding_id \
             JOIN research_tag t ON t.id = ft.tag_id \
             WHERE {window} GROUP BY t.id, t.key, t.label, t.kind ORDER BY findings DESC, t.key"
        ),
        bounds(),
    ))
    .all(&app.db)
    .await?;
    let platforms = PlatformRow::find_by_statement(db::raw(
        backend,
        &format!(
            "SELECT f.platform AS platform, COUNT(*) AS findings FROM research_finding f \
             WHERE {window} GROUP BY f.platform ORDER BY findings DESC, f.platform"
        ),
        bounds(),
    ))
    .all(&app.db)
    .await?;
    let top: Vec<Uuid> = tags.iter().take(TOP_TAGS).map(|t| t.id).collect();
    let months = if top.is_empty() {
        Vec::new()
    } else {
        let month = db::month_of(backend, "f.collected_at");
        let mut values = bounds();
        values.extend(top.iter().map(|t| sea_orm::Value::from(*t)));
        MonthRow::find_by_statement(db::raw(
            backend,
            &format!(
                "SELECT t.key AS key, {month} AS month, COUNT(*) AS findings, \
                   CAST(AVG(f.sentiment) AS DOUBLE PRECISION) AS mean_sentiment \
                 FROM finding_tag ft JOIN research_finding f ON f.id = ft.finding_id \
                 JOIN research_tag t ON t.id = ft.tag_id \
                 WHERE {window} AND ft.tag_id IN ({}) GROUP BY t.key, {month} ORDER BY t.key, month",
                vec!["?"; top.len()].join(", ")
            ),
            values,
        ))
        .all(&app.db)
        .await?
    };
    let total = totals.findings.max(1) as f64;
    Ok(AudienceInsights {
        audience_id: to_id(a.id),
        from,
        to,
        findings: totals.findings,
        sources: totals.sources,
        tags: tags
            .into_iter()
            .map(|t| {
                Ok(TagInsight {
                    tag_id: to_id(t.id),
                    key: t.key,
                    label: t.label,
                    kind: TagKind::from_db(&t.kind)?,
                    findings: t.findings,
                    sources: t.sources,
                    mean_sentiment: t.mean_sentiment,
                    mean_weight: t.mean_weight,
                    total_weight: t.total_weight,
                })
            })
            .collect::<AppResult<_>>()?,
        platforms: platforms
            .into_iter()
            .map(|p| {
                Ok(PlatformShare {
                    platform: p
                        .platform
                        .as_deref()
                        .map(GatheringPlatform::from_db)
                        .transpose()?,
                    findings: p.findings,
                    share: p.findings as f64 / total,
                })
            })
            .collect::<AppResult<_>>()?,
        sentiment_by_month: months
            .into_iter()
            .map(|m| TagMonth {
                key: m.key,
                month: m.month,
                findings: m.findings,
                mean_sentiment: m.mean_sentiment,
            })
            .collect(),
    })
}

/// A frequent term no tag covers yet.
#[derive(Debug, Clone, SimpleObject)]
pub struct SuggestedTag {
    /// The word, lower case.
    pub term: String,
    /// Findings of the audience containing it.
    pub findings: i64,
}

/// Suggestions need a term in at least this many findings.
pub const MIN_SUGGESTION_FINDINGS: i64 = 2;

#[derive(FromQueryResult)]
struct Text {
    text: String,
}

/// Frequent words of an audience's findings that no codebook tag covers:
/// words (see [`text::words`]) of at least 3 characters, not all digits,
/// not a stop word, and not a word of any of the brand's tag keys or
/// keywords; counted once per finding; in at least
/// [`MIN_SUGGESTION_FINDINGS`] findings; most findings first, ties by term.
pub async fn suggested_tags(
    app: &AppContext,
    caller: &Caller,
    audience: Uuid,
) -> AppResult<Vec<SuggestedTag>> {
    let a = service::readable(app, caller, audience).await?;
    let tags = service::codebook(&app.db, a.brand_id).await?;
    let mut covered: HashSet<String> = HashSet::new();
    for t in &tags {
        covered.extend(text::words(&t.key));
        for k in service::list_of(&t.keywords)? {
            covered.extend(text::words(&k));
        }
    }
    let texts = Text::find_by_statement(db::raw(
        app.db.get_database_backend(),
        "SELECT text FROM research_finding WHERE audience_id = ? AND brand_id = ?",
        vec![a.id.into(), a.brand_id.into()],
    ))
    .all(&app.db)
    .await?;
    let mut counts: HashMap<String, i64> = HashMap::new();
    for t in texts {
        let words: HashSet<String> = text::words(&t.text).into_iter().collect();
        for w in words {
            if w.chars().count() >= 3
                && !w.chars().all(|c| c.is_ascii_digit())
                && !text::is_stop_word(&w)
                && !covered.contains(&w)
            {
                *counts.entry(w).or_default() += 1;
            }
        }
    }
    let mut out: Vec<SuggestedTag> = counts
        .into_iter()
        .filter(|(_, n)| *n >= MIN_SUGGESTION_FINDINGS)
        .map(|(term, findings)| SuggestedTag { term, findings })
        .collect();
    out.sort_by(|a, b| b.findings.cmp(&a.findings).then(a.term.cmp(&b.term)));
    Ok(out)
}

#[derive(FromQueryResult)]
struct EvidenceRow {
    id: Uuid,
    source: String,
    platform: Option<String>,
    weight: f64,
}

#[derive(FromQueryResult)]
struct EvidenceTag {
    finding_id: Uuid,
    tag_id: Uuid,
}

/// Computes the recommendation for an audience the caller may read.
pub async fn recommendation(
    app: &AppContext,
    caller: &Caller,
    audience: Uuid,
) -> AppResult<CommunityRecommendation> {
    let a = service::readable(app, caller, audience).await?;
    recommendation_for(app, &a).await
}

/// Computes the recommendation for `a` (already checked): three statements.
pub async fn recommendation_for(
    app: &AppContext,
    a: &audience::Model,
) -> AppResult<CommunityRecommendation> {
    let backend = app.db.get_database_backend();
    let by_audience = || -> Vec<sea_orm::Value> { vec![a.id.into(), a.brand_id.into()] };
    let rows = EvidenceRow::find_by_statement(db::raw(
        backend,
        "SELECT id, source, platform, weight FROM research_finding \
         WHERE audience_id = ? AND brand_id = ? ORDER BY id",
        by_audience(),
    ))
    .all(&app.db)
    .await?;
    let tag_rows = EvidenceTag::find_by_statement(db::raw(
        backend,
        "SELECT ft.finding_id AS finding_id, ft.tag_id AS tag_id FROM finding_tag ft \
         JOIN research_finding f ON f.id = ft.finding_id WHERE f.audience_id = ? AND f.brand_id = ?",
        by_audience(),
    ))
    .all(&app.db)
    .await?;
    let codebook: HashMap<Uuid, research_tag::Model> = service::codebook(&app.db, a.brand_id)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mut tags_of: HashMap<Uuid, Vec<TagRef>> = HashMap::new();
    for r in tag_rows {
        if let Some(t) = codebook.get(&r.tag_id) {
            tags_of.entry(r.finding_id).or_default().push(TagRef {
                id: t.id,
                key: t.key.clone(),
                label: t.label.clone(),
                kind: TagKind::from_db(&t.kind)?,
            });
        }
    }
    let findings = rows
        .into_iter()
        .map(|r| {
            let mut tags = tags_of.remove(&r.id).unwrap_or_default();
            tags.sort_by(|x, y| x.key.cmp(&y.key));
            Ok(FindingEvidence {
                id: r.id,
                source: FindingSource::from_db(&r.source)?.as_str().into(),
                platform: r
                    .platform
                    .as_deref()
                    .map(GatheringPlatform::from_db)
                    .transpose()?,
                weight: r.weight,
                tags,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let places = gathering_place::Entity::find()
        .filter(gathering_place::Column::AudienceId.eq(a.id))
        .filter(gathering_place::Column::BrandId.eq(a.brand_id))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|g| {
            Ok(PlaceEvidence {
                id: g.id,
                platform: GatheringPlatform::from_db(&g.platform)?,
                audience_share: g.audience_share,
                posts_per_week: g.posts_per_week,
                brand_present: g.brand_present,
                self_promotion_allowed: g.self_promotion_allowed,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(recommend::recommend(
        a.id,
        &a.name,
        &findings,
        &places,
        Utc::now(),
    ))
}
