//! GraphQL types and resolvers for content campaigns.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{campaign, content_item, content_review, content_version};
use uuid::Uuid;

use super::{
    content::{
        self, ContentFields, ContentKind, ContentStatus, CreateContentItemInput, ReviewDecision,
        UpdateContentItemInput,
    },
    loaders::{
        CampaignCommunitiesLoader, CampaignItemsLoader, CampaignLoader, ItemRecipientCountsLoader,
        ItemResultsLoader, ItemReviewsLoader, ItemVersionsLoader,
    },
    offers::{self, RecipientCounts, RecipientRow, RecipientStatus},
    publish,
    results::{self, CampaignResults, ContentResults, IngestContentMetricsInput, KindPerformance},
    service::{
        self, CampaignFilter, CampaignObjective, CampaignStatus, CampaignTarget,
        CreateCampaignInput, UpdateCampaignInput,
    },
};
use crate::{
    auth::BrandScope,
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    ingest::IngestSummary,
    loaders::loader,
    member::graphql::Identity,
    pagination::{Connection, CursorKey, Page, PageRequest},
};

/// A content campaign of a brand.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Campaign {
    /// Unique id.
    pub id: ID,
    /// The brand.
    pub brand_id: ID,
    /// Name, unique within the brand.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// What it is for.
    pub objective: CampaignObjective,
    /// Where it stands.
    pub status: CampaignStatus,
    /// First moment.
    pub starts_at: DateTime<Utc>,
    /// End (exclusive).
    pub ends_at: DateTime<Utc>,
    /// The staff user who owns it.
    pub owner_user_id: Option<ID>,
    /// Targets, one per metric.
    pub targets: Vec<CampaignTarget>,
    /// Hours before its slot by which an item must be approved.
    pub approval_lead_hours: i32,
    /// Incremented on every change; pass it as `expectedVersion`.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    uuid: Uuid,
}

impl TryFrom<campaign::Model> for Campaign {
    type Error = AppError;

    fn try_from(m: campaign::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            uuid: m.id,
            brand_id: to_id(m.brand_id),
            targets: service::targets_of(&m)?,
            name: m.name,
            description: m.description,
            objective: CampaignObjective::from_db(&m.objective)?,
            status: CampaignStatus::from_db(&m.status)?,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            owner_user_id: m.owner_user_id.map(to_id),
            approval_lead_hours: m.approval_lead_hours,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[ComplexObject]
impl Campaign {
    /// Ids of the communities it runs in.
    async fn community_ids(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ID>> {
        Ok(loader::<CampaignCommunitiesLoader>(ctx)?
            .load_one(self.uuid)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|c| to_id(c.community_id))
            .collect())
    }

    /// What it achieved: totals of the latest observations, progress
    /// against each target, and its communities' activity against the
    /// same length of time before it.
    async fn results(&self, ctx: &Context<'_>) -> async_graphql::Result<CampaignResults> {
        Ok(results::campaign_results(ctx.app()?, ctx.caller()?, self.uuid).await?)
    }

    /// Its content items by slot (items without a slot last); for further
    /// pages use `contentCalendar`.
    async fn items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows: 0-100, default 20.")] first: Option<i32>,
    ) -> async_graphql::Result<Connection<ContentItem>> {
        let page = PageRequest::new(first, None, content::ITEM_CURSOR, 2, false)?;
        let rows_loader = loader::<CampaignItemsLoader>(ctx)?;
        let (rows, total) = futures_util::join!(
            rows_loader.load_one((self.uuid, page.first)),
            crate::loaders::total_of::<content::CampaignItems>(ctx, self.uuid)
        );
        let (rows, total) = (rows?.unwrap_or_default(), total?);
        let page = Page::from_rows(rows, &page, total, |i| CursorKey {
            order: content::ITEM_CURSOR.into(),
            keys: vec![
                i.scheduled_at.map(|s| s.to_rfc3339()).unwrap_or_default(),
                i.id.to_string(),
            ],
        });
        Ok(page.try_map(ContentItem::try_from)?.into())
    }
}

/// A piece of campaign content for one community.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct ContentItem {
    /// Unique id.
    pub id: ID,
    /// The brand.
    pub brand_id: ID,
    /// The campaign.
    pub campaign_id: ID,
    /// The community it is posted in.
    pub community_id: ID,
    /// The channel, if chosen.
    pub channel_id: Option<ID>,
    /// What it is.
    pub kind: ContentKind,
    /// Whether it asks members to respond (counted by the cadence guard).
    pub is_prompt: bool,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// The kind's own fields.
    pub fields: ContentFields,
    /// The intended or taken slot.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Where it stands.
    pub status: ContentStatus,
    /// Number of the current content version.
    pub content_version: i32,
    /// The version the client approved (null until approved, and again
    /// after an edit).
    pub approved_version: Option<i32>,
    /// Failed publishing attempts.
    pub attempts: i32,
    /// The last publishing error.
    pub last_error: Option<String>,
    /// Not offered to publishing bots again before this.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The platform's id for the post.
    pub external_post_id: Option<String>,
    /// The post's address.
    pub post_url: Option<String>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Incremented on every change; pass it as `expectedVersion`.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    model: Box<content_item::Model>,
}

impl TryFrom<content_item::Model> for ContentItem {
    type Error = AppError;

    fn try_from(m: content_item::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            brand_id: to_id(m.brand_id),
            campaign_id: to_id(m.campaign_id),
            community_id: to_id(m.community_id),
            channel_id: m.channel_id.map(to_id),
            kind: ContentKind::from_db(&m.kind)?,
            is_prompt: m.is_prompt,
            title: m.title.clone(),
            body: m.body.clone(),
            fields: content::fields_of(&m)?,
            scheduled_at: m.scheduled_at,
            status: ContentStatus::from_db(&m.status)?,
            content_version: m.content_version,
            approved_version: m.approved_version,
            attempts: m.attempts,
            last_error: m.last_error.clone(),
            next_attempt_at: m.next_attempt_at,
            external_post_id: m.external_post_id.clone(),
            post_url: m.post_url.clone(),
            published_at: m.published_at,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
            model: Box::new(m),
        })
    }
}

/// A member an offer is addressed to, or was kept from by the brand's cap.
#[derive(Debug, Clone, SimpleObject)]
pub struct ContentRecipient {
    /// The member.
    pub member_id: ID,
    /// Whether the offer reaches them.
    pub status: RecipientStatus,
    /// Their own code, when the item hands out one per member.
    pub offer_code: Option<String>,
    /// Why the cap kept them from it, naming the offers that fill the window.
    pub reason: Option<String>,
    /// The item's slot when the recipients were fixed.
    pub at: DateTime<Utc>,
    /// Their accounts on platforms, to reach them where the item is posted.
    pub identities: Vec<Identity>,
}

impl TryFrom<RecipientRow> for ContentRecipient {
    type Error = AppError;

    fn try_from(r: RecipientRow) -> AppResult<Self> {
        Ok(Self {
            member_id: to_id(r.recipient.member_id),
            status: RecipientStatus::from_db(&r.recipient.status)?,
            offer_code: r.recipient.offer_code,
            reason: r.recipient.reason,
            at: r.recipient.at,
            identities: r
                .identities
                .into_iter()
                .map(Identity::try_from)
                .collect::<AppResult<_>>()?,
        })
    }
}

/// A page of an item's recipients.
async fn recipient_page(
    ctx: &Context<'_>,
    scope: &BrandScope,
    item: Uuid,
    status: Option<RecipientStatus>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<ContentRecipient>> {
    let page = PageRequest::new(
        first,
        after.as_deref(),
        offers::RECIPIENT_CURSOR,
        1,
        ctx.wants_total(),
    )?;
    let page = offers::recipients(ctx.app()?, scope, item, status, page).await?;
    Ok(page.try_map(ContentRecipient::try_from)?.into())
}

#[ComplexObject]
impl ContentItem {
    /// Offers: the members it is addressed to and those the brand's cap kept
    /// from it, by member id (fixed when it is scheduled).
    async fn recipients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only recipients with this status.")] status: Option<RecipientStatus>,
        #[graphql(desc = "Rows: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row seen.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<ContentRecipient>> {
        let scope = ctx.caller()?.read_scope()?;
        recipient_page(ctx, &scope, self.model.id, status, first, after).await
    }

    /// `EVENT` and `AMA` items with a `hostMemberId`: why the host may not
    /// host in this community (the community requires a certification for
    /// `HOST` that they lack); null when they may, or nothing is required.
    async fn host_training_gap(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let Some(host) = self.fields.host_member_id.as_ref() else {
            return Ok(None);
        };
        let host = parse_id("hostMemberId", host)?;
        Ok(crate::certification::roles::lacking(
            &ctx.app()?.db,
            self.model.brand_id,
            self.model.community_id,
            host,
            crate::member::service::MemberRole::Host,
        )
        .await?)
    }

    /// Offers: how many members it reaches and how many the cap kept from it.
    async fn recipient_counts(&self, ctx: &Context<'_>) -> async_graphql::Result<RecipientCounts> {
        Ok(loader::<ItemRecipientCountsLoader>(ctx)?
            .load_one(self.model.id)
            .await?
            .unwrap_or_default())
    }

    /// Its content versions, newest first.
    async fn versions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows: 0-100, default 20.")] first: Option<i32>,
    ) -> async_graphql::Result<Connection<ContentVersion>> {
        let page = PageRequest::new(first, None, "content_versions", 1, false)?;
        let rows_loader = loader::<ItemVersionsLoader>(ctx)?;
        let (rows, total) = futures_util::join!(
            rows_loader.load_one((self.model.id, page.first)),
            crate::loaders::total_of::<content::ItemVersions>(ctx, self.model.id)
        );
        let (rows, total) = (rows?.unwrap_or_default(), total?);
        let page = Page::from_rows(rows, &page, total, |v| CursorKey {
            order: "content_versions".into(),
            keys: vec![v.number.to_string()],
        });
        Ok(page.try_map(ContentVersion::try_from)?.into())
    }

    /// Its results: the latest observation of each metric, votes per
    /// option, interactions, engagement and attendance rates.
    async fn results(&self, ctx: &Context<'_>) -> async_graphql::Result<ContentResults> {
        Ok(loader::<ItemResultsLoader>(ctx)?
            .load_one(self.model.id)
            .await?
            .ok_or(AppError::NotFound("content item"))?)
    }

    /// The client's decisions, oldest first.
    async fn reviews(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ContentReview>> {
        Ok(loader::<ItemReviewsLoader>(ctx)?
            .load_one(self.model.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ContentReview::try_from)
            .collect::<AppResult<_>>()?)
    }

    /// The approval deadline of its slot (`approvalLeadHours` before it).
    async fn approval_deadline(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        let Some(at) = self.model.scheduled_at else {
            return Ok(None);
        };
        let campaign = loader::<CampaignLoader>(ctx)?
            .load_one(self.model.campaign_id)
            .await?
            .ok_or(AppError::NotFound("campaign"))?;
        Ok(Some(content::deadline(&campaign, at)))
    }

    /// Why it will not be published as things stand (not approved by its
    /// deadline, approved but not scheduled before its slot, failed,
    /// cancelled); null when nothing stands in the way.
    async fn publish_blocker(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let campaign = loader::<CampaignLoader>(ctx)?
            .load_one(self.model.campaign_id)
            .await?
            .ok_or(AppError::NotFound("campaign"))?;
        Ok(content::publish_blocker(
            &self.model,
            campaign.approval_lead_hours,
            Utc::now(),
        )?)
    }
}

/// One version of an item's content.
#[derive(Debug, Clone, SimpleObject)]
pub struct ContentVersion {
    /// 1, 2, ...
    pub number: i32,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// The kind's own fields.
    pub fields: ContentFields,
    /// Who wrote it.
    pub edited_by_user_id: Option<ID>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<content_version::Model> for ContentVersion {
    type Error = AppError;

    fn try_from(m: content_version::Model) -> AppResult<Self> {
        Ok(Self {
            number: m.number,
            fields: content::parse_fields(&m.fields)?,
            title: m.title,
            body: m.body,
            edited_by_user_id: m.edited_by_user_id.map(to_id),
            created_at: m.created_at,
        })
    }
}

/// A client's decision on a version.
#[derive(Debug, Clone, SimpleObject)]
pub struct ContentReview {
    /// The version decided on.
    pub content_version: i32,
    /// The decision.
    pub decision: ReviewDecision,
    /// The reviewer's words.
    pub comment: Option<String>,
    /// The client user.
    pub user_id: ID,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<content_review::Model> for ContentReview {
    type Error = AppError;

    fn try_from(m: content_review::Model) -> AppResult<Self> {
        Ok(Self {
            content_version: m.content_version,
            decision: ReviewDecision::from_db(&m.decision)?,
            comment: m.comment,
            user_id: to_id(m.user_id),
            created_at: m.created_at,
        })
    }
}

/// An entry of the content calendar.
#[derive(Debug, Clone, SimpleObject)]
pub struct CalendarEntry {
    /// The item.
    pub item: ContentItem,
    /// Whether its slot breaks the community's cadence policy against the
    /// community's other items with a slot.
    pub conflicted: bool,
    /// Ids of the items it conflicts with.
    pub conflicts_with: Vec<ID>,
    /// The rules it breaks, in words.
    pub breaches: Vec<String>,
}

/// A claimed item with its lease.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct ClaimedContent {
    /// The lease to report with.
    pub lease_id: ID,
    /// When the lease runs out (the item is offered again after it).
    pub lease_expires_at: DateTime<Utc>,
    /// The item id.
    pub item_id: ID,
    /// The community.
    pub community_id: ID,
    /// The channel, if chosen.
    pub channel_id: Option<ID>,
    /// What it is.
    pub kind: ContentKind,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// The kind's own fields.
    pub fields: ContentFields,
    /// Its slot.
    pub scheduled_at: DateTime<Utc>,
    #[graphql(skip)]
    item: Uuid,
}

#[ComplexObject]
impl ClaimedContent {
    /// Offers: the members to send it to, each with their own code when
    /// the item hands out one per member (the cap is applied already).
    async fn recipients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last row seen.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<ContentRecipient>> {
        let scope = BrandScope::One(publish::brand_of(ctx.caller()?)?);
        let addressed = Some(RecipientStatus::Addressed);
        recipient_page(ctx, &scope, self.item, addressed, first, after).await
    }
}

impl TryFrom<content_item::Model> for ClaimedContent {
    type Error = AppError;

    fn try_from(m: content_item::Model) -> AppResult<Self> {
        let missing = || AppError::Internal(anyhow::anyhow!("claimed item without lease or slot"));
        Ok(Self {
            lease_id: to_id(m.lease_id.ok_or_else(missing)?),
            lease_expires_at: m.lease_expires_at.ok_or_else(missing)?,
            scheduled_at: m.scheduled_at.ok_or_else(missing)?,
            item_id: to_id(m.id),
            community_id: to_id(m.community_id),
            channel_id: m.channel_id.map(to_id),
            kind: ContentKind::from_db(&m.kind)?,
            fields: content::fields_of(&m)?,
            item: m.id,
            title: m.title,
            body: m.body,
        })
    }
}

/// Campaign queries.
#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// One campaign by id.
    async fn campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign.")] id: ID,
    ) -> async_graphql::Result<Campaign> {
        let scope = ctx.caller()?.read_scope()?;
        Ok(
            service::campaign_in(ctx.app()?, &scope, parse_id("id", &id)?)
                .await?
                .try_into()?,
        )
    }

    /// Campaigns in your scope, newest first.
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Which campaigns to include.")] filter: Option<CampaignFilter>,
    ) -> async_graphql::Result<Connection<Campaign>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            service::CAMPAIGN_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let page =
            service::campaigns(ctx.app()?, ctx.caller()?, filter.unwrap_or_default(), page).await?;
        let ids: Vec<Uuid> = page.rows.iter().map(|(_, c)| c.id).collect();
        crate::loaders::prefetch_totals::<content::CampaignItems>(ctx, "items", &ids).await?;
        Ok(page.try_map(Campaign::try_from)?.into())
    }

    /// One content item by id.
    async fn content_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] id: ID,
    ) -> async_graphql::Result<ContentItem> {
        Ok(
            content::readable(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .try_into()?,
        )
    }

    /// A brand's items with a slot in `[from, to)` (at most 366 days) across
    /// its communities, by slot, each flagged when it breaks its
    /// community's cadence policy against the others (cancelled and failed
    /// items leave the calendar).
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per GraphQL argument"
    )]
    async fn content_calendar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
        #[graphql(desc = "Start (inclusive).")] from: DateTime<Utc>,
        #[graphql(desc = "End (exclusive).")] to: DateTime<Utc>,
        #[graphql(desc = "Only these communities (at most 100).")] community_ids: Option<Vec<ID>>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<CalendarEntry>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            content::CALENDAR_CURSOR,
            2,
            ctx.wants_total(),
        )?;
        let communities = community_ids
            .map(|ids| {
                ids.iter()
                    .enumerate()
                    .map(|(i, c)| parse_id(&format!("communityIds.{i}"), c))
                    .collect::<AppResult<Vec<_>>>()
            })
            .transpose()?;
        let page = content::calendar(
            ctx.app()?,
            ctx.caller()?,
            parse_id("brandId", &brand_id)?,
            from,
            to,
            communities,
            page,
        )
        .await?;
        Ok(page
            .try_map(|r| {
                let mut with: Vec<ID> = Vec::new();
                for b in &r.breaches {
                    for i in b.items() {
                        let id = to_id(*i);
                        if !with.contains(&id) {
                            with.push(id);
                        }
                    }
                }
                Ok::<_, AppError>(CalendarEntry {
                    conflicted: !r.breaches.is_empty(),
                    breaches: r.breaches.iter().map(|b| b.describe(&r.policy)).collect(),
                    conflicts_with: with,
                    item: ContentItem::try_from(r.item)?,
                })
            })?
            .into())
    }

    /// Which kinds of content work best in a community: its published items
    /// per kind, highest mean engagement rate first, with sample sizes.
    async fn content_performance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
    ) -> async_graphql::Result<Vec<KindPerformance>> {
        Ok(results::performance(
            ctx.app()?,
            ctx.caller()?,
            parse_id("communityId", &community_id)?,
        )
        .await?)
    }

    /// The next times the community's cadence policy allows after `after`
    /// (whole quarter hours, within 90 days), usable together.
    async fn suggest_slots(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "Earliest time (default now).")] after: Option<DateTime<Utc>>,
        #[graphql(desc = "How many, 1-50 (default 5).")] count: Option<i32>,
        #[graphql(desc = "For a prompt (default true), or for another item.")] prompt: Option<bool>,
    ) -> async_graphql::Result<Vec<DateTime<Utc>>> {
        Ok(content::suggest_slots(
            ctx.app()?,
            ctx.caller()?,
            parse_id("communityId", &community_id)?,
            after.unwrap_or_else(Utc::now),
            count.unwrap_or(5),
            prompt.unwrap_or(true),
        )
        .await?)
    }
}

/// Campaign mutations.
#[derive(Default)]
pub struct CampaignMutation;

fn item(m: AppResult<content_item::Model>) -> async_graphql::Result<ContentItem> {
    Ok(m?.try_into()?)
}

#[Object]
impl CampaignMutation {
    /// Plans a campaign (admins and the brand's consultants).
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign.")] input: CreateCampaignInput,
    ) -> async_graphql::Result<Campaign> {
        Ok(service::create(ctx.app()?, ctx.caller()?, input)
            .await?
            .try_into()?)
    }

    /// Changes a campaign's plan.
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateCampaignInput,
    ) -> async_graphql::Result<Campaign> {
        Ok(
            service::update(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, input)
                .await?
                .try_into()?,
        )
    }

    /// Moves a campaign: `PLANNED → ACTIVE → COMPLETED`, or to `CANCELLED`.
    async fn set_campaign_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign.")] id: ID,
        #[graphql(desc = "The new status.")] status: CampaignStatus,
    ) -> async_graphql::Result<Campaign> {
        Ok(
            service::set_status(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, status)
                .await?
                .try_into()?,
        )
    }

    /// Adds a draft item to a campaign.
    async fn create_content_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] input: CreateContentItemInput,
    ) -> async_graphql::Result<ContentItem> {
        item(content::create(ctx.app()?, ctx.caller()?, input).await)
    }

    /// Edits an item: a change of content is a new version, and sends an
    /// approved or scheduled item back to review.
    async fn update_content_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateContentItemInput,
    ) -> async_graphql::Result<ContentItem> {
        item(content::update(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, input).await)
    }

    /// Sends a draft (or an item with changes requested) to the client.
    async fn submit_content_for_review(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] id: ID,
    ) -> async_graphql::Result<ContentItem> {
        item(content::submit(ctx.app()?, ctx.caller()?, parse_id("id", &id)?).await)
    }

    /// Approves the current version of an item in review (client users of
    /// the item's brand only).
    async fn approve_content(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] id: ID,
        #[graphql(desc = "The version you read (must be the current one).")] content_version: i32,
        #[graphql(desc = "Optional words for the team.")] comment: Option<String>,
    ) -> async_graphql::Result<ContentItem> {
        item(
            content::review(
                ctx.app()?,
                ctx.caller()?,
                parse_id("id", &id)?,
                content_version,
                ReviewDecision::Approved,
                comment.as_deref(),
            )
            .await,
        )
    }

    /// Asks for changes to the current version of an item in review, saying
    /// what (client users of the item's brand only).
    async fn request_content_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] id: ID,
        #[graphql(desc = "The version you read (must be the current one).")] content_version: i32,
        #[graphql(desc = "What should change (required).")] comment: String,
    ) -> async_graphql::Result<ContentItem> {
        item(
            content::review(
                ctx.app()?,
                ctx.caller()?,
                parse_id("id", &id)?,
                content_version,
                ReviewDecision::ChangesRequested,
                Some(&comment),
            )
            .await,
        )
    }

    /// Gives an approved item its slot (`at`, default its `scheduledAt`),
    /// refused with the conflicting items named when the slot breaks the
    /// community's cadence policy; moves a scheduled one.
    async fn schedule_content(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] id: ID,
        #[graphql(desc = "The slot (default the item's scheduledAt).")] at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<ContentItem> {
        item(content::schedule(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, at).await)
    }

    /// Calls off an item that is not published, failed or cancelled.
    async fn cancel_content(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] id: ID,
        #[graphql(desc = "Why, up to 1000 characters.")] reason: Option<String>,
    ) -> async_graphql::Result<ContentItem> {
        item(
            content::cancel(
                ctx.app()?,
                ctx.caller()?,
                parse_id("id", &id)?,
                reason.as_deref(),
            )
            .await,
        )
    }

    /// Claims up to `limit` due items of your brand under a lease
    /// (integrations with `publish:content`); two claimers never get the
    /// same item, and an expired lease is offered again.
    async fn claim_due_content(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Most items, 1-100 (default 10).")] limit: Option<i32>,
        #[graphql(desc = "Lease length in seconds, 1-3600 (default 300).")] lease_seconds: Option<
            i32,
        >,
    ) -> async_graphql::Result<Vec<ClaimedContent>> {
        Ok(publish::claim(
            ctx.app()?,
            ctx.caller()?,
            limit.unwrap_or(10),
            lease_seconds.unwrap_or(300),
        )
        .await?
        .into_iter()
        .map(ClaimedContent::try_from)
        .collect::<AppResult<_>>()?)
    }

    /// Pushes metric observations of published items (integrations with
    /// `publish:content`, or staff), idempotent by item, metric, option and
    /// time; the latest observation counts.
    async fn ingest_content_metrics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The batch.")] input: IngestContentMetricsInput,
    ) -> async_graphql::Result<IngestSummary> {
        Ok(results::ingest(ctx.app()?, ctx.caller()?, input).await?)
    }

    /// Reports a leased item posted (idempotent: the same report again
    /// changes nothing).
    async fn report_published(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] item_id: ID,
        #[graphql(desc = "The lease it was claimed with.")] lease_id: ID,
        #[graphql(desc = "The platform's id for the post.")] external_post_id: String,
        #[graphql(desc = "The post's address.")] url: Option<String>,
        #[graphql(desc = "When it went out (default now).")] published_at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<ContentItem> {
        item(
            publish::published(
                ctx.app()?,
                ctx.caller()?,
                parse_id("itemId", &item_id)?,
                parse_id("leaseId", &lease_id)?,
                &external_post_id,
                url.as_deref(),
                published_at,
            )
            .await,
        )
    }

    /// Reports a failed attempt for a leased item: it is offered again after
    /// a backoff (1 min, doubling), and fails after 5 attempts (idempotent
    /// per lease).
    async fn report_publish_failed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] item_id: ID,
        #[graphql(desc = "The lease it was claimed with.")] lease_id: ID,
        #[graphql(desc = "What went wrong, 1-2000 characters.")] error: String,
    ) -> async_graphql::Result<ContentItem> {
        item(
            publish::failed(
                ctx.app()?,
                ctx.caller()?,
                parse_id("itemId", &item_id)?,
                parse_id("leaseId", &lease_id)?,
                &error,
            )
            .await,
        )
    }
}
