//! GraphQL resolvers for pushing customers, orders and survey responses.

use crate::ingest::ReadRows;
use async_graphql::{Context, Object};

use super::service::{self, IngestCustomersInput, IngestOrdersInput, IngestSurveysInput};
use crate::{context::ContextExt, ingest::IngestSummary};

/// Commerce mutations.
#[derive(Default)]
pub struct CommerceMutation;

#[Object]
impl CommerceMutation {
    /// Pushes customers (integrations need `ingest:orders`); idempotent by `externalRef`.
    async fn ingest_customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The batch.")] input: IngestCustomersInput,
    ) -> async_graphql::Result<IngestSummary> {
        let input = IngestCustomersInput {
            rows: ReadRows::take_or(ctx, input.rows)?,
            ..input
        };
        Ok(service::customers(ctx.app()?, ctx.caller()?, input).await?)
    }

    /// Pushes orders (integrations need `ingest:orders`); idempotent by `externalId`.
    async fn ingest_orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The batch.")] input: IngestOrdersInput,
    ) -> async_graphql::Result<IngestSummary> {
        let input = IngestOrdersInput {
            rows: ReadRows::take_or(ctx, input.rows)?,
            ..input
        };
        Ok(service::orders(ctx.app()?, ctx.caller()?, input).await?)
    }

    /// Pushes survey responses (integrations need `ingest:surveys`); idempotent by `externalId`.
    async fn ingest_survey_responses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The batch.")] input: IngestSurveysInput,
    ) -> async_graphql::Result<IngestSummary> {
        let input = IngestSurveysInput {
            rows: ReadRows::take_or(ctx, input.rows)?,
            ..input
        };
        Ok(service::surveys(ctx.app()?, ctx.caller()?, input).await?)
    }
}
