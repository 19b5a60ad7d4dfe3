//! GraphQL resolvers for insights: suggested tags, the audience's figures
//! and the community recommendation.

use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use super::{
    recommend::CommunityRecommendation,
    service::{self as insights, AudienceInsights, SuggestedTag},
};
use crate::{
    context::{parse_id, ContextExt},
    error::AppError,
    pagination::{Connection, CursorKey, Page, PageRequest},
};

/// Insight queries.
#[derive(Default)]
pub struct InsightQuery;

#[Object]
impl InsightQuery {
    /// Frequent words of the audience's findings that no codebook tag
    /// covers yet, most findings first.
    async fn suggested_tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The audience.")] audience_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<SuggestedTag>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            "suggested-tags",
            1,
            ctx.wants_total(),
        )?;
        let audience = parse_id("audienceId", &audience_id)?;
        let all = insights::suggested_tags(ctx.app()?, ctx.caller()?, audience).await?;
        // The ranking is computed whole; the cursor is the position in it.
        let start = match &page.after {
            Some(c) => {
                c.keys[0]
                    .parse::<usize>()
                    .map_err(|_| AppError::bad_input("after", "not a valid cursor"))?
                    + 1
            }
            None => 0,
        };
        let total = page.want_total.then_some(all.len() as u64);
        let rows: Vec<(usize, SuggestedTag)> = all
            .into_iter()
            .enumerate()
            .skip(start)
            .take(page.first as usize + 1)
            .collect();
        let page = Page::from_rows(rows, &page, total, |(i, _)| CursorKey {
            order: "suggested-tags".into(),
            keys: vec![i.to_string()],
        });
        Ok(page.map(|(_, s)| s).into())
    }

    /// Per tag, platform and month: what the audience's findings collected
    /// in a period say (default: the 365 days before `to`).
    async fn audience_insights(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The audience.")] audience_id: ID,
        #[graphql(desc = "Start of the period.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "End of the period (exclusive; default now).")] to: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<AudienceInsights> {
        let audience = parse_id("audienceId", &audience_id)?;
        Ok(insights::insights(ctx.app()?, ctx.caller()?, audience, from, to).await?)
    }

    /// Community types and platforms ranked for the audience, each with its
    /// score, contributions, explanation and confidence, and a proposed
    /// purpose (formula in the README).
    async fn community_recommendation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The audience.")] audience_id: ID,
    ) -> async_graphql::Result<CommunityRecommendation> {
        let audience = parse_id("audienceId", &audience_id)?;
        Ok(insights::recommendation(ctx.app()?, ctx.caller()?, audience).await?)
    }
}
