//! The training report of a programme for a brand, computed in SQL
//! (definitions in `docs/training.md`): enrollments, completion, time to
//! complete, pass rate and mean score per assessed module, overdue
//! enrollments, and how many holders of the roles that require the
//! programme hold a valid certification. Every rate is a [`Figure`] with
//! its sample size and the small-sample flag of the impact reports.

use async_graphql::{SimpleObject, ID};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use uuid::Uuid;

use crate::training::programmes::{programme_in, ModuleKind};
use crate::{
    auth::Caller,
    context::{to_id, AppContext},
    db,
    error::AppResult,
    impact::report::{Figure, SampleUnit},
};

/// A programme's report for one brand.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrainingReport {
    /// The programme.
    pub programme_id: ID,
    /// The brand.
    pub brand_id: ID,
    /// Enrollments of the brand's trainees in it.
    pub enrolled: i64,
    /// Of them waived (left out of the rates).
    pub waived: i64,
    /// Of the others, complete.
    pub completed: i64,
    /// Of the others, past their due date and not complete.
    pub overdue: i64,
    /// Completed / (enrolled − waived); sample: those trainees.
    pub completion_rate: Figure,
    /// Median days from enrollment to completion; sample: completed trainees.
    pub median_days_to_complete: Figure,
    /// Overdue / (enrolled − waived).
    pub overdue_rate: Figure,
    /// Each assessed module (quizzes, and modules with a mastery score).
    pub modules: Vec<ModuleReport>,
    /// Holders of community roles that require this programme.
    pub role_holders: i64,
    /// Of them, holding a valid certification of it.
    pub role_holders_certified: i64,
    /// Certified / holders; sample: the holders.
    pub role_coverage: Figure,
}

/// An assessed module's results among the programme's trainees.
#[derive(Debug, Clone, SimpleObject)]
pub struct ModuleReport {
    /// The module.
    pub module_id: ID,
    /// Its title.
    pub title: String,
    /// Trainees who passed / trainees with a result for it.
    pub pass_rate: Figure,
    /// Mean scaled score over the scored results; sample: trainees with a
    /// score, observations: scored results.
    pub mean_score: Figure,
}

fn figure(value: Option<f64>, n: i64, observations: i64, min: i64, unit: SampleUnit) -> Figure {
    Figure {
        value: value.filter(|_| n > 0),
        sample_size: n,
        sample_of: unit,
        observations,
        insufficient: n < min,
    }
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn int(r: &QueryResult, col: &str) -> AppResult<i64> {
    Ok(r.try_get::<Option<i64>>("", col)?.unwrap_or(0))
}

/// Days from enrollment to completion, per backend.
fn days_sql(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "CAST(EXTRACT(EPOCH FROM (completed_at - created_at)) / 86400.0 AS DOUBLE PRECISION)"
        }
        _ => "(julianday(completed_at) - julianday(created_at))",
    }
}

/// The report of `programme` for `brand` (five statements).
pub async fn report(
    app: &AppContext,
    caller: &Caller,
    brand: Uuid,
    programme: Uuid,
) -> AppResult<TrainingReport> {
    let scope = caller.read_scope()?;
    scope.check(brand, "brand")?;
    let p = programme_in(&app.db, &scope, programme).await?;
    if p.brand_id.is_some_and(|b| b != brand) {
        return Err(crate::error::AppError::NotFound("training programme"));
    }
    let min = i64::from(app.settings.reports.min_sample);
    let backend = app.db.get_database_backend();
    let now = Utc::now();
    let counts = app
        .db
        .query_one_raw(db::raw(
            backend,
            "SELECT COUNT(*) AS enrolled, \
             CAST(SUM(CASE WHEN waived_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS waived, \
             CAST(SUM(CASE WHEN waived_at IS NULL AND completed_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS completed, \
             CAST(SUM(CASE WHEN waived_at IS NULL AND completed_at IS NULL AND due_at < ? THEN 1 ELSE 0 END) AS BIGINT) AS overdue \
             FROM enrollment WHERE brand_id = ? AND programme_id = ?",
            vec![now.into(), brand.into(), programme.into()],
        ))
        .await?;
    let (enrolled, waived, completed, overdue) = match &counts {
        Some(r) => (
            int(r, "enrolled")?,
            int(r, "waived")?,
            int(r, "completed")?,
            int(r, "overdue")?,
        ),
        None => (0, 0, 0, 0),
    };
    let counted = enrolled - waived;
    // The median: the middle one or two of the sorted durations.
    let median = if completed > 0 {
        let sql = format!(
            "SELECT CAST(AVG(d) AS DOUBLE PRECISION) AS median FROM (SELECT {} AS d FROM enrollment \
             WHERE brand_id = ? AND programme_id = ? AND waived_at IS NULL AND completed_at IS NOT NULL \
             ORDER BY d LIMIT ? OFFSET ?) m",
            days_sql(backend)
        );
        let limit = 2 - completed % 2;
        let offset = (completed - 1) / 2;
        app.db
            .query_one_raw(db::raw(
                backend,
                &sql,
                vec![brand.into(), programme.into(), limit.into(), offset.into()],
            ))
            .await?
            .map(|r| r.try_get::<Option<f64>>("", "median"))
            .transpose()?
            .flatten()
    } else {
        None
    };
    let passes = "(s.verb = 'PASSED' OR s.success = TRUE OR (m.mastery_score IS NOT NULL \
                  AND s.score_scaled IS NOT NULL AND s.verb <> 'FAILED')) AND NOT (m.mastery_score IS NOT NULL \
                  AND s.score_scaled IS NOT NULL AND s.score_scaled < m.mastery_score)";
    let modules_sql = format!(
        "SELECT m.id AS module_id, m.title AS title, m.position AS position, \
         COUNT(DISTINCT s.trainee_id) AS trainees, \
         COUNT(DISTINCT CASE WHEN {passes} THEN s.trainee_id END) AS passed, \
         COUNT(DISTINCT CASE WHEN s.score_scaled IS NOT NULL THEN s.trainee_id END) AS scored_trainees, \
         COUNT(s.score_scaled) AS scored, CAST(AVG(s.score_scaled) AS DOUBLE PRECISION) AS mean_score \
         FROM training_module m LEFT JOIN training_statement s ON s.brand_id = ? \
         AND (s.module_id = m.id OR (s.activity_id IS NOT NULL AND s.activity_id = m.activity_id)) \
         AND s.trainee_id IN (SELECT trainee_id FROM enrollment WHERE brand_id = ? AND programme_id = ?) \
         WHERE m.programme_id = ? AND (m.kind = '{}' OR m.mastery_score IS NOT NULL) \
         GROUP BY m.id, m.title, m.position ORDER BY m.position",
        ModuleKind::Quiz.as_str()
    );
    let mut modules = Vec::new();
    for r in app
        .db
        .query_all_raw(db::raw(
            backend,
            &modules_sql,
            vec![
                brand.into(),
                brand.into(),
                programme.into(),
                programme.into(),
            ],
        ))
        .await?
    {
        let trainees = int(&r, "trainees")?;
        let scored_trainees = int(&r, "scored_trainees")?;
        modules.push(ModuleReport {
            module_id: to_id(r.try_get("", "module_id")?),
            title: r.try_get("", "title")?,
            pass_rate: figure(
                ratio(int(&r, "passed")?, trainees),
                trainees,
                trainees,
                min,
                SampleUnit::Trainees,
            ),
            mean_score: figure(
                r.try_get::<Option<f64>>("", "mean_score")?,
                scored_trainees,
                int(&r, "scored")?,
                min,
                SampleUnit::Trainees,
            ),
        });
    }
    let coverage = app
        .db
        .query_one_raw(db::raw(
            backend,
            "SELECT COUNT(*) AS holders, CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM trainee t \
             JOIN certification c ON c.trainee_id = t.id WHERE t.brand_id = r.brand_id \
             AND t.member_id = ms.member_id AND c.programme_id = r.programme_id AND c.revoked_at IS NULL \
             AND (c.expires_at IS NULL OR c.expires_at > ?) AND NOT EXISTS (SELECT 1 FROM certification y \
             WHERE y.enrollment_id = c.enrollment_id AND y.number > c.number)) THEN 1 ELSE 0 END) AS BIGINT) AS certified \
             FROM role_requirement r JOIN membership ms ON ms.community_id = r.community_id \
             AND ms.role = r.role AND ms.left_at IS NULL WHERE r.brand_id = ? AND r.programme_id = ?",
            vec![now.into(), brand.into(), programme.into()],
        ))
        .await?;
    let (holders, certified) = match &coverage {
        Some(r) => (int(r, "holders")?, int(r, "certified")?),
        None => (0, 0),
    };
    Ok(TrainingReport {
        programme_id: to_id(p.id),
        brand_id: to_id(brand),
        enrolled,
        waived,
        completed,
        overdue,
        completion_rate: figure(
            ratio(completed, counted),
            counted,
            counted,
            min,
            SampleUnit::Trainees,
        ),
        median_days_to_complete: figure(median, completed, completed, min, SampleUnit::Trainees),
        overdue_rate: figure(
            ratio(overdue, counted),
            counted,
            counted,
            min,
            SampleUnit::Trainees,
        ),
        modules,
        role_holders: holders,
        role_holders_certified: certified,
        role_coverage: figure(
            ratio(certified, holders),
            holders,
            holders,
            min,
            SampleUnit::RoleHolders,
        ),
    })
}
