//! GraphQL types and resolvers for team training.

use async_graphql::{ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{training_module, training_programme};
use uuid::Uuid;

use super::{
    loaders::ProgrammeModulesLoader,
    programmes::{
        self, CreateTrainingProgrammeInput, ModuleKind, MoveOn, ProgrammeStatus,
        TrainingModuleInput, TrainingProgrammeFilter, UpdateTrainingModuleInput,
        UpdateTrainingProgrammeInput,
    },
};
use crate::{
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    loaders::loader,
    pagination::{Connection, CursorKey, Page, PageRequest},
    trainee::{
        graphql::Enrollment,
        loaders::ProgrammeEnrollmentsLoader,
        service::{ProgrammeEnrollments, ENROLLMENT_CURSOR},
    },
};

/// A training programme: agency-wide, or for one brand.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct TrainingProgramme {
    /// Unique id.
    pub id: ID,
    /// The brand; null for an agency-wide programme.
    pub brand_id: Option<ID>,
    /// Whether every brand may use it (only admins change it).
    pub agency_wide: bool,
    /// Title.
    pub title: String,
    /// What it teaches.
    pub description: Option<String>,
    /// Months a certification stays valid; null: no expiry.
    pub validity_months: Option<i32>,
    /// Whether it takes new enrollments.
    pub status: ProgrammeStatus,
    /// Incremented on every change; pass it as `expectedVersion`.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    uuid: Uuid,
}

impl TryFrom<training_programme::Model> for TrainingProgramme {
    type Error = AppError;

    fn try_from(m: training_programme::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            brand_id: m.brand_id.map(to_id),
            agency_wide: m.brand_id.is_none(),
            title: m.title,
            description: m.description,
            validity_months: m.validity_months,
            status: ProgrammeStatus::from_db(&m.status)?,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
            uuid: m.id,
        })
    }
}

#[ComplexObject]
impl TrainingProgramme {
    /// Its modules in order.
    async fn modules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TrainingModule>> {
        Ok(loader::<ProgrammeModulesLoader>(ctx)?
            .load_one(self.uuid)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(TrainingModule::try_from)
            .collect::<AppResult<_>>()?)
    }

    /// Its enrollments in your scope, newest first; for further pages use
    /// `enrollments(filter: { programmeId })`.
    async fn enrollments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows: 0-100, default 20.")] first: Option<i32>,
    ) -> async_graphql::Result<Connection<Enrollment>> {
        let page = PageRequest::new(first, None, ENROLLMENT_CURSOR, 1, false)?;
        let rows_loader = loader::<ProgrammeEnrollmentsLoader>(ctx)?;
        let (rows, total) = futures_util::join!(
            rows_loader.load_one((self.uuid, page.first)),
            crate::loaders::total_of::<ProgrammeEnrollments>(ctx, self.uuid)
        );
        let (rows, total) = (rows?.unwrap_or_default(), total?);
        let page = Page::from_rows(rows, &page, total, |e| CursorKey {
            order: ENROLLMENT_CURSOR.into(),
            keys: vec![e.id.to_string()],
        });
        Ok(page.try_map(Enrollment::try_from)?.into())
    }
}

/// A module of a programme.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrainingModule {
    /// Unique id.
    pub id: ID,
    /// The programme.
    pub programme_id: ID,
    /// Order within the programme, from 1.
    pub position: i32,
    /// Title.
    pub title: String,
    /// What it is.
    pub kind: ModuleKind,
    /// Whether the programme needs it.
    pub required: bool,
    /// Scaled score (0..1) at or above which an attempt passes.
    pub mastery_score: Option<f64>,
    /// What satisfies it (cmi5 `moveOn`).
    pub move_on: MoveOn,
    /// Whether renewing the certification needs it again.
    pub renew_required: bool,
    /// The LMS's activity id mapped to it.
    pub activity_id: Option<String>,
    /// Incremented on every change; pass it as `expectedVersion`.
    pub version: i32,
}

impl TryFrom<training_module::Model> for TrainingModule {
    type Error = AppError;

    fn try_from(m: training_module::Model) -> AppResult<Self> {
        Ok(Self {
            id: to_id(m.id),
            programme_id: to_id(m.programme_id),
            position: m.position,
            title: m.title,
            kind: ModuleKind::from_db(&m.kind)?,
            required: m.required,
            mastery_score: m.mastery_score,
            move_on: MoveOn::from_db(&m.move_on)?,
            renew_required: m.renew_required,
            activity_id: m.activity_id,
            version: m.version,
        })
    }
}

/// Training queries.
#[derive(Default)]
pub struct TrainingQuery;

#[Object]
impl TrainingQuery {
    /// Programmes you may read (agency-wide ones and your brands' own), newest first.
    async fn training_programmes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Which programmes to include.")] filter: Option<TrainingProgrammeFilter>,
    ) -> async_graphql::Result<Connection<TrainingProgramme>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            programmes::PROGRAMME_CURSOR,
            1,
            ctx.wants_total(),
        )?;
        let page =
            programmes::list(ctx.app()?, ctx.caller()?, filter.unwrap_or_default(), page).await?;
        let ids: Vec<Uuid> = page.rows.iter().map(|(_, p)| p.id).collect();
        crate::loaders::prefetch_totals::<ProgrammeEnrollments>(ctx, "enrollments", &ids).await?;
        Ok(page.try_map(TrainingProgramme::try_from)?.into())
    }

    /// One programme by id.
    async fn training_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme.")] id: ID,
    ) -> async_graphql::Result<TrainingProgramme> {
        Ok(
            programmes::get(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .try_into()?,
        )
    }
}

/// Training mutations.
#[derive(Default)]
pub struct TrainingMutation;

#[Object]
impl TrainingMutation {
    /// Creates a programme with its modules: for a brand (admins and its
    /// consultants) or, without `brandId`, agency-wide (admins).
    async fn create_training_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme.")] input: CreateTrainingProgrammeInput,
    ) -> async_graphql::Result<TrainingProgramme> {
        Ok(programmes::create(ctx.app()?, ctx.caller()?, input)
            .await?
            .try_into()?)
    }

    /// Changes a programme's details.
    async fn update_training_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateTrainingProgrammeInput,
    ) -> async_graphql::Result<TrainingProgramme> {
        Ok(
            programmes::update(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, input)
                .await?
                .try_into()?,
        )
    }

    /// Adds a module to a programme.
    async fn add_training_module(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme.")] programme_id: ID,
        #[graphql(desc = "The module.")] input: TrainingModuleInput,
        #[graphql(desc = "Where, from 1 (default: last); later modules move down.")]
        position: Option<i32>,
    ) -> async_graphql::Result<TrainingModule> {
        Ok(programmes::add_module(
            ctx.app()?,
            ctx.caller()?,
            parse_id("programmeId", &programme_id)?,
            input,
            position,
        )
        .await?
        .try_into()?)
    }

    /// Changes a module, or moves it.
    async fn update_training_module(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The module.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateTrainingModuleInput,
    ) -> async_graphql::Result<TrainingModule> {
        Ok(
            programmes::update_module(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, input)
                .await?
                .try_into()?,
        )
    }
}
