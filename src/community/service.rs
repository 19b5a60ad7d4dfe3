//! Communities and channels: rules and queries.

use std::collections::HashMap;

use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::Utc;
use entity::{channel, community, reward_programme};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::BrandScope;

use crate::{
    audit::service::{self as audit, Event},
    auth::Caller,
    context::{parse_id, AppContext},
    db::{Positional, ReadByPosition},
    db_enum,
    error::{AppError, AppResult},
    pagination::{newest_first_as, Page, PageRequest},
    validation,
};

db_enum! {
    /// What a community is about.
    pub enum CommunityKind {
        /// Users of a product.
        Product = "PRODUCT",
        /// People sharing a way of life.
        Lifestyle = "LIFESTYLE",
        /// People sharing a trade.
        Professional = "PROFESSIONAL",
        /// People of one place.
        Local = "LOCAL",
        /// People behind a cause.
        Cause = "CAUSE",
    }
}

db_enum! {
    /// Where a community lives.
    pub enum Platform {
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
        /// The brand's own site or another platform.
        Custom = "CUSTOM",
    }
}

db_enum! {
    /// Lifecycle of a community.
    pub enum CommunityStatus {
        /// Being planned.
        Planned = "PLANNED",
        /// Being set up on its platform.
        SettingUp = "SETTING_UP",
        /// Running.
        Active = "ACTIVE",
        /// Temporarily quiet.
        Paused = "PAUSED",
        /// Closed; kept for its history.
        Archived = "ARCHIVED",
    }
}

db_enum! {
    /// What a channel is for.
    pub enum ChannelKind {
        /// Conversation.
        Chat = "CHAT",
        /// Threads.
        Forum = "FORUM",
        /// News from the brand.
        Announcements = "ANNOUNCEMENTS",
        /// Events.
        Events = "EVENTS",
        /// Voice or stage.
        Voice = "VOICE",
        /// Where members give feedback.
        Feedback = "FEEDBACK",
    }
}

impl CommunityStatus {
    /// Statuses this one may move to.
    pub fn next(self) -> &'static [CommunityStatus] {
        use CommunityStatus::*;
        match self {
            Planned => &[SettingUp, Archived],
            SettingUp => &[Planned, Active, Archived],
            Active => &[Paused, Archived],
            Paused => &[Active, Archived],
            Archived => &[],
        }
    }
}

/// How often a community may be prompted.
#[derive(Debug, Clone, InputObject)]
pub struct CadencePolicyInput {
    /// Most prompts (posts that ask for a response) in any 7 days, 1-50.
    pub max_prompts_per_week: i32,
    /// Least hours between two prompts, 0-168.
    pub min_gap_hours: Option<i32>,
    /// Start of quiet hours (hour of day in the community's time zone, 0-23).
    pub quiet_hours_start: Option<i32>,
    /// End of quiet hours (0-23); with the start, both or neither.
    pub quiet_hours_end: Option<i32>,
}

/// A new community.
#[derive(Debug, Clone, InputObject)]
pub struct CreateCommunityInput {
    /// The brand.
    pub brand_id: ID,
    /// Name, unique within the brand, 1-120 characters.
    pub name: String,
    /// Why it exists (required), up to 1000 characters.
    pub purpose: String,
    /// What it is about.
    pub kind: CommunityKind,
    /// Where it lives.
    pub platform: Platform,
    /// Its address on the platform.
    pub platform_url: Option<String>,
    /// Intended number of members, 2-10000.
    pub target_size: Option<i32>,
    /// IANA time zone, e.g. `Europe/Paris` (default `UTC`).
    pub time_zone: Option<String>,
    /// How often it may be prompted.
    pub cadence: Option<CadencePolicyInput>,
    /// The audience it is built for (of the same brand): the community
    /// recommendation for that audience is computed now and kept with the
    /// community as it was followed.
    pub audience_id: Option<ID>,
}

/// Changes to a community; omitted fields stay, `null` clears optional ones.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateCommunityInput {
    /// New name.
    pub name: Option<String>,
    /// New purpose.
    pub purpose: Option<String>,
    /// New kind.
    pub kind: Option<CommunityKind>,
    /// New platform.
    pub platform: Option<Platform>,
    /// New address; `null` clears it.
    pub platform_url: MaybeUndefined<String>,
    /// New target size; `null` clears it.
    pub target_size: MaybeUndefined<i32>,
    /// New time zone.
    pub time_zone: Option<String>,
    /// New cadence policy; `null` removes it.
    pub cadence: MaybeUndefined<CadencePolicyInput>,
    /// The version you read; stale is `CONFLICT`.
    pub expected_version: Option<i32>,
}

/// Filters of the community list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct CommunityFilter {
    /// Only this brand's communities.
    pub brand_id: Option<ID>,
    /// Only this status.
    pub status: Option<CommunityStatus>,
    /// Only this platform.
    pub platform: Option<Platform>,
    /// Name contains this text (case-insensitive).
    pub name_contains: Option<String>,
}

/// A new channel.
#[derive(Debug, Clone, InputObject)]
pub struct CreateChannelInput {
    /// The community.
    pub community_id: ID,
    /// Name, unique in the community.
    pub name: String,
    /// What it is for.
    pub kind: ChannelKind,
    /// The platform's id for it (used to place ingested activity).
    pub external_id: Option<String>,
}

/// Cursor tag of the community list.
pub const CURSOR_TAG: &str = "communities";

fn time_zone(field: &str, tz: Option<&str>) -> AppResult<String> {
    let tz = tz.map(str::trim).filter(|t| !t.is_empty()).unwrap_or("UTC");
    tz.parse::<chrono_tz::Tz>()
        .map(|_| tz.to_string())
        .map_err(|_| {
            AppError::bad_input(
                field,
                format!("{field} must be an IANA time zone such as Europe/Paris"),
            )
        })
}

/// A validated cadence policy: prompts per week, gap, quiet-hour bounds.
type Cadence = (i32, Option<i32>, Option<i32>, Option<i32>);

fn cadence(field: &str, c: &CadencePolicyInput) -> AppResult<Cadence> {
    if !(1..=50).contains(&c.max_prompts_per_week) {
        return Err(AppError::bad_input(
            format!("{field}.maxPromptsPerWeek"),
            "maxPromptsPerWeek must be 1-50",
        ));
    }
    if c.min_gap_hours.is_some_and(|h| !(0..=168).contains(&h)) {
        return Err(AppError::bad_input(
            format!("{field}.minGapHours"),
            "minGapHours must be 0-168",
        ));
    }
    for (name, v) in [
        ("quietHoursStart", c.quiet_hours_start),
        ("quietHoursEnd", c.quiet_hours_end),
    ] {
        if v.is_some_and(|h| !(0..=23).contains(&h)) {
            return Err(AppError::bad_input(
                format!("{field}.{name}"),
                format!("{name} must be an hour, 0-23"),
            ));
        }
    }
    if c.quiet_hours_start.is_some() != c.quiet_hours_end.is_some() {
        return Err(AppError::bad_input(
            format!("{field}.quietHoursEnd"),
            "give both quiet-hour bounds or neither",
        ));
    }
    Ok((
        c.max_prompts_per_week,
        c.min_gap_hours,
        c.quiet_hours_start,
        c.quiet_hours_end,
    ))
}

fn target_size(field: &str, v: i32) -> AppResult<i32> {
    if (2..=10_000).contains(&v) {
        Ok(v)
    } else {
        Err(AppError::bad_input(
            field,
            "targetSize must be 2-10000 (micro-communities are tens to a few hundred)",
        ))
    }
}

fn name_taken(name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("the brand already has a community named \"{name}\"")
}

/// A community the caller may read (`NOT_FOUND` otherwise).
pub async fn readable(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<community::Model> {
    let scope = caller.read_scope()?;
    community::Entity::find_by_id(id)
        .filter(scope.condition(community::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("community"))
}

/// A community the caller may change (`NOT_FOUND` if outside their brands).
pub async fn writable(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<community::Model> {
    let scope = caller.write_scope()?;
    community::Entity::find_by_id(id)
        .filter(scope.condition(community::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("community"))
}

/// Creates a community (admins and the brand's consultants).
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    input: CreateCommunityInput,
) -> AppResult<community::Model> {
    let brand_id = parse_id("input.brandId", &input.brand_id)?;
    caller.write_scope()?.check(brand_id, "brand")?;
    crate::brand::service::ensure_exists(app, brand_id).await?;
    let name = validation::text("input.name", &input.name, 1, 120)?;
    let purpose = validation::text("input.purpose", &input.purpose, 1, 1000)?;
    let url = input
        .platform_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|u| validation::url("input.platformUrl", u))
        .transpose()?;
    let size = input
        .target_size
        .map(|v| target_size("input.targetSize", v))
        .transpose()?;
    let tz = time_zone("input.timeZone", input.time_zone.as_deref())?;
    let (max, gap, qs, qe) = match &input.cadence {
        Some(c) => {
            let (m, g, s, e) = cadence("input.cadence", c)?;
            (Some(m), g, s, e)
        }
        None => (None, None, None, None),
    };
    let (audience_id, recommendation) = match &input.audience_id {
        Some(a) => {
            let a = crate::research::service::audience_in(
                app,
                &caller.write_scope()?,
                parse_id("input.audienceId", a)?,
            )
            .await?;
            if a.brand_id != brand_id {
                return Err(AppError::NotFound("audience"));
            }
            let r = crate::insight::service::recommendation_for(app, &a).await?;
            let frozen = serde_json::to_string(&r)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("recommendation: {e}")))?;
            (Some(a.id), Some(frozen))
        }
        None => (None, None),
    };
    let now = Utc::now();
    let txn = crate::db::WriteTxn::for_brand(app, brand_id).await?;
    let created = community::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(brand_id),
        name: Set(name.clone()),
        purpose: Set(purpose),
        kind: Set(input.kind.as_str().into()),
        platform: Set(input.platform.as_str().into()),
        platform_url: Set(url),
        status: Set(CommunityStatus::Planned.as_str().into()),
        target_size: Set(size),
        time_zone: Set(tz),
        max_prompts_per_week: Set(max),
        min_gap_hours: Set(gap),
        quiet_hours_start: Set(qs),
        quiet_hours_end: Set(qe),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        audience_id: Set(audience_id),
        recommendation: Set(recommendation),
    }
    .insert(&txn)
    .await
    .map_err(|e| AppError::from_db_unique(e, name_taken(&name)))?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "community.create",
            object_type: "community",
            object_id: Some(created.id),
            brand_id: Some(brand_id),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

async fn save(
    app: &AppContext,
    caller: &Caller,
    current: &community::Model,
    mut changes: community::ActiveModel,
    action: &str,
    details: Option<serde_json::Value>,
) -> AppResult<community::Model> {
    let name = match &changes.name {
        sea_orm::ActiveValue::Set(n) => n.clone(),
        _ => String::new(),
    };
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(Utc::now());
    let (txn, _) = crate::db::WriteTxn::for_community(app, current.id).await?;
    let result = community::Entity::update_many()
        .set(changes)
        .filter(community::Column::Id.eq(current.id))
        .filter(community::Column::Version.eq(current.version))
        .exec(&txn)
        .await
        .map_err(|e| AppError::from_db_unique(e, name_taken(&name)))?;
    if result.rows_affected == 0 {
        return Err(AppError::Conflict(
            "the community was changed meanwhile; read it again".into(),
        ));
    }
    audit::record(
        &txn,
        caller,
        Event {
            action,
            object_type: "community",
            object_id: Some(current.id),
            brand_id: Some(current.brand_id),
            details,
        },
    )
    .await?;
    txn.commit().await?;
    community::Entity::find_by_id(current.id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("community"))
}

fn check_version(current: &community::Model, expected: Option<i32>) -> AppResult<()> {
    match expected {
        Some(v) if v != current.version => Err(AppError::Conflict(format!(
            "the community was changed meanwhile (version {} now, {v} expected); read it again",
            current.version
        ))),
        _ => Ok(()),
    }
}

/// Changes a community's details (not its status).
pub async fn update(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateCommunityInput,
) -> AppResult<community::Model> {
    let current = writable(app, caller, id).await?;
    check_version(&current, input.expected_version)?;
    if current.status == CommunityStatus::Archived.as_str() {
        return Err(AppError::Conflict(
            "the community is archived and cannot be changed".into(),
        ));
    }
    let mut c = <community::ActiveModel as Default>::default();
    if let Some(n) = &input.name {
        c.name = Set(validation::text("input.name", n, 1, 120)?);
    }
    if let Some(p) = &input.purpose {
        c.purpose = Set(validation::text("input.purpose", p, 1, 1000)?);
    }
    if let Some(k) = input.kind {
        c.kind = Set(k.as_str().into());
    }
    if let Some(p) = input.platform {
        c.platform = Set(p.as_str().into());
    }
    match &input.platform_url {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => c.platform_url = Set(None),
        MaybeUndefined::Value(u) => {
            c.platform_url = Set(Some(validation::url("input.platformUrl", u)?))
        }
    }
    match input.target_size {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => c.target_size = Set(None),
        MaybeUndefined::Value(v) => c.target_size = Set(Some(target_size("input.targetSize", v)?)),
    }
    if let Some(tz) = &input.time_zone {
        c.time_zone = Set(time_zone("input.timeZone", Some(tz))?);
    }
    match &input.cadence {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            c.max_prompts_per_week = Set(None);
            c.min_gap_hours = Set(None);
            c.quiet_hours_start = Set(None);
            c.quiet_hours_end = Set(None);
        }
        MaybeUndefined::Value(p) => {
            let (m, g, s, e) = cadence("input.cadence", p)?;
            c.max_prompts_per_week = Set(Some(m));
            c.min_gap_hours = Set(g);
            c.quiet_hours_start = Set(s);
            c.quiet_hours_end = Set(e);
        }
    }
    save(app, caller, &current, c, "community.update", None).await
}

/// Moves a community along its lifecycle; only valid transitions are allowed.
pub async fn change_status(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    status: CommunityStatus,
    expected_version: Option<i32>,
) -> AppResult<community::Model> {
    let current = writable(app, caller, id).await?;
    check_version(&current, expected_version)?;
    let from = CommunityStatus::from_db(&current.status)?;
    if from == status {
        return Ok(current);
    }
    if !from.next().contains(&status) {
        let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
        return Err(AppError::bad_input(
            "status",
            if allowed.is_empty() {
                format!("a {} community cannot change status", from.as_str())
            } else {
                format!(
                    "a {} community can only become {}",
                    from.as_str(),
                    allowed.join(" or ")
                )
            },
        ));
    }
    let c = community::ActiveModel {
        status: Set(status.as_str().into()),
        ..<community::ActiveModel as Default>::default()
    };
    let details = json!({ "from": from.as_str(), "to": status.as_str() });
    save(
        app,
        caller,
        &current,
        c,
        "community.change_status",
        Some(details),
    )
    .await
}

/// Lists communities in the caller's scope, newest first.
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    filter: CommunityFilter,
    page: PageRequest,
) -> AppResult<Page<community::Model>> {
    let mut cond = caller.read_scope()?.condition(community::Column::BrandId);
    if let Some(b) = &filter.brand_id {
        cond = cond.add(community::Column::BrandId.eq(parse_id("filter.brandId", b)?));
    }
    if let Some(s) = filter.status {
        cond = cond.add(community::Column::Status.eq(s.as_str()));
    }
    if let Some(p) = filter.platform {
        cond = cond.add(community::Column::Platform.eq(p.as_str()));
    }
    if let Some(text) = filter.name_contains.as_deref() {
        let text = validation::text("filter.nameContains", text, 1, 120)?.to_lowercase();
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        cond = cond.add(
            Expr::expr(Func::lower(Expr::col((
                community::Entity,
                community::Column::Name,
            ))))
            .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    Ok(newest_first_as(
        &app.db,
        community::Entity::find().filter(cond),
        community::Column::Id,
        &page,
        CURSOR_TAG,
        |m: &Positional<community::Model>| m.0.id,
    )
    .await?
    .map(|m| m.0))
}

// Pages of communities are read by position (`db::ByPosition`): through
// sea-orm's readers, a community's eight optional columns cost an error
// string formatted and dropped for each NULL. `find()` selects the columns
// in field order, and `COLUMN_LIST` names them for raw statements.
crate::read_by_position!(entity community::Model {
    id,
    brand_id,
    name,
    purpose,
    kind,
    platform,
    platform_url,
    status,
    target_size,
    time_zone,
    max_prompts_per_week,
    min_gap_hours,
    quiet_hours_start,
    quiet_hours_end,
    version,
    created_at,
    updated_at,
    audience_id,
    recommendation,
});

/// Adds a channel to a community.
pub async fn create_channel(
    app: &AppContext,
    caller: &Caller,
    input: CreateChannelInput,
) -> AppResult<channel::Model> {
    let community_id = parse_id("input.communityId", &input.community_id)?;
    let c = writable(app, caller, community_id).await?;
    let name = validation::text("input.name", &input.name, 1, 120)?;
    let external_id =
        validation::optional_text("input.externalId", input.external_id.as_deref(), 200)?;
    let (txn, _) = crate::db::WriteTxn::for_community(app, c.id).await?;
    let created = channel::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(c.brand_id),
        community_id: Set(c.id),
        name: Set(name.clone()),
        kind: Set(input.kind.as_str().into()),
        external_id: Set(external_id),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        AppError::from_db_unique(e, || {
            format!("the community already has a channel named \"{name}\"")
        })
    })?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "channel.create",
            object_type: "channel",
            object_id: Some(created.id),
            brand_id: Some(c.brand_id),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The newest `first` communities of each of many brands in `scope` (one
/// statement, for communities nested under brands), newest first.
pub async fn first_communities_of(
    app: &AppContext,
    scope: &BrandScope,
    brands: &[Uuid],
    first: u64,
) -> AppResult<Vec<community::Model>> {
    use sea_orm::FromQueryResult;
    if brands.is_empty() {
        return Ok(Vec::new());
    }
    let (in_scope, values) = scope.sql("brand_id");
    let statement = crate::db::FirstPerParent {
        table: "community",
        columns: <community::Model as ReadByPosition>::COLUMN_LIST,
        parent: "brand_id",
        filter: &in_scope,
        values,
        order: "id DESC",
    }
    .statement(app.db.get_database_backend(), brands, first);
    Ok(Positional::<community::Model>::find_by_statement(statement)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|m| m.0)
        .collect())
}

/// Community counts of many brands in `scope` (one statement).
pub async fn community_counts(
    app: &AppContext,
    scope: &BrandScope,
    brands: &[Uuid],
) -> AppResult<Vec<(Uuid, i64)>> {
    Ok(community::Entity::find()
        .select_only()
        .column(community::Column::BrandId)
        .column_as(community::Column::Id.count(), "n")
        .filter(crate::db::one_of(
            app.db.get_database_backend(),
            community::Column::BrandId,
            brands,
        ))
        .filter(scope.condition(community::Column::BrandId))
        .group_by(community::Column::BrandId)
        .into_tuple()
        .all(&app.db)
        .await?)
}

/// Channels of many communities (one statement, for the DataLoader).
pub async fn channels_of(
    app: &AppContext,
    scope: &BrandScope,
    communities: &[Uuid],
) -> AppResult<Vec<channel::Model>> {
    Ok(channel::Entity::find()
        .filter(channel::Column::CommunityId.is_in(communities.to_vec()))
        .filter(scope.condition(channel::Column::BrandId))
        .order_by_asc(channel::Column::Name)
        .all(&app.db)
        .await?)
}

/// What the setup checklist is derived from, per community.
#[derive(Debug, Clone, Default)]
pub struct SetupFacts {
    /// The community.
    pub community_id: Uuid,
    /// Channels it has.
    pub channels: i64,
    /// Channels of kind `FEEDBACK`.
    pub feedback_channels: i64,
    /// Reward programmes it has.
    pub programmes: i64,
    /// Platforms of the gathering places of the audience it was built for.
    pub audience_platforms: Vec<String>,
    /// Prompts (conversation starters) scheduled ahead, or published in the
    /// last 7 days.
    pub conversation_starters: i64,
}

/// Setup facts for many communities (three statements, for the
/// DataLoader; a fourth when some were built for an audience).
pub async fn setup_facts(
    app: &AppContext,
    scope: &BrandScope,
    communities: &[Uuid],
    with_audience: &[Uuid],
) -> AppResult<Vec<SetupFacts>> {
    let channels: Vec<(Uuid, i64, i64)> = channel::Entity::find()
        .select_only()
        .column(channel::Column::CommunityId)
        .column_as(channel::Column::Id.count(), "channels")
        .column_as(
            Expr::cust("SUM(CASE WHEN kind = 'FEEDBACK' THEN 1 ELSE 0 END)"),
            "feedback_channels",
        )
        .filter(channel::Column::CommunityId.is_in(communities.to_vec()))
        .filter(scope.condition(channel::Column::BrandId))
        .group_by(channel::Column::CommunityId)
        .into_tuple()
        .all(&app.db)
        .await?;
    let programmes: Vec<(Uuid, i64)> = reward_programme::Entity::find()
        .select_only()
        .column(reward_programme::Column::CommunityId)
        .column_as(reward_programme::Column::Id.count(), "programmes")
        .filter(reward_programme::Column::CommunityId.is_in(communities.to_vec()))
        .filter(scope.condition(reward_programme::Column::BrandId))
        .group_by(reward_programme::Column::CommunityId)
        .into_tuple()
        .all(&app.db)
        .await?;
    let now = chrono::Utc::now();
    let starters: Vec<(Uuid, i64)> = entity::content_item::Entity::find()
        .select_only()
        .column(entity::content_item::Column::CommunityId)
        .column_as(entity::content_item::Column::Id.count(), "starters")
        .filter(entity::content_item::Column::CommunityId.is_in(communities.to_vec()))
        .filter(scope.condition(entity::content_item::Column::BrandId))
        .filter(entity::content_item::Column::IsPrompt.eq(true))
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(entity::content_item::Column::Status.eq("SCHEDULED"))
                        .add(entity::content_item::Column::ScheduledAt.gt(now)),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(entity::content_item::Column::Status.eq("PUBLISHED"))
                        .add(
                            entity::content_item::Column::PublishedAt
                                .gte(now - chrono::Duration::days(7)),
                        ),
                ),
        )
        .group_by(entity::content_item::Column::CommunityId)
        .into_tuple()
        .all(&app.db)
        .await?;
    let places = if with_audience.is_empty() {
        HashMap::new()
    } else {
        let (in_scope, mut values) = scope.sql("c.brand_id");
        let sql = format!(
            "SELECT DISTINCT c.id AS community_id, g.platform AS platform FROM community c \
             JOIN gathering_place g ON g.audience_id = c.audience_id AND g.brand_id = c.brand_id \
             WHERE c.id IN ({}) AND {in_scope}",
            vec!["?"; with_audience.len()].join(", ")
        );
        let mut ids: Vec<sea_orm::Value> = with_audience.iter().map(|c| (*c).into()).collect();
        ids.append(&mut values);
        let rows: Vec<(Uuid, String)> = app
            .db
            .query_all_raw(crate::db::raw(app.db.get_database_backend(), &sql, ids))
            .await?
            .iter()
            .map(|r| Ok((r.try_get("", "community_id")?, r.try_get("", "platform")?)))
            .collect::<Result<_, sea_orm::DbErr>>()?;
        crate::loaders::group(rows)
    };
    Ok(communities
        .iter()
        .map(|id| {
            let (channels, feedback_channels) = channels
                .iter()
                .find(|(c, _, _)| c == id)
                .map(|(_, n, f)| (*n, *f))
                .unwrap_or_default();
            let programmes = programmes
                .iter()
                .find(|(c, _)| c == id)
                .map(|(_, n)| *n)
                .unwrap_or_default();
            SetupFacts {
                community_id: *id,
                channels,
                feedback_channels,
                programmes,
                audience_platforms: places.get(id).cloned().unwrap_or_default(),
                conversation_starters: starters
                    .iter()
                    .find(|(c, _)| c == id)
                    .map(|(_, n)| *n)
                    .unwrap_or_default(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use entity::community;
    use sea_orm::{IdenStatic, Iterable};

    use crate::db::ReadByPosition;

    /// Rows are read in the order `find()` selects their columns: the
    /// entity's column order. A column added to the model and not to the
    /// reader (or moved in one of them) fails here.
    #[test]
    fn community_rows_are_read_in_the_entitys_column_order() {
        let entity: Vec<&str> = community::Column::iter().map(|c| c.as_str()).collect();
        assert_eq!(
            <community::Model as ReadByPosition>::COLUMNS,
            entity.as_slice()
        );
        assert_eq!(
            <community::Model as ReadByPosition>::COLUMN_LIST,
            entity.join(", ")
        );
    }
}
