//! Member feedback: what members asked for or reported, its status workflow
//! and the brand's answer; closure rate and time to first answer.

use async_graphql::{InputObject, SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};
use entity::feedback;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::community::service::{readable, writable};
use crate::{
    audit::service::{self as audit, Event},
    auth::Caller,
    context::{parse_id, AppContext},
    db, db_enum,
    error::{AppError, AppResult},
    pagination::{newest_first, Page, PageRequest},
    validation,
};

db_enum! {
    /// What the feedback is about.
    pub enum FeedbackCategory {
        /// Asks for something new.
        FeatureRequest = "FEATURE_REQUEST",
        /// Reports something broken.
        Bug = "BUG",
        /// Says something is good.
        Praise = "PRAISE",
        /// Says something is bad.
        Complaint = "COMPLAINT",
        /// Asks something.
        Question = "QUESTION",
        /// Anything else.
        Other = "OTHER",
    }
}

db_enum! {
    /// Where the feedback stands.
    pub enum FeedbackStatus {
        /// Not looked at yet.
        New = "NEW",
        /// Seen and acknowledged.
        Acknowledged = "ACKNOWLEDGED",
        /// Will be done.
        Planned = "PLANNED",
        /// Done (closed).
        Done = "DONE",
        /// Will not be done (closed).
        Declined = "DECLINED",
    }
}

impl FeedbackStatus {
    fn next(self) -> &'static [FeedbackStatus] {
        use FeedbackStatus::*;
        match self {
            New => &[Acknowledged, Planned, Done, Declined],
            Acknowledged => &[Planned, Done, Declined],
            Planned => &[Done, Declined],
            Done | Declined => &[],
        }
    }

    fn closed(self) -> bool {
        matches!(self, Self::Done | Self::Declined)
    }
}

/// New feedback.
#[derive(Debug, Clone, InputObject)]
pub struct CreateFeedbackInput {
    /// The community it came from.
    pub community_id: ID,
    /// The member who gave it, if known.
    pub member_id: Option<ID>,
    /// Short title, 1-200 characters.
    pub title: String,
    /// Details, up to 5000 characters.
    pub body: Option<String>,
    /// What it is about.
    pub category: FeedbackCategory,
    /// Tone from -1 (negative) to 1 (positive).
    pub sentiment: Option<f64>,
}

/// Filters of the feedback list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct FeedbackFilter {
    /// Only this status.
    pub status: Option<FeedbackStatus>,
    /// Only this category.
    pub category: Option<FeedbackCategory>,
}

/// Cursor tag of feedback lists.
pub const CURSOR_TAG: &str = "feedback";

/// Records feedback.
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    input: CreateFeedbackInput,
) -> AppResult<feedback::Model> {
    let c = writable(
        app,
        caller,
        parse_id("input.communityId", &input.community_id)?,
    )
    .await?;
    let member_id = match &input.member_id {
        Some(m) => {
            let m = parse_id("input.memberId", m)?;
            let found = entity::member::Entity::find_by_id(m)
                .filter(entity::member::Column::BrandId.eq(c.brand_id))
                .one(&app.db)
                .await?;
            Some(found.ok_or(AppError::NotFound("member"))?.id)
        }
        None => None,
    };
    let title = validation::text("input.title", &input.title, 1, 200)?;
    let body = validation::optional_text("input.body", input.body.as_deref(), 5000)?;
    if input
        .sentiment
        .is_some_and(|s| !(-1.0..=1.0).contains(&s) || s.is_nan())
    {
        return Err(AppError::bad_input(
            "input.sentiment",
            "sentiment must be between -1 and 1",
        ));
    }
    let now = Utc::now();
    let (txn, _) = crate::db::WriteTxn::for_community(app, c.id).await?;
    let created = feedback::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(c.brand_id),
        community_id: Set(c.id),
        member_id: Set(member_id),
        title: Set(title),
        body: Set(body),
        category: Set(input.category.as_str().into()),
        sentiment: Set(input.sentiment),
        status: Set(FeedbackStatus::New.as_str().into()),
        answer: Set(None),
        first_answered_at: Set(None),
        closed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "feedback.create",
            object_type: "feedback",
            object_id: Some(created.id),
            brand_id: Some(c.brand_id),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The item, in the caller's write scope, at `expected` when given
/// (`CONFLICT` otherwise).
async fn writable_item(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    expected: Option<i32>,
) -> AppResult<feedback::Model> {
    let scope = caller.write_scope()?;
    let item = feedback::Entity::find_by_id(id)
        .filter(scope.condition(feedback::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("feedback"))?;
    match expected {
        Some(v) if v != item.version => Err(AppError::Conflict(format!(
            "the feedback was changed meanwhile (version {} now, {v} expected); read it again",
            item.version
        ))),
        _ => Ok(item),
    }
}

async fn save(
    app: &AppContext,
    caller: &Caller,
    item: feedback::Model,
    change: feedback::ActiveModel,
    action: &str,
    details: serde_json::Value,
) -> AppResult<feedback::Model> {
    let mut change = change;
    change.version = Set(item.version + 1);
    let (txn, _) = crate::db::WriteTxn::for_community(app, item.community_id).await?;
    // Only if nobody changed it since it was read.
    let written = feedback::Entity::update_many()
        .set(change)
        .filter(feedback::Column::Id.eq(item.id))
        .filter(feedback::Column::Version.eq(item.version))
        .exec(&txn)
        .await?;
    if written.rows_affected == 0 {
        return Err(AppError::Conflict(
            "the feedback was changed meanwhile; read it again".into(),
        ));
    }
    let saved = feedback::Entity::find_by_id(item.id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("feedback"))?;
    audit::record(
        &txn,
        caller,
        Event {
            action,
            object_type: "feedback",
            object_id: Some(item.id),
            brand_id: Some(item.brand_id),
            details: Some(details),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Writes (or rewrites) the brand's answer; the first answer is timed.
pub async fn answer(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    answer: String,
    expected_version: Option<i32>,
) -> AppResult<feedback::Model> {
    let item = writable_item(app, caller, id, expected_version).await?;
    let text = validation::text("answer", &answer, 1, 5000)?;
    let mut a: feedback::ActiveModel = item.clone().into();
    a.answer = Set(Some(text));
    if item.first_answered_at.is_none() {
        a.first_answered_at = Set(Some(Utc::now()));
    }
    a.updated_at = Set(Utc::now());
    save(app, caller, item, a, "feedback.answer", json!({})).await
}

/// Moves feedback along its workflow; `DONE` and `DECLINED` close it.
pub async fn change_status(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    status: FeedbackStatus,
    expected_version: Option<i32>,
) -> AppResult<feedback::Model> {
    let item = writable_item(app, caller, id, expected_version).await?;
    let from = FeedbackStatus::from_db(&item.status)?;
    if from == status {
        return Ok(item);
    }
    if !from.next().contains(&status) {
        return Err(AppError::bad_input(
            "status",
            format!(
                "feedback that is {} cannot become {}",
                from.as_str(),
                status.as_str()
            ),
        ));
    }
    let mut a: feedback::ActiveModel = item.clone().into();
    a.status = Set(status.as_str().into());
    if status.closed() {
        a.closed_at = Set(Some(Utc::now()));
    }
    a.updated_at = Set(Utc::now());
    let details = json!({ "from": from.as_str(), "to": status.as_str() });
    save(app, caller, item, a, "feedback.change_status", details).await
}

/// A community's feedback, newest first.
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    community: Uuid,
    filter: FeedbackFilter,
    page: PageRequest,
) -> AppResult<Page<feedback::Model>> {
    let c = readable(app, caller, community).await?;
    let mut q = feedback::Entity::find().filter(feedback::Column::CommunityId.eq(c.id));
    if let Some(s) = filter.status {
        q = q.filter(feedback::Column::Status.eq(s.as_str()));
    }
    if let Some(cat) = filter.category {
        q = q.filter(feedback::Column::Category.eq(cat.as_str()));
    }
    newest_first(&app.db, q, feedback::Column::Id, &page, CURSOR_TAG, |m| {
        m.id
    })
    .await
}

/// How a community handles feedback over a period.
#[derive(Debug, Clone, SimpleObject)]
pub struct FeedbackStats {
    /// Feedback received in the period (the sample size).
    pub received: i64,
    /// Of those, closed (`DONE` or `DECLINED`).
    pub closed: i64,
    /// closed / received, 0..1; null without feedback.
    pub closure_rate: Option<f64>,
    /// Of those, answered.
    pub answered: i64,
    /// Median hours from receipt to first answer, over answered items; null without any.
    pub median_hours_to_first_answer: Option<f64>,
}

#[derive(FromQueryResult)]
struct Counts {
    received: i64,
    closed: i64,
    answered: i64,
}

#[derive(FromQueryResult)]
struct Delay {
    secs: f64,
}

/// Computes feedback figures in SQL (two statements; a third for the median).
pub async fn stats(
    app: &AppContext,
    caller: &Caller,
    community: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> AppResult<FeedbackStats> {
    let c = readable(app, caller, community).await?;
    let to = to.unwrap_or_else(Utc::now);
    let from = from.unwrap_or(to - Duration::days(90));
    if from >= to {
        return Err(AppError::bad_input("from", "from must be before to"));
    }
    let backend = app.db.get_database_backend();
    let window = "community_id = ? AND created_at >= ? AND created_at < ?";
    let bounds = || -> Vec<sea_orm::Value> { vec![c.id.into(), from.into(), to.into()] };
    let sql = format!(
        "SELECT COUNT(*) AS received, \
           COALESCE(SUM(CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS closed, \
           COALESCE(SUM(CASE WHEN first_answered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS answered \
         FROM feedback WHERE {window}"
    );
    let counts = Counts::find_by_statement(db::raw(backend, &sql, bounds()))
        .one(&app.db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("feedback stats returned no row")))?;
    let median = if counts.answered > 0 {
        // The middle one or two delays, in SQL order.
        let secs = db::seconds_between(backend, "created_at", "first_answered_at");
        let sql = format!(
            "SELECT CAST({secs} AS DOUBLE PRECISION) AS secs FROM feedback \
             WHERE {window} AND first_answered_at IS NOT NULL ORDER BY secs LIMIT ? OFFSET ?"
        );
        let n = counts.answered;
        let (take, skip) = if n % 2 == 0 {
            (2, n / 2 - 1)
        } else {
            (1, n / 2)
        };
        let mut values = bounds();
        values.extend([take.into(), skip.into()]);
        let mids = Delay::find_by_statement(db::raw(backend, &sql, values))
            .all(&app.db)
            .await?;
        (!mids.is_empty())
            .then(|| mids.iter().map(|d| d.secs).sum::<f64>() / mids.len() as f64 / 3600.0)
    } else {
        None
    };
    Ok(FeedbackStats {
        received: counts.received,
        closed: counts.closed,
        closure_rate: (counts.received > 0).then(|| counts.closed as f64 / counts.received as f64),
        answered: counts.answered,
        median_hours_to_first_answer: median,
    })
}
