//! Audiences, the brand's codebook and gathering places: rules and scoped
//! queries. Staff (admins, the brand's consultants) write; client users of
//! the brand read; another brand's rows are `NOT_FOUND`.

use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::Utc;
use entity::{audience, gathering_place, research_tag};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::service as audit,
    auth::{BrandScope, Caller},
    context::{parse_id, AppContext},
    db::WriteTxn,
    db_enum,
    error::{AppError, AppResult},
    pagination::{newest_first, Page, PageRequest},
    validation::{self, check_version},
};

db_enum! {
    /// Where an audience's research stands.
    pub enum AudienceStatus {
        /// Being researched.
        Draft = "DRAFT",
        /// Researched; communities may be built for it.
        Active = "ACTIVE",
        /// Kept for its history; no new findings or places.
        Archived = "ARCHIVED",
    }
}

db_enum! {
    /// What a codebook tag stands for; each kind points to a community type
    /// in the recommendation.
    pub enum TagKind {
        /// Something the audience is into (→ `LIFESTYLE`).
        Interest = "INTEREST",
        /// Something the audience stands for (→ `CAUSE`).
        Value = "VALUE",
        /// Something the audience wants to achieve (→ `PROFESSIONAL`).
        Goal = "GOAL",
        /// Something that bothers the audience (→ `PRODUCT`).
        PainPoint = "PAIN_POINT",
        /// A theme of the brand's products (→ `PRODUCT`).
        ProductTheme = "PRODUCT_THEME",
        /// A place the audience is tied to (→ `LOCAL`).
        Place = "PLACE",
    }
}

db_enum! {
    /// Where a finding comes from.
    pub enum FindingSource {
        /// A survey answer.
        Survey = "SURVEY",
        /// An interview.
        Interview = "INTERVIEW",
        /// Social listening.
        SocialListening = "SOCIAL_LISTENING",
        /// A product or shop review.
        Review = "REVIEW",
        /// Web or product analytics.
        Analytics = "ANALYTICS",
        /// Desk research.
        Desk = "DESK",
    }
}

db_enum! {
    /// Where an audience gathers: the community platforms and a few more.
    pub enum GatheringPlatform {
        /// Discord.
        Discord = "DISCORD",
        /// Telegram.
        Telegram = "TELEGRAM",
        /// Mighty Networks.
        MightyNetworks = "MIGHTY_NETWORKS",
        /// Reddit.
        Reddit = "REDDIT",
        /// Clubhouse.
        Clubhouse = "CLUBHOUSE",
        /// Slack.
        Slack = "SLACK",
        /// Circle.
        Circle = "CIRCLE",
        /// Discourse.
        Discourse = "DISCOURSE",
        /// WhatsApp.
        Whatsapp = "WHATSAPP",
        /// A Facebook group.
        FacebookGroup = "FACEBOOK_GROUP",
        /// A brand's own site.
        Custom = "CUSTOM",
        /// A web forum.
        Forum = "FORUM",
        /// Meetings in person.
        InPerson = "IN_PERSON",
        /// Anywhere else.
        Other = "OTHER",
    }
}

db_enum! {
    /// Who put a tag on a finding.
    pub enum TaggedBy {
        /// A keyword of the tag is in the finding's text.
        Rule = "RULE",
        /// A person (or the sender of an ingested row) set it.
        Person = "PERSON",
    }
}

/// Most items in an audience's list fields (interests, locations, ...).
pub const MAX_LIST: usize = 50;

/// A new audience.
#[derive(Debug, Clone, InputObject)]
pub struct CreateAudienceInput {
    /// The brand.
    pub brand_id: ID,
    /// Name, unique within the brand, 1-120 characters.
    pub name: String,
    /// Who they are, up to 5000 characters.
    pub description: Option<String>,
    /// Age bands such as `18-24` or `65+`.
    pub age_bands: Option<Vec<String>>,
    /// Locations (cities, regions, countries).
    pub locations: Option<Vec<String>>,
    /// Languages as BCP 47 tags, e.g. `en`, `fr-CA`.
    pub languages: Option<Vec<String>>,
    /// Interests.
    pub interests: Option<Vec<String>>,
    /// Values.
    pub values: Option<Vec<String>>,
    /// Goals.
    pub goals: Option<Vec<String>>,
    /// Pain points.
    pub pain_points: Option<Vec<String>>,
    /// Estimated number of people, 1 or more.
    pub estimated_size: Option<i64>,
    /// Default `DRAFT`.
    pub status: Option<AudienceStatus>,
}

/// Changes to an audience; omitted fields stay, `null` clears optional ones.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateAudienceInput {
    /// New name.
    pub name: Option<String>,
    /// New description; `null` clears it.
    pub description: MaybeUndefined<String>,
    /// New age bands.
    pub age_bands: Option<Vec<String>>,
    /// New locations.
    pub locations: Option<Vec<String>>,
    /// New languages.
    pub languages: Option<Vec<String>>,
    /// New interests.
    pub interests: Option<Vec<String>>,
    /// New values.
    pub values: Option<Vec<String>>,
    /// New goals.
    pub goals: Option<Vec<String>>,
    /// New pain points.
    pub pain_points: Option<Vec<String>>,
    /// New estimated size; `null` clears it.
    pub estimated_size: MaybeUndefined<i64>,
    /// New status.
    pub status: Option<AudienceStatus>,
    /// The version you read; stale is `CONFLICT`.
    pub expected_version: Option<i32>,
}

/// Filters of the audience list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct AudienceFilter {
    /// Only this brand's audiences.
    pub brand_id: Option<ID>,
    /// Only this status.
    pub status: Option<AudienceStatus>,
}

/// A new codebook tag.
#[derive(Debug, Clone, InputObject)]
pub struct CreateResearchTagInput {
    /// The brand.
    pub brand_id: ID,
    /// Stable key, unique within the brand: 2-64 characters of a-z, 0-9 and inner hyphens.
    pub key: String,
    /// Label, 1-120 characters.
    pub label: String,
    /// What it stands for.
    pub kind: TagKind,
    /// Words or phrases whose presence tags a finding (whole words, any case), up to 50.
    pub keywords: Vec<String>,
}

/// Changes to a codebook tag (its key stays).
#[derive(Debug, Clone, InputObject)]
pub struct UpdateResearchTagInput {
    /// New label.
    pub label: Option<String>,
    /// New kind.
    pub kind: Option<TagKind>,
    /// New keywords; findings are tagged again by the new ones.
    pub keywords: Option<Vec<String>>,
    /// The version you read; stale is `CONFLICT`.
    pub expected_version: Option<i32>,
}

/// A new gathering place.
#[derive(Debug, Clone, InputObject)]
pub struct CreateGatheringPlaceInput {
    /// The audience that gathers there.
    pub audience_id: ID,
    /// Platform.
    pub platform: GatheringPlatform,
    /// Name, 1-200 characters, e.g. `r/ultralight`.
    pub name: String,
    /// Address.
    pub url: Option<String>,
    /// People there, 0 or more.
    pub member_count: Option<i64>,
    /// Posts per week, 0-1000000.
    pub posts_per_week: Option<f64>,
    /// Whether the brand takes part there already (default false).
    pub brand_present: Option<bool>,
    /// Whether the house rules allow self-promotion (unknown when absent).
    pub self_promotion_allowed: Option<bool>,
    /// The house rules as written, up to 5000 characters.
    pub house_rules: Option<String>,
    /// Estimated share of the audience found there, 0..1.
    pub audience_share: Option<f64>,
}

/// Changes to a gathering place; omitted fields stay, `null` clears optional ones.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateGatheringPlaceInput {
    /// New platform.
    pub platform: Option<GatheringPlatform>,
    /// New name.
    pub name: Option<String>,
    /// New address; `null` clears it.
    pub url: MaybeUndefined<String>,
    /// New member count; `null` clears it.
    pub member_count: MaybeUndefined<i64>,
    /// New posts per week; `null` clears it.
    pub posts_per_week: MaybeUndefined<f64>,
    /// Whether the brand is present.
    pub brand_present: Option<bool>,
    /// Whether self-promotion is allowed; `null` makes it unknown.
    pub self_promotion_allowed: MaybeUndefined<bool>,
    /// New house rules; `null` clears them.
    pub house_rules: MaybeUndefined<String>,
    /// New audience share; `null` clears it.
    pub audience_share: MaybeUndefined<f64>,
    /// The version you read; stale is `CONFLICT`.
    pub expected_version: Option<i32>,
}

/// Cursor tag of audience lists.
pub const AUDIENCE_CURSOR: &str = "audiences";
/// Cursor tag of codebook lists.
pub const TAG_CURSOR: &str = "research-tags";
/// Cursor tag of gathering-place lists.
pub const PLACE_CURSOR: &str = "gathering-places";

/// A JSON list column as strings.
pub fn list_of(json: &str) -> AppResult<Vec<String>> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("bad list column: {e}")))
}

fn to_json(list: &[String]) -> String {
    serde_json::Value::from(list.to_vec()).to_string()
}

/// Checks a list field: at most [`MAX_LIST`] items of 1-100 characters,
/// each passing `check`; repeats are dropped.
fn list(
    field: &str,
    items: Option<&Vec<String>>,
    check: impl Fn(&str) -> Result<String, &'static str>,
) -> AppResult<Vec<String>> {
    let items = items.map(Vec::as_slice).unwrap_or_default();
    if items.len() > MAX_LIST {
        return Err(AppError::bad_input(
            field,
            format!("{field} holds at most {MAX_LIST} items"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let f = format!("{field}.{i}");
        let v = validation::text(&f, item, 1, 100)?;
        let v = check(&v).map_err(|why| AppError::bad_input(&f, why))?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

fn any(v: &str) -> Result<String, &'static str> {
    Ok(v.to_string())
}

/// `18-24` (low below high, at most 120) or `65+`.
fn age_band(v: &str) -> Result<String, &'static str> {
    const WHY: &str = "an age band is like 18-24 or 65+";
    let age = |s: &str| s.parse::<u32>().ok().filter(|n| *n <= 120);
    let ok = match v.split_once('-') {
        Some((lo, hi)) => matches!((age(lo), age(hi)), (Some(l), Some(h)) if l < h),
        None => v.strip_suffix('+').and_then(age).is_some(),
    };
    ok.then(|| v.to_string()).ok_or(WHY)
}

/// A BCP 47 language tag such as `en` or `fr-CA` (language 2-3 letters, subtags 2-8).
fn language(v: &str) -> Result<String, &'static str> {
    let mut parts = v.split('-');
    let lang = parts.next().unwrap_or("");
    let ok = (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_alphabetic())
        && parts
            .all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    ok.then(|| v.to_string())
        .ok_or("a language is a BCP 47 tag such as en or fr-CA")
}

fn estimated_size(v: i64) -> AppResult<i64> {
    if v >= 1 {
        Ok(v)
    } else {
        Err(AppError::bad_input(
            "input.estimatedSize",
            "estimatedSize must be 1 or more",
        ))
    }
}

fn name_taken(name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("the brand already has an audience named \"{name}\"")
}

/// An audience in `scope` (`NOT_FOUND` otherwise).
pub async fn audience_in(
    app: &AppContext,
    scope: &BrandScope,
    id: Uuid,
) -> AppResult<audience::Model> {
    audience::Entity::find_by_id(id)
        .filter(scope.condition(audience::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("audience"))
}

/// An audience the caller may read.
pub async fn readable(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<audience::Model> {
    audience_in(app, &caller.read_scope()?, id).await
}

/// An audience the caller may add evidence to: in their write scope and
/// not archived (`CONFLICT`).
pub async fn open_for_evidence(
    app: &AppContext,
    scope: &BrandScope,
    id: Uuid,
) -> AppResult<audience::Model> {
    let a = audience_in(app, scope, id).await?;
    if a.status == AudienceStatus::Archived.as_str() {
        return Err(AppError::Conflict(
            "the audience is archived: it takes no new findings or places".into(),
        ));
    }
    Ok(a)
}

/// Creates an audience.
pub async fn create_audience(
    app: &AppContext,
    caller: &Caller,
    input: CreateAudienceInput,
) -> AppResult<audience::Model> {
    let brand = parse_id("input.brandId", &input.brand_id)?;
    caller.write_scope()?.check(brand, "brand")?;
    crate::brand::service::ensure_exists(app, brand).await?;
    let name = validation::text("input.name", &input.name, 1, 120)?;
    let description =
        validation::optional_text("input.description", input.description.as_deref(), 5000)?;
    let size = input.estimated_size.map(estimated_size).transpose()?;
    let now = Utc::now();
    let row = audience::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(brand),
        name: Set(name.clone()),
        description: Set(description),
        age_bands: Set(to_json(&list(
            "input.ageBands",
            input.age_bands.as_ref(),
            age_band,
        )?)),
        locations: Set(to_json(&list(
            "input.locations",
            input.locations.as_ref(),
            any,
        )?)),
        languages: Set(to_json(&list(
            "input.languages",
            input.languages.as_ref(),
            language,
        )?)),
        interests: Set(to_json(&list(
            "input.interests",
            input.interests.as_ref(),
            any,
        )?)),
        values: Set(to_json(&list("input.values", input.values.as_ref(), any)?)),
        goals: Set(to_json(&list("input.goals", input.goals.as_ref(), any)?)),
        pain_points: Set(to_json(&list(
            "input.painPoints",
            input.pain_points.as_ref(),
            any,
        )?)),
        estimated_size: Set(size),
        status: Set(input
            .status
            .unwrap_or(AudienceStatus::Draft)
            .as_str()
            .into()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let created = row
        .insert(&txn)
        .await
        .map_err(|e| AppError::from_db_unique(e, name_taken(&name)))?;
    audit::record_object(
        &txn,
        caller,
        "audience.create",
        ("audience", created.id, brand),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// One list field of an audience update: its input path, the new value if given,
/// the normaliser for each entry, and the column it is written to.
type ListField<'a> = (
    &'static str,
    &'a Option<Vec<String>>,
    fn(&str) -> Result<String, &'static str>,
    &'a mut sea_orm::ActiveValue<String>,
);

/// Changes an audience.
pub async fn update_audience(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateAudienceInput,
) -> AppResult<audience::Model> {
    let current = audience_in(app, &caller.write_scope()?, id).await?;
    check_version("audience", current.version, input.expected_version)?;
    let mut a = <audience::ActiveModel as Default>::default();
    let mut name = current.name.clone();
    if let Some(n) = &input.name {
        name = validation::text("input.name", n, 1, 120)?;
        a.name = Set(name.clone());
    }
    match &input.description {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => a.description = Set(None),
        MaybeUndefined::Value(d) => {
            a.description = Set(validation::optional_text(
                "input.description",
                Some(d),
                5000,
            )?)
        }
    }
    let lists: [ListField<'_>; 7] = [
        (
            "input.ageBands",
            &input.age_bands,
            age_band,
            &mut a.age_bands,
        ),
        ("input.locations", &input.locations, any, &mut a.locations),
        (
            "input.languages",
            &input.languages,
            language,
            &mut a.languages,
        ),
        ("input.interests", &input.interests, any, &mut a.interests),
        ("input.values", &input.values, any, &mut a.values),
        ("input.goals", &input.goals, any, &mut a.goals),
        (
            "input.painPoints",
            &input.pain_points,
            any,
            &mut a.pain_points,
        ),
    ];
    for (field, value, check, column) in lists {
        if let Some(v) = value {
            *column = Set(to_json(&list(field, Some(v), check)?));
        }
    }
    match input.estimated_size {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => a.estimated_size = Set(None),
        MaybeUndefined::Value(v) => a.estimated_size = Set(Some(estimated_size(v)?)),
    }
    if let Some(s) = input.status {
        a.status = Set(s.as_str().into());
    }
    a.version = Set(current.version + 1);
    a.updated_at = Set(Utc::now());
    let txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    let done = audience::Entity::update_many()
        .set(a)
        .filter(audience::Column::Id.eq(id))
        .filter(audience::Column::Version.eq(current.version))
        .exec(&txn)
        .await
        .map_err(|e| AppError::from_db_unique(e, name_taken(&name)))?;
    if done.rows_affected == 0 {
        return Err(AppError::Conflict(
            "the audience was changed meanwhile; read it again".into(),
        ));
    }
    audit::record_object(
        &txn,
        caller,
        "audience.update",
        ("audience", id, current.brand_id),
        None,
    )
    .await?;
    txn.commit().await?;
    audience_in(app, &caller.write_scope()?, id).await
}

/// A brand's audiences, newest first.
pub async fn audiences(
    app: &AppContext,
    caller: &Caller,
    filter: AudienceFilter,
    page: PageRequest,
) -> AppResult<Page<audience::Model>> {
    let scope = caller.read_scope()?;
    let mut q = audience::Entity::find().filter(scope.condition(audience::Column::BrandId));
    if let Some(b) = &filter.brand_id {
        q = q.filter(audience::Column::BrandId.eq(parse_id("filter.brandId", b)?));
    }
    if let Some(s) = filter.status {
        q = q.filter(audience::Column::Status.eq(s.as_str()));
    }
    newest_first(
        &app.db,
        q,
        audience::Column::Id,
        &page,
        AUDIENCE_CURSOR,
        |m| m.id,
    )
    .await
}

/// Keywords as stored: each keyword's words, lower case, one space apart.
fn keywords(field: &str, items: &[String]) -> AppResult<Vec<String>> {
    if items.len() > MAX_LIST {
        return Err(AppError::bad_input(
            field,
            format!("{field} holds at most {MAX_LIST} keywords"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, k) in items.iter().enumerate() {
        let f = format!("{field}.{i}");
        let k = validation::text(&f, k, 1, 60)?;
        let words = crate::text::words(&k);
        if words.is_empty() {
            return Err(AppError::bad_input(f, "a keyword needs letters or digits"));
        }
        let k = words.join(" ");
        if !out.contains(&k) {
            out.push(k);
        }
    }
    Ok(out)
}

fn key_taken(key: &str) -> impl FnOnce() -> String + '_ {
    move || format!("the brand's codebook already has a tag with key \"{key}\"")
}

/// Creates a codebook tag and tags the brand's findings by its keywords,
/// in one transaction.
pub async fn create_tag(
    app: &AppContext,
    caller: &Caller,
    input: CreateResearchTagInput,
) -> AppResult<research_tag::Model> {
    let brand = parse_id("input.brandId", &input.brand_id)?;
    caller.write_scope()?.check(brand, "brand")?;
    crate::brand::service::ensure_exists(app, brand).await?;
    let key = validation::slug("input.key", &input.key)?;
    let label = validation::text("input.label", &input.label, 1, 120)?;
    let words = keywords("input.keywords", &input.keywords)?;
    let now = Utc::now();
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let created = research_tag::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(brand),
        key: Set(key.clone()),
        label: Set(label),
        kind: Set(input.kind.as_str().into()),
        keywords: Set(to_json(&words)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| AppError::from_db_unique(e, key_taken(&key)))?;
    let tagged = crate::finding::service::retag(&txn, brand, created.id, &words).await?;
    audit::record_object(
        &txn,
        caller,
        "research_tag.create",
        ("research_tag", created.id, brand),
        Some(json!({ "tagged": tagged })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a codebook tag; new keywords tag the brand's findings again
/// (tags set by a person stay).
pub async fn update_tag(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateResearchTagInput,
) -> AppResult<research_tag::Model> {
    let scope = caller.write_scope()?;
    let current = research_tag::Entity::find_by_id(id)
        .filter(scope.condition(research_tag::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("research tag"))?;
    check_version("tag", current.version, input.expected_version)?;
    let mut a = <research_tag::ActiveModel as Default>::default();
    if let Some(l) = &input.label {
        a.label = Set(validation::text("input.label", l, 1, 120)?);
    }
    if let Some(k) = input.kind {
        a.kind = Set(k.as_str().into());
    }
    let words = input
        .keywords
        .as_ref()
        .map(|k| keywords("input.keywords", k))
        .transpose()?;
    if let Some(w) = &words {
        a.keywords = Set(to_json(w));
    }
    a.version = Set(current.version + 1);
    a.updated_at = Set(Utc::now());
    let txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    let done = research_tag::Entity::update_many()
        .set(a)
        .filter(research_tag::Column::Id.eq(id))
        .filter(research_tag::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(AppError::Conflict(
            "the tag was changed meanwhile; read it again".into(),
        ));
    }
    let tagged = match &words {
        Some(w) => Some(crate::finding::service::retag(&txn, current.brand_id, id, w).await?),
        None => None,
    };
    audit::record_object(
        &txn,
        caller,
        "research_tag.update",
        ("research_tag", id, current.brand_id),
        Some(json!({ "tagged": tagged })),
    )
    .await?;
    txn.commit().await?;
    research_tag::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("research tag"))
}

/// A brand's codebook, newest first.
pub async fn tags(
    app: &AppContext,
    caller: &Caller,
    brand: Uuid,
    page: PageRequest,
) -> AppResult<Page<research_tag::Model>> {
    let scope = caller.read_scope()?;
    scope.check(brand, "brand")?;
    let q = research_tag::Entity::find()
        .filter(scope.condition(research_tag::Column::BrandId))
        .filter(research_tag::Column::BrandId.eq(brand));
    newest_first(
        &app.db,
        q,
        research_tag::Column::Id,
        &page,
        TAG_CURSOR,
        |m| m.id,
    )
    .await
}

/// The whole codebook of a brand (for tagging), by key.
pub async fn codebook<C: sea_orm::ConnectionTrait>(
    db: &C,
    brand: Uuid,
) -> AppResult<Vec<research_tag::Model>> {
    Ok(research_tag::Entity::find()
        .filter(research_tag::Column::BrandId.eq(brand))
        .order_by_asc(research_tag::Column::Key)
        .all(db)
        .await?)
}

fn share(field: &str, v: f64) -> AppResult<f64> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(AppError::bad_input(
            field,
            "audienceShare must be between 0 and 1",
        ))
    }
}

fn posts(field: &str, v: f64) -> AppResult<f64> {
    if (0.0..=1_000_000.0).contains(&v) {
        Ok(v)
    } else {
        Err(AppError::bad_input(field, "postsPerWeek must be 0-1000000"))
    }
}

fn members(field: &str, v: i64) -> AppResult<i64> {
    if v >= 0 {
        Ok(v)
    } else {
        Err(AppError::bad_input(
            field,
            "memberCount must not be negative",
        ))
    }
}

/// Records a gathering place.
pub async fn create_place(
    app: &AppContext,
    caller: &Caller,
    input: CreateGatheringPlaceInput,
) -> AppResult<gathering_place::Model> {
    let a = open_for_evidence(
        app,
        &caller.write_scope()?,
        parse_id("input.audienceId", &input.audience_id)?,
    )
    .await?;
    let url = input
        .url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|u| validation::url("input.url", u))
        .transpose()?;
    let now = Utc::now();
    let row = gathering_place::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(a.brand_id),
        audience_id: Set(a.id),
        platform: Set(input.platform.as_str().into()),
        name: Set(validation::text("input.name", &input.name, 1, 200)?),
        url: Set(url),
        member_count: Set(input
            .member_count
            .map(|v| members("input.memberCount", v))
            .transpose()?),
        posts_per_week: Set(input
            .posts_per_week
            .map(|v| posts("input.postsPerWeek", v))
            .transpose()?),
        brand_present: Set(input.brand_present.unwrap_or(false)),
        self_promotion_allowed: Set(input.self_promotion_allowed),
        house_rules: Set(validation::optional_text(
            "input.houseRules",
            input.house_rules.as_deref(),
            5000,
        )?),
        audience_share: Set(input
            .audience_share
            .map(|v| share("input.audienceShare", v))
            .transpose()?),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = WriteTxn::outside_reports(app, a.brand_id).await?;
    let created = row.insert(&txn).await?;
    audit::record_object(
        &txn,
        caller,
        "gathering_place.create",
        ("gathering_place", created.id, a.brand_id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a gathering place.
pub async fn update_place(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateGatheringPlaceInput,
) -> AppResult<gathering_place::Model> {
    let scope = caller.write_scope()?;
    let current = gathering_place::Entity::find_by_id(id)
        .filter(scope.condition(gathering_place::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("gathering place"))?;
    open_for_evidence(app, &scope, current.audience_id).await?;
    check_version("gathering place", current.version, input.expected_version)?;
    let mut a = <gathering_place::ActiveModel as Default>::default();
    if let Some(p) = input.platform {
        a.platform = Set(p.as_str().into());
    }
    if let Some(n) = &input.name {
        a.name = Set(validation::text("input.name", n, 1, 200)?);
    }
    if let Some(b) = input.brand_present {
        a.brand_present = Set(b);
    }
    fn maybe<T: Clone, U>(
        v: &MaybeUndefined<T>,
        check: impl Fn(T) -> AppResult<U>,
    ) -> AppResult<Option<Option<U>>> {
        Ok(match v {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(x) => Some(Some(check(x.clone())?)),
        })
    }
    if let Some(v) = maybe(&input.url, |u: String| validation::url("input.url", &u))? {
        a.url = Set(v);
    }
    if let Some(v) = maybe(&input.member_count, |v| members("input.memberCount", v))? {
        a.member_count = Set(v);
    }
    if let Some(v) = maybe(&input.posts_per_week, |v| posts("input.postsPerWeek", v))? {
        a.posts_per_week = Set(v);
    }
    if let Some(v) = maybe(&input.self_promotion_allowed, Ok)? {
        a.self_promotion_allowed = Set(v);
    }
    if let Some(v) = maybe(&input.house_rules, |h: String| {
        validation::text("input.houseRules", &h, 1, 5000)
    })? {
        a.house_rules = Set(v);
    }
    if let Some(v) = maybe(&input.audience_share, |v| share("input.audienceShare", v))? {
        a.audience_share = Set(v);
    }
    a.version = Set(current.version + 1);
    a.updated_at = Set(Utc::now());
    let txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    let done = gathering_place::Entity::update_many()
        .set(a)
        .filter(gathering_place::Column::Id.eq(id))
        .filter(gathering_place::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(AppError::Conflict(
            "the gathering place was changed meanwhile; read it again".into(),
        ));
    }
    audit::record_object(
        &txn,
        caller,
        "gathering_place.update",
        ("gathering_place", id, current.brand_id),
        None,
    )
    .await?;
    txn.commit().await?;
    gathering_place::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("gathering place"))
}

/// An audience's gathering places, newest first.
pub async fn places(
    app: &AppContext,
    caller: &Caller,
    audience: Uuid,
    page: PageRequest,
) -> AppResult<Page<gathering_place::Model>> {
    let a = readable(app, caller, audience).await?;
    let q = gathering_place::Entity::find()
        .filter(gathering_place::Column::AudienceId.eq(a.id))
        .filter(gathering_place::Column::BrandId.eq(a.brand_id));
    newest_first(
        &app.db,
        q,
        gathering_place::Column::Id,
        &page,
        PLACE_CURSOR,
        |m| m.id,
    )
    .await
}

/// Gathering places of many audiences (one statement, for the DataLoader).
pub async fn places_of(
    app: &AppContext,
    scope: &BrandScope,
    audiences: &[Uuid],
) -> AppResult<Vec<gathering_place::Model>> {
    Ok(gathering_place::Entity::find()
        .filter(gathering_place::Column::AudienceId.is_in(audiences.to_vec()))
        .filter(scope.condition(gathering_place::Column::BrandId))
        .order_by_desc(gathering_place::Column::Id)
        .all(&app.db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_and_languages_are_checked() {
        assert!(age_band("18-24").is_ok());
        assert!(age_band("65+").is_ok());
        assert!(age_band("24-18").is_err());
        assert!(age_band("teen").is_err());
        assert!(age_band("18-200").is_err());
        assert!(language("en").is_ok());
        assert!(language("fr-CA").is_ok());
        assert!(language("english").is_err());
        assert!(language("e").is_err());
    }
}
