//! GraphQL types and resolvers for findings and their tags.

use crate::ingest::ReadRows;
use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::research_finding;
use uuid::Uuid;

use super::{
    loaders::FindingTagsLoader,
    service::{self as findings, CreateFindingInput, FindingFilter, IngestFindingsInput, Ranked},
};
use crate::{
    context::{parse_id, to_id, ContextExt},
    error::AppResult,
    ingest::IngestSummary,
    loaders::loader,
    pagination::{Connection, PageRequest},
    research::{
        graphql::ResearchTag,
        service::{FindingSource, GatheringPlatform, TaggedBy},
    },
};

/// A tag on a finding.
#[derive(Debug, Clone, SimpleObject)]
pub struct FindingTag {
    /// The tag.
    pub tag: ResearchTag,
    /// Who set it: a keyword rule or a person.
    pub tagged_by: TaggedBy,
}

/// Who recorded a finding.
#[derive(Debug, Clone, SimpleObject)]
pub struct RecordedBy {
    /// The user, when a person recorded it.
    pub user_id: Option<ID>,
    /// The integration, when it was pushed.
    pub integration_id: Option<ID>,
}

/// A piece of evidence about an audience.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Finding {
    /// Unique id.
    pub id: ID,
    /// The audience.
    pub audience_id: ID,
    /// The sender's id (ingested findings).
    pub external_id: Option<String>,
    /// Where it comes from.
    pub source: FindingSource,
    /// Where it was found.
    pub platform: Option<GatheringPlatform>,
    /// The quote or summary.
    pub text: String,
    /// Where it can be seen.
    pub url: Option<String>,
    /// When it was collected.
    pub collected_at: DateTime<Utc>,
    /// Tone, -1..1.
    pub sentiment: Option<f64>,
    /// How much it counts.
    pub weight: f64,
    /// Who recorded it.
    pub recorded_by: RecordedBy,
    /// Relevance to the search (PostgreSQL `ts_rank`, SQLite `-bm25`;
    /// higher is better; comparable within one list only); 0 outside a search.
    pub relevance: f64,
    /// Stored.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    uuid: Uuid,
}

impl Finding {
    /// The finding as listed, from a search row.
    pub fn from_ranked(r: Ranked) -> AppResult<Self> {
        let m: research_finding::Model = r.finding;
        Ok(Self {
            id: to_id(m.id),
            uuid: m.id,
            audience_id: to_id(m.audience_id),
            external_id: m.external_id,
            source: FindingSource::from_db(&m.source)?,
            platform: m
                .platform
                .as_deref()
                .map(GatheringPlatform::from_db)
                .transpose()?,
            text: m.text,
            url: m.url,
            collected_at: m.collected_at,
            sentiment: m.sentiment,
            weight: m.weight,
            recorded_by: RecordedBy {
                user_id: m.recorded_by_user_id.map(to_id),
                integration_id: m.recorded_by_integration_id.map(to_id),
            },
            relevance: r.relevance,
            created_at: m.created_at,
        })
    }
}

#[ComplexObject]
impl Finding {
    /// Its tags, by key.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FindingTag>> {
        let rows = loader::<FindingTagsLoader>(ctx)?
            .load_one(self.uuid)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(|t| {
                Ok(FindingTag {
                    tag: t.tag.try_into()?,
                    tagged_by: t.tagged_by,
                })
            })
            .collect::<AppResult<_>>()?)
    }
}

/// Finding queries.
#[derive(Default)]
pub struct FindingQuery;

#[Object]
impl FindingQuery {
    /// An audience's findings: newest first, or, with `search`, most
    /// relevant first. `search` takes web-search syntax on both databases:
    /// words (all must appear, stemmed), `"a phrase"`, `or`, `-excluded`.
    async fn findings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The audience.")] audience_id: ID,
        #[graphql(desc = "Full-text search, up to 200 characters.")] search: Option<String>,
        #[graphql(desc = "Which findings to include.")] filter: Option<FindingFilter>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Finding>> {
        let searching = search.as_deref().is_some_and(|s| !s.trim().is_empty());
        let tag = if searching {
            findings::RELEVANCE_CURSOR
        } else {
            findings::NEWEST_CURSOR
        };
        let page = PageRequest::new(first, after.as_deref(), tag, 2, ctx.wants_total())?;
        let audience = parse_id("audienceId", &audience_id)?;
        let page = findings::list(
            ctx.app()?,
            ctx.caller()?,
            audience,
            search.as_deref(),
            filter.unwrap_or_default(),
            page,
        )
        .await?;
        Ok(page.try_map(Finding::from_ranked)?.into())
    }

    /// One finding by id.
    async fn finding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding.")] id: ID,
    ) -> async_graphql::Result<Finding> {
        let f = findings::by_id(ctx.app()?, ctx.caller()?, parse_id("id", &id)?).await?;
        Ok(Finding::from_ranked(Ranked {
            finding: f,
            relevance: 0.0,
        })?)
    }
}

/// Finding mutations.
#[derive(Default)]
pub struct FindingMutation;

#[Object]
impl FindingMutation {
    /// Records a finding by hand.
    async fn create_finding(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding.")] input: CreateFindingInput,
    ) -> async_graphql::Result<Finding> {
        let f = findings::create(ctx.app()?, ctx.caller()?, input).await?;
        Ok(Finding::from_ranked(Ranked {
            finding: f,
            relevance: 0.0,
        })?)
    }

    /// Sets the tags a person puts on a finding (replacing earlier ones set
    /// by a person); tags its keywords set stay.
    async fn set_finding_tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The finding.")] id: ID,
        #[graphql(desc = "Codebook tag keys.")] tags: Vec<String>,
    ) -> async_graphql::Result<Finding> {
        let f = findings::set_tags(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, tags).await?;
        Ok(Finding::from_ranked(Ranked {
            finding: f,
            relevance: 0.0,
        })?)
    }

    /// Pushes findings about one audience (integrations need
    /// `ingest:research`); idempotent by `externalId`.
    async fn ingest_findings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The batch.")] input: IngestFindingsInput,
    ) -> async_graphql::Result<IngestSummary> {
        let input = IngestFindingsInput {
            rows: ReadRows::take_or(ctx, input.rows)?,
            ..input
        };
        Ok(findings::ingest(ctx.app()?, ctx.caller()?, input).await?)
    }
}
