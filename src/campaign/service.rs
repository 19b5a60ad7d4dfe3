//! Campaigns: planning rules and scoped queries. Staff (admins, the
//! brand's consultants) write; client users of the brand read; another
//! brand's campaigns are `NOT_FOUND`.

use async_graphql::{InputObject, MaybeUndefined, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{campaign, campaign_community, community};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
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
    /// What a campaign is for.
    pub enum CampaignObjective {
        /// More conversation among members.
        Engagement = "ENGAGEMENT",
        /// A product or feature launch.
        Launch = "LAUNCH",
        /// Keeping members active.
        Retention = "RETENTION",
        /// Purchases.
        Sales = "SALES",
        /// Members' opinions.
        Feedback = "FEEDBACK",
        /// Members speaking for the brand.
        Advocacy = "ADVOCACY",
    }
}

db_enum! {
    /// Where a campaign stands. `PLANNED → ACTIVE → COMPLETED`, and from
    /// `PLANNED` or `ACTIVE` to `CANCELLED`.
    pub enum CampaignStatus {
        /// Being prepared.
        Planned = "PLANNED",
        /// Running.
        Active = "ACTIVE",
        /// Over; read-only.
        Completed = "COMPLETED",
        /// Called off; read-only.
        Cancelled = "CANCELLED",
    }
}

impl CampaignStatus {
    fn next(self) -> &'static [CampaignStatus] {
        use CampaignStatus::*;
        match self {
            Planned => &[Active, Cancelled],
            Active => &[Completed, Cancelled],
            Completed | Cancelled => &[],
        }
    }

    /// Whether content may still be added or changed.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Planned | Self::Active)
    }
}

db_enum! {
    /// A result counted for content and set as a campaign target.
    pub enum ContentMetric {
        /// People who saw it.
        Reach = "REACH",
        /// Reactions (likes, emoji).
        Reactions = "REACTIONS",
        /// Replies.
        Replies = "REPLIES",
        /// Shares.
        Shares = "SHARES",
        /// Link clicks.
        Clicks = "CLICKS",
        /// Poll votes.
        Votes = "VOTES",
        /// Event sign-ups.
        Rsvps = "RSVPS",
        /// People who attended.
        Attendance = "ATTENDANCE",
        /// Offer codes used.
        Redemptions = "REDEMPTIONS",
        /// Revenue attributed, in the brand's currency.
        Revenue = "REVENUE",
    }
}

/// A campaign target: reach `value` of `metric` over the campaign.
#[derive(Debug, Clone, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(input_name = "CampaignTargetInput")]
pub struct CampaignTarget {
    /// What is counted.
    pub metric: ContentMetric,
    /// How much, above 0.
    pub value: f64,
}

/// A new campaign.
#[derive(Debug, Clone, InputObject)]
pub struct CreateCampaignInput {
    /// The brand.
    pub brand_id: ID,
    /// Name, unique within the brand, 1-120 characters.
    pub name: String,
    /// What it is about, up to 5000 characters.
    pub description: Option<String>,
    /// What it is for.
    pub objective: CampaignObjective,
    /// First moment.
    pub starts_at: DateTime<Utc>,
    /// End (exclusive), after the start and at most 366 days later.
    pub ends_at: DateTime<Utc>,
    /// Communities of the brand it runs in; at least one.
    pub community_ids: Vec<ID>,
    /// The staff user who owns it (default: you).
    pub owner_user_id: Option<ID>,
    /// Targets, one per metric.
    pub targets: Option<Vec<CampaignTarget>>,
    /// Hours before its slot by which an item must be approved, 0-336 (default 24).
    pub approval_lead_hours: Option<i32>,
}

/// Changes to a campaign; omitted fields stay.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateCampaignInput {
    /// New name.
    pub name: Option<String>,
    /// New description; `null` clears it.
    pub description: MaybeUndefined<String>,
    /// New objective.
    pub objective: Option<CampaignObjective>,
    /// New start.
    pub starts_at: Option<DateTime<Utc>>,
    /// New end.
    pub ends_at: Option<DateTime<Utc>>,
    /// Communities (replaces the list; a community with content stays).
    pub community_ids: Option<Vec<ID>>,
    /// New targets (replace the list).
    pub targets: Option<Vec<CampaignTarget>>,
    /// New approval lead time in hours.
    pub approval_lead_hours: Option<i32>,
    /// The version you read; stale is `CONFLICT`.
    pub expected_version: Option<i32>,
}

/// Filters of the campaign list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct CampaignFilter {
    /// Only this brand's campaigns.
    pub brand_id: Option<ID>,
    /// Only this status.
    pub status: Option<CampaignStatus>,
}

/// Cursor tag of the campaign list.
pub const CAMPAIGN_CURSOR: &str = "campaigns";

/// A campaign in `scope` (`NOT_FOUND` otherwise).
pub async fn campaign_in(
    app: &AppContext,
    scope: &BrandScope,
    id: Uuid,
) -> AppResult<campaign::Model> {
    campaign::Entity::find_by_id(id)
        .filter(scope.condition(campaign::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("campaign"))
}

/// A campaign the caller may change: in their write scope and open.
pub async fn open_campaign(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
) -> AppResult<campaign::Model> {
    let c = campaign_in(app, &caller.write_scope()?, id).await?;
    if !CampaignStatus::from_db(&c.status)?.is_open() {
        return Err(AppError::Conflict(format!(
            "the campaign is {}: it is read-only",
            c.status.to_lowercase()
        )));
    }
    Ok(c)
}

fn dates(starts: DateTime<Utc>, ends: DateTime<Utc>) -> AppResult<()> {
    if ends <= starts {
        return Err(AppError::bad_input(
            "input.endsAt",
            "endsAt must be after startsAt",
        ));
    }
    if ends - starts > chrono::Duration::days(366) {
        return Err(AppError::bad_input(
            "input.endsAt",
            "a campaign lasts at most 366 days",
        ));
    }
    Ok(())
}

fn lead_hours(h: i32) -> AppResult<i32> {
    if (0..=336).contains(&h) {
        Ok(h)
    } else {
        Err(AppError::bad_input(
            "input.approvalLeadHours",
            "approvalLeadHours must be 0-336",
        ))
    }
}

fn targets_json(targets: &[CampaignTarget]) -> AppResult<String> {
    let mut seen = std::collections::HashSet::new();
    for (i, t) in targets.iter().enumerate() {
        if !t.value.is_finite() || t.value <= 0.0 {
            return Err(AppError::bad_input(
                format!("input.targets.{i}.value"),
                "a target is a number above 0",
            ));
        }
        if !seen.insert(t.metric) {
            return Err(AppError::bad_input(
                format!("input.targets.{i}.metric"),
                format!("{} has two targets", t.metric.as_str()),
            ));
        }
    }
    serde_json::to_string(targets).map_err(|e| AppError::Internal(e.into()))
}

/// The stored targets.
pub fn targets_of(m: &campaign::Model) -> AppResult<Vec<CampaignTarget>> {
    serde_json::from_str(&m.targets)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored targets: {e}")))
}

/// The brand's communities among `ids` (all must be, and none archived).
async fn communities_of_brand(app: &AppContext, brand: Uuid, ids: &[ID]) -> AppResult<Vec<Uuid>> {
    if ids.is_empty() {
        return Err(AppError::bad_input(
            "input.communityIds",
            "a campaign runs in at least one community",
        ));
    }
    let mut wanted = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let id = parse_id(&format!("input.communityIds.{i}"), id)?;
        if !wanted.contains(&id) {
            wanted.push(id);
        }
    }
    let found = community::Entity::find()
        .filter(community::Column::Id.is_in(wanted.clone()))
        .filter(community::Column::BrandId.eq(brand))
        .all(&app.db)
        .await?;
    for (i, id) in wanted.iter().enumerate() {
        match found.iter().find(|c| c.id == *id) {
            None => return Err(AppError::NotFound("community")),
            Some(c) if c.status == "ARCHIVED" => {
                return Err(AppError::bad_input(
                    format!("input.communityIds.{i}"),
                    "the community is archived",
                ))
            }
            Some(_) => {}
        }
    }
    Ok(wanted)
}

fn links(
    brand: Uuid,
    campaign: Uuid,
    communities: &[Uuid],
) -> Vec<campaign_community::ActiveModel> {
    communities
        .iter()
        .map(|c| campaign_community::ActiveModel {
            campaign_id: Set(campaign),
            community_id: Set(*c),
            brand_id: Set(brand),
        })
        .collect()
}

fn name_taken(name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("the brand already has a campaign named \"{name}\"")
}

/// Creates a campaign.
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    input: CreateCampaignInput,
) -> AppResult<campaign::Model> {
    let brand = parse_id("input.brandId", &input.brand_id)?;
    caller.write_scope()?.check(brand, "brand")?;
    crate::brand::service::ensure_exists(app, brand).await?;
    let name = validation::text("input.name", &input.name, 1, 120)?;
    let description =
        validation::optional_text("input.description", input.description.as_deref(), 5000)?;
    dates(input.starts_at, input.ends_at)?;
    let owner = match &input.owner_user_id {
        Some(o) => parse_id("input.ownerUserId", o)?,
        None => caller.user()?.id,
    };
    let targets = targets_json(input.targets.as_deref().unwrap_or_default())?;
    let lead = lead_hours(input.approval_lead_hours.unwrap_or(24))?;
    let communities = communities_of_brand(app, brand, &input.community_ids).await?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let row = campaign::ActiveModel {
        id: Set(id),
        brand_id: Set(brand),
        name: Set(name.clone()),
        description: Set(description),
        objective: Set(input.objective.as_str().into()),
        status: Set(CampaignStatus::Planned.as_str().into()),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        owner_user_id: Set(Some(owner)),
        targets: Set(targets),
        approval_lead_hours: Set(lead),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let created = row
        .insert(&txn)
        .await
        .map_err(|e| AppError::from_db_unique(e, name_taken(&name)))?;
    campaign_community::Entity::insert_many(links(brand, id, &communities))
        .exec_without_returning(&txn)
        .await?;
    audit::record_object(
        &txn,
        caller,
        "campaign.create",
        ("campaign", id, brand),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a campaign's plan.
pub async fn update(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateCampaignInput,
) -> AppResult<campaign::Model> {
    let current = open_campaign(app, caller, id).await?;
    check_version("campaign", current.version, input.expected_version)?;
    let mut a = <campaign::ActiveModel as Default>::default();
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
    if let Some(o) = input.objective {
        a.objective = Set(o.as_str().into());
    }
    let starts = input.starts_at.unwrap_or(current.starts_at);
    let ends = input.ends_at.unwrap_or(current.ends_at);
    dates(starts, ends)?;
    a.starts_at = Set(starts);
    a.ends_at = Set(ends);
    if let Some(t) = &input.targets {
        a.targets = Set(targets_json(t)?);
    }
    if let Some(h) = input.approval_lead_hours {
        a.approval_lead_hours = Set(lead_hours(h)?);
    }
    let communities = match &input.community_ids {
        Some(ids) => Some(communities_of_brand(app, current.brand_id, ids).await?),
        None => None,
    };
    let txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    if let Some(communities) = &communities {
        let used = crate::content::service::communities_with_content(&txn, id).await?;
        if let Some(c) = used.iter().find(|c| !communities.contains(c)) {
            return Err(AppError::bad_input(
                "input.communityIds",
                format!("community {c} has content in this campaign; cancel or move it first"),
            ));
        }
        campaign_community::Entity::delete_many()
            .filter(campaign_community::Column::CampaignId.eq(id))
            .exec(&txn)
            .await?;
        campaign_community::Entity::insert_many(links(current.brand_id, id, communities))
            .exec_without_returning(&txn)
            .await?;
    }
    let updated = save(&txn, &current, a, &name).await?;
    audit::record_object(
        &txn,
        caller,
        "campaign.update",
        ("campaign", id, current.brand_id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Saves `changes` if the campaign is still at its version (bumping it).
async fn save(
    txn: &WriteTxn,
    current: &campaign::Model,
    mut changes: campaign::ActiveModel,
    name: &str,
) -> AppResult<campaign::Model> {
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(Utc::now());
    campaign::Entity::update_many()
        .set(changes)
        .filter(campaign::Column::Id.eq(current.id))
        .filter(campaign::Column::Version.eq(current.version))
        .exec_with_returning(txn)
        .await
        .map_err(|e| AppError::from_db_unique(e, name_taken(name)))?
        .into_iter()
        .next()
        .ok_or_else(|| {
            AppError::Conflict("the campaign was changed meanwhile; read it again".into())
        })
}

/// Moves a campaign to `status` (only the documented moves).
pub async fn set_status(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    status: CampaignStatus,
) -> AppResult<campaign::Model> {
    let current = campaign_in(app, &caller.write_scope()?, id).await?;
    let from = CampaignStatus::from_db(&current.status)?;
    if !from.next().contains(&status) {
        return Err(AppError::bad_input(
            "status",
            format!(
                "a {} campaign cannot become {}; allowed: {}",
                from.as_str(),
                status.as_str(),
                list(from.next().iter().map(|s| s.as_str()))
            ),
        ));
    }
    let txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    let changes = campaign::ActiveModel {
        status: Set(status.as_str().into()),
        ..Default::default()
    };
    let updated = save(&txn, &current, changes, &current.name).await?;
    audit::record_object(
        &txn,
        caller,
        "campaign.status",
        ("campaign", id, current.brand_id),
        Some(json!({ "from": from.as_str(), "to": status.as_str() })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// `a, b, c`, or `none`.
pub fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Campaigns in the caller's scope, newest first.
pub async fn campaigns(
    app: &AppContext,
    caller: &Caller,
    filter: CampaignFilter,
    page: PageRequest,
) -> AppResult<Page<campaign::Model>> {
    let scope = caller.read_scope()?;
    let mut q = campaign::Entity::find().filter(scope.condition(campaign::Column::BrandId));
    if let Some(b) = &filter.brand_id {
        q = q.filter(campaign::Column::BrandId.eq(parse_id("filter.brandId", b)?));
    }
    if let Some(s) = filter.status {
        q = q.filter(campaign::Column::Status.eq(s.as_str()));
    }
    newest_first(
        &app.db,
        q,
        campaign::Column::Id,
        &page,
        CAMPAIGN_CURSOR,
        |m| m.id,
    )
    .await
}

/// The communities of many campaigns (one statement), in `scope`.
pub async fn communities_of(
    app: &AppContext,
    scope: &BrandScope,
    campaigns: &[Uuid],
) -> AppResult<Vec<campaign_community::Model>> {
    Ok(campaign_community::Entity::find()
        .filter(campaign_community::Column::CampaignId.is_in(campaigns.to_vec()))
        .filter(scope.condition(campaign_community::Column::BrandId))
        .order_by_asc(campaign_community::Column::CommunityId)
        .all(&app.db)
        .await?)
}

/// Campaigns by id in `scope` (one statement).
pub async fn campaigns_by_id(
    app: &AppContext,
    scope: &BrandScope,
    ids: &[Uuid],
) -> AppResult<Vec<campaign::Model>> {
    Ok(campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(ids.to_vec()))
        .filter(scope.condition(campaign::Column::BrandId))
        .all(&app.db)
        .await?)
}
