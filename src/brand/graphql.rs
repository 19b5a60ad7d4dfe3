//! GraphQL types and resolvers for brands: they translate, the service decides.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::brand;
use uuid::Uuid;

use super::service::{
    self, BrandFilter, BrandOrder, BrandStatus, CreateBrandInput, UpdateBrandInput,
};
use crate::{
    community::graphql::Community,
    context::{parse_id, ContextExt},
    pagination::{Connection, PageRequest},
};

/// A client brand of the agency.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Brand {
    /// Unique id.
    pub id: ID,
    /// Unique URL-safe handle.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Free text about the brand.
    pub description: Option<String>,
    /// The brand's public web site.
    pub website_url: Option<String>,
    /// Lifecycle status.
    pub status: BrandStatus,
    /// Version, incremented on every change; pass it as `expectedVersion` to
    /// detect concurrent edits.
    pub version: i32,
    /// When the brand was created.
    pub created_at: DateTime<Utc>,
    /// When the brand last changed.
    pub updated_at: DateTime<Utc>,
    /// When the brand was archived, if it is.
    pub archived_at: Option<DateTime<Utc>>,
    /// Most offers and early-access items a member is addressed in any 30
    /// days, across the brand's communities; null: no cap.
    pub max_offers_per_member: Option<i32>,
    #[graphql(skip)]
    uuid: Uuid,
}

#[ComplexObject]
impl Brand {
    /// The brand's communities, newest first (for filters and further pages
    /// use `communities` with `filter: { brandId }`, which takes these
    /// cursors).
    async fn communities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows: 0-100, default 20.")] first: Option<i32>,
    ) -> async_graphql::Result<Connection<Community>> {
        crate::community::graphql::of_brand(ctx, self.uuid, first).await
    }
}

impl From<brand::Model> for Brand {
    fn from(m: brand::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            uuid: m.id,
            slug: m.slug,
            name: m.name,
            description: m.description,
            website_url: m.website_url,
            status: m.status.into(),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
            archived_at: m.archived_at,
            max_offers_per_member: m.max_offers_per_member,
        }
    }
}

/// Brand queries.
#[derive(Default)]
pub struct BrandQuery;

#[Object]
impl BrandQuery {
    /// One brand by id, if it is in your scope.
    async fn brand(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand's id.")] id: ID,
    ) -> async_graphql::Result<Brand> {
        Ok(
            service::get(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// The brands in your scope (all for admins, assigned ones for consultants,
    /// your own for client users), one page at a time.
    async fn brands(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
        #[graphql(desc = "Which brands to include (all by default).")] filter: Option<BrandFilter>,
        #[graphql(desc = "Sort order (`CREATED_AT_DESC` by default).")] order_by: Option<
            BrandOrder,
        >,
    ) -> async_graphql::Result<Connection<Brand>> {
        let (filter, order_by) = (filter.unwrap_or_default(), order_by.unwrap_or_default());
        let page = PageRequest::new(
            first,
            after.as_deref(),
            order_by.cursor_tag(),
            order_by.key_count(),
            ctx.wants_total(),
        )?
        .cursors(ctx.wants_cursors());
        Ok(
            service::list(ctx.app()?, ctx.caller()?, filter, order_by, page)
                .await?
                .map(Brand::from)
                .into(),
        )
    }
}

/// Brand mutations.
#[derive(Default)]
pub struct BrandMutation;

#[Object]
impl BrandMutation {
    /// Creates a brand (admins only). A slug already in use is `CONFLICT`.
    async fn create_brand(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new brand.")] input: CreateBrandInput,
    ) -> async_graphql::Result<Brand> {
        Ok(service::create(ctx.app()?, ctx.caller()?, input)
            .await?
            .into())
    }

    /// Changes a brand's details (admins and the brand's consultants).
    async fn update_brand(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand's id.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateBrandInput,
    ) -> async_graphql::Result<Brand> {
        Ok(
            service::update(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, input)
                .await?
                .into(),
        )
    }

    /// Archives a brand (admins only); it stays readable but can no longer change.
    async fn archive_brand(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand's id.")] id: ID,
        #[graphql(desc = "The version you read; refused with `CONFLICT` when stale.")]
        expected_version: Option<i32>,
    ) -> async_graphql::Result<Brand> {
        Ok(service::archive(
            ctx.app()?,
            ctx.caller()?,
            parse_id("id", &id)?,
            expected_version,
        )
        .await?
        .into())
    }
}
