//! GraphQL types and resolvers for audience research.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{audience, gathering_place, research_finding, research_tag};
use uuid::Uuid;

use super::{
    findings::{self, CreateFindingInput, FindingFilter, IngestFindingsInput, Ranked},
    insights::{self, AudienceInsights, SuggestedTag},
    loaders::{self, AudienceFindingsLoader, FindingTagsLoader, PlacesLoader},
    recommend::CommunityRecommendation,
    service::{
        self, AudienceFilter, AudienceStatus, CreateAudienceInput, CreateGatheringPlaceInput,
        CreateResearchTagInput, FindingSource, GatheringPlatform, TagKind, TaggedBy,
        UpdateAudienceInput, UpdateGatheringPlaceInput, UpdateResearchTagInput,
    },
};
use crate::{
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    ingest::IngestSummary,
    loaders::{first_argument, loader, node_child},
    pagination::{Connection, CursorKey, Page, PageRequest},
};

/// A named target group of a brand.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Audience {
    /// Unique id.
    pub id: ID,
    /// The brand.
    pub brand_id: ID,
    /// Name, unique within the brand.
    pub name: String,
    /// Who they are.
    pub description: Option<String>,
    /// Age bands, e.g. `25-34`, `65+`.
    pub age_bands: Vec<String>,
    /// Locations.
    pub locations: Vec<String>,
    /// Languages (BCP 47).
    pub languages: Vec<String>,
    /// Interests, as the consultants wrote them.
    pub interests: Vec<String>,
    /// Values.
    pub values: Vec<String>,
    /// Goals.
    pub goals: Vec<String>,
    /// Pain points.
    pub pain_points: Vec<String>,
    /// Estimated number of people.
    pub estimated_size: Option<i64>,
    /// Where the research stands.
    pub status: AudienceStatus,
    /// Incremented on every change; pass it as `expectedVersion`.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    uuid: Uuid,
}

impl TryFrom<audience::Model> for Audience {
    type Error = AppError;

    fn try_from(m: audience::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            uuid: m.id,
            brand_id: to_id(m.brand_id),
            name: m.name,
            description: m.description,
            age_bands: service::list_of(&m.age_bands)?,
            locations: service::list_of(&m.locations)?,
            languages: service::list_of(&m.languages)?,
            interests: service::list_of(&m.interests)?,
            values: service::list_of(&m.values)?,
            goals: service::list_of(&m.goals)?,
            pain_points: service::list_of(&m.pain_points)?,
            estimated_size: m.estimated_size,
            status: AudienceStatus::from_db(&m.status)?,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[ComplexObject]
impl Audience {
    /// The newest findings (for search, filters and further pages use `findings`).
    async fn findings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows: 0-100, default 20.")] first: Option<i32>,
    ) -> async_graphql::Result<Connection<Finding>> {
        let page = PageRequest::new(first, None, findings::NEWEST_CURSOR, 2, false)?;
        let rows_loader = loader::<AudienceFindingsLoader>(ctx)?;
        let (rows, total) = futures_util::join!(
            rows_loader.load_one((self.uuid, page.first)),
            crate::loaders::total_of::<findings::AudienceFindings>(ctx, self.uuid)
        );
        let (rows, total) = (rows?.unwrap_or_default(), total?);
        let page = Page::from_rows(rows, &page, total, |f| CursorKey {
            order: findings::NEWEST_CURSOR.into(),
            keys: vec![f.collected_at.to_rfc3339(), f.id.to_string()],
        });
        Ok(page
            .try_map(|f| {
                Finding::from_ranked(Ranked {
                    finding: f,
                    relevance: 0.0,
                })
            })?
            .into())
    }

    /// Where this audience gathers, newest first.
    async fn gathering_places(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<GatheringPlace>> {
        let rows = loader::<PlacesLoader>(ctx)?.load_one(self.uuid).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(GatheringPlace::try_from)
            .collect::<AppResult<_>>()?)
    }
}

/// A tag of the brand's research codebook.
#[derive(Debug, Clone, SimpleObject)]
pub struct ResearchTag {
    /// Unique id.
    pub id: ID,
    /// The brand.
    pub brand_id: ID,
    /// Stable key, e.g. `sustainability`.
    pub key: String,
    /// Label.
    pub label: String,
    /// What it stands for.
    pub kind: TagKind,
    /// Words or phrases that tag a finding by rule (lower case).
    pub keywords: Vec<String>,
    /// Incremented on every change.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<research_tag::Model> for ResearchTag {
    type Error = AppError;

    fn try_from(m: research_tag::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            brand_id: to_id(m.brand_id),
            keywords: service::list_of(&m.keywords)?,
            key: m.key,
            label: m.label,
            kind: TagKind::from_db(&m.kind)?,
            version: m.version,
            created_at: m.created_at,
        })
    }
}

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

/// Where an audience already meets.
#[derive(Debug, Clone, SimpleObject)]
pub struct GatheringPlace {
    /// Unique id.
    pub id: ID,
    /// The audience.
    pub audience_id: ID,
    /// Platform.
    pub platform: GatheringPlatform,
    /// Name.
    pub name: String,
    /// Address.
    pub url: Option<String>,
    /// People there.
    pub member_count: Option<i64>,
    /// Posts per week.
    pub posts_per_week: Option<f64>,
    /// Whether the brand takes part there already.
    pub brand_present: bool,
    /// Whether the house rules allow self-promotion; null when unknown.
    pub self_promotion_allowed: Option<bool>,
    /// The house rules as written.
    pub house_rules: Option<String>,
    /// Estimated share of the audience there, 0..1.
    pub audience_share: Option<f64>,
    /// Incremented on every change.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<gathering_place::Model> for GatheringPlace {
    type Error = AppError;

    fn try_from(m: gathering_place::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            audience_id: to_id(m.audience_id),
            platform: GatheringPlatform::from_db(&m.platform)?,
            name: m.name,
            url: m.url,
            member_count: m.member_count,
            posts_per_week: m.posts_per_week,
            brand_present: m.brand_present,
            self_promotion_allowed: m.self_promotion_allowed,
            house_rules: m.house_rules,
            audience_share: m.audience_share,
            version: m.version,
            created_at: m.created_at,
        })
    }
}

/// Research queries.
#[derive(Default)]
pub struct ResearchQuery;

#[Object]
impl ResearchQuery {
    /// One audience by id.
    async fn audience(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The audience.")] id: ID,
    ) -> async_graphql::Result<Audience> {
        Ok(
            service::readable(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .try_into()?,
        )
    }

    /// Audiences in your scope, newest first.
    async fn audiences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Which audiences to include.")] filter: Option<AudienceFilter>,
    ) -> async_graphql::Result<Connection<Audience>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            service::AUDIENCE_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let page =
            service::audiences(ctx.app()?, ctx.caller()?, filter.unwrap_or_default(), page).await?;
        let ids: Vec<Uuid> = page.rows.iter().map(|(_, a)| a.id).collect();
        crate::loaders::prefetch_totals::<findings::AudienceFindings>(ctx, "findings", &ids)
            .await?;
        if let Some(nested) = node_child(ctx.field(), "findings") {
            let first = PageRequest::new(
                first_argument(nested)?,
                None,
                findings::NEWEST_CURSOR,
                2,
                false,
            )?
            .first;
            let with_tags = node_child(nested, "tags").is_some();
            loaders::prefetch(ctx, &ids, first, with_tags).await?;
        }
        Ok(page.try_map(Audience::try_from)?.into())
    }

    /// A brand's research codebook, newest first.
    async fn research_tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<ResearchTag>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            service::TAG_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let brand = parse_id("brandId", &brand_id)?;
        let page = service::tags(ctx.app()?, ctx.caller()?, brand, page).await?;
        Ok(page.try_map(ResearchTag::try_from)?.into())
    }

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

    /// An audience's gathering places, newest first.
    async fn gathering_places(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The audience.")] audience_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<GatheringPlace>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            service::PLACE_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let audience = parse_id("audienceId", &audience_id)?;
        let page = service::places(ctx.app()?, ctx.caller()?, audience, page).await?;
        Ok(page.try_map(GatheringPlace::try_from)?.into())
    }

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

/// Research mutations.
#[derive(Default)]
pub struct ResearchMutation;

#[Object]
impl ResearchMutation {
    /// Creates an audience.
    async fn create_audience(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The audience.")] input: CreateAudienceInput,
    ) -> async_graphql::Result<Audience> {
        Ok(service::create_audience(ctx.app()?, ctx.caller()?, input)
            .await?
            .try_into()?)
    }

    /// Changes an audience.
    async fn update_audience(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The audience.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateAudienceInput,
    ) -> async_graphql::Result<Audience> {
        let id = parse_id("id", &id)?;
        Ok(
            service::update_audience(ctx.app()?, ctx.caller()?, id, input)
                .await?
                .try_into()?,
        )
    }

    /// Adds a tag to the brand's codebook and tags the brand's findings by its keywords.
    async fn create_research_tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tag.")] input: CreateResearchTagInput,
    ) -> async_graphql::Result<ResearchTag> {
        Ok(service::create_tag(ctx.app()?, ctx.caller()?, input)
            .await?
            .try_into()?)
    }

    /// Changes a codebook tag; new keywords tag the findings again.
    async fn update_research_tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tag.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateResearchTagInput,
    ) -> async_graphql::Result<ResearchTag> {
        let id = parse_id("id", &id)?;
        Ok(service::update_tag(ctx.app()?, ctx.caller()?, id, input)
            .await?
            .try_into()?)
    }

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
        Ok(findings::ingest(ctx.app()?, ctx.caller()?, input).await?)
    }

    /// Records where an audience gathers.
    async fn create_gathering_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The place.")] input: CreateGatheringPlaceInput,
    ) -> async_graphql::Result<GatheringPlace> {
        Ok(service::create_place(ctx.app()?, ctx.caller()?, input)
            .await?
            .try_into()?)
    }

    /// Changes a gathering place.
    async fn update_gathering_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The place.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateGatheringPlaceInput,
    ) -> async_graphql::Result<GatheringPlace> {
        let id = parse_id("id", &id)?;
        Ok(service::update_place(ctx.app()?, ctx.caller()?, id, input)
            .await?
            .try_into()?)
    }
}
