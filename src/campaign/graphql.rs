//! GraphQL types and resolvers for campaigns.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::campaign;
use uuid::Uuid;

use super::{
    loaders::CampaignCommunitiesLoader,
    service::{
        self, CampaignFilter, CampaignObjective, CampaignStatus, CampaignTarget,
        CreateCampaignInput, UpdateCampaignInput,
    },
};
use crate::{
    content::{
        graphql::ContentItem,
        loaders::CampaignItemsLoader,
        service::{CampaignItems, ITEM_CURSOR},
    },
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    loaders::loader,
    pagination::{Connection, CursorKey, Page, PageRequest},
    publishing::results::{self, CampaignResults},
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
        let page = PageRequest::new(first, None, ITEM_CURSOR, 2, false)?;
        let rows_loader = loader::<CampaignItemsLoader>(ctx)?;
        let (rows, total) = futures_util::join!(
            rows_loader.load_one((self.uuid, page.first)),
            crate::loaders::total_of::<CampaignItems>(ctx, self.uuid)
        );
        let (rows, total) = (rows?.unwrap_or_default(), total?);
        let page = Page::from_rows(rows, &page, total, |i| CursorKey {
            order: ITEM_CURSOR.into(),
            keys: vec![
                i.scheduled_at.map(|s| s.to_rfc3339()).unwrap_or_default(),
                i.id.to_string(),
            ],
        });
        Ok(page.try_map(ContentItem::try_from)?.into())
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
        crate::loaders::prefetch_totals::<CampaignItems>(ctx, "items", &ids).await?;
        Ok(page.try_map(Campaign::try_from)?.into())
    }
}

/// Campaign mutations.
#[derive(Default)]
pub struct CampaignMutation;

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
}
