//! GraphQL types and resolvers for reward programmes, grants, suggested
//! recipients and reward impact.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::service::{self, CreateRewardProgrammeInput, RewardCriteria, RewardImpact, RewardKind};
use crate::{
    context::{parse_id, to_id, ContextExt},
    engagement,
    error::{AppError, AppResult},
    loaders::loader,
    member::{graphql::Member, loaders::MemberLoader},
    pagination::{Connection, PageRequest},
};

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
            id: to_id(m.id),
            community_id: to_id(m.community_id),
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
            id: to_id(m.id),
            programme_id: to_id(m.programme_id),
            member_id: to_id(m.member_id),
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
        let m = loader::<MemberLoader>(ctx)?
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
        let m = loader::<MemberLoader>(ctx)?.load_one(self.uuid).await?;
        Ok(m.ok_or(AppError::NotFound("member"))?.into())
    }
}

/// Recognition queries.
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
            service::PROGRAMME_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let page = service::list(
            ctx.app()?,
            ctx.caller()?,
            parse_id("communityId", &community_id)?,
            page,
        )
        .await?;
        Ok(page.try_map(RewardProgramme::try_from)?.into())
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
            service::GRANT_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let page = service::grants(
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
            engagement::service::RANKED_CURSOR,
            2,
            ctx.wants_total(),
        )?;
        let programme = parse_id("programmeId", &programme_id)?;
        let page = service::suggested(ctx.app()?, ctx.caller()?, programme, &page).await?;
        Ok(page
            .map(|c| SuggestedRecipient {
                member_id: to_id(c.member_id),
                uuid: c.member_id,
                activities: c.activities,
                level: engagement::service::level(c.quarters as f64 / 4.0),
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
        Ok(service::impact(
            ctx.app()?,
            ctx.caller()?,
            parse_id("programmeId", &programme_id)?,
        )
        .await?)
    }
}

/// Recognition mutations.
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
        Ok(service::create(ctx.app()?, ctx.caller()?, input)
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
        Ok(service::grant(ctx.app()?, ctx.caller()?, p, m, note)
            .await?
            .into())
    }
}
