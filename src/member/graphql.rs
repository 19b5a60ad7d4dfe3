//! GraphQL types and resolvers for members, their identities and memberships.

use std::{borrow::Cow, sync::OnceLock};

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{member, member_identity, membership};
use uuid::Uuid;

use super::{
    loaders::{IdentityLoader, MemberLoader, MembershipLoader},
    service::{self, CreateMemberInput, IdentityRow, MemberCard, MemberRole, MemberRow},
};
use crate::{
    community::service::Platform,
    context::{parse_id, to_id, ContextExt},
    engagement::service::{Engagement, ScoredMember, SlippingRow},
    error::{AppError, AppResult},
    loaders::loader,
    pagination::Page,
};

/// A person in a brand's communities.
// Its fields resolve one after another (`serial`): they are plain values
// apart from `identities` and `memberships`, and the concurrent form would
// allocate a task per field of each of a page's members.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex, serial)]
pub struct Member {
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
    /// `uuid` as an `ID`, made the first time it is asked for.
    #[graphql(skip)]
    id: OnceLock<ID>,
    #[graphql(skip)]
    brand: Uuid,
    /// Identities loaded with the page this member is on, if they were.
    #[graphql(skip)]
    identities: Option<Vec<Identity>>,
}

impl From<member::Model> for Member {
    fn from(m: member::Model) -> Self {
        MemberCard::from(m).into()
    }
}

impl From<MemberCard> for Member {
    fn from(m: MemberCard) -> Self {
        Self {
            uuid: m.id,
            id: OnceLock::new(),
            brand: m.brand_id,
            display_name: m.display_name,
            customer_ref: m.customer_ref,
            erased: m.erased_at.is_some(),
            created_at: m.created_at,
            identities: None,
        }
    }
}

/// A member's account on one platform.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(serial)]
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
        IdentityRow::from(m).try_into()
    }
}

impl TryFrom<IdentityRow> for Identity {
    type Error = AppError;

    fn try_from(m: IdentityRow) -> AppResult<Self> {
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
            community_id: to_id(m.community_id),
            role: MemberRole::from_db(&m.role)?,
            joined_at: m.joined_at,
            left_at: m.left_at,
        })
    }
}

/// A member as seen from one community.
// Fields resolved one after another, as `Member`'s.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex, serial)]
pub struct CommunityMember {
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
    /// The member, when loaded with the page (see [`with_members`]).
    #[graphql(skip)]
    member: Option<Box<Member>>,
}

impl CommunityMember {
    fn new(
        member: Uuid,
        role: &str,
        joined_at: DateTime<Utc>,
        left_at: Option<DateTime<Utc>>,
        engagement: Option<Engagement>,
    ) -> AppResult<Self> {
        Ok(Self {
            uuid: member,
            role: MemberRole::from_db(role)?,
            joined_at,
            left_at,
            engagement,
            member: None,
        })
    }

    /// A row of a nested member page (no engagement).
    pub fn from_row(r: MemberRow) -> AppResult<Self> {
        Self::new(r.member_id, &r.role, r.joined_at, r.left_at, None)
    }

    /// A member with their engagement.
    pub fn scored(r: ScoredMember) -> AppResult<Self> {
        let engagement = Some(r.engagement());
        Self::new(r.member_id, &r.role, r.joined_at, r.left_at, engagement)
    }

    /// A member slipping away, with their engagement as of then.
    pub fn slipping(r: SlippingRow) -> AppResult<Self> {
        let engagement = Some(r.engagement());
        Self::new(r.member_id, &r.role, r.joined_at, None, engagement)
    }
}

#[ComplexObject]
impl Member {
    /// Unique id.
    pub async fn id(&self, _ctx: &Context<'_>) -> async_graphql::Result<&ID> {
        Ok(self.id.get_or_init(|| to_id(self.uuid)))
    }

    /// The brand.
    async fn brand_id(&self) -> ID {
        to_id(self.brand)
    }

    /// Accounts on platforms (none once erased).
    async fn identities(&self, ctx: &Context<'_>) -> async_graphql::Result<Cow<'_, Vec<Identity>>> {
        if let Some(found) = &self.identities {
            return Ok(Cow::Borrowed(found));
        }
        let rows = loader::<IdentityLoader>(ctx)?.load_one(self.uuid).await?;
        Ok(Cow::Owned(
            rows.unwrap_or_default()
                .into_iter()
                .map(Identity::try_from)
                .collect::<AppResult<_>>()?,
        ))
    }

    /// Memberships in communities.
    async fn memberships(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Membership>> {
        let rows = loader::<MembershipLoader>(ctx)?.load_one(self.uuid).await?;
        Ok(rows
            .unwrap_or_default()
            .into_iter()
            .map(Membership::try_from)
            .collect::<AppResult<_>>()?)
    }
}

#[ComplexObject]
impl CommunityMember {
    /// The member's id.
    async fn member_id(&self) -> ID {
        to_id(self.uuid)
    }

    /// The member.
    async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Cow<'_, Member>> {
        if let Some(m) = &self.member {
            return Ok(Cow::Borrowed(m));
        }
        let m = loader::<MemberLoader>(ctx)?.load_one(self.uuid).await?;
        Ok(Cow::Owned(m.ok_or(AppError::NotFound("member"))?.into()))
    }
}

/// Loads the members of a page of community members in one lookup per
/// loader for the whole page (not one per row), with their identities when
/// the selection (`ctx`, the page's field) asks for them, so that each row's
/// `member` and `identities` resolve without a loader call of their own.
/// The loaders batch pages of sibling communities into one statement each
/// (or find what a nested preload fed them), so statement counts are those
/// of per-row loading.
pub async fn with_members(
    ctx: &Context<'_>,
    mut page: Page<CommunityMember>,
) -> async_graphql::Result<Page<CommunityMember>> {
    let member_field = ctx
        .look_ahead()
        .field("edges")
        .field("node")
        .field("member");
    if !member_field.exists() || page.rows.is_empty() {
        return Ok(page);
    }
    let ids: Vec<Uuid> = page.rows.iter().map(|(_, r)| r.uuid).collect();
    let mut members = loader::<MemberLoader>(ctx)?
        .load_many(ids.iter().copied())
        .await?;
    let mut identities = if member_field.field("identities").exists() {
        Some(
            loader::<IdentityLoader>(ctx)?
                .load_many(ids.iter().copied())
                .await?,
        )
    } else {
        None
    };
    for (_, row) in &mut page.rows {
        let Some(m) = members.remove(&row.uuid) else {
            continue;
        };
        let mut member = Member::from(m);
        if let Some(found) = identities.as_mut() {
            member.identities = Some(
                found
                    .remove(&row.uuid)
                    .unwrap_or_default()
                    .into_iter()
                    .map(Identity::try_from)
                    .collect::<AppResult<_>>()?,
            );
        }
        row.member = Some(Box::new(member));
    }
    Ok(page)
}

/// Member queries.
#[derive(Default)]
pub struct MemberQuery;

#[Object]
impl MemberQuery {
    /// One member by id.
    async fn member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The member's id.")] id: ID,
    ) -> async_graphql::Result<Member> {
        Ok(
            service::get(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }
}

/// Member mutations.
#[derive(Default)]
pub struct MemberMutation;

#[Object]
impl MemberMutation {
    /// Adds a member by hand (ingest adds unknown members automatically).
    async fn create_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new member.")] input: CreateMemberInput,
    ) -> async_graphql::Result<Member> {
        Ok(service::create(ctx.app()?, ctx.caller()?, input)
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
            service::set_membership(ctx.app()?, ctx.caller()?, c, m, role, false)
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
            service::set_membership(ctx.app()?, ctx.caller()?, c, m, None, true)
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
        Ok(service::merge(ctx.app()?, ctx.caller()?, k, m)
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
            service::erase(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }
}
