//! GraphQL resolvers for training results and the training report.

use crate::ingest::ReadRows;
use async_graphql::{Context, Object, ID};

use super::{
    report,
    service::{self, IngestTrainingStatementsInput, RecordTrainingResultInput},
};
use crate::{
    context::{parse_id, ContextExt},
    ingest::IngestSummary,
};

/// Training result queries.
#[derive(Default)]
pub struct TrainingResultQuery;

#[Object]
impl TrainingResultQuery {
    /// A programme's report for a brand: enrollments, completion, time to
    /// complete, results per assessed module, overdue enrollments and
    /// certification coverage of the roles that require it.
    async fn training_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
        #[graphql(desc = "The programme (agency-wide or the brand's own).")] programme_id: ID,
    ) -> async_graphql::Result<report::TrainingReport> {
        Ok(report::report(
            &ctx.app()?.for_reports(),
            ctx.caller()?,
            parse_id("brandId", &brand_id)?,
            parse_id("programmeId", &programme_id)?,
        )
        .await?)
    }
}

/// Training result mutations.
#[derive(Default)]
pub struct TrainingResultMutation;

#[Object]
impl TrainingResultMutation {
    /// Pushes results for a brand's trainees (integrations with
    /// `ingest:training`, or staff): up to 10,000 rows, idempotent by
    /// statement id, all-or-nothing by default.
    async fn ingest_training_statements(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The results.")] input: IngestTrainingStatementsInput,
    ) -> async_graphql::Result<IngestSummary> {
        let input = IngestTrainingStatementsInput {
            rows: ReadRows::take_or(ctx, input.rows)?,
            ..input
        };
        Ok(service::ingest(ctx.app()?, ctx.caller()?, input).await?)
    }

    /// Records one result by hand (staff): workshop attendance, a practicum
    /// signed off.
    async fn record_training_result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The result.")] input: RecordTrainingResultInput,
    ) -> async_graphql::Result<IngestSummary> {
        Ok(service::record(ctx.app()?, ctx.caller()?, input).await?)
    }
}
