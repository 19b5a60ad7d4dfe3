//! GraphQL resolvers for activity types and activity ingest.

use crate::ingest::ReadRows;
use async_graphql::{Context, Object, ID};

use super::service::{
    self, ActivityTypeWeight, IngestActivitiesInput, IngestResult, SetActivityTypeInput,
};
use crate::context::{parse_id, ContextExt};

/// Activity queries.
#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// A brand's activity types and weights (its own, then the defaults).
    async fn activity_types(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
    ) -> async_graphql::Result<Vec<ActivityTypeWeight>> {
        Ok(service::types(ctx.app()?, ctx.caller()?, parse_id("brandId", &brand_id)?).await?)
    }
}

/// Activity mutations.
#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Sets a brand's weight for an activity type.
    async fn set_activity_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The type and weight.")] input: SetActivityTypeInput,
    ) -> async_graphql::Result<ActivityTypeWeight> {
        Ok(service::set_type(ctx.app()?, ctx.caller()?, input).await?)
    }

    /// Pushes up to 10,000 activities; idempotent by each row's `sourceKey`.
    /// Integrations need `ingest:activities`.
    async fn ingest_activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The batch.")] input: IngestActivitiesInput,
    ) -> async_graphql::Result<IngestResult> {
        let input = IngestActivitiesInput {
            rows: ReadRows::take_or(ctx, input.rows)?,
            ..input
        };
        Ok(service::ingest(ctx.app()?, ctx.caller()?, input).await?)
    }
}
