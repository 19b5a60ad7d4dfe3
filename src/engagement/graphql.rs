//! GraphQL resolvers for engagement: scored member lists, members slipping
//! away, and community health.

use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use super::service::{self, CommunityHealth, EngagementBand, MemberListFilter, MemberOrder};
use crate::{
    context::{parse_id, ContextExt},
    member::graphql::CommunityMember,
    pagination::{Connection, PageRequest},
};

/// Engagement and health queries.
#[derive(Default)]
pub struct EngagementQuery;

#[Object]
impl EngagementQuery {
    /// A community's members with their engagement, filterable by band.
    #[allow(clippy::too_many_arguments)]
    async fn community_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Only members in this engagement band.")] band: Option<EngagementBand>,
        #[graphql(desc = "Include members who left (default: no).")] include_left: Option<bool>,
        #[graphql(desc = "Order (`ENGAGEMENT_DESC` by default).")] order_by: Option<MemberOrder>,
    ) -> async_graphql::Result<Connection<CommunityMember>> {
        let (app, caller) = (ctx.app()?, ctx.caller()?);
        let order = order_by.unwrap_or_default();
        let (tag, keys) = service::cursor_shape(order);
        let page = PageRequest::new(first, after.as_deref(), tag, keys, ctx.wants_total())?;
        let community = parse_id("communityId", &community_id)?;
        let filter = MemberListFilter {
            band,
            include_left: include_left.unwrap_or(false),
        };
        let page = service::members(app, caller, community, filter, order, page).await?;
        let page = page.try_map(CommunityMember::scored)?;
        Ok(crate::member::graphql::with_members(ctx, page)
            .await?
            .into())
    }

    /// Members who were fans or ultras and have gone quiet for 30 days
    /// (rule in the README), most engaged (as of then) first; their
    /// engagement is as of 30 days ago.
    async fn slipping_away(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<CommunityMember>> {
        let (app, caller) = (ctx.app()?, ctx.caller()?);
        let page = PageRequest::new(
            first,
            after.as_deref(),
            service::RANKED_CURSOR,
            2,
            ctx.wants_total(),
        )?;
        let community = parse_id("communityId", &community_id)?;
        let page = service::slipping_away(app, caller, community, &page).await?;
        let page = page.try_map(CommunityMember::slipping)?;
        Ok(crate::member::graphql::with_members(ctx, page)
            .await?
            .into())
    }

    /// Health figures of a community over a period (default: the last 30 days).
    async fn community_health(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "Start of the period.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "End of the period (exclusive; default now).")] to: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<CommunityHealth> {
        let id = parse_id("communityId", &community_id)?;
        Ok(
            service::community_health(&ctx.app()?.for_reports(), ctx.caller()?, id, from, to)
                .await?,
        )
    }
}
