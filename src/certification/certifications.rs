//! Certifications: listed, expiring, revoked with a reason, and checked by
//! anyone with their verification code.

use async_graphql::{InputObject, SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};
use entity::{certification, trainee, training_programme};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    audit::service as audit,
    auth::{ratelimit::Limit, BrandScope, Caller},
    context::{parse_id, AppContext},
    db::WriteTxn,
    db_enum,
    error::{AppError, AppResult},
    pagination::{CursorKey, Page, PageRequest},
    validation,
};

db_enum! {
    /// Where a certification stands: `REVOKED` once revoked; `RENEWED` once
    /// a later one of the same enrollment was issued; `EXPIRED` after its
    /// expiry; `VALID` otherwise.
    pub enum CertificationStatus {
        /// In force.
        Valid = "VALID",
        /// Past its expiry.
        Expired = "EXPIRED",
        /// Replaced by a later certification (kept as history).
        Renewed = "RENEWED",
        /// Withdrawn, with a reason.
        Revoked = "REVOKED",
    }
}

/// A certification with the number of the latest one of its enrollment.
#[derive(Debug, Clone, FromQueryResult)]
pub struct CertificationRow {
    /// Id.
    pub id: Uuid,
    /// Brand.
    pub brand_id: Uuid,
    /// Trainee.
    pub trainee_id: Uuid,
    /// Programme.
    pub programme_id: Uuid,
    /// Enrollment.
    pub enrollment_id: Uuid,
    /// 1, 2, ...
    pub number: i32,
    /// Earned.
    pub issued_at: DateTime<Utc>,
    /// Lapses.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why.
    pub revoked_reason: Option<String>,
    /// Verification code.
    pub code: String,
    /// The latest number of its enrollment.
    pub latest: i32,
}

/// The status of a certification at `now`.
pub fn status_of(c: &CertificationRow, now: DateTime<Utc>) -> CertificationStatus {
    if c.revoked_at.is_some() {
        CertificationStatus::Revoked
    } else if c.number < c.latest {
        CertificationStatus::Renewed
    } else if c.expires_at.is_some_and(|e| e <= now) {
        CertificationStatus::Expired
    } else {
        CertificationStatus::Valid
    }
}

/// Filters of the certification list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct CertificationFilter {
    /// Only this brand's.
    pub brand_id: Option<ID>,
    /// Only this trainee's.
    pub trainee_id: Option<ID>,
    /// Only this programme's.
    pub programme_id: Option<ID>,
}

/// What anyone may learn from a verification code.
#[derive(Debug, Clone, SimpleObject)]
pub struct CertificateCheck {
    /// The trainee's name.
    pub trainee_name: String,
    /// The programme.
    pub programme_title: String,
    /// Where it stands.
    pub status: CertificationStatus,
    /// When it was earned.
    pub issued_at: DateTime<Utc>,
    /// When it lapses (null: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Cursor tag of certification lists.
pub const CERTIFICATION_CURSOR: &str = "certifications";
/// Cursor tag of the expiring list.
pub const EXPIRING_CURSOR: &str = "expiring-certifications";

/// Certifications with the number of the latest one of their enrollment.
pub fn select() -> sea_orm::Select<certification::Entity> {
    use sea_orm::sea_query::Expr;
    certification::Entity::find().column_as(
        Expr::cust(
            "(SELECT MAX(x.number) FROM certification x WHERE x.enrollment_id = certification.enrollment_id)",
        ),
        "latest",
    )
}

/// Certifications in the caller's scope, newest first.
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    filter: CertificationFilter,
    page: PageRequest,
) -> AppResult<Page<CertificationRow>> {
    let scope = caller.read_scope()?;
    let mut q = select().filter(scope.condition(certification::Column::BrandId));
    if let Some(b) = &filter.brand_id {
        q = q.filter(certification::Column::BrandId.eq(parse_id("filter.brandId", b)?));
    }
    if let Some(t) = &filter.trainee_id {
        q = q.filter(certification::Column::TraineeId.eq(parse_id("filter.traineeId", t)?));
    }
    if let Some(p) = &filter.programme_id {
        q = q.filter(certification::Column::ProgrammeId.eq(parse_id("filter.programmeId", p)?));
    }
    let total = if page.want_total {
        use sea_orm::PaginatorTrait;
        Some(q.clone().count(&app.db).await?)
    } else {
        None
    };
    if let Some(c) = &page.after {
        let id = Uuid::parse_str(&c.keys[0])
            .map_err(|_| AppError::bad_input("after", "not a valid cursor"))?;
        q = q.filter(certification::Column::Id.lt(id));
    }
    let rows = q
        .order_by_desc(certification::Column::Id)
        .limit(page.first + 1)
        .into_model::<CertificationRow>()
        .all(&app.db)
        .await?;
    Ok(Page::from_rows(rows, &page, total, |c| CursorKey {
        order: CERTIFICATION_CURSOR.into(),
        keys: vec![c.id.to_string()],
    }))
}

/// A brand's certifications in force that expire within `days` days, the
/// soonest first.
pub async fn expiring(
    app: &AppContext,
    caller: &Caller,
    brand: Uuid,
    days: i32,
    page: PageRequest,
) -> AppResult<Page<CertificationRow>> {
    caller.read_scope()?.check(brand, "brand")?;
    if !(1..=365).contains(&days) {
        return Err(AppError::bad_input("withinDays", "withinDays is 1-365"));
    }
    let now = Utc::now();
    let mut q = select()
        .filter(certification::Column::BrandId.eq(brand))
        .filter(certification::Column::RevokedAt.is_null())
        .filter(certification::Column::ExpiresAt.gt(now))
        .filter(certification::Column::ExpiresAt.lte(now + Duration::days(i64::from(days))))
        .filter(sea_orm::sea_query::Expr::cust(
            "NOT EXISTS (SELECT 1 FROM certification y WHERE y.enrollment_id = certification.enrollment_id AND y.number > certification.number)",
        ));
    let total = if page.want_total {
        use sea_orm::PaginatorTrait;
        Some(q.clone().count(&app.db).await?)
    } else {
        None
    };
    if let Some(c) = &page.after {
        let bad = || AppError::bad_input("after", "not a valid cursor");
        let at = DateTime::parse_from_rfc3339(&c.keys[0])
            .map_err(|_| bad())?
            .with_timezone(&Utc);
        let id = Uuid::parse_str(&c.keys[1]).map_err(|_| bad())?;
        q = q.filter(
            sea_orm::Condition::any()
                .add(certification::Column::ExpiresAt.gt(at))
                .add(
                    sea_orm::Condition::all()
                        .add(certification::Column::ExpiresAt.eq(at))
                        .add(certification::Column::Id.gt(id)),
                ),
        );
    }
    let rows = q
        .order_by_asc(certification::Column::ExpiresAt)
        .order_by_asc(certification::Column::Id)
        .limit(page.first + 1)
        .into_model::<CertificationRow>()
        .all(&app.db)
        .await?;
    Ok(Page::from_rows(rows, &page, total, |c| CursorKey {
        order: EXPIRING_CURSOR.into(),
        keys: vec![
            c.expires_at.map(|e| e.to_rfc3339()).unwrap_or_default(),
            c.id.to_string(),
        ],
    }))
}

/// Revokes a certification with a reason (staff; audited).
pub async fn revoke(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    reason: &str,
) -> AppResult<CertificationRow> {
    let scope = caller.write_scope()?;
    let current = one(app, &scope, id).await?;
    let reason = validation::text("reason", reason, 1, 1000)?;
    if current.revoked_at.is_some() {
        return Err(AppError::bad_input(
            "id",
            "the certification is revoked already",
        ));
    }
    let txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    certification::Entity::update_many()
        .set(certification::ActiveModel {
            revoked_at: Set(Some(Utc::now())),
            revoked_reason: Set(Some(reason.clone())),
            ..Default::default()
        })
        .filter(certification::Column::Id.eq(id))
        .filter(certification::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        caller,
        audit::Event {
            action: "training.certification.revoke",
            object_type: "certification",
            object_id: Some(id),
            brand_id: Some(current.brand_id),
            details: Some(serde_json::json!({ "reason": reason })),
        },
    )
    .await?;
    txn.commit().await?;
    one(app, &scope, id).await
}

async fn one(app: &AppContext, scope: &BrandScope, id: Uuid) -> AppResult<CertificationRow> {
    select()
        .filter(certification::Column::Id.eq(id))
        .filter(scope.condition(certification::Column::BrandId))
        .into_model::<CertificationRow>()
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("certification"))
}

/// Checks a verification code, for anyone (rate-limited per client IP):
/// `None` when no certification has it.
pub async fn verify(
    app: &AppContext,
    caller: &Caller,
    code: &str,
) -> AppResult<Option<CertificateCheck>> {
    app.limiter
        .hit(Limit::VerifyPerIp, &caller.client_ip)
        .await?;
    let code = code.trim().to_uppercase();
    if code.len() > 32 {
        return Ok(None);
    }
    let Some(c) = select()
        .filter(certification::Column::Code.eq(code))
        .into_model::<CertificationRow>()
        .one(&app.db)
        .await?
    else {
        return Ok(None);
    };
    let t = trainee::Entity::find_by_id(c.trainee_id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("trainee"))?;
    let p = training_programme::Entity::find_by_id(c.programme_id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("training programme"))?;
    Ok(Some(CertificateCheck {
        trainee_name: t.name,
        programme_title: p.title,
        status: status_of(&c, Utc::now()),
        issued_at: c.issued_at,
        expires_at: c.expires_at,
        revoked_at: c.revoked_at,
    }))
}

/// The certifications of many enrollments in `scope`, oldest first (one statement).
pub async fn of_enrollments(
    app: &AppContext,
    scope: &BrandScope,
    enrollments: &[Uuid],
) -> AppResult<Vec<CertificationRow>> {
    Ok(select()
        .filter(certification::Column::EnrollmentId.is_in(enrollments.to_vec()))
        .filter(scope.condition(certification::Column::BrandId))
        .order_by_asc(certification::Column::EnrollmentId)
        .order_by_asc(certification::Column::Number)
        .into_model::<CertificationRow>()
        .all(&app.db)
        .await?)
}
