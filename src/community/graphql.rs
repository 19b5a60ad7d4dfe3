//! GraphQL types and resolvers for communities, members, activity and engagement.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    dataloader::Loader, ComplexObject, Context, Object, SelectionField, SimpleObject, ID,
};
use chrono::{DateTime, Utc};
use entity::{channel, community, member, member_identity, membership};
use uuid::Uuid;

use super::{
    activity::{
        self, ActivityTypeWeight, IngestActivitiesInput, IngestResult, SetActivityTypeInput,
    },
    engagement::{
        self, CommunityHealth, Engagement, EngagementBand, MemberListFilter, MemberOrder,
        ScoredMember,
    },
    feedback::{
        self, CreateFeedbackInput, FeedbackCategory, FeedbackFilter, FeedbackStats, FeedbackStatus,
    },
    members::{self, CreateMemberInput, MemberRole},
    recognition::{self, CreateRewardProgrammeInput, RewardCriteria, RewardImpact, RewardKind},
    service::{
        self, ChannelKind, CommunityFilter, CommunityKind, CommunityStatus, CreateChannelInput,
        CreateCommunityInput, Platform, SetupFacts, UpdateCommunityInput, CURSOR_TAG,
    },
};
use crate::{
    context::{parse_id, AppContext, ContextExt},
    error::{AppError, AppResult},
    pagination::{Connection, CursorKey, Page, PageRequest},
};

fn id(u: Uuid) -> ID {
    ID(u.to_string())
}

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
    #[graphql(skip)]
    uuid: Uuid,
}

impl TryFrom<community::Model> for Community {
    type Error = AppError;

    fn try_from(m: community::Model) -> AppResult<Self> {
        Ok(Self {
            id: id(m.id),
            uuid: m.id,
            brand_id: id(m.brand_id),
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
            id: id(m.id),
            community_id: id(m.community_id),
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
    ];
    let done = items.iter().filter(|i| i.2).count();
    SetupChecklist {
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

/// A person in a brand's communities.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Member {
    /// Unique id.
    pub id: ID,
    /// The brand.
    pub brand_id: ID,
    /// Name shown (null once erased).
    pub display_name: Option<String>,
    /// The brand's customer reference.
    pub customer_ref: Option<String>,
    /// Whether the member's personal data was erased.
    pub erased: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    uuid: Uuid,
}

impl From<member::Model> for Member {
    fn from(m: member::Model) -> Self {
        Self {
            id: id(m.id),
            uuid: m.id,
            brand_id: id(m.brand_id),
            display_name: m.display_name,
            customer_ref: m.customer_ref,
            erased: m.erased_at.is_some(),
            created_at: m.created_at,
        }
    }
}

/// A member's account on one platform.
#[derive(Debug, Clone, SimpleObject)]
pub struct Identity {
    /// The platform.
    pub platform: Platform,
    /// The platform's user id.
    pub external_id: String,
    /// User name there.
    pub handle: Option<String>,
}

impl TryFrom<member_identity::Model> for Identity {
    type Error = AppError;

    fn try_from(m: member_identity::Model) -> AppResult<Self> {
        Ok(Self {
            platform: Platform::from_db(&m.platform)?,
            external_id: m.external_id,
            handle: m.handle,
        })
    }
}

/// A member's place in a community.
#[derive(Debug, Clone, SimpleObject)]
pub struct Membership {
    /// The community.
    pub community_id: ID,
    /// Role.
    pub role: MemberRole,
    /// Joined.
    pub joined_at: DateTime<Utc>,
    /// Left, if they did.
    pub left_at: Option<DateTime<Utc>>,
}

impl TryFrom<membership::Model> for Membership {
    type Error = AppError;

    fn try_from(m: membership::Model) -> AppResult<Self> {
        Ok(Self {
            community_id: id(m.community_id),
            role: MemberRole::from_db(&m.role)?,
            joined_at: m.joined_at,
            left_at: m.left_at,
        })
    }
}

/// A member as seen from one community.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct CommunityMember {
    /// The member's id.
    pub member_id: ID,
    /// Role in the community.
    pub role: MemberRole,
    /// Joined.
    pub joined_at: DateTime<Utc>,
    /// Left, if they did.
    pub left_at: Option<DateTime<Utc>>,
    /// Engagement over the last 90 days (null in nested member pages).
    pub engagement: Option<Engagement>,
    #[graphql(skip)]
    uuid: Uuid,
}

impl CommunityMember {
    fn scored(r: ScoredMember) -> AppResult<Self> {
        Ok(Self {
            member_id: id(r.member_id),
            uuid: r.member_id,
            role: MemberRole::from_db(&r.role)?,
            joined_at: r.joined_at,
            left_at: r.left_at,
            engagement: Some(r.engagement()),
        })
    }
}

fn arc<E: Into<AppError>>(e: E) -> Arc<AppError> {
    Arc::new(e.into())
}

/// Declares loaders over the shared handles, built per request on first use.
macro_rules! app_loaders {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        pub struct $name(pub AppContext, pub crate::auth::BrandScope);

        impl crate::loaders::RequestLoader for $name {
            fn new(app: &AppContext, scope: crate::auth::BrandScope) -> Self {
                Self(app.clone(), scope)
            }
        }
    )*};
}

app_loaders! {
    /// Loads channels of many communities.
    ChannelLoader;
    /// Loads setup facts of many communities.
    SetupLoader;
    /// Loads identities of many members.
    IdentityLoader;
    /// Loads memberships of many members.
    MembershipLoader;
    /// Loads members by id.
    MemberLoader;
    /// Loads the first members of many communities: key (community, first).
    CommunityMembersLoader;
    /// Loads member counts of many communities.
    MemberCountLoader;
}

fn group<K: std::hash::Hash + Eq, V>(rows: impl IntoIterator<Item = (K, V)>) -> HashMap<K, Vec<V>> {
    let mut map: HashMap<K, Vec<V>> = HashMap::new();
    for (k, v) in rows {
        map.entry(k).or_default().push(v);
    }
    map
}

impl Loader<Uuid> for ChannelLoader {
    type Value = Vec<channel::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = service::channels_of(&self.0, &self.1, keys)
            .await
            .map_err(arc)?;
        Ok(group(rows.into_iter().map(|c| (c.community_id, c))))
    }
}

impl Loader<Uuid> for SetupLoader {
    type Value = SetupFacts;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = service::setup_facts(&self.0, &self.1, keys)
            .await
            .map_err(arc)?;
        Ok(rows.into_iter().map(|f| (f.community_id, f)).collect())
    }
}

impl Loader<Uuid> for IdentityLoader {
    type Value = Vec<member_identity::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = members::identities_of(&self.0, &self.1, keys)
            .await
            .map_err(arc)?;
        Ok(group(rows.into_iter().map(|i| (i.member_id, i))))
    }
}

impl Loader<Uuid> for MembershipLoader {
    type Value = Vec<membership::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = members::memberships_of(&self.0, &self.1, keys)
            .await
            .map_err(arc)?;
        Ok(group(rows.into_iter().map(|m| (m.member_id, m))))
    }
}

impl Loader<Uuid> for MemberLoader {
    type Value = member::Model;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = members::members_by_id(&self.0, &self.1, keys)
            .await
            .map_err(arc)?;
        Ok(rows.into_iter().map(|m| (m.id, m)).collect())
    }
}

impl Loader<(Uuid, u64)> for CommunityMembersLoader {
    type Value = Vec<members::MemberRow>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[(Uuid, u64)],
    ) -> Result<HashMap<(Uuid, u64), Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for (first, communities) in group(keys.iter().map(|(c, f)| (*f, *c))) {
            // One more than asked, to know whether a next page exists.
            let rows = members::first_members_of(&self.0, &self.1, &communities, first + 1)
                .await
                .map_err(arc)?;
            for (community, rows) in group(rows.into_iter().map(|r| (r.community_id, r))) {
                out.insert((community, first), rows);
            }
        }
        Ok(out)
    }
}

impl Loader<Uuid> for MemberCountLoader {
    type Value = i64;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        Ok(members::member_counts(&self.0, &self.1, keys)
            .await
            .map_err(arc)?
            .into_iter()
            .collect())
    }
}

#[ComplexObject]
impl Community {
    /// Channels, by name.
    async fn channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Channel>> {
        let rows = crate::loaders::loader::<ChannelLoader>(ctx)?
            .load_one(self.uuid)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Channel::try_from)
            .collect::<AppResult<_>>()?)
    }

    /// What is set up and what is left, derived from the data.
    async fn setup_checklist(&self, ctx: &Context<'_>) -> async_graphql::Result<SetupChecklist> {
        let facts = crate::loaders::loader::<SetupLoader>(ctx)?
            .load_one(self.uuid)
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
        let page = PageRequest::new(first, None, "joined", 2, ctx.wants_total())?;
        let rows = crate::loaders::loader::<CommunityMembersLoader>(ctx)?
            .load_one((self.uuid, page.first))
            .await?
            .unwrap_or_default();
        let total = if page.want_total {
            let n = crate::loaders::loader::<MemberCountLoader>(ctx)?
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
        let mut out = Vec::new();
        for (cursor, r) in page.rows {
            out.push((
                cursor,
                CommunityMember {
                    member_id: id(r.member_id),
                    uuid: r.member_id,
                    role: MemberRole::from_db(&r.role)?,
                    joined_at: r.joined_at,
                    left_at: r.left_at,
                    engagement: None,
                },
            ));
        }
        Ok(Page {
            rows: out,
            has_next: page.has_next,
            has_previous: false,
            total: page.total,
        }
        .into())
    }
}

#[ComplexObject]
impl Member {
    /// Accounts on platforms (none once erased).
    async fn identities(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Identity>> {
        let rows = crate::loaders::loader::<IdentityLoader>(ctx)?
            .load_one(self.uuid)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Identity::try_from)
            .collect::<AppResult<_>>()?)
    }

    /// Memberships in communities.
    async fn memberships(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Membership>> {
        let rows = crate::loaders::loader::<MembershipLoader>(ctx)?
            .load_one(self.uuid)
            .await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Membership::try_from)
            .collect::<AppResult<_>>()?)
    }
}

#[ComplexObject]
impl CommunityMember {
    /// The member.
    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Member> {
        let m = crate::loaders::loader::<MemberLoader>(ctx)?
            .load_one(self.uuid)
            .await?;
        Ok(m.ok_or(AppError::NotFound("member"))?.into())
    }
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
        let page = PageRequest::new(first, after.as_deref(), CURSOR_TAG, 1, ctx.wants_total())?;
        let app = ctx.app()?;
        let page = service::list(app, ctx.caller()?, filter.unwrap_or_default(), page).await?;
        let ids: Vec<Uuid> = page.rows.iter().map(|(_, c)| c.id).collect();
        prefetch_members(ctx, app, &ids).await?;
        Ok(try_page(page, Community::try_from)?.into())
    }

    /// One member by id.
    async fn member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The member's id.")] id: ID,
    ) -> async_graphql::Result<Member> {
        Ok(
            members::get(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }

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
        let (tag, keys) = engagement::cursor_shape(order);
        let page = PageRequest::new(first, after.as_deref(), tag, keys, ctx.wants_total())?;
        let c = service::readable(app, caller, parse_id("communityId", &community_id)?).await?;
        let filter = MemberListFilter {
            band,
            include_left: include_left.unwrap_or(false),
        };
        let page = engagement::members(app, c.id, filter, order, page).await?;
        Ok(try_page(page, CommunityMember::scored)?.into())
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
            engagement::RANKED_CURSOR,
            2,
            ctx.wants_total(),
        )?;
        let c = service::readable(app, caller, parse_id("communityId", &community_id)?).await?;
        let page = engagement::slipping_away(app, c.id, &page).await?;
        let page = try_page(page, |r| {
            Ok(CommunityMember {
                member_id: id(r.member_id),
                uuid: r.member_id,
                role: MemberRole::from_db(&r.role)?,
                joined_at: r.joined_at,
                left_at: None,
                engagement: Some(r.engagement()),
            })
        })?;
        Ok(page.into())
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
        Ok(engagement::community_health(ctx.app()?, ctx.caller()?, id, from, to).await?)
    }

    /// A brand's activity types and weights (its own, then the defaults).
    async fn activity_types(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
    ) -> async_graphql::Result<Vec<ActivityTypeWeight>> {
        Ok(activity::types(ctx.app()?, ctx.caller()?, parse_id("brandId", &brand_id)?).await?)
    }
}

fn child<'a>(field: SelectionField<'a>, name: &str) -> Option<SelectionField<'a>> {
    field.selection_set().find(|f| f.name() == name)
}

/// Loads, one statement per level, what the selection asks for below a page
/// of communities (each one's first members, their count, the members and
/// their identities) and feeds it to the loaders, so nested pages cost the
/// same number of statements however many rows they hold.
async fn prefetch_members(
    ctx: &Context<'_>,
    app: &AppContext,
    communities: &[Uuid],
) -> async_graphql::Result<()> {
    let Some(members_field) = child(ctx.field(), "edges")
        .and_then(|e| child(e, "node"))
        .and_then(|n| child(n, "members"))
    else {
        return Ok(());
    };
    if communities.is_empty() {
        return Ok(());
    }
    let caller = ctx.caller()?;
    let scope = caller.read_scope().or_else(|_| caller.report_scope())?;
    let first = members_field
        .arguments()?
        .into_iter()
        .find(|(name, _)| name.as_str() == "first")
        .and_then(|(_, v)| match v {
            async_graphql::Value::Number(n) => n.as_i64(),
            _ => None,
        })
        .map(|n| i32::try_from(n).unwrap_or(i32::MAX));
    let first = PageRequest::new(first, None, "joined", 2, false)?.first;
    let rows = members::first_members_of(app, &scope, communities, first + 1).await?;
    let mut pages = group(rows.into_iter().map(|r| (r.community_id, r)));
    let member_ids: Vec<Uuid> = {
        let mut ids: Vec<Uuid> = pages.values().flatten().map(|r| r.member_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    crate::loaders::loader::<CommunityMembersLoader>(ctx)?
        .feed_many(
            communities
                .iter()
                .map(|c| ((*c, first), pages.remove(c).unwrap_or_default())),
        )
        .await;
    if child(members_field, "totalCount").is_some() {
        let counts: HashMap<Uuid, i64> = members::member_counts(app, &scope, communities)
            .await?
            .into_iter()
            .collect();
        crate::loaders::loader::<MemberCountLoader>(ctx)?
            .feed_many(
                communities
                    .iter()
                    .map(|c| (*c, counts.get(c).copied().unwrap_or(0))),
            )
            .await;
    }
    let Some(member_field) = child(members_field, "edges")
        .and_then(|e| child(e, "node"))
        .and_then(|n| child(n, "member"))
    else {
        return Ok(());
    };
    if member_ids.is_empty() {
        return Ok(());
    }
    let found = members::members_by_id(app, &scope, &member_ids).await?;
    crate::loaders::loader::<MemberLoader>(ctx)?
        .feed_many(found.into_iter().map(|m| (m.id, m)))
        .await;
    if child(member_field, "identities").is_some() {
        let mut identities = group(
            members::identities_of(app, &scope, &member_ids)
                .await?
                .into_iter()
                .map(|i| (i.member_id, i)),
        );
        crate::loaders::loader::<IdentityLoader>(ctx)?
            .feed_many(
                member_ids
                    .iter()
                    .map(|m| (*m, identities.remove(m).unwrap_or_default())),
            )
            .await;
    }
    Ok(())
}

fn try_page<T, U>(page: Page<T>, f: impl Fn(T) -> AppResult<U>) -> AppResult<Page<U>> {
    let mut rows = Vec::with_capacity(page.rows.len());
    for (cursor, r) in page.rows {
        rows.push((cursor, f(r)?));
    }
    Ok(Page {
        rows,
        has_next: page.has_next,
        has_previous: page.has_previous,
        total: page.total,
    })
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

    /// Adds a member by hand (ingest adds unknown members automatically).
    async fn create_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new member.")] input: CreateMemberInput,
    ) -> async_graphql::Result<Member> {
        Ok(members::create(ctx.app()?, ctx.caller()?, input)
            .await?
            .into())
    }

    /// Puts a member in a community or changes their role there.
    async fn set_membership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "The member.")] member_id: ID,
        #[graphql(desc = "Role (default `MEMBER` for new memberships).")] role: Option<MemberRole>,
    ) -> async_graphql::Result<Membership> {
        let (c, m) = (
            parse_id("communityId", &community_id)?,
            parse_id("memberId", &member_id)?,
        );
        Ok(
            members::set_membership(ctx.app()?, ctx.caller()?, c, m, role, false)
                .await?
                .try_into()?,
        )
    }

    /// Records that a member left a community.
    async fn leave_community(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "The member.")] member_id: ID,
    ) -> async_graphql::Result<Membership> {
        let (c, m) = (
            parse_id("communityId", &community_id)?,
            parse_id("memberId", &member_id)?,
        );
        Ok(
            members::set_membership(ctx.app()?, ctx.caller()?, c, m, None, true)
                .await?
                .try_into()?,
        )
    }

    /// Merges one member into another: identities, memberships, activities
    /// and rewards move over; never across brands.
    async fn merge_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The member that stays.")] keep_id: ID,
        #[graphql(desc = "The member merged into it.")] merge_id: ID,
    ) -> async_graphql::Result<Member> {
        let (k, m) = (
            parse_id("keepId", &keep_id)?,
            parse_id("mergeId", &merge_id)?,
        );
        Ok(members::merge(ctx.app()?, ctx.caller()?, k, m)
            .await?
            .into())
    }

    /// Erases a member's personal data (privacy request); anonymous counts stay.
    async fn erase_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The member.")] id: ID,
    ) -> async_graphql::Result<Member> {
        Ok(
            members::erase(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// Sets a brand's weight for an activity type.
    async fn set_activity_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The type and weight.")] input: SetActivityTypeInput,
    ) -> async_graphql::Result<ActivityTypeWeight> {
        Ok(activity::set_type(ctx.app()?, ctx.caller()?, input).await?)
    }

    /// Pushes up to 10,000 activities; idempotent by each row's `sourceKey`.
    /// Integrations need `ingest:activities`.
    async fn ingest_activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The batch.")] input: IngestActivitiesInput,
    ) -> async_graphql::Result<IngestResult> {
        Ok(activity::ingest(ctx.app()?, ctx.caller()?, input).await?)
    }
}

/// A recognition programme of a community.
#[derive(Debug, Clone, SimpleObject)]
pub struct RewardProgramme {
    /// Unique id.
    pub id: ID,
    /// The community.
    pub community_id: ID,
    /// Name.
    pub name: String,
    /// What the reward is.
    pub kind: RewardKind,
    /// Details.
    pub description: Option<String>,
    /// Who qualifies.
    pub criteria: RewardCriteria,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<entity::reward_programme::Model> for RewardProgramme {
    type Error = AppError;

    fn try_from(m: entity::reward_programme::Model) -> AppResult<Self> {
        Ok(Self {
            id: id(m.id),
            community_id: id(m.community_id),
            name: m.name,
            kind: RewardKind::from_db(&m.kind)?,
            description: m.description,
            criteria: RewardCriteria {
                min_activities: m.min_activities,
                window_days: m.window_days,
                min_level: m.min_level,
            },
            created_at: m.created_at,
        })
    }
}

/// A reward given to a member.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct RewardGrant {
    /// Unique id.
    pub id: ID,
    /// The programme.
    pub programme_id: ID,
    /// The member's id.
    pub member_id: ID,
    /// When it was granted.
    pub granted_at: DateTime<Utc>,
    /// A note.
    pub note: Option<String>,
    #[graphql(skip)]
    member_uuid: Uuid,
}

impl From<entity::reward_grant::Model> for RewardGrant {
    fn from(m: entity::reward_grant::Model) -> Self {
        Self {
            id: id(m.id),
            programme_id: id(m.programme_id),
            member_id: id(m.member_id),
            member_uuid: m.member_id,
            granted_at: m.granted_at,
            note: m.note,
        }
    }
}

#[ComplexObject]
impl RewardGrant {
    /// The member.
    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Member> {
        let m = crate::loaders::loader::<MemberLoader>(ctx)?
            .load_one(self.member_uuid)
            .await?;
        Ok(m.ok_or(AppError::NotFound("member"))?.into())
    }
}

/// A member who meets a programme's criteria and has no grant yet.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct SuggestedRecipient {
    /// The member's id.
    pub member_id: ID,
    /// Activities in the programme's window.
    pub activities: i64,
    /// Engagement level, 0-10.
    pub level: i32,
    #[graphql(skip)]
    uuid: Uuid,
}

#[ComplexObject]
impl SuggestedRecipient {
    /// The member.
    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Member> {
        let m = crate::loaders::loader::<MemberLoader>(ctx)?
            .load_one(self.uuid)
            .await?;
        Ok(m.ok_or(AppError::NotFound("member"))?.into())
    }
}

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
            id: id(m.id),
            community_id: id(m.community_id),
            member_id: m.member_id.map(id),
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

/// Recognition and feedback queries.
#[derive(Default)]
pub struct RecognitionQuery;

#[Object]
impl RecognitionQuery {
    /// A community's reward programmes, newest first.
    async fn reward_programmes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<RewardProgramme>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            recognition::PROGRAMME_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let page = recognition::list(
            ctx.app()?,
            ctx.caller()?,
            parse_id("communityId", &community_id)?,
            page,
        )
        .await?;
        Ok(try_page(page, RewardProgramme::try_from)?.into())
    }

    /// A programme's grants, newest first.
    async fn reward_grants(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme.")] programme_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<RewardGrant>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            recognition::GRANT_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let page = recognition::grants(
            ctx.app()?,
            ctx.caller()?,
            parse_id("programmeId", &programme_id)?,
            page,
        )
        .await?;
        Ok(page.map(RewardGrant::from).into())
    }

    /// Members who meet a programme's criteria and have no grant yet, most engaged first.
    async fn suggested_recipients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme.")] programme_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<SuggestedRecipient>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            engagement::RANKED_CURSOR,
            2,
            ctx.wants_total(),
        )?;
        let programme = parse_id("programmeId", &programme_id)?;
        let page = recognition::suggested(ctx.app()?, ctx.caller()?, programme, &page).await?;
        Ok(page
            .map(|c| SuggestedRecipient {
                member_id: id(c.member_id),
                uuid: c.member_id,
                activities: c.activities,
                level: engagement::level(c.quarters as f64 / 4.0),
            })
            .into())
    }

    /// Activity of rewarded members in the 60 days before and after their
    /// grant, against members never rewarded.
    async fn reward_impact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme.")] programme_id: ID,
    ) -> async_graphql::Result<RewardImpact> {
        Ok(recognition::impact(
            ctx.app()?,
            ctx.caller()?,
            parse_id("programmeId", &programme_id)?,
        )
        .await?)
    }

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
            feedback::CURSOR_TAG,
            1,
            ctx.wants_total(),
        )?;
        let community = parse_id("communityId", &community_id)?;
        let page = feedback::list(
            ctx.app()?,
            ctx.caller()?,
            community,
            filter.unwrap_or_default(),
            page,
        )
        .await?;
        Ok(try_page(page, Feedback::try_from)?.into())
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
        Ok(feedback::stats(
            ctx.app()?,
            ctx.caller()?,
            parse_id("communityId", &community_id)?,
            from,
            to,
        )
        .await?)
    }
}

/// Recognition and feedback mutations.
#[derive(Default)]
pub struct RecognitionMutation;

#[Object]
impl RecognitionMutation {
    /// Defines a reward programme for a community.
    async fn create_reward_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new programme.")] input: CreateRewardProgrammeInput,
    ) -> async_graphql::Result<RewardProgramme> {
        Ok(recognition::create(ctx.app()?, ctx.caller()?, input)
            .await?
            .try_into()?)
    }

    /// Grants a programme's reward to a member (once per member).
    async fn grant_reward(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme.")] programme_id: ID,
        #[graphql(desc = "The member.")] member_id: ID,
        #[graphql(desc = "A note, up to 500 characters.")] note: Option<String>,
    ) -> async_graphql::Result<RewardGrant> {
        let (p, m) = (
            parse_id("programmeId", &programme_id)?,
            parse_id("memberId", &member_id)?,
        );
        Ok(recognition::grant(ctx.app()?, ctx.caller()?, p, m, note)
            .await?
            .into())
    }

    /// Records feedback from a community.
    async fn create_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The feedback.")] input: CreateFeedbackInput,
    ) -> async_graphql::Result<Feedback> {
        Ok(feedback::create(ctx.app()?, ctx.caller()?, input)
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
            feedback::answer(ctx.app()?, ctx.caller()?, id, answer, expected_version)
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
            feedback::change_status(ctx.app()?, ctx.caller()?, id, status, expected_version)
                .await?
                .try_into()?,
        )
    }
}
