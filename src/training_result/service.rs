//! Training results and the certifications they earn.
//!
//! Results are xAPI-shaped statements: pushed by an LMS integration with
//! `ingest:training` (`ingestTrainingStatements`, the shared ingest
//! machinery), or recorded by staff for workshops and practicums. In the
//! same transaction, each enrollment they touch is brought up to date:
//! started at its first result, complete once every required module is
//! satisfied (see `rules.rs`), and a certification issued when it completes
//! and again when the renewal modules are satisfied after the latest one.

use std::collections::{HashMap, HashSet};

use async_graphql::{InputObject, ID};
use chrono::{DateTime, Duration, Months, Utc};
use entity::{certification, enrollment, training_module, training_programme, training_statement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::rules::{self, Attempt, Satisfaction, Verb};
use crate::{
    auth::{Caller, Principal},
    context::{parse_id, AppContext},
    db::{self, WriteTxn},
    db_enum,
    error::{AppError, AppResult},
    ingest::{
        check_count, conflicting, fingerprint, finish, insert_new, keys_cte, lookup_chunk,
        may_ingest, settle_conflicts, sort_rows, stops, values_cte, IngestMode, IngestSummary,
        RejectedRow, CHUNK,
    },
    training::programmes::MoveOn,
};

/// The scope LMS integrations hold.
pub const SCOPE: &str = "ingest:training";

db_enum! {
    /// A result's verb: the xAPI verbs an LMS sends (`.../verbs/completed`
    /// is `COMPLETED`), with the cmi5 ones.
    pub enum TrainingVerb {
        /// Launched.
        Launched = "LAUNCHED",
        /// Initialised.
        Initialized = "INITIALIZED",
        /// Completed.
        Completed = "COMPLETED",
        /// Passed.
        Passed = "PASSED",
        /// Failed.
        Failed = "FAILED",
        /// Abandoned.
        Abandoned = "ABANDONED",
        /// Waived.
        Waived = "WAIVED",
        /// Satisfied.
        Satisfied = "SATISFIED",
    }
}

impl TrainingVerb {
    fn rule(self) -> Verb {
        match self {
            Self::Launched => Verb::Launched,
            Self::Initialized => Verb::Initialized,
            Self::Completed => Verb::Completed,
            Self::Passed => Verb::Passed,
            Self::Failed => Verb::Failed,
            Self::Abandoned => Verb::Abandoned,
            Self::Waived => Verb::Waived,
            Self::Satisfied => Verb::Satisfied,
        }
    }
}

/// One result.
#[derive(Debug, Clone, InputObject, serde::Deserialize)]
// Read like the GraphQL input type when a batch is read from JSON
// (`ingest::ReadRows`): the same names, no other field.
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainingStatementRow {
    /// The statement's id, a UUID; sending it again stores nothing.
    pub statement_id: String,
    /// The trainee, by e-mail (a trainee of the brand).
    pub actor_email: String,
    /// What happened.
    pub verb: TrainingVerb,
    /// The module, by id; or give `activityId`.
    pub module_id: Option<ID>,
    /// The LMS's activity id of the module.
    pub activity_id: Option<String>,
    /// `result.score.scaled`, -1..1.
    pub score_scaled: Option<f64>,
    /// `result.success`.
    pub success: Option<bool>,
    /// `result.completion`.
    pub completion: Option<bool>,
    /// `result.duration`, ISO 8601 (e.g. `PT1H30M`).
    pub duration: Option<String>,
    /// When it happened (not in the future).
    pub timestamp: DateTime<Utc>,
}

/// A batch of results for one brand.
#[derive(Debug, Clone, InputObject)]
pub struct IngestTrainingStatementsInput {
    /// The brand.
    pub brand_id: ID,
    /// Up to 10,000 rows.
    pub rows: Vec<TrainingStatementRow>,
    /// All-or-nothing (default) or per row.
    pub mode: Option<IngestMode>,
}

/// A result recorded by staff (workshop attendance, practicum sign-off).
#[derive(Debug, Clone, InputObject)]
pub struct RecordTrainingResultInput {
    /// The trainee.
    pub trainee_id: ID,
    /// The module.
    pub module_id: ID,
    /// What happened (e.g. `COMPLETED` for attendance, `PASSED` for a sign-off).
    pub verb: TrainingVerb,
    /// Scaled score, -1..1.
    pub score_scaled: Option<f64>,
    /// When (default now).
    pub timestamp: Option<DateTime<Utc>>,
}

/// Seconds of an ISO 8601 duration such as `PT1H30M`, `P1DT2H` or `PT45.5S`.
pub fn duration_secs(text: &str) -> Option<f64> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total = 0.0;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        let mut next = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let i = units[next..].iter().position(|(u, _)| *u == c)? + next;
            total += number.parse::<f64>().ok()? * units[i].1;
            number.clear();
            next = i + 1;
            any = true;
        }
        number.is_empty().then_some(())
    };
    take(
        date,
        &[
            ('Y', 31_536_000.0),
            ('M', 2_592_000.0),
            ('W', 604_800.0),
            ('D', 86_400.0),
        ],
    )?;
    if let Some(t) = time {
        if t.is_empty() {
            return None;
        }
        take(t, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    any.then_some(total)
}

/// Ingests results for a brand (see the module notes).
pub async fn ingest(
    app: &AppContext,
    caller: &Caller,
    input: IngestTrainingStatementsInput,
) -> AppResult<IngestSummary> {
    let brand = parse_id("input.brandId", &input.brand_id)?;
    may_ingest(app, caller, brand, SCOPE).await?;
    check_count(input.rows.len())?;
    let emails: HashSet<String> = input
        .rows
        .iter()
        .map(|r| r.actor_email.trim().to_lowercase())
        .collect();
    // Trainees and enrollments are read in the write's transaction, once:
    // the same rows check the batch and are brought up to date.
    let txn = WriteTxn::outside_reports(app, brand).await?;
    let trainees: HashMap<String, Uuid> = trainee_ids(&txn, brand, &emails).await?;
    let ids: Vec<Uuid> = trainees.values().copied().collect();
    let targets = Targets::load(&txn, brand, &ids).await?;
    let now = Utc::now();
    let (user, integration) = match &caller.principal {
        Principal::Integration(i) => (None, Some(i.id)),
        Principal::User(u) => (Some(u.id), None),
        Principal::Anonymous => (None, None),
    };
    let checked: Vec<Result<(usize, training_statement::ActiveModel), RejectedRow>> = input
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let reject = |field: &str, why: &str| RejectedRow::new(i, field, why);
            let statement = Uuid::parse_str(r.statement_id.trim())
                .map_err(|_| reject("statementId", "statementId is a UUID"))?
                .to_string();
            let t = *trainees
                .get(&r.actor_email.trim().to_lowercase())
                .ok_or_else(|| reject("actorEmail", "no trainee of the brand has this e-mail"))?;
            let (module_id, activity_id) = match (&r.module_id, r.activity_id.as_deref()) {
                (Some(m), None) => {
                    let m = Uuid::parse_str(m.as_str())
                        .ok()
                        .filter(|m| targets.module_for(t, *m))
                        .ok_or_else(|| {
                            reject("moduleId", "not a module of a programme the trainee is enrolled in")
                        })?;
                    (Some(m), None)
                }
                (None, Some(a)) => {
                    let a = a.trim();
                    if !targets.activity_for(t, a) {
                        return Err(reject(
                            "activityId",
                            "no module of a programme the trainee is enrolled in has this activity id",
                        ));
                    }
                    (None, Some(a.to_string()))
                }
                _ => return Err(reject("moduleId", "give moduleId or activityId, not both")),
            };
            if r.score_scaled.is_some_and(|s| !s.is_finite() || !(-1.0..=1.0).contains(&s)) {
                return Err(reject("scoreScaled", "a scaled score is -1..1"));
            }
            let duration = r
                .duration
                .as_deref()
                .map(|d| duration_secs(d.trim()).ok_or_else(|| reject("duration", "an ISO 8601 duration such as PT1H30M")))
                .transpose()?;
            if r.timestamp > now + Duration::minutes(5) {
                return Err(reject("timestamp", "timestamp is in the future"));
            }
            let hash = fingerprint(&[
                &t.to_string(),
                r.verb.as_str(),
                &module_id.map(|m| m.to_string()).unwrap_or_default(),
                activity_id.as_deref().unwrap_or_default(),
                &format!("{:?}/{:?}/{:?}/{:?}", r.score_scaled, r.success, r.completion, duration),
                &r.timestamp.to_rfc3339(),
            ]);
            Ok((
                i,
                training_statement::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    brand_id: Set(brand),
                    statement_id: Set(statement),
                    trainee_id: Set(t),
                    verb: Set(r.verb.as_str().into()),
                    module_id: Set(module_id),
                    activity_id: Set(activity_id),
                    score_scaled: Set(r.score_scaled),
                    success: Set(r.success),
                    completion: Set(r.completion),
                    duration_secs: Set(duration),
                    occurred_at: Set(r.timestamp),
                    payload_hash: Set(hash),
                    recorded_by_user_id: Set(user),
                    recorded_by_integration_id: Set(integration),
                    created_at: Set(now),
                },
            ))
        })
        .collect();
    let (good, mut summary) = sort_rows(checked, |(_, s)| s.statement_id.clone().unwrap());
    if stops(input.mode, &mut summary) {
        return Ok(summary);
    }
    let keys: Vec<(usize, String, String)> = good
        .iter()
        .map(|(i, s)| {
            (
                *i,
                s.statement_id.clone().unwrap(),
                s.payload_hash.clone().unwrap(),
            )
        })
        .collect();
    let fresh: Vec<Fresh> = good.iter().map(|(_, s)| Fresh::of(s)).collect();
    let rows = good.len() as i32;
    let inserted = insert_new(
        &txn,
        good.into_iter().map(|(_, s)| s).collect(),
        [
            training_statement::Column::BrandId,
            training_statement::Column::StatementId,
        ],
    )
    .await? as i32;
    summary.inserted = inserted;
    summary.duplicates += rows - inserted;
    if inserted < rows {
        let conflicts = conflicting(
            &txn,
            "training_statement",
            "statement_id",
            brand,
            &keys,
            "statementId",
        )
        .await?;
        if settle_conflicts(input.mode, &mut summary, conflicts) {
            return Ok(summary);
        }
    }
    if inserted > 0 {
        bring_up_to_date(&txn, brand, &fresh, &targets, now).await?;
    }
    finish(caller, txn, brand, "training.ingest_statements", &summary).await?;
    Ok(summary)
}

/// Records one result by hand (staff), through the same path as an ingest.
pub async fn record(
    app: &AppContext,
    caller: &Caller,
    input: RecordTrainingResultInput,
) -> AppResult<IngestSummary> {
    let t = crate::trainee::service::trainee_in(
        &app.db,
        &caller.write_scope()?,
        parse_id("input.traineeId", &input.trainee_id)?,
    )
    .await?;
    let summary = ingest(
        app,
        caller,
        IngestTrainingStatementsInput {
            brand_id: crate::context::to_id(t.brand_id),
            rows: vec![TrainingStatementRow {
                statement_id: Uuid::new_v4().to_string(),
                actor_email: t.email,
                verb: input.verb,
                module_id: Some(input.module_id),
                activity_id: None,
                score_scaled: input.score_scaled,
                success: None,
                completion: None,
                duration: None,
                timestamp: input.timestamp.unwrap_or_else(Utc::now),
            }],
            mode: None,
        },
    )
    .await?;
    if let Some(r) = summary.rejected.first() {
        let field = r.field.replacen("rows.0.", "input.", 1);
        return Err(AppError::bad_input(field, r.reason.clone()));
    }
    Ok(summary)
}

/// The brand's trainees with these e-mails: e-mail to id. One statement
/// per [`lookup_chunk`] e-mails, joined as a table: planning `email =
/// ANY(...)` estimates each of the array's elements against the column's
/// most common values, about 28 ms for 10,000 e-mails once e-mails repeat
/// across brands, where the join is planned in about 1 ms.
async fn trainee_ids<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    emails: &HashSet<String>,
) -> AppResult<HashMap<String, Uuid>> {
    let emails: Vec<String> = emails.iter().cloned().collect();
    let backend = db.get_database_backend();
    let mut out = HashMap::with_capacity(emails.len());
    for chunk in emails.chunks(lookup_chunk(backend)) {
        let (cte, mut values) = keys_cte(backend, &["e"], &[chunk.to_vec()]);
        let sql = format!(
            "{cte} SELECT t.email AS email, t.id AS id FROM trainee t JOIN v ON t.email = v.e \
             WHERE t.brand_id = ?"
        );
        values.push(brand.into());
        for row in db.query_all_raw(db::raw(backend, &sql, values)).await? {
            out.insert(row.try_get("", "email")?, row.try_get("", "id")?);
        }
    }
    Ok(out)
}

/// An enrollment as an ingest reads it: what checking a result and
/// bringing the enrollment up to date need.
#[derive(FromQueryResult)]
struct Enrolled {
    id: Uuid,
    trainee_id: Uuid,
    programme_id: Uuid,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    waived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// The batch's trainees' enrollments and what results may name: the
/// modules and activity ids of the programmes they are enrolled in.
struct Targets {
    enrollments: Vec<Enrolled>,
    /// Each trainee's programmes.
    programmes: HashMap<Uuid, Vec<Uuid>>,
    /// Each programme's modules, in order.
    modules: HashMap<Uuid, Vec<training_module::Model>>,
}

impl Targets {
    /// One statement per [`lookup_chunk`] trainees, and one for the
    /// programmes' modules.
    async fn load<C: ConnectionTrait>(db: &C, brand: Uuid, trainees: &[Uuid]) -> AppResult<Self> {
        let backend = db.get_database_backend();
        let mut enrollments = Vec::new();
        for chunk in trainees.chunks(lookup_chunk(backend)) {
            enrollments.extend(
                enrollment::Entity::find()
                    .select_only()
                    .columns([
                        enrollment::Column::Id,
                        enrollment::Column::TraineeId,
                        enrollment::Column::ProgrammeId,
                        enrollment::Column::StartedAt,
                        enrollment::Column::CompletedAt,
                        enrollment::Column::WaivedAt,
                        enrollment::Column::CreatedAt,
                    ])
                    .filter(enrollment::Column::BrandId.eq(brand))
                    .filter(db::one_of(backend, enrollment::Column::TraineeId, chunk))
                    .into_model::<Enrolled>()
                    .all(db)
                    .await?,
            );
        }
        let mut programmes: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for e in &enrollments {
            programmes
                .entry(e.trainee_id)
                .or_default()
                .push(e.programme_id);
        }
        let all: HashSet<Uuid> = enrollments.iter().map(|e| e.programme_id).collect();
        let modules = modules_by_programme(db, all).await?;
        Ok(Self {
            enrollments,
            programmes,
            modules,
        })
    }

    /// The modules of the programmes `trainee` is enrolled in.
    fn modules_of(&self, trainee: Uuid) -> impl Iterator<Item = &training_module::Model> {
        self.programmes
            .get(&trainee)
            .into_iter()
            .flatten()
            .flat_map(|p| self.modules.get(p).into_iter().flatten())
    }

    fn module_for(&self, trainee: Uuid, module: Uuid) -> bool {
        self.modules_of(trainee).any(|m| m.id == module)
    }

    fn activity_for(&self, trainee: Uuid, activity: &str) -> bool {
        self.modules_of(trainee)
            .any(|m| m.activity_id.as_deref() == Some(activity))
    }
}

async fn modules_by_programme<C: ConnectionTrait>(
    db: &C,
    programmes: HashSet<Uuid>,
) -> AppResult<HashMap<Uuid, Vec<training_module::Model>>> {
    let mut out: HashMap<Uuid, Vec<training_module::Model>> = HashMap::new();
    if programmes.is_empty() {
        return Ok(out);
    }
    for m in training_module::Entity::find()
        .filter(training_module::Column::ProgrammeId.is_in(programmes))
        .order_by_asc(training_module::Column::Position)
        .all(db)
        .await?
    {
        out.entry(m.programme_id).or_default().push(m);
    }
    Ok(out)
}

/// The attempts of `statements` that count for module `m`.
fn attempts_for(
    m: &training_module::Model,
    statements: &[training_statement::Model],
) -> Vec<Attempt> {
    statements
        .iter()
        .filter(|s| {
            s.module_id == Some(m.id) || (s.activity_id.is_some() && s.activity_id == m.activity_id)
        })
        .filter_map(|s| {
            Some(Attempt {
                verb: TrainingVerb::parse(&s.verb)?.rule(),
                score: s.score_scaled,
                success: s.success,
                completion: s.completion,
                at: s.occurred_at,
            })
        })
        .collect()
}

/// When the required modules of `modules` (or, for a renewal, `renewal`
/// ones) are satisfied by the statements after `since`.
fn satisfied_since(
    modules: &[training_module::Model],
    statements: &[training_statement::Model],
    since: Option<DateTime<Utc>>,
    renewal: bool,
    fallback: DateTime<Utc>,
) -> AppResult<Option<DateTime<Utc>>> {
    let required: Vec<&training_module::Model> = modules.iter().filter(|m| m.required).collect();
    let marked: Vec<&training_module::Model> = required
        .iter()
        .copied()
        .filter(|m| m.renew_required)
        .collect();
    let wanted = if renewal && !marked.is_empty() {
        marked
    } else {
        required
    };
    let recent: Vec<training_statement::Model> = statements
        .iter()
        .filter(|s| since.is_none_or(|t| s.occurred_at > t))
        .cloned()
        .collect();
    let mut each = Vec::with_capacity(wanted.len());
    for m in wanted {
        let s = rules::satisfaction(
            MoveOn::from_db(&m.move_on)?,
            m.mastery_score,
            &attempts_for(m, &recent),
        );
        // A renewal needs a fresh result even where no result is needed.
        each.push(match (renewal, s) {
            (true, Satisfaction::Always) => Satisfaction::No,
            (_, s) => s,
        });
    }
    let anything_new = !recent.is_empty();
    Ok(rules::all_satisfied(&each, fallback).filter(|_| !renewal || anything_new))
}

/// A certification's expiry: `validity` months after it was earned.
pub fn expiry(issued: DateTime<Utc>, validity: Option<i32>) -> Option<DateTime<Utc>> {
    validity.and_then(|m| issued.checked_add_months(Months::new(m.max(0) as u32)))
}

/// A fresh verification code: 16 characters of 80 random bits, in four
/// groups (`XXXX-XXXX-XXXX-XXXX`).
pub fn verification_code() -> String {
    let raw = crate::auth::tokens::readable_code(16);
    raw.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// What a batch's result can change, in brief.
struct Fresh {
    trainee: Uuid,
    module_id: Option<Uuid>,
    activity_id: Option<String>,
    at: DateTime<Utc>,
    /// Whether it can satisfy a module (a completing, passing, waiving or
    /// satisfying verb, a success or completion flag, or a score that may
    /// reach a mastery score); launches and the like only start enrollments.
    can_satisfy: bool,
}

impl Fresh {
    fn of(s: &training_statement::ActiveModel) -> Self {
        let verb = s.verb.clone().unwrap();
        let (success, completion, score) = (
            s.success.clone().unwrap(),
            s.completion.clone().unwrap(),
            s.score_scaled.clone().unwrap(),
        );
        Self {
            trainee: s.trainee_id.clone().unwrap(),
            module_id: s.module_id.clone().unwrap(),
            activity_id: s.activity_id.clone().unwrap(),
            at: s.occurred_at.clone().unwrap(),
            can_satisfy: matches!(
                TrainingVerb::parse(&verb),
                Some(
                    TrainingVerb::Completed
                        | TrainingVerb::Passed
                        | TrainingVerb::Waived
                        | TrainingVerb::Satisfied
                )
            ) || success == Some(true)
                || completion == Some(true)
                || score.is_some(),
        }
    }

    fn names(&self, m: &training_module::Model) -> bool {
        self.module_id == Some(m.id)
            || (self.activity_id.is_some() && self.activity_id == m.activity_id)
    }
}

/// Brings the enrollments of the batch's trainees up to date in `txn` (see
/// the module notes), as [`Targets::load`] read them in the same
/// transaction. A trainee whose new results cannot satisfy a module only
/// has their enrollments started; for the others every result is read
/// again. One statement per [`lookup_chunk`] trainees for each kind of row
/// read (results, certifications; the whole batch on PostgreSQL, as one
/// array parameter), one multi-row update of the enrollments that changed,
/// one multi-row insert of new certifications.
async fn bring_up_to_date(
    txn: &WriteTxn,
    brand: Uuid,
    fresh: &[Fresh],
    targets: &Targets,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let trainees: HashSet<Uuid> = fresh.iter().map(|f| f.trainee).collect();
    let satisfying: HashSet<Uuid> = fresh
        .iter()
        .filter(|f| f.can_satisfy)
        .map(|f| f.trainee)
        .collect();
    let mut by_trainee: HashMap<Uuid, Vec<&Fresh>> = HashMap::new();
    for f in fresh {
        by_trainee.entry(f.trainee).or_default().push(f);
    }
    let backend = txn.get_database_backend();
    // Read in this transaction by `Targets::load`.
    let enrollments: Vec<&Enrolled> = targets
        .enrollments
        .iter()
        .filter(|e| e.waived_at.is_none() && trainees.contains(&e.trainee_id))
        .collect();
    let mut statements: HashMap<Uuid, Vec<training_statement::Model>> = HashMap::new();
    let recheck: Vec<Uuid> = satisfying.iter().copied().collect();
    for chunk in recheck.chunks(lookup_chunk(backend)) {
        for s in training_statement::Entity::find()
            .filter(training_statement::Column::BrandId.eq(brand))
            .filter(db::one_of(
                backend,
                training_statement::Column::TraineeId,
                chunk,
            ))
            .all(txn)
            .await?
        {
            statements.entry(s.trainee_id).or_default().push(s);
        }
    }
    let programmes: HashSet<Uuid> = enrollments.iter().map(|e| e.programme_id).collect();
    let modules = &targets.modules;
    let validity: HashMap<Uuid, Option<i32>> = training_programme::Entity::find()
        .filter(training_programme::Column::Id.is_in(programmes))
        .all(txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.validity_months))
        .collect();
    let mut latest: HashMap<Uuid, certification::Model> = HashMap::new();
    let ids: Vec<Uuid> = enrollments
        .iter()
        .filter(|e| satisfying.contains(&e.trainee_id))
        .map(|e| e.id)
        .collect();
    for chunk in ids.chunks(lookup_chunk(backend)) {
        for c in certification::Entity::find()
            .filter(db::one_of(
                backend,
                certification::Column::EnrollmentId,
                chunk,
            ))
            .order_by_asc(certification::Column::Number)
            .all(txn)
            .await?
        {
            latest.insert(c.enrollment_id, c);
        }
    }
    let mut changed: Vec<Progress> = Vec::new();
    let mut issued: Vec<certification::ActiveModel> = Vec::new();
    for e in enrollments {
        let ms = modules
            .get(&e.programme_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if !satisfying.contains(&e.trainee_id) {
            // Only a start: the earliest new result naming one of its modules.
            let first = by_trainee
                .get(&e.trainee_id)
                .into_iter()
                .flatten()
                .filter(|f| ms.iter().any(|m| f.names(m)))
                .map(|f| f.at)
                .min();
            let started = match (e.started_at, first) {
                (Some(s), Some(f)) => Some(s.min(f)),
                (s, f) => s.or(f),
            };
            if started != e.started_at {
                changed.push((e.id, started, e.completed_at));
            }
            continue;
        }
        let none = Vec::new();
        let mine = statements.get(&e.trainee_id).unwrap_or(&none);
        let relevant: Vec<training_statement::Model> = mine
            .iter()
            .filter(|s| {
                ms.iter()
                    .any(|m| !attempts_for(m, std::slice::from_ref(s)).is_empty())
            })
            .cloned()
            .collect();
        let started = e
            .started_at
            .or_else(|| relevant.iter().map(|s| s.occurred_at).min());
        let completed = match e.completed_at {
            Some(c) => Some(c),
            None => satisfied_since(ms, &relevant, None, false, e.created_at)?,
        };
        if started != e.started_at || completed != e.completed_at {
            changed.push((e.id, started, completed));
        }
        let Some(done) = completed else { continue };
        let months = validity.get(&e.programme_id).copied().flatten();
        let next = match latest.get(&e.id) {
            None => Some((1, done)),
            Some(c) => {
                let since = c.revoked_at.unwrap_or(c.issued_at);
                satisfied_since(ms, &relevant, Some(since), true, now)?.map(|t| (c.number + 1, t))
            }
        };
        if let Some((number, at)) = next {
            issued.push(certification::ActiveModel {
                id: Set(Uuid::now_v7()),
                brand_id: Set(brand),
                trainee_id: Set(e.trainee_id),
                programme_id: Set(e.programme_id),
                enrollment_id: Set(e.id),
                number: Set(number),
                issued_at: Set(at),
                expires_at: Set(expiry(at, months)),
                revoked_at: Set(None),
                revoked_reason: Set(None),
                code: Set(verification_code()),
                created_at: Set(now),
            });
        }
    }
    update_enrollments(txn, &changed, now).await?;
    for chunk in issued.chunks(CHUNK) {
        certification::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// An enrollment's new `started_at` and `completed_at`.
type Progress = (Uuid, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// Sets `started_at` and `completed_at` of many enrollments in multi-row
/// statements.
async fn update_enrollments(
    txn: &WriteTxn,
    changed: &[Progress],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let backend = txn.get_database_backend();
    let (id, started, completed) = match backend {
        DbBackend::Postgres => (
            "CAST(v.id AS uuid)",
            "CAST(v.started AS timestamptz)",
            "CAST(v.completed AS timestamptz)",
        ),
        _ => ("v.id", "v.started", "v.completed"),
    };
    for chunk in changed.chunks(CHUNK) {
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 3 + 1);
        for (e, s, c) in chunk {
            values.push((*e).into());
            values.push((*s).into());
            values.push((*c).into());
        }
        values.push(now.into());
        let sql = format!(
            "{} UPDATE enrollment SET started_at = {started}, completed_at = {completed}, \
             version = version + 1, updated_at = ? FROM v WHERE enrollment.id = {id}",
            values_cte(chunk.len(), &["id", "started", "completed"])
        );
        txn.execute_raw(db::raw(backend, &sql, values)).await?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn module(id: u128, required: bool, renew: bool, move_on: MoveOn) -> training_module::Model {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        training_module::Model {
            id: Uuid::from_u128(id),
            programme_id: Uuid::nil(),
            brand_id: None,
            position: id as i32,
            title: format!("m{id}"),
            kind: "QUIZ".into(),
            required,
            mastery_score: Some(0.8),
            move_on: move_on.as_str().into(),
            renew_required: renew,
            activity_id: None,
            version: 1,
            created_at: t,
            updated_at: t,
        }
    }

    fn result(
        module: u128,
        verb: TrainingVerb,
        score: Option<f64>,
        day: u32,
    ) -> training_statement::Model {
        let at = Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap();
        training_statement::Model {
            id: Uuid::now_v7(),
            brand_id: Uuid::nil(),
            statement_id: Uuid::new_v4().to_string(),
            trainee_id: Uuid::nil(),
            verb: verb.as_str().into(),
            module_id: Some(Uuid::from_u128(module)),
            activity_id: None,
            score_scaled: score,
            success: None,
            completion: None,
            duration_secs: None,
            occurred_at: at,
            payload_hash: String::new(),
            recorded_by_user_id: None,
            recorded_by_integration_id: None,
            created_at: at,
        }
    }

    #[test]
    fn completion_needs_every_required_module_and_renewal_only_the_marked_ones_again() {
        let day = |d: u32| Utc.with_ymd_and_hms(2026, 3, d, 12, 0, 0).unwrap();
        // Module 1 (required, renewed), 2 (required), 3 (optional).
        let modules = [
            module(1, true, true, MoveOn::Passed),
            module(2, true, false, MoveOn::Completed),
            module(3, false, false, MoveOn::Completed),
        ];
        let mut results = vec![
            result(1, TrainingVerb::Passed, Some(0.9), 2),
            result(3, TrainingVerb::Completed, None, 3),
        ];
        // Module 2 is missing: not complete, whatever module 3 says.
        assert_eq!(
            satisfied_since(&modules, &results, None, false, day(1)).unwrap(),
            None
        );
        results.push(result(2, TrainingVerb::Completed, None, 5));
        // Complete when the last required one was satisfied: day 5.
        assert_eq!(
            satisfied_since(&modules, &results, None, false, day(1)).unwrap(),
            Some(day(5))
        );
        // Renewal after a certification of day 5: module 1 again, after it.
        // A failure does not renew; a pass on day 20 does, and module 2 is
        // not needed again.
        results.push(result(1, TrainingVerb::Failed, Some(0.3), 10));
        assert_eq!(
            satisfied_since(&modules, &results, Some(day(5)), true, day(1)).unwrap(),
            None
        );
        results.push(result(1, TrainingVerb::Passed, Some(0.85), 20));
        assert_eq!(
            satisfied_since(&modules, &results, Some(day(5)), true, day(1)).unwrap(),
            Some(day(20))
        );
        // With no module marked, renewal needs every required module again.
        let unmarked = [
            module(1, true, false, MoveOn::Passed),
            module(2, true, false, MoveOn::Completed),
        ];
        assert_eq!(
            satisfied_since(&unmarked, &results, Some(day(5)), true, day(1)).unwrap(),
            None
        );
        // And a result before the certification never counts for renewal.
        assert_eq!(
            satisfied_since(&modules, &results, Some(day(21)), true, day(1)).unwrap(),
            None
        );
    }

    #[test]
    fn iso_durations() {
        assert_eq!(duration_secs("PT1H30M"), Some(5400.0));
        assert_eq!(duration_secs("P1DT2H"), Some(93_600.0));
        assert_eq!(duration_secs("PT45.5S"), Some(45.5));
        assert_eq!(duration_secs("P2W"), Some(1_209_600.0));
        for bad in ["", "P", "PT", "1H", "PT1X", "PT30M1H", "PT1H2"] {
            assert_eq!(duration_secs(bad), None, "{bad}");
        }
    }
}
