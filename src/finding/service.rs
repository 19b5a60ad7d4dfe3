//! Research findings: recorded one at a time or ingested in bulk, tagged by
//! the codebook's keyword rule and by people, searched in full text.
//!
//! Ingest follows every other bulk ingest (`crate::ingest`): rows checked
//! first, all-or-nothing by default, one transaction of multi-row
//! statements, idempotent by the sender's external id (a replay stores
//! nothing; a reused id with another payload is a `CONFLICT` row).

use std::collections::{HashMap, HashSet};

use async_graphql::{InputObject, ID};
use chrono::{DateTime, Duration, Utc};
use entity::{finding_tag, research_finding, research_tag};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Iterable, QueryFilter,
    Set,
};
use uuid::Uuid;

use crate::text::{self, Search};
use crate::{
    auth::{BrandScope, Caller, Principal},
    context::{parse_id, AppContext},
    db::{self, WriteTxn},
    error::{AppError, AppResult},
    ingest::{
        check_count, fingerprint, finish, insert_idempotent, insert_new, plain, sort_rows, stops,
        values_cte, Idempotent, IngestMode, IngestSummary, RejectedRow, CHUNK,
    },
    pagination::{CursorKey, Page, PageRequest},
    research::service::{self, FindingSource, GatheringPlatform, TaggedBy},
    validation,
};

/// A finding, as a person records it.
#[derive(Debug, Clone, InputObject)]
pub struct CreateFindingInput {
    /// The audience it is about.
    pub audience_id: ID,
    /// Where it comes from.
    pub source: FindingSource,
    /// Where it was found.
    pub platform: Option<GatheringPlatform>,
    /// The quote or summary, 1-5000 characters.
    pub text: String,
    /// Where it can be seen.
    pub url: Option<String>,
    /// When it was collected (default now; at most a day ahead).
    pub collected_at: Option<DateTime<Utc>>,
    /// Tone from -1 (negative) to 1 (positive).
    pub sentiment: Option<f64>,
    /// How much it counts, above 0 and at most 100 (default 1).
    pub weight: Option<f64>,
    /// Keys of codebook tags to set by hand (besides those its keywords set).
    pub tags: Option<Vec<String>>,
}

/// A finding in a batch.
#[derive(Debug, Clone, InputObject, serde::Deserialize)]
// Read like the GraphQL input type when a batch is read from JSON
// (`ingest::ReadRows`): the same names, no other field.
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FindingRowInput {
    /// The sender's id for it (unique per brand): a replay stores nothing.
    pub external_id: String,
    /// Where it comes from.
    pub source: FindingSource,
    /// Where it was found.
    pub platform: Option<GatheringPlatform>,
    /// The quote or summary, 1-5000 characters.
    pub text: String,
    /// Where it can be seen.
    pub url: Option<String>,
    /// When it was collected (at most a day ahead).
    pub collected_at: DateTime<Utc>,
    /// Tone from -1 to 1.
    pub sentiment: Option<f64>,
    /// How much it counts, above 0 and at most 100 (default 1).
    pub weight: Option<f64>,
    /// Keys of codebook tags the sender set.
    pub tags: Option<Vec<String>>,
}

/// A batch of findings about one audience.
#[derive(Debug, Clone, InputObject)]
pub struct IngestFindingsInput {
    /// The audience.
    pub audience_id: ID,
    /// Up to 10,000 rows.
    pub rows: Vec<FindingRowInput>,
    /// What to do with rejected rows (default `ALL_OR_NOTHING`).
    pub mode: Option<IngestMode>,
}

/// Filters of the finding list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct FindingFilter {
    /// Only findings carrying every one of these tag keys.
    pub tags: Option<Vec<String>>,
    /// Only these sources.
    pub sources: Option<Vec<FindingSource>>,
    /// Only sentiment at least this (findings without sentiment are left out).
    pub sentiment_min: Option<f64>,
    /// Only sentiment at most this (findings without sentiment are left out).
    pub sentiment_max: Option<f64>,
    /// Only collected at or after this.
    pub collected_from: Option<DateTime<Utc>>,
    /// Only collected before this.
    pub collected_to: Option<DateTime<Utc>>,
}

/// Cursor tag of findings newest first.
pub const NEWEST_CURSOR: &str = "findings";
/// Cursor tag of findings by relevance.
pub const RELEVANCE_CURSOR: &str = "findings-relevance";

/// A checked finding.
struct Row {
    external_id: Option<String>,
    source: FindingSource,
    platform: Option<GatheringPlatform>,
    text: String,
    url: Option<String>,
    collected_at: DateTime<Utc>,
    sentiment: Option<f64>,
    weight: f64,
    /// Tags set by the sender, by id.
    tags: Vec<Uuid>,
}

/// The fields a finding is checked on, whichever way it came.
struct Parts<'a> {
    source: FindingSource,
    platform: Option<GatheringPlatform>,
    text: &'a str,
    url: Option<&'a str>,
    collected_at: DateTime<Utc>,
    sentiment: Option<f64>,
    weight: Option<f64>,
    tags: Option<&'a Vec<String>>,
}

/// Checks a finding's fields against the rules and the codebook; `Err`
/// names the field (relative to the row) and why.
fn check(
    p: Parts<'_>,
    codebook: &HashMap<String, Uuid>,
    now: DateTime<Utc>,
) -> Result<Row, (&'static str, String)> {
    let text = p.text.trim();
    if text.is_empty() || text.chars().count() > 5000 || text.contains('\0') {
        return Err(("text", "text must be 1-5000 characters".into()));
    }
    let url = match p.url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => Some(
            validation::url("url", u)
                .map_err(|_| ("url", "url must be an absolute http(s) URL".to_string()))?,
        ),
        None => None,
    };
    if p.collected_at > now + Duration::days(1) {
        return Err((
            "collectedAt",
            "collectedAt is more than a day in the future".into(),
        ));
    }
    if p.sentiment
        .is_some_and(|s| s.is_nan() || !(-1.0..=1.0).contains(&s))
    {
        return Err(("sentiment", "sentiment must be between -1 and 1".into()));
    }
    let weight = p.weight.unwrap_or(1.0);
    if weight.is_nan() || weight <= 0.0 || weight > 100.0 {
        return Err(("weight", "weight must be above 0 and at most 100".into()));
    }
    let mut tags = Vec::new();
    for key in p.tags.map(Vec::as_slice).unwrap_or_default() {
        match codebook.get(key.trim()) {
            Some(id) if !tags.contains(id) => tags.push(*id),
            Some(_) => {}
            None => {
                return Err((
                    "tags",
                    format!("the brand's codebook has no tag \"{}\"", key.trim()),
                ))
            }
        }
    }
    Ok(Row {
        external_id: None,
        source: p.source,
        platform: p.platform,
        text: text.to_string(),
        url,
        collected_at: p.collected_at,
        sentiment: p.sentiment,
        weight,
        tags,
    })
}

/// The payload of a finding as sent, for telling a replay from a reused id.
fn finding_fingerprint(audience: Uuid, r: &Row) -> String {
    let mut tags: Vec<String> = r.tags.iter().map(Uuid::to_string).collect();
    tags.sort();
    fingerprint(&[
        &audience.to_string(),
        r.source.as_str(),
        r.platform.map_or("\u{1}none", GatheringPlatform::as_str),
        &r.text,
        r.url.as_deref().unwrap_or("\u{1}none"),
        &r.collected_at.timestamp_micros().to_string(),
        &r.sentiment.map_or("\u{1}none".into(), |s| s.to_string()),
        &r.weight.to_string(),
        &tags.join(","),
    ])
}

/// A codebook's keywords, ready for matching.
struct Rules(Vec<(Uuid, Vec<Vec<String>>)>);

impl Rules {
    fn of(tags: &[research_tag::Model]) -> AppResult<Self> {
        let mut out = Vec::new();
        for t in tags {
            let words = service::list_of(&t.keywords)?
                .iter()
                .map(|k| text::words(k))
                .collect();
            out.push((t.id, words));
        }
        Ok(Self(out))
    }

    /// Tags whose keywords `text` contains.
    fn matching(&self, text: &str) -> Vec<Uuid> {
        let words = text::words(text);
        self.0
            .iter()
            .filter(|(_, keywords)| keywords.iter().any(|k| text::contains_phrase(&words, k)))
            .map(|(id, _)| *id)
            .collect()
    }
}

/// The tag rows of a finding with `text`: the tags a person (or the
/// sender) set, and by rule those whose keywords the text contains.
fn tag_rows(
    brand: Uuid,
    finding: Uuid,
    text: &str,
    person: &[Uuid],
    rules: &Rules,
) -> Vec<finding_tag::ActiveModel> {
    let mut out: Vec<finding_tag::ActiveModel> = person
        .iter()
        .map(|t| tag_row(brand, finding, *t, TaggedBy::Person))
        .collect();
    for t in rules.matching(text) {
        if !person.contains(&t) {
            out.push(tag_row(brand, finding, t, TaggedBy::Rule));
        }
    }
    out
}

fn tag_row(brand: Uuid, finding: Uuid, tag: Uuid, by: TaggedBy) -> finding_tag::ActiveModel {
    finding_tag::ActiveModel {
        finding_id: Set(finding),
        tag_id: Set(tag),
        brand_id: Set(brand),
        tagged_by: Set(by.as_str().into()),
    }
}

fn model(
    brand: Uuid,
    audience: Uuid,
    id: Uuid,
    r: &Row,
    fp: Option<String>,
    caller: &Caller,
    now: DateTime<Utc>,
) -> research_finding::ActiveModel {
    let (user, integration) = match &caller.principal {
        Principal::User(u) => (Some(u.id), None),
        Principal::Integration(i) => (None, Some(i.id)),
        Principal::Anonymous => (None, None),
    };
    research_finding::ActiveModel {
        id: Set(id),
        brand_id: Set(brand),
        audience_id: Set(audience),
        external_id: Set(r.external_id.clone()),
        payload_hash: Set(fp),
        source: Set(r.source.as_str().into()),
        platform: Set(r.platform.map(|p| p.as_str().to_string())),
        text: Set(r.text.clone()),
        url: Set(r.url.clone()),
        collected_at: Set(r.collected_at),
        sentiment: Set(r.sentiment),
        weight: Set(r.weight),
        recorded_by_user_id: Set(user),
        recorded_by_integration_id: Set(integration),
        created_at: Set(now),
    }
}

fn codebook_keys(tags: &[research_tag::Model]) -> HashMap<String, Uuid> {
    tags.iter().map(|t| (t.key.clone(), t.id)).collect()
}

/// Records one finding (staff).
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    input: CreateFindingInput,
) -> AppResult<research_finding::Model> {
    let audience = service::open_for_evidence(
        app,
        &caller.write_scope()?,
        parse_id("input.audienceId", &input.audience_id)?,
    )
    .await?;
    let tags = service::codebook(&app.db, audience.brand_id).await?;
    let now = Utc::now();
    let row = check(
        Parts {
            source: input.source,
            platform: input.platform,
            text: &input.text,
            url: input.url.as_deref(),
            collected_at: input.collected_at.unwrap_or(now),
            sentiment: input.sentiment,
            weight: input.weight,
            tags: input.tags.as_ref(),
        },
        &codebook_keys(&tags),
        now,
    )
    .map_err(|(field, why)| AppError::bad_input(format!("input.{field}"), why))?;
    let rules = Rules::of(&tags)?;
    let id = Uuid::now_v7();
    let txn = WriteTxn::outside_reports(app, audience.brand_id).await?;
    insert_new(
        &txn,
        vec![model(
            audience.brand_id,
            audience.id,
            id,
            &row,
            None,
            caller,
            now,
        )],
        [research_finding::Column::Id],
    )
    .await?;
    insert_new(
        &txn,
        tag_rows(audience.brand_id, id, &row.text, &row.tags, &rules),
        [finding_tag::Column::FindingId, finding_tag::Column::TagId],
    )
    .await?;
    crate::audit::service::record(
        &txn,
        caller,
        crate::audit::service::Event {
            action: "research_finding.create",
            object_type: "research_finding",
            object_id: Some(id),
            brand_id: Some(audience.brand_id),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    research_finding::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("finding"))
}

/// Sets the tags a person put on a finding (replacing the earlier ones);
/// tags its keywords set stay, as rule tags.
pub async fn set_tags(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    keys: Vec<String>,
) -> AppResult<research_finding::Model> {
    let scope = caller.write_scope()?;
    let finding = research_finding::Entity::find_by_id(id)
        .filter(scope.condition(research_finding::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("finding"))?;
    let tags = service::codebook(&app.db, finding.brand_id).await?;
    let codebook = codebook_keys(&tags);
    let mut chosen = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        match codebook.get(k.trim()) {
            Some(t) if !chosen.contains(t) => chosen.push(*t),
            Some(_) => {}
            None => {
                return Err(AppError::bad_input(
                    format!("tags.{i}"),
                    format!("the brand's codebook has no tag \"{}\"", k.trim()),
                ))
            }
        }
    }
    let rules = Rules::of(&tags)?;
    let txn = WriteTxn::outside_reports(app, finding.brand_id).await?;
    finding_tag::Entity::delete_many()
        .filter(finding_tag::Column::FindingId.eq(id))
        .exec(&txn)
        .await?;
    insert_new(
        &txn,
        tag_rows(finding.brand_id, id, &finding.text, &chosen, &rules),
        [finding_tag::Column::FindingId, finding_tag::Column::TagId],
    )
    .await?;
    crate::audit::service::record(
        &txn,
        caller,
        crate::audit::service::Event {
            action: "research_finding.set_tags",
            object_type: "research_finding",
            object_id: Some(id),
            brand_id: Some(finding.brand_id),
            details: Some(serde_json::json!({ "tags": keys })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(finding)
}

/// Who may push findings: integrations with `ingest:research` of the
/// audience's brand, admins and the brand's consultants.
fn ingest_scope(caller: &Caller) -> AppResult<BrandScope> {
    match &caller.principal {
        Principal::Integration(i) => {
            caller.integration_with("ingest:research")?;
            Ok(BrandScope::One(i.brand_id))
        }
        _ => caller.write_scope(),
    }
}

/// Ingests a batch of findings about one audience.
#[tracing::instrument(skip_all, fields(rows = input.rows.len()))]
pub async fn ingest(
    app: &AppContext,
    caller: &Caller,
    input: IngestFindingsInput,
) -> AppResult<IngestSummary> {
    let audience_id = parse_id("input.audienceId", &input.audience_id)?;
    check_count(input.rows.len())?;
    let audience = service::open_for_evidence(app, &ingest_scope(caller)?, audience_id).await?;
    let brand = audience.brand_id;
    let tags = service::codebook(&app.db, brand).await?;
    let codebook = codebook_keys(&tags);
    let now = Utc::now();
    let checked = input
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if !plain(&r.external_id, 200) {
                return Err(RejectedRow::new(
                    i,
                    "externalId",
                    "externalId must be 1-200 characters",
                ));
            }
            let parts = Parts {
                source: r.source,
                platform: r.platform,
                text: &r.text,
                url: r.url.as_deref(),
                collected_at: r.collected_at,
                sentiment: r.sentiment,
                weight: r.weight,
                tags: r.tags.as_ref(),
            };
            let mut row =
                check(parts, &codebook, now).map_err(|(f, why)| RejectedRow::new(i, f, why))?;
            row.external_id = Some(r.external_id.trim().to_string());
            Ok((i, row))
        })
        .collect();
    let (good, mut summary) = sort_rows(checked, |(_, r): &(usize, Row)| {
        r.external_id.clone().unwrap_or_default()
    });
    if stops(input.mode, &mut summary) {
        return Ok(summary);
    }
    let rules = Rules::of(&tags)?;
    let keyed: Vec<(usize, String, String)> = good
        .iter()
        .map(|(i, r)| {
            (
                *i,
                r.external_id.clone().unwrap_or_default(),
                finding_fingerprint(audience.id, r),
            )
        })
        .collect();
    let ids: Vec<Uuid> = good.iter().map(|_| Uuid::now_v7()).collect();
    let models = good
        .iter()
        .zip(&keyed)
        .zip(&ids)
        .map(|(((_, r), (_, _, fp)), id)| {
            model(brand, audience.id, *id, r, Some(fp.clone()), caller, now)
        })
        .collect();
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let by = Idempotent {
        table: "research_finding",
        column: "external_id",
        field: "externalId",
        brand,
        keyed: &keyed,
        mode: input.mode,
    };
    let unique = [
        research_finding::Column::BrandId,
        research_finding::Column::ExternalId,
    ];
    if insert_idempotent(&txn, models, unique, by, &mut summary).await? {
        return Ok(summary);
    }
    // Tags go on the findings stored now; skipped rows (replays) have theirs.
    let stored: HashSet<Uuid> = if summary.inserted as usize == ids.len() {
        ids.iter().copied().collect()
    } else {
        existing(&txn, &ids).await?
    };
    let tag_models: Vec<finding_tag::ActiveModel> = good
        .iter()
        .zip(&ids)
        .filter(|(_, id)| stored.contains(id))
        .flat_map(|((_, r), id)| tag_rows(brand, *id, &r.text, &r.tags, &rules))
        .collect();
    insert_new(
        &txn,
        tag_models,
        [finding_tag::Column::FindingId, finding_tag::Column::TagId],
    )
    .await?;
    finish(caller, txn, brand, "research.ingest_findings", &summary).await?;
    Ok(summary)
}

#[derive(FromQueryResult)]
struct IdRow {
    id: Uuid,
}

/// Which of `ids` are stored findings; one statement per [`CHUNK`].
async fn existing<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<HashSet<Uuid>> {
    let backend = db.get_database_backend();
    let mut out = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "{} SELECT f.id AS id FROM research_finding f JOIN v ON f.id = v.id",
            values_cte(chunk.len(), &["id"])
        );
        let values = chunk.iter().map(|id| (*id).into()).collect();
        for r in IdRow::find_by_statement(db::raw(backend, &sql, values))
            .all(db)
            .await?
        {
            out.insert(r.id);
        }
    }
    Ok(out)
}

#[derive(FromQueryResult)]
struct TextRow {
    id: Uuid,
    text: String,
}

/// Tags the brand's findings by one tag's keywords again: its rule tags are
/// replaced by the findings whose text now matches; tags set by a person
/// stay. Returns how many findings carry it by rule now.
pub async fn retag<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    tag: Uuid,
    keywords: &[String],
) -> AppResult<u64> {
    finding_tag::Entity::delete_many()
        .filter(finding_tag::Column::TagId.eq(tag))
        .filter(finding_tag::Column::TaggedBy.eq(TaggedBy::Rule.as_str()))
        .exec(db)
        .await?;
    if keywords.is_empty() {
        return Ok(0);
    }
    let phrases: Vec<Vec<String>> = keywords.iter().map(|k| text::words(k)).collect();
    let backend = db.get_database_backend();
    let rows = TextRow::find_by_statement(db::raw(
        backend,
        "SELECT id, text FROM research_finding WHERE brand_id = ?",
        vec![brand.into()],
    ))
    .all(db)
    .await?;
    let matched: Vec<finding_tag::ActiveModel> = rows
        .iter()
        .filter(|r| {
            let words = text::words(&r.text);
            phrases.iter().any(|p| text::contains_phrase(&words, p))
        })
        .map(|r| tag_row(brand, r.id, tag, TaggedBy::Rule))
        .collect();
    insert_new(
        db,
        matched,
        [finding_tag::Column::FindingId, finding_tag::Column::TagId],
    )
    .await
}

/// A finding with its relevance (0 when the list is not a search).
pub struct Ranked {
    /// The finding.
    pub finding: research_finding::Model,
    /// Relevance: PostgreSQL `ts_rank`, SQLite `-bm25`; higher is better.
    pub relevance: f64,
}

fn columns(alias: &str) -> String {
    research_finding::Column::iter()
        .map(|c| format!("{alias}.{}", sea_orm::IdenStatic::as_str(&c)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An audience's findings: newest first, or ranked by relevance to `search`.
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    audience: Uuid,
    search: Option<&str>,
    filter: FindingFilter,
    page: PageRequest,
) -> AppResult<Page<Ranked>> {
    let a = service::readable(app, caller, audience).await?;
    let search = search
        .filter(|s| !s.trim().is_empty())
        .map(|s| Search::parse("search", s))
        .transpose()?;
    let backend = app.db.get_database_backend();
    let (statement, count) = list_statements(backend, &a, search.as_ref(), &filter, &page)?;
    let total = match count {
        Some(count) => {
            let row = app.db.query_one_raw(count).await?;
            Some(
                row.map(|r| r.try_get::<i64>("", "n"))
                    .transpose()?
                    .unwrap_or(0) as u64,
            )
        }
        None => None,
    };
    let rows = app.db.query_all_raw(statement).await?;
    let mut ranked = Vec::with_capacity(rows.len());
    for r in rows {
        ranked.push(Ranked {
            relevance: r.try_get("", "relevance")?,
            finding: research_finding::Model::from_query_result(&r, "")?,
        });
    }
    let searched = search.is_some();
    let tag = if searched {
        RELEVANCE_CURSOR
    } else {
        NEWEST_CURSOR
    };
    Ok(Page::from_rows(ranked, &page, total, |r| CursorKey {
        order: tag.into(),
        keys: vec![
            if searched {
                r.relevance.to_string()
            } else {
                r.finding.collected_at.to_rfc3339()
            },
            r.finding.id.to_string(),
        ],
    }))
}

/// The statements of one page of [`list`] for audience `a`: the page (one
/// row more than asked, to tell whether another follows) and, when the total
/// is wanted, the count. Public so that a benchmark can run exactly these
/// statements outside the server.
pub fn list_statements(
    backend: DbBackend,
    a: &entity::audience::Model,
    search: Option<&Search>,
    filter: &FindingFilter,
    page: &PageRequest,
) -> AppResult<(sea_orm::Statement, Option<sea_orm::Statement>)> {
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let (join, relevance) = match (&search, backend) {
        (None, _) => (String::new(), "CAST(0 AS DOUBLE PRECISION)".to_string()),
        (Some(s), DbBackend::Postgres) => {
            values.push(s.to_websearch().into());
            (
                String::new(),
                "CAST(ts_rank(f.search, websearch_to_tsquery('english', ?)) AS DOUBLE PRECISION)"
                    .into(),
            )
        }
        (Some(s), _) => {
            values.push(s.to_fts5().into());
            (
                "JOIN (SELECT finding_id, -bm25(research_finding_fts) AS rank FROM research_finding_fts \
                 WHERE research_finding_fts MATCH ?) x ON x.finding_id = f.id"
                    .into(),
                "x.rank".into(),
            )
        }
    };
    let mut conditions = vec![
        "f.audience_id = ?".to_string(),
        "f.brand_id = ?".to_string(),
    ];
    values.extend([a.id.into(), a.brand_id.into()]);
    if let (Some(s), DbBackend::Postgres) = (&search, backend) {
        conditions.push("f.search @@ websearch_to_tsquery('english', ?)".into());
        values.push(s.to_websearch().into());
    }
    if let Some(keys) = filter.tags.as_ref().filter(|k| !k.is_empty()) {
        let keys: Vec<String> = keys
            .iter()
            .map(|k| k.trim().to_string())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        conditions.push(format!(
            "f.id IN (SELECT ft.finding_id FROM finding_tag ft JOIN research_tag t ON t.id = ft.tag_id \
             WHERE t.brand_id = ? AND t.key IN ({}) GROUP BY ft.finding_id HAVING COUNT(*) = ?)",
            vec!["?"; keys.len()].join(", ")
        ));
        values.push(a.brand_id.into());
        let n = keys.len() as i64;
        values.extend(keys.into_iter().map(sea_orm::Value::from));
        values.push(n.into());
    }
    if let Some(sources) = filter.sources.as_ref().filter(|s| !s.is_empty()) {
        conditions.push(format!(
            "f.source IN ({})",
            vec!["?"; sources.len()].join(", ")
        ));
        values.extend(sources.iter().map(|s| sea_orm::Value::from(s.as_str())));
    }
    for (bound, op, field) in [
        (filter.sentiment_min, ">=", "filter.sentimentMin"),
        (filter.sentiment_max, "<=", "filter.sentimentMax"),
    ] {
        if let Some(b) = bound {
            if b.is_nan() || !(-1.0..=1.0).contains(&b) {
                return Err(AppError::bad_input(
                    field,
                    "sentiment bounds are between -1 and 1",
                ));
            }
            conditions.push(format!("f.sentiment {op} ?"));
            values.push(b.into());
        }
    }
    if let Some(from) = filter.collected_from {
        conditions.push("f.collected_at >= ?".into());
        values.push(from.into());
    }
    if let Some(to) = filter.collected_to {
        conditions.push("f.collected_at < ?".into());
        values.push(to.into());
    }
    let inner = format!(
        "SELECT {}, {relevance} AS relevance FROM research_finding f {join} WHERE {}",
        columns("f"),
        conditions.join(" AND ")
    );
    let count = page.want_total.then(|| {
        db::raw(
            backend,
            &format!("SELECT COUNT(*) AS n FROM ({inner}) s"),
            values.clone(),
        )
    });
    let bad_cursor = || AppError::bad_input("after", "not a valid cursor");
    let (order, tag, key_col) = if search.is_some() {
        (
            "s.relevance DESC, s.id DESC",
            RELEVANCE_CURSOR,
            "s.relevance",
        )
    } else {
        (
            "s.collected_at DESC, s.id DESC",
            NEWEST_CURSOR,
            "s.collected_at",
        )
    };
    let mut after = String::new();
    if let Some(c) = &page.after {
        if c.order != tag {
            return Err(AppError::bad_input(
                "after",
                "this cursor belongs to another ordering; start again without `after`",
            ));
        }
        let id = c
            .keys
            .get(1)
            .and_then(|k| Uuid::parse_str(k).ok())
            .ok_or_else(bad_cursor)?;
        let first: sea_orm::Value = if search.is_some() {
            c.keys[0].parse::<f64>().map_err(|_| bad_cursor())?.into()
        } else {
            DateTime::parse_from_rfc3339(&c.keys[0])
                .map_err(|_| bad_cursor())?
                .with_timezone(&Utc)
                .into()
        };
        after = format!(" WHERE ({key_col} < ? OR ({key_col} = ? AND s.id < ?))");
        values.extend([first.clone(), first, id.into()]);
    }
    values.push(((page.first + 1) as i64).into());
    let sql = format!("SELECT * FROM ({inner}) s{after} ORDER BY {order} LIMIT ?");
    Ok((db::raw(backend, &sql, values), count))
}

/// An audience's findings, as `Audience.findings` lists them.
pub struct AudienceFindings;

impl crate::loaders::ChildRows for AudienceFindings {
    const TABLE: &'static str = "research_finding";
    const PARENT: &'static str = "audience_id";
}

/// The newest `first` findings of many audiences (one statement, for the
/// DataLoader), in the caller's scope.
pub async fn first_findings_of(
    app: &AppContext,
    scope: &BrandScope,
    audiences: &[Uuid],
    first: u64,
) -> AppResult<Vec<research_finding::Model>> {
    if audiences.is_empty() {
        return Ok(Vec::new());
    }
    let backend = app.db.get_database_backend();
    let (in_scope, scope_values) = scope.sql("f.brand_id");
    let sql = format!(
        "SELECT {} FROM (SELECT {}, ROW_NUMBER() OVER (PARTITION BY f.audience_id \
           ORDER BY f.collected_at DESC, f.id DESC) AS rn \
           FROM research_finding f WHERE f.audience_id IN ({}) AND {in_scope}) r \
         WHERE r.rn <= ? ORDER BY r.audience_id, r.rn",
        columns("r"),
        columns("f"),
        vec!["?"; audiences.len()].join(", ")
    );
    let mut values: Vec<sea_orm::Value> = audiences.iter().map(|a| (*a).into()).collect();
    values.extend(scope_values);
    values.push((first as i64).into());
    Ok(
        research_finding::Model::find_by_statement(db::raw(backend, &sql, values))
            .all(&app.db)
            .await?,
    )
}

/// A tag on a finding.
#[derive(Debug, Clone)]
pub struct TagOnFinding {
    /// The finding.
    pub finding_id: Uuid,
    /// The tag.
    pub tag: research_tag::Model,
    /// Who set it.
    pub tagged_by: TaggedBy,
}

/// Tags of many findings (one statement, for the DataLoader), by key.
pub async fn tags_of(
    app: &AppContext,
    scope: &BrandScope,
    findings: &[Uuid],
) -> AppResult<Vec<TagOnFinding>> {
    if findings.is_empty() {
        return Ok(Vec::new());
    }
    let statement = tags_statement(app.db.get_database_backend(), scope, findings);
    let rows = app.db.query_all_raw(statement).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let by: String = r.try_get("", "tagged_by")?;
        out.push(TagOnFinding {
            finding_id: r.try_get("", "finding_id")?,
            tag: research_tag::Model::from_query_result(&r, "")?,
            tagged_by: TaggedBy::from_db(&by)?,
        });
    }
    Ok(out)
}

/// The one statement of [`tags_of`] (public for the benchmark's reference).
pub fn tags_statement(
    backend: DbBackend,
    scope: &BrandScope,
    findings: &[Uuid],
) -> sea_orm::Statement {
    let (in_scope, scope_values) = scope.sql("ft.brand_id");
    let tag_columns = research_tag::Column::iter()
        .map(|c| format!("t.{}", sea_orm::IdenStatic::as_str(&c)))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT ft.finding_id AS finding_id, ft.tagged_by AS tagged_by, {tag_columns} \
         FROM finding_tag ft JOIN research_tag t ON t.id = ft.tag_id \
         WHERE ft.finding_id IN ({}) AND {in_scope} ORDER BY t.key",
        vec!["?"; findings.len()].join(", ")
    );
    let mut values: Vec<sea_orm::Value> = findings.iter().map(|f| (*f).into()).collect();
    values.extend(scope_values);
    db::raw(backend, &sql, values)
}

/// Findings by id in the caller's scope.
pub async fn by_id(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
) -> AppResult<research_finding::Model> {
    research_finding::Entity::find_by_id(id)
        .filter(
            caller
                .read_scope()?
                .condition(research_finding::Column::BrandId),
        )
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("finding"))
}
