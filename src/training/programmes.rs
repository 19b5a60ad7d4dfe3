//! The training catalogue: programmes, agency-wide (admins write them) or
//! for one brand (admins and the brand's consultants), with their modules
//! in order. Every brand reads the agency-wide programmes; a brand's own are
//! `NOT_FOUND` to every other brand.

use async_graphql::{InputObject, MaybeUndefined, ID};
use chrono::Utc;
use entity::{training_module, training_programme};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

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
    /// What a module is.
    pub enum ModuleKind {
        /// A video to watch.
        Video = "VIDEO",
        /// Something to read.
        Reading = "READING",
        /// A workshop with a trainer (attendance recorded by hand).
        Workshop = "WORKSHOP",
        /// An assessment with a score.
        Quiz = "QUIZ",
        /// Work done for real, signed off by a consultant.
        Practicum = "PRACTICUM",
    }
}

db_enum! {
    /// The cmi5 `moveOn` rule: what satisfies a module.
    pub enum MoveOn {
        /// A `completed` result.
        Completed = "COMPLETED",
        /// A `passed` result (or a scaled score at or above the mastery score).
        Passed = "PASSED",
        /// Both, in any attempts.
        CompletedAndPassed = "COMPLETED_AND_PASSED",
        /// Either.
        CompletedOrPassed = "COMPLETED_OR_PASSED",
        /// Satisfied without any result.
        NotApplicable = "NOT_APPLICABLE",
    }
}

db_enum! {
    /// Whether a programme takes new enrollments.
    pub enum ProgrammeStatus {
        /// In use.
        Active = "ACTIVE",
        /// Kept for its records; no new enrollments.
        Archived = "ARCHIVED",
    }
}

/// A module of a new programme, or a new module.
#[derive(Debug, Clone, InputObject)]
pub struct TrainingModuleInput {
    /// Title, 1-200 characters.
    pub title: String,
    /// What it is.
    pub kind: ModuleKind,
    /// Whether the programme needs it (default true).
    pub required: Option<bool>,
    /// Scaled score (0..1) at or above which an attempt passes.
    pub mastery_score: Option<f64>,
    /// What satisfies it; default `PASSED` for a `QUIZ`, `COMPLETED` otherwise.
    pub move_on: Option<MoveOn>,
    /// Whether renewing the certification needs it again (default false).
    pub renew_required: Option<bool>,
    /// The LMS's activity id (e.g. an IRI) that results name instead of the
    /// module id, unique within the programme, up to 500 characters.
    pub activity_id: Option<String>,
}

/// Changes to a module; omitted fields stay, `null` clears optional ones.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateTrainingModuleInput {
    /// New title.
    pub title: Option<String>,
    /// Whether it is required.
    pub required: Option<bool>,
    /// New mastery score; `null` clears it.
    pub mastery_score: MaybeUndefined<f64>,
    /// New rule.
    pub move_on: Option<MoveOn>,
    /// Whether renewing needs it.
    pub renew_required: Option<bool>,
    /// New activity id; `null` clears it.
    pub activity_id: MaybeUndefined<String>,
    /// New position, from 1; the others move to make room.
    pub position: Option<i32>,
    /// The version you read; stale is `CONFLICT`.
    pub expected_version: Option<i32>,
}

/// A new programme.
#[derive(Debug, Clone, InputObject)]
pub struct CreateTrainingProgrammeInput {
    /// The brand; omitted: agency-wide (admins only).
    pub brand_id: Option<ID>,
    /// Title, 1-200 characters.
    pub title: String,
    /// What it teaches, up to 5000 characters.
    pub description: Option<String>,
    /// Months a certification stays valid, 1-120; omitted: no expiry.
    pub validity_months: Option<i32>,
    /// Its modules in order, 1-50.
    pub modules: Vec<TrainingModuleInput>,
}

/// Changes to a programme; omitted fields stay, `null` clears optional ones.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateTrainingProgrammeInput {
    /// New title.
    pub title: Option<String>,
    /// New description; `null` clears it.
    pub description: MaybeUndefined<String>,
    /// New validity; `null`: no expiry (certifications already issued keep theirs).
    pub validity_months: MaybeUndefined<i32>,
    /// New status.
    pub status: Option<ProgrammeStatus>,
    /// The version you read; stale is `CONFLICT`.
    pub expected_version: Option<i32>,
}

/// Filters of the programme list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct TrainingProgrammeFilter {
    /// This brand's programmes, and the agency-wide ones unless
    /// `ownOnly`.
    pub brand_id: Option<ID>,
    /// Only the brand's own programmes.
    pub own_only: Option<bool>,
    /// Only this status.
    pub status: Option<ProgrammeStatus>,
}

/// Most modules in a programme.
pub const MAX_MODULES: usize = 50;
/// Cursor tag of programme lists.
pub const PROGRAMME_CURSOR: &str = "training-programmes";

/// Programmes the scope reads: agency-wide ones and its brands' own.
pub fn visible(scope: &BrandScope) -> Condition {
    Condition::any()
        .add(training_programme::Column::BrandId.is_null())
        .add(scope.condition(training_programme::Column::BrandId))
}

/// A programme the scope reads (`NOT_FOUND` otherwise).
pub async fn programme_in<C: ConnectionTrait>(
    db: &C,
    scope: &BrandScope,
    id: Uuid,
) -> AppResult<training_programme::Model> {
    training_programme::Entity::find_by_id(id)
        .filter(visible(scope))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("training programme"))
}

/// A programme the caller may change: an agency-wide one for admins, a
/// brand's own for admins and its consultants.
async fn writable(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
) -> AppResult<training_programme::Model> {
    let p = programme_in(&app.db, &caller.read_scope()?, id).await?;
    match p.brand_id {
        None => {
            caller.admin().map_err(|_| {
                AppError::Forbidden("only admins change agency-wide programmes".into())
            })?;
        }
        Some(b) => caller.write_scope()?.check(b, "training programme")?,
    }
    Ok(p)
}

/// The module fields, checked.
struct ModuleFields {
    required: bool,
    mastery_score: Option<f64>,
    move_on: MoveOn,
    renew_required: bool,
    activity_id: Option<String>,
}

fn mastery(field: &str, score: Option<f64>) -> AppResult<Option<f64>> {
    match score {
        Some(s) if !(s.is_finite() && (0.0..=1.0).contains(&s)) => Err(AppError::bad_input(
            field,
            "the mastery score is a scaled score from 0 to 1",
        )),
        other => Ok(other),
    }
}

fn activity(field: &str, id: Option<&str>) -> AppResult<Option<String>> {
    id.map(|a| validation::text(field, a, 1, 500)).transpose()
}

fn module_fields(field: &str, m: &TrainingModuleInput) -> AppResult<ModuleFields> {
    let move_on = m.move_on.unwrap_or(if m.kind == ModuleKind::Quiz {
        MoveOn::Passed
    } else {
        MoveOn::Completed
    });
    Ok(ModuleFields {
        required: m.required.unwrap_or(true),
        mastery_score: mastery(&format!("{field}.masteryScore"), m.mastery_score)?,
        move_on,
        renew_required: m.renew_required.unwrap_or(false),
        activity_id: activity(&format!("{field}.activityId"), m.activity_id.as_deref())?,
    })
}

fn validity(field: &str, months: Option<i32>) -> AppResult<Option<i32>> {
    match months {
        Some(m) if !(1..=120).contains(&m) => Err(AppError::bad_input(
            field,
            "validityMonths is 1-120, or omitted for no expiry",
        )),
        other => Ok(other),
    }
}

fn activity_taken() -> String {
    "another module of the programme has this activityId".into()
}

fn module_row(
    programme: &training_programme::Model,
    position: i32,
    title: String,
    kind: ModuleKind,
    f: ModuleFields,
) -> training_module::ActiveModel {
    let now = Utc::now();
    training_module::ActiveModel {
        id: Set(Uuid::now_v7()),
        programme_id: Set(programme.id),
        brand_id: Set(programme.brand_id),
        position: Set(position),
        title: Set(title),
        kind: Set(kind.as_str().into()),
        required: Set(f.required),
        mastery_score: Set(f.mastery_score),
        move_on: Set(f.move_on.as_str().into()),
        renew_required: Set(f.renew_required),
        activity_id: Set(f.activity_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Begins a write to a programme: under its brand (refusing an archived
/// brand) or, for an agency-wide one, plainly.
async fn begin(app: &AppContext, brand: Option<Uuid>) -> AppResult<WriteTxn> {
    match brand {
        Some(b) => WriteTxn::outside_reports(app, b).await,
        None => WriteTxn::begin(app).await,
    }
}

fn audit_target(p: &training_programme::Model) -> audit::Event<'static> {
    audit::Event {
        action: "",
        object_type: "training_programme",
        object_id: Some(p.id),
        brand_id: p.brand_id,
        details: None,
    }
}

/// Creates a programme with its modules.
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    input: CreateTrainingProgrammeInput,
) -> AppResult<training_programme::Model> {
    let brand = match &input.brand_id {
        Some(b) => {
            let b = parse_id("input.brandId", b)?;
            caller.write_scope()?.check(b, "brand")?;
            crate::brand::service::ensure_exists(app, b).await?;
            Some(b)
        }
        None => {
            caller.admin().map_err(|_| {
                AppError::Forbidden(
                    "only admins create agency-wide programmes; give a brandId".into(),
                )
            })?;
            None
        }
    };
    let title = validation::text("input.title", &input.title, 1, 200)?;
    let description =
        validation::optional_text("input.description", input.description.as_deref(), 5000)?;
    let validity_months = validity("input.validityMonths", input.validity_months)?;
    if input.modules.is_empty() || input.modules.len() > MAX_MODULES {
        return Err(AppError::bad_input(
            "input.modules",
            format!("a programme has 1-{MAX_MODULES} modules"),
        ));
    }
    let mut modules = Vec::new();
    let mut activities = std::collections::HashSet::new();
    for (i, m) in input.modules.iter().enumerate() {
        let field = format!("input.modules.{i}");
        let t = validation::text(&format!("{field}.title"), &m.title, 1, 200)?;
        let f = module_fields(&field, m)?;
        if let Some(a) = &f.activity_id {
            if !activities.insert(a.clone()) {
                return Err(AppError::bad_input(
                    format!("{field}.activityId"),
                    activity_taken(),
                ));
            }
        }
        modules.push((t, m.kind, f));
    }
    let now = Utc::now();
    let txn = begin(app, brand).await?;
    let p = training_programme::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(brand),
        title: Set(title),
        description: Set(description),
        validity_months: Set(validity_months),
        status: Set(ProgrammeStatus::Active.as_str().into()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let rows: Vec<training_module::ActiveModel> = modules
        .into_iter()
        .enumerate()
        .map(|(i, (t, k, f))| module_row(&p, i as i32 + 1, t, k, f))
        .collect();
    training_module::Entity::insert_many(rows)
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        caller,
        audit::Event {
            action: "training.programme.create",
            ..audit_target(&p)
        },
    )
    .await?;
    txn.commit().await?;
    Ok(p)
}

/// Changes a programme's details.
pub async fn update(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateTrainingProgrammeInput,
) -> AppResult<training_programme::Model> {
    let current = writable(app, caller, id).await?;
    check_version(
        "training programme",
        current.version,
        input.expected_version,
    )?;
    let mut a = <training_programme::ActiveModel as Default>::default();
    if let Some(t) = &input.title {
        a.title = Set(validation::text("input.title", t, 1, 200)?);
    }
    match &input.description {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => a.description = Set(None),
        MaybeUndefined::Value(d) => {
            a.description = Set(validation::optional_text(
                "input.description",
                Some(d),
                5000,
            )?)
        }
    }
    match input.validity_months {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => a.validity_months = Set(None),
        MaybeUndefined::Value(m) => {
            a.validity_months = Set(validity("input.validityMonths", Some(m))?)
        }
    }
    if let Some(s) = input.status {
        a.status = Set(s.as_str().into());
    }
    a.version = Set(current.version + 1);
    a.updated_at = Set(Utc::now());
    let txn = begin(app, current.brand_id).await?;
    let saved = training_programme::Entity::update_many()
        .set(a)
        .filter(training_programme::Column::Id.eq(id))
        .filter(training_programme::Column::Version.eq(current.version))
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            AppError::Conflict("the programme was changed meanwhile; read it again".into())
        })?;
    audit::record(
        &txn,
        caller,
        audit::Event {
            action: "training.programme.update",
            ..audit_target(&saved)
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

async fn modules_of_one<C: ConnectionTrait>(
    db: &C,
    programme: Uuid,
) -> AppResult<Vec<training_module::Model>> {
    Ok(training_module::Entity::find()
        .filter(training_module::Column::ProgrammeId.eq(programme))
        .order_by_asc(training_module::Column::Position)
        .order_by_asc(training_module::Column::Id)
        .all(db)
        .await?)
}

fn unique_activity(e: sea_orm::DbErr) -> AppError {
    AppError::from_db_unique(e, activity_taken)
}

/// Adds a module at `position` (default: last).
pub async fn add_module(
    app: &AppContext,
    caller: &Caller,
    programme: Uuid,
    input: TrainingModuleInput,
    position: Option<i32>,
) -> AppResult<training_module::Model> {
    let p = writable(app, caller, programme).await?;
    let title = validation::text("input.title", &input.title, 1, 200)?;
    let f = module_fields("input", &input)?;
    let txn = begin(app, p.brand_id).await?;
    let existing = modules_of_one(&txn, p.id).await?;
    if existing.len() >= MAX_MODULES {
        return Err(AppError::bad_input(
            "programmeId",
            format!("a programme has at most {MAX_MODULES} modules"),
        ));
    }
    let last = existing.len() as i32 + 1;
    let at = position.unwrap_or(last);
    if !(1..=last).contains(&at) {
        return Err(AppError::bad_input(
            "position",
            format!("position is 1-{last}"),
        ));
    }
    training_module::Entity::update_many()
        .col_expr(
            training_module::Column::Position,
            Expr::col(training_module::Column::Position).add(1),
        )
        .filter(training_module::Column::ProgrammeId.eq(p.id))
        .filter(training_module::Column::Position.gte(at))
        .exec(&txn)
        .await?;
    let m = module_row(&p, at, title, input.kind, f)
        .insert(&txn)
        .await
        .map_err(unique_activity)?;
    audit::record(
        &txn,
        caller,
        audit::Event {
            action: "training.module.add",
            ..audit_target(&p)
        },
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Changes a module (moving it when `position` is given).
pub async fn update_module(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateTrainingModuleInput,
) -> AppResult<training_module::Model> {
    let current = training_module::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("training module"))?;
    let p = writable(app, caller, current.programme_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("training module"),
            other => other,
        })?;
    check_version("training module", current.version, input.expected_version)?;
    let mut a = <training_module::ActiveModel as Default>::default();
    if let Some(t) = &input.title {
        a.title = Set(validation::text("input.title", t, 1, 200)?);
    }
    if let Some(r) = input.required {
        a.required = Set(r);
    }
    match input.mastery_score {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => a.mastery_score = Set(None),
        MaybeUndefined::Value(s) => a.mastery_score = Set(mastery("input.masteryScore", Some(s))?),
    }
    if let Some(m) = input.move_on {
        a.move_on = Set(m.as_str().into());
    }
    if let Some(r) = input.renew_required {
        a.renew_required = Set(r);
    }
    match &input.activity_id {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => a.activity_id = Set(None),
        MaybeUndefined::Value(v) => a.activity_id = Set(activity("input.activityId", Some(v))?),
    }
    a.version = Set(current.version + 1);
    a.updated_at = Set(Utc::now());
    let txn = begin(app, p.brand_id).await?;
    if let Some(to) = input.position {
        let count = modules_of_one(&txn, p.id).await?.len() as i32;
        if !(1..=count).contains(&to) {
            return Err(AppError::bad_input(
                "input.position",
                format!("position is 1-{count}"),
            ));
        }
        let from = current.position;
        // Close the gap it leaves, open one where it goes.
        let (range, step) = if to > from {
            ((from + 1, to), -1)
        } else {
            ((to, from - 1), 1)
        };
        if from != to {
            training_module::Entity::update_many()
                .col_expr(
                    training_module::Column::Position,
                    Expr::col(training_module::Column::Position).add(step),
                )
                .filter(training_module::Column::ProgrammeId.eq(p.id))
                .filter(training_module::Column::Id.ne(id))
                .filter(training_module::Column::Position.between(range.0, range.1))
                .exec(&txn)
                .await?;
        }
        a.position = Set(to);
    }
    let saved = training_module::Entity::update_many()
        .set(a)
        .filter(training_module::Column::Id.eq(id))
        .filter(training_module::Column::Version.eq(current.version))
        .exec_with_returning(&txn)
        .await
        .map_err(unique_activity)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            AppError::Conflict("the module was changed meanwhile; read it again".into())
        })?;
    audit::record(
        &txn,
        caller,
        audit::Event {
            action: "training.module.update",
            ..audit_target(&p)
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// A programme the caller reads.
pub async fn get(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
) -> AppResult<training_programme::Model> {
    programme_in(&app.db, &caller.read_scope()?, id).await
}

/// Programmes the caller reads, newest first.
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    filter: TrainingProgrammeFilter,
    page: PageRequest,
) -> AppResult<Page<training_programme::Model>> {
    let scope = caller.read_scope()?;
    let mut q = training_programme::Entity::find().filter(visible(&scope));
    if let Some(b) = &filter.brand_id {
        let b = parse_id("filter.brandId", b)?;
        let own = training_programme::Column::BrandId.eq(b);
        q = q.filter(if filter.own_only.unwrap_or(false) {
            Condition::all().add(own)
        } else {
            Condition::any()
                .add(own)
                .add(training_programme::Column::BrandId.is_null())
        });
    } else if filter.own_only.unwrap_or(false) {
        q = q.filter(training_programme::Column::BrandId.is_not_null());
    }
    if let Some(s) = filter.status {
        q = q.filter(training_programme::Column::Status.eq(s.as_str()));
    }
    newest_first(
        &app.db,
        q,
        training_programme::Column::Id,
        &page,
        PROGRAMME_CURSOR,
        |m| m.id,
    )
    .await
}

/// The modules of many programmes the scope reads, in order (one statement).
pub async fn modules_of(
    app: &AppContext,
    scope: &BrandScope,
    programmes: &[Uuid],
) -> AppResult<Vec<training_module::Model>> {
    Ok(training_module::Entity::find()
        .filter(training_module::Column::ProgrammeId.is_in(programmes.to_vec()))
        .filter(
            Condition::any()
                .add(training_module::Column::BrandId.is_null())
                .add(scope.condition(training_module::Column::BrandId)),
        )
        .order_by_asc(training_module::Column::ProgrammeId)
        .order_by_asc(training_module::Column::Position)
        .order_by_asc(training_module::Column::Id)
        .all(&app.db)
        .await?)
}

/// Programmes by id that `scope` reads (one statement).
pub async fn programmes_by_id(
    app: &AppContext,
    scope: &BrandScope,
    ids: &[Uuid],
) -> AppResult<Vec<training_programme::Model>> {
    Ok(training_programme::Entity::find()
        .filter(training_programme::Column::Id.is_in(ids.to_vec()))
        .filter(visible(scope))
        .all(&app.db)
        .await?)
}
