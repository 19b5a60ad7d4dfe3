//! GraphQL types and resolvers for communities, their channels and setup.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{channel, community};
use uuid::Uuid;

use super::{
    loaders::{BrandCommunitiesLoader, ChannelLoader, CommunityCountLoader, SetupLoader},
    service::{
        self, ChannelKind, CommunityFilter, CommunityKind, CommunityStatus, CreateChannelInput,
        CreateCommunityInput, Platform, SetupFacts, UpdateCommunityInput, CURSOR_TAG,
    },
};
use crate::{
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    insight::recommend::{CommunityRecommendation, TagEvidence},
    loaders::{child, first_argument, loader, node_child},
    member::{
        self,
        graphql::CommunityMember,
        loaders::{CommunityMembersLoader, MemberCountLoader},
        service::NestedSelection,
    },
    pagination::{Connection, CursorKey, Page, PageRequest},
};

/// How often a community may be prompted.
#[derive(Debug, Clone, SimpleObject)]
pub struct CadencePolicy {
    /// Most prompts in any 7 days.
    pub max_prompts_per_week: i32,
    /// Least hours between prompts.
    pub min_gap_hours: Option<i32>,
    /// Start of quiet hours (local hour).
    pub quiet_hours_start: Option<i32>,
    /// End of quiet hours (local hour).
    pub quiet_hours_end: Option<i32>,
}

/// A brand's community on one platform.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Community {
    /// Unique id.
    pub id: ID,
    /// The brand.
    pub brand_id: ID,
    /// Name.
    pub name: String,
    /// Why it exists.
    pub purpose: String,
    /// What it is about.
    pub kind: CommunityKind,
    /// Where it lives.
    pub platform: Platform,
    /// Its address on the platform.
    pub platform_url: Option<String>,
    /// Lifecycle status.
    pub status: CommunityStatus,
    /// Intended number of members.
    pub target_size: Option<i32>,
    /// IANA time zone.
    pub time_zone: String,
    /// How often it may be prompted; null when no policy is set.
    pub cadence: Option<CadencePolicy>,
    /// Version, incremented on every change.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The audience it was built for.
    pub audience_id: Option<ID>,
    /// The recommendation for that audience as it was when the community
    /// was created (frozen; `communityRecommendation` gives today's).
    pub recommendation: Option<CommunityRecommendation>,
    #[graphql(skip)]
    uuid: Uuid,
}

impl TryFrom<community::Model> for Community {
    type Error = AppError;

    fn try_from(m: community::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            uuid: m.id,
            brand_id: to_id(m.brand_id),
            name: m.name,
            purpose: m.purpose,
            kind: CommunityKind::from_db(&m.kind)?,
            platform: Platform::from_db(&m.platform)?,
            platform_url: m.platform_url,
            status: CommunityStatus::from_db(&m.status)?,
            target_size: m.target_size,
            time_zone: m.time_zone,
            cadence: m.max_prompts_per_week.map(|max| CadencePolicy {
                max_prompts_per_week: max,
                min_gap_hours: m.min_gap_hours,
                quiet_hours_start: m.quiet_hours_start,
                quiet_hours_end: m.quiet_hours_end,
            }),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
            audience_id: m.audience_id.map(to_id),
            recommendation: m
                .recommendation
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| AppError::Internal(anyhow::anyhow!("stored recommendation: {e}")))?,
        })
    }
}

/// A room or topic inside a community.
#[derive(Debug, Clone, SimpleObject)]
pub struct Channel {
    /// Unique id.
    pub id: ID,
    /// The community.
    pub community_id: ID,
    /// Name.
    pub name: String,
    /// What it is for.
    pub kind: ChannelKind,
    /// The platform's id for it.
    pub external_id: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<channel::Model> for Channel {
    type Error = AppError;

    fn try_from(m: channel::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            community_id: to_id(m.community_id),
            name: m.name,
            kind: ChannelKind::from_db(&m.kind)?,
            external_id: m.external_id,
            created_at: m.created_at,
        })
    }
}

/// One step of setting a community up, derived from its data.
#[derive(Debug, Clone, SimpleObject)]
pub struct ChecklistItem {
    /// Stable key, e.g. `CADENCE_POLICY_SET`.
    pub key: String,
    /// What it means.
    pub label: String,
    /// Whether the data shows it done.
    pub done: bool,
}

/// The setup checklist of a community.
#[derive(Debug, Clone, SimpleObject)]
pub struct SetupChecklist {
    /// The steps.
    pub items: Vec<ChecklistItem>,
    /// Share of steps done, 0..1.
    pub progress: f64,
    /// The strongest interest, value and goal of the audience the community
    /// was built for, behind its proposed purpose (from the frozen
    /// recommendation); empty without an audience.
    pub purpose_evidence: Vec<TagEvidence>,
}

fn checklist(c: &Community, facts: &SetupFacts) -> SetupChecklist {
    let items = vec![
        (
            "PURPOSE_SET",
            "A clear purpose is written down",
            !c.purpose.trim().is_empty(),
        ),
        (
            "PLATFORM_CHOSEN",
            "The platform is chosen and the community's address recorded",
            c.platform_url.is_some(),
        ),
        (
            "PLATFORM_WHERE_AUDIENCE_GATHERS",
            "The platform is one where the audience gathers, or the recommended one",
            c.recommendation.as_ref().is_some_and(|r| {
                r.top_platform() == Some(c.platform)
                    || facts
                        .audience_platforms
                        .iter()
                        .any(|p| p == c.platform.as_str())
            }),
        ),
        (
            "CHANNELS_CREATED",
            "At least one channel exists",
            facts.channels > 0,
        ),
        (
            "RECOGNITION_PROGRAMME",
            "A recognition programme is defined",
            facts.programmes > 0,
        ),
        (
            "CADENCE_POLICY_SET",
            "A posting-cadence policy is set",
            c.cadence.is_some(),
        ),
        (
            "FEEDBACK_CHANNEL_OPEN",
            "A feedback channel is open",
            facts.feedback_channels > 0,
        ),
        (
            "CONVERSATION_STARTERS_SCHEDULED",
            "Conversation starters (prompts) are scheduled ahead or went out in the last 7 days",
            facts.conversation_starters > 0,
        ),
    ];
    let done = items.iter().filter(|i| i.2).count();
    SetupChecklist {
        purpose_evidence: c
            .recommendation
            .as_ref()
            .map(|r| r.purpose_evidence.clone())
            .unwrap_or_default(),
        progress: done as f64 / items.len() as f64,
        items: items
            .into_iter()
            .map(|(key, label, done)| ChecklistItem {
                key: key.into(),
                label: label.into(),
                done,
            })
            .collect(),
    }
}

#[ComplexObject]
impl Community {
    /// Channels, by name.
    async fn channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Channel>> {
        let rows = loader::<ChannelLoader>(ctx)?.load_one(self.uuid).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Channel::try_from)
            .collect::<AppResult<_>>()?)
    }

    /// What is set up and what is left, derived from the data.
    async fn setup_checklist(&self, ctx: &Context<'_>) -> async_graphql::Result<SetupChecklist> {
        let facts = loader::<SetupLoader>(ctx)?
            .load_one((self.uuid, self.audience_id.is_some()))
            .await?;
        Ok(checklist(self, &facts.unwrap_or_default()))
    }

    /// Current members, newest first (for the full list with engagement,
    /// filters and further pages use `communityMembers`).
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows: 0-100, default 20.")] first: Option<i32>,
    ) -> async_graphql::Result<Connection<CommunityMember>> {
        let page = PageRequest::new(first, None, "joined", 2, ctx.wants_total())?
            .cursors(ctx.wants_cursors());
        let rows = loader::<CommunityMembersLoader>(ctx)?
            .load_one((self.uuid, page.first))
            .await?
            .unwrap_or_default();
        let total = if page.want_total {
            let n = loader::<MemberCountLoader>(ctx)?
                .load_one(self.uuid)
                .await?;
            Some(n.unwrap_or(0) as u64)
        } else {
            None
        };
        let page = Page::from_rows(rows, &page, total, |r| CursorKey {
            order: "joined".into(),
            keys: vec![r.joined_at.to_rfc3339(), r.member_id.to_string()],
        });
        let page = page.try_map(CommunityMember::from_row)?;
        Ok(member::graphql::with_members(ctx, page).await?.into())
    }
}

/// The newest `first` communities of `brand`, for the field nested under a
/// brand: batched across the brands of a page (one statement for the rows,
/// one for the counts when `totalCount` is selected), within the caller's
/// scope. Cursors are those of `communities`, so a client continues there
/// with `filter: { brandId }`.
pub async fn of_brand(
    ctx: &Context<'_>,
    brand: Uuid,
    first: Option<i32>,
) -> async_graphql::Result<Connection<Community>> {
    let page = PageRequest::new(first, None, CURSOR_TAG, 1, ctx.wants_total())?
        .cursors(ctx.wants_cursors());
    let rows = loader::<BrandCommunitiesLoader>(ctx)?
        .load_one((brand, page.first))
        .await?
        .unwrap_or_default();
    let total = if page.want_total {
        let n = loader::<CommunityCountLoader>(ctx)?.load_one(brand).await?;
        Some(n.unwrap_or(0) as u64)
    } else {
        None
    };
    let page = Page::from_rows(rows, &page, total, |c| CursorKey {
        order: CURSOR_TAG.into(),
        keys: vec![c.id.to_string()],
    });
    Ok(page.try_map(Community::try_from)?.into())
}

/// Community queries.
#[derive(Default)]
pub struct CommunityQuery;

#[Object]
impl CommunityQuery {
    /// One community by id.
    async fn community(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community's id.")] id: ID,
    ) -> async_graphql::Result<Community> {
        Ok(
            service::readable(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .try_into()?,
        )
    }

    /// Communities in your scope, newest first.
    async fn communities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Which communities to include.")] filter: Option<CommunityFilter>,
    ) -> async_graphql::Result<Connection<Community>> {
        let page = PageRequest::new(first, after.as_deref(), CURSOR_TAG, 1, ctx.wants_total())?
            .cursors(ctx.wants_cursors());
        let page =
            service::list(ctx.app()?, ctx.caller()?, filter.unwrap_or_default(), page).await?;
        let ids: Vec<Uuid> = page.rows.iter().map(|(_, c)| c.id).collect();
        prefetch_members(ctx, &ids).await?;
        Ok(page.try_map(Community::try_from)?.into())
    }
}

/// Community mutations.
#[derive(Default)]
pub struct CommunityMutation;

#[Object]
impl CommunityMutation {
    /// Creates a community (status `PLANNED`).
    async fn create_community(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new community.")] input: CreateCommunityInput,
    ) -> async_graphql::Result<Community> {
        Ok(service::create(ctx.app()?, ctx.caller()?, input)
            .await?
            .try_into()?)
    }

    /// Changes a community's details.
    async fn update_community(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateCommunityInput,
    ) -> async_graphql::Result<Community> {
        Ok(
            service::update(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, input)
                .await?
                .try_into()?,
        )
    }

    /// Moves a community along its lifecycle (PLANNED → SETTING_UP → ACTIVE ⇄
    /// PAUSED; any → ARCHIVED); other moves are `BAD_USER_INPUT`.
    async fn change_community_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] id: ID,
        #[graphql(desc = "The new status.")] status: CommunityStatus,
        #[graphql(desc = "The version you read; stale is `CONFLICT`.")] expected_version: Option<
            i32,
        >,
    ) -> async_graphql::Result<Community> {
        let c = service::change_status(
            ctx.app()?,
            ctx.caller()?,
            parse_id("id", &id)?,
            status,
            expected_version,
        )
        .await?;
        Ok(c.try_into()?)
    }

    /// Adds a channel to a community.
    async fn create_channel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new channel.")] input: CreateChannelInput,
    ) -> async_graphql::Result<Channel> {
        Ok(service::create_channel(ctx.app()?, ctx.caller()?, input)
            .await?
            .try_into()?)
    }
}

/// Reads what the selection asks for below a page of communities (each
/// one's first members, their count, the members and their identities), has
/// the member service load it one statement per level, and feeds it to the
/// loaders the nested fields use.
async fn prefetch_members(ctx: &Context<'_>, communities: &[Uuid]) -> async_graphql::Result<()> {
    let Some(members_field) = node_child(ctx.field(), "members") else {
        return Ok(());
    };
    let first = PageRequest::new(first_argument(members_field)?, None, "joined", 2, false)?.first;
    let member_field = node_child(members_field, "member");
    let want = NestedSelection {
        first,
        counts: child(members_field, "totalCount").is_some(),
        members: member_field.is_some(),
        identities: member_field.is_some_and(|m| child(m, "identities").is_some()),
    };
    let caller = ctx.caller()?;
    let scope = caller.read_scope().or_else(|_| caller.report_scope())?;
    let nested = member::service::nested_members(ctx.app()?, &scope, communities, want).await?;
    member::loaders::feed(ctx, first, nested).await?;
    Ok(())
}
