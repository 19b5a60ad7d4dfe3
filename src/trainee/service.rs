//! Trainees of a brand's team and their enrollments in programmes. Staff
//! (admins, the brand's consultants) write; client users of the brand read;
//! another brand's rows are `NOT_FOUND`.

use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Utc};
use entity::{enrollment, member, trainee, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::training::programmes::{programme_in, ProgrammeStatus};
use crate::{
    audit::service as audit,
    auth::{BrandScope, Caller},
    context::{parse_id, AppContext},
    db::WriteTxn,
    db_enum,
    error::{AppError, AppResult},
    pagination::{newest_first, Page, PageRequest},
    validation::{self, check_version},
};

db_enum! {
    /// Where an enrollment stands, derived from its record: `WAIVED` once
    /// waived; `COMPLETED` once every required module is satisfied;
    /// otherwise `OVERDUE` after its due date; `IN_PROGRESS` once a result
    /// is recorded; `NOT_STARTED` before.
    pub enum EnrollmentStatus {
        /// No result yet.
        NotStarted = "NOT_STARTED",
        /// Results recorded, not complete.
        InProgress = "IN_PROGRESS",
        /// Every required module satisfied.
        Completed = "COMPLETED",
        /// Past its due date and not complete.
        Overdue = "OVERDUE",
        /// Waived by staff, with a reason.
        Waived = "WAIVED",
    }
}

/// The status of an enrollment at `now`.
pub fn status_of(e: &enrollment::Model, now: DateTime<Utc>) -> EnrollmentStatus {
    if e.waived_at.is_some() {
        EnrollmentStatus::Waived
    } else if e.completed_at.is_some() {
        EnrollmentStatus::Completed
    } else if e.due_at.is_some_and(|d| d < now) {
        EnrollmentStatus::Overdue
    } else if e.started_at.is_some() {
        EnrollmentStatus::InProgress
    } else {
        EnrollmentStatus::NotStarted
    }
}

/// A new trainee.
#[derive(Debug, Clone, InputObject)]
pub struct CreateTraineeInput {
    /// The brand.
    pub brand_id: ID,
    /// Name, 1-120 characters.
    pub name: String,
    /// E-mail, unique within the brand (stored in lower case).
    pub email: String,
    /// Job role, up to 120 characters.
    pub job_role: Option<String>,
    /// A client user account of the same brand.
    pub user_id: Option<ID>,
    /// A community member of the same brand.
    pub member_id: Option<ID>,
}

/// Changes to a trainee; omitted fields stay, `null` clears optional ones.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateTraineeInput {
    /// New name.
    pub name: Option<String>,
    /// New e-mail.
    pub email: Option<String>,
    /// New job role; `null` clears it.
    pub job_role: MaybeUndefined<String>,
    /// New user account; `null` unlinks it.
    pub user_id: MaybeUndefined<ID>,
    /// New member; `null` unlinks it.
    pub member_id: MaybeUndefined<ID>,
    /// The version you read; stale is `CONFLICT`.
    pub expected_version: Option<i32>,
}

/// Enrollments of trainees in a programme.
#[derive(Debug, Clone, InputObject)]
pub struct EnrollTraineesInput {
    /// The programme (the brand's own or agency-wide, `ACTIVE`).
    pub programme_id: ID,
    /// Trainees of one brand, 1-1000; those enrolled already are left as
    /// they are.
    pub trainee_ids: Vec<ID>,
    /// When it should be complete (in the future).
    pub due_at: Option<DateTime<Utc>>,
}

/// What enrolling did.
#[derive(Debug, Clone, async_graphql::SimpleObject)]
pub struct EnrollSummary {
    /// Enrollments made now.
    pub enrolled: i32,
    /// Trainees enrolled in the programme already (left as they were).
    pub already_enrolled: i32,
}

/// Filters of the enrollment list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct EnrollmentFilter {
    /// Only this brand's enrollments.
    pub brand_id: Option<ID>,
    /// Only this programme's.
    pub programme_id: Option<ID>,
    /// Only this trainee's.
    pub trainee_id: Option<ID>,
}

/// Most trainees enrolled in one call.
pub const MAX_ENROLL: usize = 1000;
/// Cursor tag of trainee lists.
pub const TRAINEE_CURSOR: &str = "trainees";
/// Cursor tag of enrollment lists.
pub const ENROLLMENT_CURSOR: &str = "enrollments";

fn email_taken() -> String {
    "the brand has a trainee with this e-mail already".into()
}

/// A trainee in `scope` (`NOT_FOUND` otherwise).
pub async fn trainee_in<C: ConnectionTrait>(
    db: &C,
    scope: &BrandScope,
    id: Uuid,
) -> AppResult<trainee::Model> {
    trainee::Entity::find_by_id(id)
        .filter(scope.condition(trainee::Column::BrandId))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("trainee"))
}

/// A linked user account: a client user of `brand`.
async fn user_link(app: &AppContext, brand: Uuid, id: &ID) -> AppResult<Uuid> {
    let id = parse_id("input.userId", id)?;
    let u = user::Entity::find_by_id(id).one(&app.db).await?;
    match u {
        Some(u) if u.role == user::Role::Client && u.brand_id == Some(brand) => Ok(id),
        _ => Err(AppError::bad_input(
            "input.userId",
            "userId must be a client user of the trainee's brand",
        )),
    }
}

/// A linked member: a member of `brand`.
async fn member_link(app: &AppContext, brand: Uuid, id: &ID) -> AppResult<Uuid> {
    let id = parse_id("input.memberId", id)?;
    let m = member::Entity::find_by_id(id)
        .filter(member::Column::BrandId.eq(brand))
        .one(&app.db)
        .await?;
    m.map(|m| m.id).ok_or_else(|| {
        AppError::bad_input(
            "input.memberId",
            "memberId must be a member of the trainee's brand",
        )
    })
}

fn audit_event(
    action: &'static str,
    kind: &'static str,
    id: Uuid,
    brand: Uuid,
) -> audit::Event<'static> {
    audit::Event {
        action,
        object_type: kind,
        object_id: Some(id),
        brand_id: Some(brand),
        details: None,
    }
}

/// Adds a trainee to a brand's team.
pub async fn create_trainee(
    app: &AppContext,
    caller: &Caller,
    input: CreateTraineeInput,
) -> AppResult<trainee::Model> {
    let brand = parse_id("input.brandId", &input.brand_id)?;
    caller.write_scope()?.check(brand, "brand")?;
    crate::brand::service::ensure_exists(app, brand).await?;
    let name = validation::text("input.name", &input.name, 1, 120)?;
    let email = validation::email("input.email", &input.email)?;
    let job_role = validation::optional_text("input.jobRole", input.job_role.as_deref(), 120)?;
    let user_id = match &input.user_id {
        Some(u) => Some(user_link(app, brand, u).await?),
        None => None,
    };
    let member_id = match &input.member_id {
        Some(m) => Some(member_link(app, brand, m).await?),
        None => None,
    };
    let now = Utc::now();
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let t = trainee::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(brand),
        name: Set(name),
        email: Set(email),
        job_role: Set(job_role),
        user_id: Set(user_id),
        member_id: Set(member_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| AppError::from_db_unique(e, email_taken))?;
    audit::record(
        &txn,
        caller,
        audit_event("training.trainee.create", "trainee", t.id, brand),
    )
    .await?;
    txn.commit().await?;
    Ok(t)
}

/// Changes a trainee.
pub async fn update_trainee(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateTraineeInput,
) -> AppResult<trainee::Model> {
    let current = trainee_in(&app.db, &caller.write_scope()?, id).await?;
    check_version("trainee", current.version, input.expected_version)?;
    let brand = current.brand_id;
    let mut a = <trainee::ActiveModel as Default>::default();
    if let Some(n) = &input.name {
        a.name = Set(validation::text("input.name", n, 1, 120)?);
    }
    if let Some(e) = &input.email {
        a.email = Set(validation::email("input.email", e)?);
    }
    match &input.job_role {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => a.job_role = Set(None),
        MaybeUndefined::Value(r) => {
            a.job_role = Set(validation::optional_text("input.jobRole", Some(r), 120)?)
        }
    }
    match &input.user_id {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => a.user_id = Set(None),
        MaybeUndefined::Value(u) => a.user_id = Set(Some(user_link(app, brand, u).await?)),
    }
    match &input.member_id {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => a.member_id = Set(None),
        MaybeUndefined::Value(m) => a.member_id = Set(Some(member_link(app, brand, m).await?)),
    }
    a.version = Set(current.version + 1);
    a.updated_at = Set(Utc::now());
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let saved = trainee::Entity::update_many()
        .set(a)
        .filter(trainee::Column::Id.eq(id))
        .filter(trainee::Column::Version.eq(current.version))
        .exec_with_returning(&txn)
        .await
        .map_err(|e| AppError::from_db_unique(e, email_taken))?
        .into_iter()
        .next()
        .ok_or_else(|| {
            AppError::Conflict("the trainee was changed meanwhile; read it again".into())
        })?;
    audit::record(
        &txn,
        caller,
        audit_event("training.trainee.update", "trainee", id, brand),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Trainees in the caller's scope, newest first.
pub async fn trainees(
    app: &AppContext,
    caller: &Caller,
    brand: Option<Uuid>,
    page: PageRequest,
) -> AppResult<Page<trainee::Model>> {
    let scope = caller.read_scope()?;
    let mut q = trainee::Entity::find().filter(scope.condition(trainee::Column::BrandId));
    if let Some(b) = brand {
        q = q.filter(trainee::Column::BrandId.eq(b));
    }
    newest_first(
        &app.db,
        q,
        trainee::Column::Id,
        &page,
        TRAINEE_CURSOR,
        |m| m.id,
    )
    .await
}

/// A trainee the caller reads.
pub async fn trainee(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<trainee::Model> {
    trainee_in(&app.db, &caller.read_scope()?, id).await
}

/// Enrolls trainees of one brand in a programme (one multi-row statement;
/// those enrolled already are counted and left as they are).
pub async fn enroll(
    app: &AppContext,
    caller: &Caller,
    input: EnrollTraineesInput,
) -> AppResult<EnrollSummary> {
    let scope = caller.write_scope()?;
    let programme = programme_in(
        &app.db,
        &scope,
        parse_id("input.programmeId", &input.programme_id)?,
    )
    .await?;
    if ProgrammeStatus::from_db(&programme.status)? != ProgrammeStatus::Active {
        return Err(AppError::bad_input(
            "input.programmeId",
            "the programme is archived: it takes no new enrollments",
        ));
    }
    if input.trainee_ids.is_empty() || input.trainee_ids.len() > MAX_ENROLL {
        return Err(AppError::bad_input(
            "input.traineeIds",
            format!("give 1-{MAX_ENROLL} trainees"),
        ));
    }
    if input.due_at.is_some_and(|d| d <= Utc::now()) {
        return Err(AppError::bad_input(
            "input.dueAt",
            "dueAt must be in the future",
        ));
    }
    let mut ids = Vec::with_capacity(input.trainee_ids.len());
    for (i, t) in input.trainee_ids.iter().enumerate() {
        let id = parse_id(&format!("input.traineeIds.{i}"), t)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let found = trainee::Entity::find()
        .filter(trainee::Column::Id.is_in(ids.clone()))
        .filter(scope.condition(trainee::Column::BrandId))
        .all(&app.db)
        .await?;
    let brand = match found.first() {
        Some(t) => t.brand_id,
        None => return Err(AppError::NotFound("trainee")),
    };
    for (i, id) in ids.iter().enumerate() {
        match found.iter().find(|t| t.id == *id) {
            None => return Err(AppError::NotFound("trainee")),
            Some(t) if t.brand_id != brand => {
                return Err(AppError::bad_input(
                    format!("input.traineeIds.{i}"),
                    "enroll trainees of one brand at a time",
                ))
            }
            Some(_) => {}
        }
    }
    if programme.brand_id.is_some_and(|b| b != brand) {
        return Err(AppError::NotFound("training programme"));
    }
    let now = Utc::now();
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let rows: Vec<enrollment::ActiveModel> = ids
        .iter()
        .map(|t| enrollment::ActiveModel {
            id: Set(Uuid::now_v7()),
            brand_id: Set(brand),
            trainee_id: Set(*t),
            programme_id: Set(programme.id),
            due_at: Set(input.due_at),
            started_at: Set(None),
            completed_at: Set(None),
            waived_at: Set(None),
            waived_reason: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    let inserted = crate::ingest::insert_new(
        &txn,
        rows,
        [
            enrollment::Column::TraineeId,
            enrollment::Column::ProgrammeId,
        ],
    )
    .await?;
    audit::record(
        &txn,
        caller,
        audit::Event {
            details: Some(serde_json::json!({ "enrolled": inserted, "trainees": ids.len() })),
            ..audit_event("training.enroll", "training_programme", programme.id, brand)
        },
    )
    .await?;
    txn.commit().await?;
    Ok(EnrollSummary {
        enrolled: inserted as i32,
        already_enrolled: (ids.len() as u64 - inserted) as i32,
    })
}

/// Waives an enrollment, with a reason.
pub async fn waive(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    reason: &str,
) -> AppResult<enrollment::Model> {
    let current = enrollment::Entity::find_by_id(id)
        .filter(caller.write_scope()?.condition(enrollment::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("enrollment"))?;
    let reason = validation::text("reason", reason, 1, 1000)?;
    match status_of(&current, Utc::now()) {
        EnrollmentStatus::Waived | EnrollmentStatus::Completed => {
            return Err(AppError::bad_input(
                "id",
                "a completed or waived enrollment cannot be waived",
            ))
        }
        _ => {}
    }
    let txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    let saved = enrollment::Entity::update_many()
        .set(enrollment::ActiveModel {
            waived_at: Set(Some(Utc::now())),
            waived_reason: Set(Some(reason)),
            version: Set(current.version + 1),
            updated_at: Set(Utc::now()),
            ..Default::default()
        })
        .filter(enrollment::Column::Id.eq(id))
        .filter(enrollment::Column::Version.eq(current.version))
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            AppError::Conflict("the enrollment was changed meanwhile; read it again".into())
        })?;
    audit::record(
        &txn,
        caller,
        audit_event(
            "training.enrollment.waive",
            "enrollment",
            id,
            current.brand_id,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Enrollments in the caller's scope, newest first.
pub async fn enrollments(
    app: &AppContext,
    caller: &Caller,
    filter: EnrollmentFilter,
    page: PageRequest,
) -> AppResult<Page<enrollment::Model>> {
    let scope = caller.read_scope()?;
    let mut q = enrollment::Entity::find().filter(scope.condition(enrollment::Column::BrandId));
    if let Some(b) = &filter.brand_id {
        q = q.filter(enrollment::Column::BrandId.eq(parse_id("filter.brandId", b)?));
    }
    if let Some(p) = &filter.programme_id {
        q = q.filter(enrollment::Column::ProgrammeId.eq(parse_id("filter.programmeId", p)?));
    }
    if let Some(t) = &filter.trainee_id {
        q = q.filter(enrollment::Column::TraineeId.eq(parse_id("filter.traineeId", t)?));
    }
    newest_first(
        &app.db,
        q,
        enrollment::Column::Id,
        &page,
        ENROLLMENT_CURSOR,
        |m| m.id,
    )
    .await
}

/// A programme's enrollments, as `TrainingProgramme.enrollments` lists them.
pub struct ProgrammeEnrollments;

impl crate::loaders::ChildRows for ProgrammeEnrollments {
    const TABLE: &'static str = "enrollment";
    const PARENT: &'static str = "programme_id";
}

/// The newest `first` enrollments of many programmes in `scope` (one statement).
pub async fn first_enrollments_of(
    app: &AppContext,
    scope: &BrandScope,
    programmes: &[Uuid],
    first: u64,
) -> AppResult<Vec<enrollment::Model>> {
    if programmes.is_empty() {
        return Ok(Vec::new());
    }
    let (in_scope, values) = scope.sql("brand_id");
    let statement = crate::db::FirstPerParent {
        table: "enrollment",
        columns: "*",
        parent: "programme_id",
        filter: &in_scope,
        values,
        order: "id DESC",
    }
    .statement(app.db.get_database_backend(), programmes, first);
    use sea_orm::FromQueryResult;
    Ok(enrollment::Model::find_by_statement(statement)
        .all(&app.db)
        .await?)
}

/// Trainees by id in `scope` (one statement).
pub async fn trainees_by_id(
    app: &AppContext,
    scope: &BrandScope,
    ids: &[Uuid],
) -> AppResult<Vec<trainee::Model>> {
    Ok(trainee::Entity::find()
        .filter(trainee::Column::Id.is_in(ids.to_vec()))
        .filter(scope.condition(trainee::Column::BrandId))
        .order_by_asc(trainee::Column::Id)
        .all(&app.db)
        .await?)
}
