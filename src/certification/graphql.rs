//! GraphQL types and resolvers for certifications and the roles that
//! require them.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{
    certifications::{
        self, CertificateCheck, CertificationFilter, CertificationRow, CertificationStatus,
    },
    roles::{self, RoleRequirement, TrainingGap},
};
use crate::{
    context::{parse_id, to_id, ContextExt},
    member::service::MemberRole,
    pagination::{Connection, PageRequest},
};

/// A certification earned by completing a programme.
#[derive(Debug, Clone, SimpleObject)]
pub struct Certification {
    /// Unique id.
    pub id: ID,
    /// The trainee's brand.
    pub brand_id: ID,
    /// The trainee.
    pub trainee_id: ID,
    /// The programme.
    pub programme_id: ID,
    /// The enrollment that earned it.
    pub enrollment_id: ID,
    /// 1 for the first, 2 for the first renewal, ...
    pub number: i32,
    /// Where it stands.
    pub status: CertificationStatus,
    /// When it was earned (the time of the result that completed it).
    pub issued_at: DateTime<Utc>,
    /// When it lapses; null: never.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
    /// The code anyone may check with `verifyCertification`.
    pub verification_code: String,
}

impl From<CertificationRow> for Certification {
    fn from(c: CertificationRow) -> Self {
        Self {
            status: certifications::status_of(&c, Utc::now()),
            id: to_id(c.id),
            brand_id: to_id(c.brand_id),
            trainee_id: to_id(c.trainee_id),
            programme_id: to_id(c.programme_id),
            enrollment_id: to_id(c.enrollment_id),
            number: c.number,
            issued_at: c.issued_at,
            expires_at: c.expires_at,
            revoked_at: c.revoked_at,
            revoked_reason: c.revoked_reason,
            verification_code: c.code,
        }
    }
}

/// Certification queries.
#[derive(Default)]
pub struct CertificationQuery;

#[Object]
impl CertificationQuery {
    /// Certifications in your scope, newest first.
    async fn certifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Which certifications to include.")] filter: Option<CertificationFilter>,
    ) -> async_graphql::Result<Connection<Certification>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            certifications::CERTIFICATION_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let page =
            certifications::list(ctx.app()?, ctx.caller()?, filter.unwrap_or_default(), page)
                .await?;
        Ok(page.map(Certification::from).into())
    }

    /// A brand's certifications in force that expire within `withinDays`
    /// days, the soonest first.
    async fn expiring_certifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
        #[graphql(desc = "Days ahead, 1-365.")] within_days: i32,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Certification>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            certifications::EXPIRING_CURSOR,
            2,
            ctx.wants_total(),
        )?;
        let page = certifications::expiring(
            ctx.app()?,
            ctx.caller()?,
            parse_id("brandId", &brand_id)?,
            within_days,
            page,
        )
        .await?;
        Ok(page.map(Certification::from).into())
    }

    /// Role holders of a brand's communities whose required certification
    /// is missing, revoked, expired, or expires within `withinDays` days.
    async fn training_gaps(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
        #[graphql(desc = "Days ahead that count as expiring, 0-365 (default 30).")]
        within_days: Option<i32>,
    ) -> async_graphql::Result<Vec<TrainingGap>> {
        Ok(roles::gaps(
            ctx.app()?,
            ctx.caller()?,
            parse_id("brandId", &brand_id)?,
            within_days.unwrap_or(30),
        )
        .await?)
    }

    /// The roles of a community that require a certification.
    async fn role_requirements(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
    ) -> async_graphql::Result<Vec<RoleRequirement>> {
        let c = crate::community::service::readable(
            ctx.app()?,
            ctx.caller()?,
            parse_id("communityId", &community_id)?,
        )
        .await?;
        Ok(roles::requirements(ctx.app()?, c.id).await?)
    }

    /// Checks a certificate's verification code; anyone may call it, without
    /// signing in (rate-limited per client IP). Null when no certificate has
    /// the code.
    async fn verify_certification(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code printed on the certificate.")] code: String,
    ) -> async_graphql::Result<Option<CertificateCheck>> {
        Ok(certifications::verify(ctx.app()?, ctx.caller()?, &code).await?)
    }
}

/// Certification mutations.
#[derive(Default)]
pub struct CertificationMutation;

#[Object]
impl CertificationMutation {
    /// Makes a role (`HOST`, `MODERATOR`, `AMBASSADOR`) of a community
    /// require a valid certification of a programme (agency-wide or the
    /// brand's own), or, without `programmeId`, no longer. Holders already
    /// in the role keep it and show in `trainingGaps`.
    async fn require_certification_for_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "The role.")] role: MemberRole,
        #[graphql(desc = "The programme; omitted: no requirement.")] programme_id: Option<ID>,
    ) -> async_graphql::Result<Vec<RoleRequirement>> {
        Ok(roles::require(
            ctx.app()?,
            ctx.caller()?,
            parse_id("communityId", &community_id)?,
            role,
            programme_id
                .map(|p| parse_id("programmeId", &p))
                .transpose()?,
        )
        .await?)
    }

    /// Revokes a certification with a reason (staff; audited).
    async fn revoke_certification(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The certification.")] id: ID,
        #[graphql(desc = "Why, 1-1000 characters.")] reason: String,
    ) -> async_graphql::Result<Certification> {
        Ok(
            certifications::revoke(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, &reason)
                .await?
                .into(),
        )
    }
}
