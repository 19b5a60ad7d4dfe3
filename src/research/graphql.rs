//! GraphQL types and resolvers for audiences, the research codebook and
//! gathering places.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{audience, gathering_place, research_tag};
use uuid::Uuid;

use super::{
    loaders::PlacesLoader,
    service::{
        self, AudienceFilter, AudienceStatus, CreateAudienceInput, CreateGatheringPlaceInput,
        CreateResearchTagInput, GatheringPlatform, TagKind, UpdateAudienceInput,
        UpdateGatheringPlaceInput, UpdateResearchTagInput,
    },
};
use crate::{
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    finding::{
        graphql::Finding,
        loaders::{self, AudienceFindingsLoader},
        service::{self as findings, Ranked},
    },
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
