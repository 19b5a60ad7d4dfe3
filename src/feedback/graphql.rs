//! GraphQL types and resolvers for feedback and its statistics.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::service::{
    self, CreateFeedbackInput, FeedbackCategory, FeedbackFilter, FeedbackStats, FeedbackStatus,
};
use crate::{
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    pagination::{Connection, PageRequest},
};

/// Feedback from a community.
#[derive(Debug, Clone, SimpleObject)]
pub struct Feedback {
    /// Unique id.
    pub id: ID,
    /// The community.
    pub community_id: ID,
    /// The member who gave it, if known.
    pub member_id: Option<ID>,
    /// Title.
    pub title: String,
    /// Details.
    pub body: Option<String>,
    /// What it is about.
    pub category: FeedbackCategory,
    /// Tone, -1..1.
    pub sentiment: Option<f64>,
    /// Where it stands.
    pub status: FeedbackStatus,
    /// The brand's answer.
    pub answer: Option<String>,
    /// When it was first answered.
    pub first_answered_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Received.
    pub created_at: DateTime<Utc>,
    /// Incremented on every change; pass it as `expectedVersion` to detect
    /// concurrent edits.
    pub version: i32,
}

impl TryFrom<entity::feedback::Model> for Feedback {
    type Error = AppError;

    fn try_from(m: entity::feedback::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            community_id: to_id(m.community_id),
            member_id: m.member_id.map(to_id),
            title: m.title,
            body: m.body,
            category: FeedbackCategory::from_db(&m.category)?,
            sentiment: m.sentiment,
            status: FeedbackStatus::from_db(&m.status)?,
            answer: m.answer,
            first_answered_at: m.first_answered_at,
            closed_at: m.closed_at,
            created_at: m.created_at,
            version: m.version,
        })
    }
}

/// Feedback queries.
#[derive(Default)]
pub struct FeedbackQuery;

#[Object]
impl FeedbackQuery {
    /// A community's feedback, newest first.
    async fn feedback_items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Which items to include.")] filter: Option<FeedbackFilter>,
    ) -> async_graphql::Result<Connection<Feedback>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            service::CURSOR_TAG,
            1,
            ctx.wants_total(),
        )?;
        let community = parse_id("communityId", &community_id)?;
        let page = service::list(
            ctx.app()?,
            ctx.caller()?,
            community,
            filter.unwrap_or_default(),
            page,
        )
        .await?;
        Ok(page.try_map(Feedback::try_from)?.into())
    }

    /// Closure rate and median time to first answer of a community's
    /// feedback received in a period (default: the last 90 days).
    async fn feedback_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "Start of the period.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "End of the period (exclusive; default now).")] to: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<FeedbackStats> {
        Ok(service::stats(
            ctx.app()?,
            ctx.caller()?,
            parse_id("communityId", &community_id)?,
            from,
            to,
        )
        .await?)
    }
}

/// Feedback mutations.
#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Records feedback from a community.
    async fn create_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The feedback.")] input: CreateFeedbackInput,
    ) -> async_graphql::Result<Feedback> {
        Ok(service::create(ctx.app()?, ctx.caller()?, input)
            .await?
            .try_into()?)
    }

    /// Writes the brand's answer to feedback.
    async fn answer_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The feedback.")] id: ID,
        #[graphql(desc = "The answer, 1-5000 characters.")] answer: String,
        #[graphql(desc = "The version read; CONFLICT if it changed since.")]
        expected_version: Option<i32>,
    ) -> async_graphql::Result<Feedback> {
        let id = parse_id("id", &id)?;
        Ok(
            service::answer(ctx.app()?, ctx.caller()?, id, answer, expected_version)
                .await?
                .try_into()?,
        )
    }

    /// Moves feedback along NEW → ACKNOWLEDGED → PLANNED → DONE or DECLINED.
    async fn change_feedback_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The feedback.")] id: ID,
        #[graphql(desc = "The new status.")] status: FeedbackStatus,
        #[graphql(desc = "The version read; CONFLICT if it changed since.")]
        expected_version: Option<i32>,
    ) -> async_graphql::Result<Feedback> {
        let id = parse_id("id", &id)?;
        Ok(
            service::change_status(ctx.app()?, ctx.caller()?, id, status, expected_version)
                .await?
                .try_into()?,
        )
    }
}
