//! GraphQL types and resolvers for content items, their versions and the
//! client's reviews.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{content_item, content_review, content_version};

use super::{
    loaders::{ItemReviewsLoader, ItemVersionsLoader},
    service::{
        self as content, ContentFields, ContentKind, ContentStatus, CreateContentItemInput,
        ReviewDecision, UpdateContentItemInput,
    },
};
use crate::{
    campaign::loaders::CampaignLoader,
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    loaders::loader,
    pagination::{Connection, CursorKey, Page, PageRequest},
    publishing::{loaders::ItemResultsLoader, results::ContentResults},
    schedule::{
        graphql::{recipient_page, ContentRecipient},
        loaders::ItemRecipientCountsLoader,
        offers::{RecipientCounts, RecipientStatus},
        service as schedule,
    },
};

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
        Ok(Some(schedule::deadline(&campaign, at)))
    }

    /// Why it will not be published as things stand (not approved by its
    /// deadline, approved but not scheduled before its slot, failed,
    /// cancelled); null when nothing stands in the way.
    async fn publish_blocker(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let campaign = loader::<CampaignLoader>(ctx)?
            .load_one(self.model.campaign_id)
            .await?
            .ok_or(AppError::NotFound("campaign"))?;
        Ok(schedule::publish_blocker(
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

/// The item a write returns, as its GraphQL object.
pub(crate) fn item(m: AppResult<content_item::Model>) -> async_graphql::Result<ContentItem> {
    Ok(m?.try_into()?)
}

/// Content item queries.
#[derive(Default)]
pub struct ContentQuery;

#[Object]
impl ContentQuery {
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
}

/// Content item mutations.
#[derive(Default)]
pub struct ContentMutation;

#[Object]
impl ContentMutation {
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
}
