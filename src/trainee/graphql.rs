//! GraphQL types and resolvers for trainees and their enrollments.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{enrollment, trainee};
use uuid::Uuid;

use super::{
    loaders::TraineeLoader,
    service::{
        self, CreateTraineeInput, EnrollSummary, EnrollTraineesInput, EnrollmentFilter,
        EnrollmentStatus, UpdateTraineeInput,
    },
};
use crate::{
    certification::{graphql::Certification, loaders::EnrollmentCertificationsLoader},
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    loaders::loader,
    pagination::{Connection, PageRequest},
    training::{graphql::TrainingProgramme, loaders::ProgrammeLoader},
};

/// A person of a brand's team who is trained.
#[derive(Debug, Clone, SimpleObject)]
pub struct Trainee {
    /// Unique id.
    pub id: ID,
    /// The brand.
    pub brand_id: ID,
    /// Name.
    pub name: String,
    /// E-mail (lower case), unique within the brand.
    pub email: String,
    /// Job role.
    pub job_role: Option<String>,
    /// Their client user account, if linked.
    pub user_id: Option<ID>,
    /// Their community member, if linked.
    pub member_id: Option<ID>,
    /// Incremented on every change; pass it as `expectedVersion`.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<trainee::Model> for Trainee {
    fn from(m: trainee::Model) -> Self {
        Self {
            id: to_id(m.id),
            brand_id: to_id(m.brand_id),
            name: m.name,
            email: m.email,
            job_role: m.job_role,
            user_id: m.user_id.map(to_id),
            member_id: m.member_id.map(to_id),
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A trainee enrolled in a programme.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Enrollment {
    /// Unique id.
    pub id: ID,
    /// The trainee's brand.
    pub brand_id: ID,
    /// The trainee.
    pub trainee_id: ID,
    /// The programme.
    pub programme_id: ID,
    /// Where it stands (derived; see `EnrollmentStatus`).
    pub status: EnrollmentStatus,
    /// When it should be complete.
    pub due_at: Option<DateTime<Utc>>,
    /// First result recorded.
    pub started_at: Option<DateTime<Utc>>,
    /// When every required module was satisfied.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it was waived.
    pub waived_at: Option<DateTime<Utc>>,
    /// Why it was waived.
    pub waived_reason: Option<String>,
    /// Incremented on every change.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    uuid: Uuid,
    #[graphql(skip)]
    trainee: Uuid,
    #[graphql(skip)]
    programme: Uuid,
}

impl TryFrom<enrollment::Model> for Enrollment {
    type Error = AppError;

    fn try_from(m: enrollment::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            brand_id: to_id(m.brand_id),
            trainee_id: to_id(m.trainee_id),
            programme_id: to_id(m.programme_id),
            status: service::status_of(&m, Utc::now()),
            due_at: m.due_at,
            started_at: m.started_at,
            completed_at: m.completed_at,
            waived_at: m.waived_at,
            waived_reason: m.waived_reason,
            version: m.version,
            created_at: m.created_at,
            uuid: m.id,
            trainee: m.trainee_id,
            programme: m.programme_id,
        })
    }
}

#[ComplexObject]
impl Enrollment {
    /// The trainee.
    async fn trainee(&self, ctx: &Context<'_>) -> async_graphql::Result<Trainee> {
        Ok(loader::<TraineeLoader>(ctx)?
            .load_one(self.trainee)
            .await?
            .ok_or(AppError::NotFound("trainee"))?
            .into())
    }

    /// Its certifications, oldest first (renewals keep the history).
    async fn certifications(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Certification>> {
        Ok(loader::<EnrollmentCertificationsLoader>(ctx)?
            .load_one(self.uuid)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Certification::from)
            .collect())
    }

    /// The programme.
    async fn programme(&self, ctx: &Context<'_>) -> async_graphql::Result<TrainingProgramme> {
        Ok(loader::<ProgrammeLoader>(ctx)?
            .load_one(self.programme)
            .await?
            .ok_or(AppError::NotFound("training programme"))?
            .try_into()?)
    }
}

/// Trainee and enrollment queries.
#[derive(Default)]
pub struct TraineeQuery;

#[Object]
impl TraineeQuery {
    /// Trainees in your scope, newest first.
    async fn trainees(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this brand's trainees.")] brand_id: Option<ID>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Trainee>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            service::TRAINEE_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let brand = brand_id.map(|b| parse_id("brandId", &b)).transpose()?;
        let page = service::trainees(ctx.app()?, ctx.caller()?, brand, page).await?;
        Ok(page.map(Trainee::from).into())
    }

    /// One trainee by id.
    async fn trainee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The trainee.")] id: ID,
    ) -> async_graphql::Result<Trainee> {
        Ok(
            service::trainee(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// Enrollments in your scope, newest first.
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Which enrollments to include.")] filter: Option<EnrollmentFilter>,
    ) -> async_graphql::Result<Connection<Enrollment>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            service::ENROLLMENT_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let page =
            service::enrollments(ctx.app()?, ctx.caller()?, filter.unwrap_or_default(), page)
                .await?;
        Ok(page.try_map(Enrollment::try_from)?.into())
    }
}

/// Trainee and enrollment mutations.
#[derive(Default)]
pub struct TraineeMutation;

#[Object]
impl TraineeMutation {
    /// Adds a trainee to a brand's team.
    async fn create_trainee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The trainee.")] input: CreateTraineeInput,
    ) -> async_graphql::Result<Trainee> {
        Ok(service::create_trainee(ctx.app()?, ctx.caller()?, input)
            .await?
            .into())
    }

    /// Changes a trainee.
    async fn update_trainee(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The trainee.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateTraineeInput,
    ) -> async_graphql::Result<Trainee> {
        Ok(
            service::update_trainee(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, input)
                .await?
                .into(),
        )
    }

    /// Enrolls one or many trainees of a brand in a programme.
    async fn enroll_trainees(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Who, in what, by when.")] input: EnrollTraineesInput,
    ) -> async_graphql::Result<EnrollSummary> {
        Ok(service::enroll(ctx.app()?, ctx.caller()?, input).await?)
    }

    /// Waives an enrollment that is not complete, with a reason.
    async fn waive_enrollment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The enrollment.")] id: ID,
        #[graphql(desc = "Why, 1-1000 characters.")] reason: String,
    ) -> async_graphql::Result<Enrollment> {
        Ok(
            service::waive(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, &reason)
                .await?
                .try_into()?,
        )
    }
}
