//! GraphQL types and resolvers for publishing: claims under a lease,
//! publishing reports, pushed metrics and content performance.

use crate::ingest::ReadRows;
use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::content_item;
use uuid::Uuid;

use super::{
    publish,
    results::{self, IngestContentMetricsInput, KindPerformance},
};
use crate::{
    auth::BrandScope,
    content::{
        graphql::{item, ContentItem},
        service::{self as content, ContentFields, ContentKind},
    },
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    ingest::IngestSummary,
    pagination::Connection,
    schedule::{
        graphql::{recipient_page, ContentRecipient},
        offers::RecipientStatus,
    },
};

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

/// Publishing queries.
#[derive(Default)]
pub struct PublishingQuery;

#[Object]
impl PublishingQuery {
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
}

/// Publishing mutations.
#[derive(Default)]
pub struct PublishingMutation;

#[Object]
impl PublishingMutation {
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
        let input = IngestContentMetricsInput {
            rows: ReadRows::take_or(ctx, input.rows)?,
            ..input
        };
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
