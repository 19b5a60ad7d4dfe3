//! Slots: the cadence policy of a community, the slots taken, taking one
//! (the cadence guard, then the offer's recipients), the approval deadline,
//! whether an item will be published as things stand, suggested slots, and
//! the brand's content calendar.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entity::{campaign, community, content_item};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    cadence::{self, Breach, Policy, Slot},
    offers,
};
use crate::{
    auth::Caller,
    campaign::service::list,
    content::service::{fields_of, invalid_move, lock_community, save, staff_item, ContentStatus},
    context::AppContext,
    db::{self, WriteTxn},
    error::{AppError, AppResult},
    pagination::{CursorKey, Page, PageRequest},
};

/// The cadence policy of a community.
pub fn policy_of(c: &community::Model) -> AppResult<Policy> {
    Ok(Policy {
        max_prompts_per_week: c.max_prompts_per_week,
        min_gap_hours: c.min_gap_hours,
        quiet_hours: c.quiet_hours_start.zip(c.quiet_hours_end),
        time_zone: c
            .time_zone
            .parse()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("stored time zone {}", c.time_zone)))?,
    })
}

#[derive(FromQueryResult)]
struct SlotRow {
    id: Uuid,
    at: DateTime<Utc>,
    is_prompt: bool,
}

/// Slots taken in a community between `from` and `to`: scheduled and
/// published items, except `except`.
async fn taken<C: ConnectionTrait>(
    db: &C,
    community: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    except: Option<Uuid>,
) -> AppResult<Vec<Slot>> {
    let backend = db.get_database_backend();
    let rows = SlotRow::find_by_statement(db::raw(
        backend,
        "SELECT id, COALESCE(published_at, scheduled_at) AS at, is_prompt FROM content_item \
         WHERE community_id = ? AND status IN ('SCHEDULED', 'PUBLISHED') \
         AND COALESCE(published_at, scheduled_at) >= ? AND COALESCE(published_at, scheduled_at) < ?",
        vec![community.into(), from.into(), to.into()],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| Some(r.id) != except)
        .map(|r| Slot {
            item: r.id,
            at: r.at,
            prompt: r.is_prompt,
        })
        .collect())
}

/// Refuses a slot that is past, too close for the approval deadline, or
/// against the community's cadence policy (naming the conflicting items).
async fn check_slot(
    txn: &WriteTxn,
    c: &community::Model,
    item: &content_item::Model,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let now = Utc::now();
    if at <= now {
        return Err(AppError::bad_input("at", "the slot must be in the future"));
    }
    let policy = policy_of(c)?;
    let slots = taken(
        txn,
        c.id,
        at - Duration::days(7),
        at + Duration::days(7),
        Some(item.id),
    )
    .await?;
    let breaches = cadence::check(&policy, &slots, at, item.is_prompt);
    if breaches.is_empty() {
        return Ok(());
    }
    let mut items: Vec<String> = breaches
        .iter()
        .flat_map(|b| b.items().iter().map(|i| i.to_string()))
        .collect();
    items.dedup();
    let why: Vec<String> = breaches.iter().map(|b| b.describe(&policy)).collect();
    Err(AppError::bad_input(
        "at",
        format!(
            "the slot breaks the community's cadence policy: {}; conflicting items: {}",
            why.join("; "),
            list(items.iter().map(String::as_str))
        ),
    ))
}

/// Takes `at` for `item`: the cadence guard first, then, for offers, the
/// members it reaches under the brand's cap.
pub(crate) async fn take_slot(
    txn: &WriteTxn,
    c: &community::Model,
    item: &content_item::Model,
    at: DateTime<Utc>,
) -> AppResult<()> {
    check_slot(txn, c, item, at).await?;
    offers::address(txn, item, &fields_of(item)?, at).await?;
    Ok(())
}

/// The approval deadline of an item with a slot: `approvalLeadHours`
/// before it.
pub fn deadline(campaign: &campaign::Model, at: DateTime<Utc>) -> DateTime<Utc> {
    at - Duration::hours(i64::from(campaign.approval_lead_hours))
}

/// Gives an approved item its slot (`at`, or its intended `scheduledAt`);
/// rescheduling a scheduled item moves it. The slot must honour the
/// cadence guard; publishing bots claim it once it is due.
pub async fn schedule(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    at: Option<DateTime<Utc>>,
) -> AppResult<content_item::Model> {
    let current = staff_item(app, caller, id).await?;
    let status = ContentStatus::from_db(&current.status)?;
    if !matches!(status, ContentStatus::Approved | ContentStatus::Scheduled) {
        return Err(invalid_move(
            status,
            "scheduled: the client approves the current version first",
        ));
    }
    let at = at
        .or(current.scheduled_at)
        .ok_or_else(|| AppError::bad_input("at", "give a slot: the item has no scheduledAt"))?;
    let txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    let c = lock_community(&txn, current.community_id).await?;
    take_slot(&txn, &c, &current, at).await?;
    let saved = save(
        &txn,
        caller,
        &current,
        content_item::ActiveModel {
            status: Set(ContentStatus::Scheduled.as_str().into()),
            scheduled_at: Set(Some(at)),
            next_attempt_at: Set(None),
            ..Default::default()
        },
        "content.schedule",
        Some(json!({ "at": at })),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Why an item with a slot will not be published as things stand, if so:
/// not approved (or not scheduled) by its approval deadline, or failed.
pub fn publish_blocker(
    item: &content_item::Model,
    lead_hours: i32,
    now: DateTime<Utc>,
) -> AppResult<Option<String>> {
    let status = ContentStatus::from_db(&item.status)?;
    let Some(at) = item.scheduled_at else {
        return Ok(None);
    };
    let due = at - Duration::hours(i64::from(lead_hours));
    Ok(match status {
        ContentStatus::Draft | ContentStatus::InReview | ContentStatus::ChangesRequested
            if now > due =>
        {
            Some(format!(
                "not approved by {} ({lead_hours} h before its slot): it will not be published; \
                 once approved, schedule a new slot",
                due.to_rfc3339()
            ))
        }
        ContentStatus::Approved if now > at => Some(
            "approved but not scheduled before its slot: it will not be published; schedule a new slot"
                .into(),
        ),
        ContentStatus::Failed | ContentStatus::Cancelled => item.status_reason.clone(),
        _ => None,
    })
}

fn columns(alias: &str) -> String {
    use sea_orm::Iterable;
    content_item::Column::iter()
        .map(|c| format!("{alias}.{}", sea_orm::IdenStatic::as_str(&c)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The next allowed slots in a community after `after` (see
/// [`cadence::suggest`]), for a prompt unless `prompt` is false.
pub async fn suggest_slots(
    app: &AppContext,
    caller: &Caller,
    community: Uuid,
    after: DateTime<Utc>,
    count: i32,
    prompt: bool,
) -> AppResult<Vec<DateTime<Utc>>> {
    if !(1..=50).contains(&count) {
        return Err(AppError::bad_input("count", "count must be 1-50"));
    }
    let c = crate::community::service::readable(app, caller, community).await?;
    let after = after.max(Utc::now());
    let slots = taken(
        &app.db,
        community,
        after - Duration::days(7),
        after + Duration::days(cadence::SUGGEST_HORIZON_DAYS + 7),
        None,
    )
    .await?;
    Ok(cadence::suggest(
        &policy_of(&c)?,
        &slots,
        after,
        count as usize,
        prompt,
    ))
}

/// An entry of the content calendar.
pub struct CalendarRow {
    /// The item.
    pub item: content_item::Model,
    /// Rules its slot breaks against the other items of its community that
    /// hold or intend a slot (not cancelled or failed).
    pub breaches: Vec<Breach>,
    /// The community's policy, to describe them.
    pub policy: Policy,
}

/// Most communities named in one calendar query.
pub const MAX_CALENDAR_COMMUNITIES: usize = 100;

/// What a calendar page selects.
#[derive(Debug, Clone)]
pub struct CalendarQuery {
    /// The brand.
    pub brand: Uuid,
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// Only these communities (all when empty).
    pub communities: Vec<Uuid>,
    /// The slot and id of the last entry seen.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Rows to fetch (one more than the page, to know whether more follow).
    pub limit: u64,
}

const ON_CALENDAR: &str = "status NOT IN ('CANCELLED', 'FAILED') AND scheduled_at IS NOT NULL";

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The calendar's conditions on `content_item` and their values, with the
/// keyset condition when `keyset`.
fn calendar_where(q: &CalendarQuery, keyset: bool) -> (String, Vec<sea_orm::Value>) {
    let mut sql =
        format!("brand_id = ? AND {ON_CALENDAR} AND scheduled_at >= ? AND scheduled_at < ?");
    let mut values: Vec<sea_orm::Value> = vec![q.brand.into(), q.from.into(), q.to.into()];
    if !q.communities.is_empty() {
        sql.push_str(&format!(
            " AND community_id IN ({})",
            marks(q.communities.len())
        ));
        values.extend(q.communities.iter().map(|c| sea_orm::Value::from(*c)));
    }
    if let Some((at, id)) = q.after.filter(|_| keyset) {
        sql.push_str(" AND (scheduled_at > ? OR (scheduled_at = ? AND id > ?))");
        values.extend([at.into(), at.into(), id.into()]);
    }
    (sql, values)
}

/// The page of a calendar, by slot and id.
pub fn calendar_page_statement(backend: DbBackend, q: &CalendarQuery) -> sea_orm::Statement {
    let (conditions, mut values) = calendar_where(q, true);
    values.push((q.limit as i64).into());
    db::raw(
        backend,
        &format!(
            "SELECT {} FROM content_item WHERE {conditions} ORDER BY scheduled_at, id LIMIT ?",
            columns("content_item")
        ),
        values,
    )
}

/// The prompts of `communities` with a slot in `[from - 7 days, to + 7
/// days)`: all the cadence guard compares a calendar entry with (quiet
/// hours need no neighbours; the gap and weekly limit count prompts only).
pub fn calendar_neighbours_statement(
    backend: DbBackend,
    brand: Uuid,
    communities: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sea_orm::Statement {
    let mut values: Vec<sea_orm::Value> = vec![
        brand.into(),
        (from - Duration::days(7)).into(),
        (to + Duration::days(7)).into(),
    ];
    values.extend(communities.iter().map(|c| sea_orm::Value::from(*c)));
    db::raw(
        backend,
        &format!(
            "SELECT id, community_id, scheduled_at AS at, is_prompt FROM content_item \
             WHERE brand_id = ? AND {ON_CALENDAR} AND is_prompt = TRUE \
             AND scheduled_at >= ? AND scheduled_at < ? AND community_id IN ({})",
            marks(communities.len())
        ),
        values,
    )
}

/// The communities of a calendar page, for their policies.
pub fn calendar_communities_statement(
    backend: DbBackend,
    communities: Vec<Uuid>,
) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    community::Entity::find()
        .filter(community::Column::Id.is_in(communities))
        .build(backend)
}

#[derive(FromQueryResult)]
struct NeighbourRow {
    id: Uuid,
    community_id: Uuid,
    at: DateTime<Utc>,
    is_prompt: bool,
}

/// Items of a brand with a slot in `[from, to)`, by slot, with conflicts
/// flagged (a connection). Three statements whatever the range: the page,
/// the prompts a week either side of it in its communities, and those
/// communities' policies (a fourth counts the entries when asked).
pub async fn calendar(
    app: &AppContext,
    caller: &Caller,
    brand: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    communities: Option<Vec<Uuid>>,
    page: PageRequest,
) -> AppResult<Page<CalendarRow>> {
    caller.read_scope()?.check(brand, "brand")?;
    if to <= from || to - from > Duration::days(366) {
        return Err(AppError::bad_input(
            "to",
            "to must be after from, at most 366 days later",
        ));
    }
    let communities = communities.unwrap_or_default();
    if communities.len() > MAX_CALENDAR_COMMUNITIES {
        return Err(AppError::bad_input(
            "communityIds",
            format!("at most {MAX_CALENDAR_COMMUNITIES} communities"),
        ));
    }
    let bad_cursor = || AppError::bad_input("after", "not a valid cursor");
    let after = match &page.after {
        Some(c) => {
            let at = DateTime::parse_from_rfc3339(&c.keys[0])
                .map_err(|_| bad_cursor())?
                .with_timezone(&Utc);
            let id = Uuid::parse_str(&c.keys[1]).map_err(|_| bad_cursor())?;
            Some((at, id))
        }
        None => None,
    };
    let backend = app.db.get_database_backend();
    let q = CalendarQuery {
        brand,
        from,
        to,
        communities,
        after,
        limit: page.first + 1,
    };
    let items = content_item::Model::find_by_statement(calendar_page_statement(backend, &q))
        .all(&app.db)
        .await?;
    let total = if page.want_total {
        let (conditions, values) = calendar_where(&q, false);
        let row = app
            .db
            .query_one_raw(db::raw(
                backend,
                &format!("SELECT COUNT(*) AS n FROM content_item WHERE {conditions}"),
                values,
            ))
            .await?;
        Some(
            row.map(|r| r.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0) as u64,
        )
    } else {
        None
    };
    let mut seen = HashSet::new();
    let page_communities: Vec<Uuid> = items
        .iter()
        .map(|i| i.community_id)
        .filter(|c| seen.insert(*c))
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return Ok(Page::from_rows(
            Vec::new(),
            &page,
            total,
            |_: &CalendarRow| CursorKey {
                order: CALENDAR_CURSOR.into(),
                keys: Vec::new(),
            },
        ));
    };
    let (lo, hi) = (
        first.scheduled_at.unwrap_or(from),
        last.scheduled_at.unwrap_or(to) + Duration::seconds(1),
    );
    let neighbours = if items.iter().any(|i| i.is_prompt) {
        NeighbourRow::find_by_statement(calendar_neighbours_statement(
            backend,
            brand,
            &page_communities,
            lo,
            hi,
        ))
        .all(&app.db)
        .await?
    } else {
        Vec::new()
    };
    let policies: std::collections::HashMap<Uuid, Policy> = community::Model::find_by_statement(
        calendar_communities_statement(backend, page_communities),
    )
    .all(&app.db)
    .await?
    .iter()
    .map(|c| Ok((c.id, policy_of(c)?)))
    .collect::<AppResult<_>>()?;
    let mut by_community: std::collections::HashMap<Uuid, Vec<Slot>> =
        std::collections::HashMap::new();
    for o in neighbours {
        by_community.entry(o.community_id).or_default().push(Slot {
            item: o.id,
            at: o.at,
            prompt: o.is_prompt,
        });
    }
    let mut rows = Vec::with_capacity(items.len());
    for item in items {
        let at = item.scheduled_at.unwrap_or(from);
        let Some(policy) = policies.get(&item.community_id) else {
            continue;
        };
        let others: Vec<Slot> = by_community
            .get(&item.community_id)
            .map(|slots| {
                slots
                    .iter()
                    .filter(|o| o.item != item.id)
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        rows.push(CalendarRow {
            breaches: cadence::check(policy, &others, at, item.is_prompt),
            policy: policy.clone(),
            item,
        });
    }
    Ok(Page::from_rows(rows, &page, total, |r| CursorKey {
        order: CALENDAR_CURSOR.into(),
        keys: vec![
            r.item.scheduled_at.unwrap_or(from).to_rfc3339(),
            r.item.id.to_string(),
        ],
    }))
}

/// Cursor tag of the calendar.
pub const CALENDAR_CURSOR: &str = "calendar";
