//! Engagement scores, member lists by band, "slipping away", community health.
//!
//! **Score.** Each activity in the last 90 days counts its type's weight,
//! decayed by age: ×1 in the last 7 days, ×0.75 up to 30 days, ×0.5 up to 60,
//! ×0.25 up to 90. The sum is computed in SQL in quarter points, so it is an
//! exact integer and cursors over it are stable.
//!
//! **Level and band.** level = floor(10 × ln(1 + score) / ln(1 + 250)), capped
//! at 10: a score of 250 (about a weighted message a day for a month, plus
//! replies) is the top. Bands as crowd.dev: silent 0-1, quiet 2-3, engaged
//! 4-6, fan 7-8, ultra 9-10. Bands become score ranges, so filtering by band
//! happens in SQL.
//!
//! **Slipping away.** A current member whose level, computed as of 30 days
//! ago over the 90 days before that, was fan or ultra (7+), and who has had
//! no activity in the community in the last 30 days (after Savannah's "30
//! inactive days" alert).

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::{
    auth::{BrandAccess, Caller},
    community::service::readable,
    context::AppContext,
    db,
    error::{AppError, AppResult},
    pagination::{CursorKey, Page, PageRequest},
};

/// Score at which the level reaches 10.
pub const TOP_SCORE: f64 = 250.0;
/// Days an activity counts for.
pub const WINDOW_DAYS: i64 = 90;
/// Days without activity after which a fan is "slipping away".
pub const INACTIVE_DAYS: i64 = 30;

/// Engagement band (crowd.dev's scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum EngagementBand {
    /// Level 0-1.
    Silent,
    /// Level 2-3.
    Quiet,
    /// Level 4-6.
    Engaged,
    /// Level 7-8.
    Fan,
    /// Level 9-10.
    Ultra,
}

impl EngagementBand {
    /// The band of a level.
    pub fn of(level: i32) -> Self {
        match level {
            ..=1 => Self::Silent,
            2..=3 => Self::Quiet,
            4..=6 => Self::Engaged,
            7..=8 => Self::Fan,
            _ => Self::Ultra,
        }
    }

    fn levels(self) -> (i32, i32) {
        match self {
            Self::Silent => (0, 1),
            Self::Quiet => (2, 3),
            Self::Engaged => (4, 6),
            Self::Fan => (7, 8),
            Self::Ultra => (9, 10),
        }
    }
}

/// Level (0-10) of a score.
pub fn level(score: f64) -> i32 {
    let l = (10.0 * (1.0 + score.max(0.0)).ln() / (1.0 + TOP_SCORE).ln()).floor() as i32;
    l.clamp(0, 10)
}

/// Smallest score (in quarter points) with at least `level`.
pub fn min_quarters(level: i32) -> i64 {
    if level <= 0 {
        return 0;
    }
    let score = (1.0 + TOP_SCORE).powf(f64::from(level) / 10.0) - 1.0;
    let mut q = (score * 4.0).floor() as i64;
    // Land exactly on the first quarter whose level is `level`.
    while self::level(q as f64 / 4.0) < level {
        q += 1;
    }
    while q > 0 && self::level((q - 1) as f64 / 4.0) >= level {
        q -= 1;
    }
    q
}

/// SQL for the band (0 silent … 4 ultra) of a score given in quarter points
/// by the SQL expression `quarters`.
pub fn band_sql(quarters: &str) -> String {
    let bands = [
        EngagementBand::Ultra,
        EngagementBand::Fan,
        EngagementBand::Engaged,
        EngagementBand::Quiet,
    ];
    let arms: Vec<String> = bands
        .iter()
        .zip((1..=4).rev())
        .map(|(b, n)| format!("WHEN {quarters} >= {} THEN {n}", min_quarters(b.levels().0)))
        .collect();
    format!("CASE {} ELSE 0 END", arms.join(" "))
}

/// SQL for the decayed weight, in quarter points, of an activity (columns
/// `occurred_at` and `weight` of `alias`) in a score as of the timestamp
/// expression `end`: 0 outside the 90 days before `end`.
pub fn decayed_sql(backend: sea_orm::DbBackend, alias: &str, end: &str) -> String {
    let t = format!("{alias}.occurred_at");
    let since = |days: i64| db::compare_shifted(backend, &t, ">=", end, -days);
    format!(
        "CASE WHEN {t} >= {end} OR NOT ({}) THEN 0 WHEN {} THEN 4 * {alias}.weight WHEN {} THEN 3 * {alias}.weight \
         WHEN {} THEN 2 * {alias}.weight ELSE {alias}.weight END",
        since(WINDOW_DAYS),
        since(7),
        since(30),
        since(60)
    )
}

/// A member's engagement in one community.
#[derive(Debug, Clone, SimpleObject)]
pub struct Engagement {
    /// Decayed, weighted activity over the last 90 days.
    pub score: f64,
    /// 0-10.
    pub level: i32,
    /// Band of the level.
    pub band: EngagementBand,
    /// Activities in the last 90 days.
    pub activity_count: i64,
    /// Last activity in the community.
    pub last_active_at: Option<DateTime<Utc>>,
}

impl Engagement {
    fn from_quarters(q: i64, count: i64, last: Option<DateTime<Utc>>) -> Self {
        let score = q as f64 / 4.0;
        let level = level(score);
        Self {
            score,
            level,
            band: EngagementBand::of(level),
            activity_count: count,
            last_active_at: last,
        }
    }
}

/// Orderings of a community's member list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum MemberOrder {
    /// Most engaged first.
    #[default]
    EngagementDesc,
    /// Newest members first.
    JoinedDesc,
}

/// One member of a community with their engagement: the columns
/// [`members`] selects, read in that order (see [`db::ByPosition`]).
#[derive(Debug, Clone)]
pub struct ScoredMember {
    /// The member.
    pub member_id: Uuid,
    /// Role.
    pub role: String,
    /// Joined.
    pub joined_at: DateTime<Utc>,
    /// Left.
    pub left_at: Option<DateTime<Utc>>,
    /// Score in quarter points.
    pub quarters: i64,
    /// Activities in the window.
    pub activity_count: i64,
    /// Last activity.
    pub last_at: Option<DateTime<Utc>>,
}

crate::read_by_position!(ScoredMember {
    member_id,
    role,
    joined_at,
    left_at,
    quarters,
    activity_count,
    last_at
});

impl ScoredMember {
    /// The member's engagement.
    pub fn engagement(&self) -> Engagement {
        Engagement::from_quarters(self.quarters, self.activity_count, self.last_at)
    }
}

/// The decayed score of activities, in quarter points; binds the 3 values of
/// [`score_values_at`].
pub const SCORE_SQL: &str =
    "SUM(weight * CASE WHEN occurred_at >= ? THEN 4 WHEN occurred_at >= ? THEN 3 WHEN occurred_at >= ? THEN 2 ELSE 1 END)";

/// The bounds [`SCORE_SQL`] binds, for a score as of `end`.
pub fn score_values(end: DateTime<Utc>) -> Vec<sea_orm::Value> {
    vec![
        (end - Duration::days(7)).into(),
        (end - Duration::days(30)).into(),
        (end - Duration::days(60)).into(),
    ]
}

/// Filters of a community's member list.
#[derive(Debug, Clone, Default)]
pub struct MemberListFilter {
    /// Only this band.
    pub band: Option<EngagementBand>,
    /// Include members who left.
    pub include_left: bool,
}

/// The members with engagement of a community the caller may read,
/// filtered by band, one keyset page at a time. One statement after the
/// community's (two with the total).
pub async fn members(
    app: &AppContext,
    caller: &Caller,
    community: Uuid,
    filter: MemberListFilter,
    order: MemberOrder,
    page: PageRequest,
) -> AppResult<Page<ScoredMember>> {
    let community = readable(app, caller, community).await?.id;
    let backend = app.db.get_database_backend();
    let now = Utc::now();
    let mut values = score_values(now);
    values.push(community.into());
    values.push((now - Duration::days(WINDOW_DAYS)).into());
    values.push(community.into());
    let mut base = format!(
        "SELECT ms.member_id AS member_id, ms.role AS role, ms.joined_at AS joined_at, ms.left_at AS left_at, \
                COALESCE(e.quarters, 0) AS quarters, COALESCE(e.n, 0) AS activity_count \
         FROM membership ms LEFT JOIN ( \
             SELECT member_id, {score} AS quarters, COUNT(*) AS n \
             FROM activity WHERE community_id = ? AND occurred_at >= ? GROUP BY member_id \
         ) e ON e.member_id = ms.member_id \
         WHERE ms.community_id = ?",
        score = SCORE_SQL
    );
    if !filter.include_left {
        base.push_str(" AND ms.left_at IS NULL");
    }
    let mut outer = String::from(" WHERE 1 = 1");
    let mut outer_values: Vec<sea_orm::Value> = Vec::new();
    if let Some(band) = filter.band {
        let (lo, hi) = band.levels();
        outer.push_str(" AND x.quarters >= ?");
        outer_values.push(min_quarters(lo).into());
        if hi < 10 {
            outer.push_str(" AND x.quarters < ?");
            outer_values.push(min_quarters(hi + 1).into());
        }
    }
    let total = if page.want_total {
        let sql = format!("SELECT COUNT(*) AS n FROM ({base}) x{outer}");
        let mut v = values.clone();
        v.extend(outer_values.clone());
        let row = app.db.query_one_raw(db::raw(backend, &sql, v)).await?;
        Some(
            row.map(|r| r.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0) as u64,
        )
    } else {
        None
    };
    let (order_sql, tag) = match order {
        MemberOrder::EngagementDesc => ("x.quarters DESC, x.member_id DESC", "eng"),
        MemberOrder::JoinedDesc => ("x.joined_at DESC, x.member_id DESC", "joined"),
    };
    if let Some(after) = &page.after {
        let id = after
            .keys
            .get(1)
            .and_then(|k| Uuid::parse_str(k).ok())
            .ok_or_else(|| AppError::bad_input("after", "not a valid cursor"))?;
        let first = after.keys[0].clone();
        match order {
            MemberOrder::EngagementDesc => {
                let q: i64 = first
                    .parse()
                    .map_err(|_| AppError::bad_input("after", "not a valid cursor"))?;
                outer.push_str(" AND (x.quarters < ? OR (x.quarters = ? AND x.member_id < ?))");
                outer_values.extend([q.into(), q.into(), id.into()]);
            }
            MemberOrder::JoinedDesc => {
                let t: DateTime<Utc> = first
                    .parse()
                    .map_err(|_| AppError::bad_input("after", "not a valid cursor"))?;
                outer.push_str(" AND (x.joined_at < ? OR (x.joined_at = ? AND x.member_id < ?))");
                outer_values.extend([t.into(), t.into(), id.into()]);
            }
        }
    }
    // The last activity at any time (not only in the score's window), read
    // for the page's rows only.
    let sql = format!(
        "SELECT y.member_id AS member_id, y.role AS role, y.joined_at AS joined_at, y.left_at AS left_at, \
                y.quarters AS quarters, y.activity_count AS activity_count, \
                (SELECT MAX(a.occurred_at) FROM activity a WHERE a.member_id = y.member_id AND a.community_id = ?) AS last_at \
         FROM (SELECT * FROM ({base}) x{outer} ORDER BY {order_sql} LIMIT ?) y ORDER BY {}",
        order_sql.replace("x.", "y.")
    );
    let mut values = {
        let mut head = vec![sea_orm::Value::from(community)];
        head.extend(values);
        head
    };
    values.extend(outer_values);
    values.push(((page.first + 1) as i64).into());
    let rows = ScoredMember::find_by_statement(db::raw(backend, &sql, values))
        .all(&app.db)
        .await?;
    Ok(Page::from_rows(rows, &page, total, |r| CursorKey {
        order: tag.into(),
        keys: vec![
            match order {
                MemberOrder::EngagementDesc => r.quarters.to_string(),
                MemberOrder::JoinedDesc => r.joined_at.to_rfc3339(),
            },
            r.member_id.to_string(),
        ],
    }))
}

/// Cursor tag and key count of a member ordering.
pub fn cursor_shape(order: MemberOrder) -> (&'static str, usize) {
    match order {
        MemberOrder::EngagementDesc => ("eng", 2),
        MemberOrder::JoinedDesc => ("joined", 2),
    }
}

/// A member who is slipping away.
#[derive(Debug, Clone, FromQueryResult)]
pub struct SlippingRow {
    /// The member.
    pub member_id: Uuid,
    /// Role in the community.
    pub role: String,
    /// Joined.
    pub joined_at: DateTime<Utc>,
    /// Score (quarter points) as of 30 days ago.
    pub quarters: i64,
    /// Activities in the 90 days before that.
    pub activity_count: i64,
    /// Their last activity.
    pub last_at: Option<DateTime<Utc>>,
}

impl SlippingRow {
    /// Their engagement as of 30 days ago.
    pub fn engagement(&self) -> Engagement {
        Engagement::from_quarters(self.quarters, self.activity_count, self.last_at)
    }
}

/// Rows ranked by score, most engaged first (ties by member id).
pub trait Ranked {
    /// Score in quarter points.
    fn quarters(&self) -> i64;
    /// The member.
    fn member_id(&self) -> Uuid;
}

impl Ranked for SlippingRow {
    fn quarters(&self) -> i64 {
        self.quarters
    }

    fn member_id(&self) -> Uuid {
        self.member_id
    }
}

/// Cursor tag of ranked lists.
pub const RANKED_CURSOR: &str = "ranked";

/// Pages a ranked query (`inner` selects `member_id` and `quarters`),
/// keyset on (quarters, member id); one statement (two with the total).
pub async fn ranked_page<R>(
    app: &AppContext,
    inner: &str,
    values: Vec<sea_orm::Value>,
    page: &PageRequest,
) -> AppResult<Page<R>>
where
    R: FromQueryResult + Ranked + Send + Sync,
{
    let backend = app.db.get_database_backend();
    let total = if page.want_total {
        let sql = format!("SELECT COUNT(*) AS n FROM ({inner}) r");
        let row = app
            .db
            .query_one_raw(db::raw(backend, &sql, values.clone()))
            .await?;
        Some(
            row.map(|r| r.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0) as u64,
        )
    } else {
        None
    };
    let mut values = values;
    let mut filter = String::new();
    if let Some(after) = &page.after {
        let q: i64 = after.keys[0]
            .parse()
            .map_err(|_| AppError::bad_input("after", "not a valid cursor"))?;
        let id = Uuid::parse_str(&after.keys[1])
            .map_err(|_| AppError::bad_input("after", "not a valid cursor"))?;
        filter = " WHERE r.quarters < ? OR (r.quarters = ? AND r.member_id < ?)".into();
        values.extend([q.into(), q.into(), id.into()]);
    }
    values.push(((page.first + 1) as i64).into());
    let sql = format!(
        "SELECT * FROM ({inner}) r{filter} ORDER BY r.quarters DESC, r.member_id DESC LIMIT ?"
    );
    let rows = R::find_by_statement(db::raw(backend, &sql, values))
        .all(&app.db)
        .await?;
    Ok(Page::from_rows(rows, page, total, |r| CursorKey {
        order: RANKED_CURSOR.into(),
        keys: vec![r.quarters().to_string(), r.member_id().to_string()],
    }))
}

/// Members slipping away (see the module documentation) of a community the
/// caller may read, most engaged first.
pub async fn slipping_away(
    app: &AppContext,
    caller: &Caller,
    community: Uuid,
    page: &PageRequest,
) -> AppResult<Page<SlippingRow>> {
    let community = readable(app, caller, community).await?.id;
    let (inner, values) = slipping_sql(community, Utc::now());
    ranked_page(app, &inner, values, page).await
}

/// The statement behind [`slipping_away`] as of `now`: one row per current
/// member of `community` who was a fan or ultra over the 90 days before 30
/// days ago and has had no activity there since (`member_id`, `role`,
/// `joined_at`, `quarters`, `activity_count`, `last_at`).
pub fn slipping_sql(community: Uuid, now: DateTime<Utc>) -> (String, Vec<sea_orm::Value>) {
    let then = now - Duration::days(INACTIVE_DAYS);
    let mut values = score_values(then);
    values.extend([
        community.into(),
        (then - Duration::days(WINDOW_DAYS)).into(),
        then.into(),
        community.into(),
        min_quarters(7).into(),
        community.into(),
        then.into(),
    ]);
    let inner = format!(
        "SELECT ms.member_id AS member_id, ms.role AS role, ms.joined_at AS joined_at, p.quarters AS quarters, \
                p.n AS activity_count, p.last_at AS last_at \
         FROM membership ms JOIN ( \
             SELECT member_id, {score} AS quarters, COUNT(*) AS n, MAX(occurred_at) AS last_at \
             FROM activity WHERE community_id = ? AND occurred_at >= ? AND occurred_at < ? GROUP BY member_id \
         ) p ON p.member_id = ms.member_id \
         WHERE ms.community_id = ? AND ms.left_at IS NULL AND p.quarters >= ? \
           AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.community_id = ? AND a.member_id = ms.member_id AND a.occurred_at >= ?)",
        score = SCORE_SQL
    );
    (inner, values)
}

/// Health of a community over a period.
#[derive(Debug, Clone, SimpleObject, serde::Serialize, serde::Deserialize)]
pub struct CommunityHealth {
    /// Start of the period.
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// Members at the end of the period: joined before `to` and not left by then.
    pub members: i64,
    /// Members with activity in the 7 days before `to`.
    #[graphql(name = "activeMembers7d")]
    pub active_members_7d: i64,
    /// Members with activity in the 30 days before `to`.
    #[graphql(name = "activeMembers30d")]
    pub active_members_30d: i64,
    /// DAU/MAU over the 30 calendar days (in the community's time zone)
    /// ending with the day of the period's last instant: the members active
    /// on each of those days, summed and divided by 30, over the members
    /// active on any of them; 0..1, null without any.
    pub stickiness: Option<f64>,
    /// Members who joined in the period.
    pub new_members: i64,
    /// Members who left in the period.
    pub departed_members: i64,
    /// Activities in the period.
    pub activities: i64,
    /// Activities in the period per member active in it; null without any.
    pub activities_per_active_member: Option<f64>,
    /// Share of the period's activities that answered someone (0..1); null without activities.
    pub reply_rate: Option<f64>,
}

#[derive(FromQueryResult)]
struct ActivityFacts {
    community_id: Uuid,
    active_7: i64,
    active_30: i64,
    active_period: i64,
    activities: i64,
    replies: i64,
    member_days: i64,
    day_actives: i64,
}

#[derive(FromQueryResult)]
struct MembershipFacts {
    community_id: Uuid,
    members: i64,
    joined: i64,
    departed: i64,
}

/// Which communities a health computation covers; always inside one brand
/// the caller was checked against, and every statement filters by it.
#[derive(Debug, Clone, Copy)]
pub enum HealthOf {
    /// One community of the brand.
    Community(BrandAccess, Uuid),
    /// Every community of the brand.
    Brand(BrandAccess),
}

impl HealthOf {
    /// The condition on a table aliased `alias`, and its values.
    fn condition(self, alias: &str) -> (String, Vec<sea_orm::Value>) {
        match self {
            Self::Community(b, c) => (
                format!("{alias}.brand_id = ? AND {alias}.community_id = ?"),
                vec![b.id().into(), c.into()],
            ),
            Self::Brand(b) => (format!("{alias}.brand_id = ?"), vec![b.id().into()]),
        }
    }
}

/// The health of a community the caller may read, over a period (default:
/// the 30 days before `to`, default now).
pub async fn community_health(
    app: &AppContext,
    caller: &Caller,
    community: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> AppResult<CommunityHealth> {
    let c = readable(app, caller, community).await?;
    let brand = caller.read_scope()?.grant(c.brand_id, "community")?;
    let to = to.unwrap_or_else(Utc::now);
    let from = from.unwrap_or(to - Duration::days(30));
    let zones = [(c.id, c.time_zone.as_str())];
    let mut all = health_of(app, HealthOf::Community(brand, c.id), &zones, from, to).await?;
    Ok(all.remove(&c.id).unwrap_or_else(|| empty_health(from, to)))
}

/// The health of a community without any activity or membership.
pub fn empty_health(from: DateTime<Utc>, to: DateTime<Utc>) -> CommunityHealth {
    CommunityHealth {
        from,
        to,
        members: 0,
        active_members_7d: 0,
        active_members_30d: 0,
        stickiness: None,
        new_members: 0,
        departed_members: 0,
        activities: 0,
        activities_per_active_member: None,
        reply_rate: None,
    }
}

/// Days of the stickiness window.
pub const STICKY_DAYS: u32 = 30;

/// The [`STICKY_DAYS`] calendar days, in time zone `tz`, ending with the
/// day of the last instant before `to`: each day's number (0..30) and its
/// bounds in UTC (the last one ends at `to`).
pub fn sticky_days(tz: &str, to: DateTime<Utc>) -> Vec<(u32, DateTime<Utc>, DateTime<Utc>)> {
    use chrono::{NaiveTime, TimeZone};
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    let last = (to - Duration::microseconds(1))
        .with_timezone(&tz)
        .date_naive();
    // Local midnight, or the first instant of the day where midnight is skipped.
    let start_of = |d: chrono::NaiveDate| {
        (0..24)
            .find_map(|h| {
                tz.from_local_datetime(&d.and_time(NaiveTime::from_hms_opt(h, 0, 0)?))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(to)
    };
    (0..STICKY_DAYS)
        .map(|k| {
            let d = last - chrono::Days::new(u64::from(STICKY_DAYS - 1 - k));
            let end = if k + 1 == STICKY_DAYS {
                to
            } else {
                start_of(d + chrono::Days::new(1))
            };
            (k, start_of(d), end)
        })
        .collect()
}

/// Computes the health of every community `of` covers in SQL, two
/// statements whatever their number (grouped by community). `zones` gives
/// each community's time zone (for stickiness' days). Communities without
/// activity or members are absent: see [`empty_health`].
pub async fn health_of(
    app: &AppContext,
    of: HealthOf,
    zones: &[(Uuid, &str)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<std::collections::HashMap<Uuid, CommunityHealth>> {
    if from >= to {
        return Err(AppError::bad_input("from", "from must be before to"));
    }
    let backend = app.db.get_database_backend();
    let t7 = to - Duration::days(7);
    let t30 = to - Duration::days(30);
    let mut start = from.min(t30);
    let mut days: Vec<sea_orm::Value> = Vec::new();
    for (community, tz) in zones {
        for (k, s, e) in sticky_days(tz, to) {
            start = start.min(s);
            days.extend([(*community).into(), s.into(), e.into(), i64::from(k).into()]);
        }
    }
    if zones.is_empty() {
        // No community: no activity and no membership either.
        return Ok(std::collections::HashMap::new());
    }
    let (inner, inner_v) = of.condition("x");
    let (outer, outer_v) = of.condition("a");
    let days_cte = crate::ingest::values_cte(days.len() / 4, &["cid", "s", "e", "d"]);
    let sql = format!(
        "{days_cte} SELECT a.community_id AS community_id, \
           COUNT(DISTINCT CASE WHEN a.occurred_at >= ? THEN a.member_id END) AS active_7, \
           COUNT(DISTINCT CASE WHEN a.occurred_at >= ? THEN a.member_id END) AS active_30, \
           COUNT(DISTINCT CASE WHEN a.occurred_at >= ? THEN a.member_id END) AS active_period, \
           COALESCE(SUM(CASE WHEN a.occurred_at >= ? THEN 1 ELSE 0 END), 0) AS activities, \
           COALESCE(SUM(CASE WHEN a.occurred_at >= ? AND a.is_reply THEN 1 ELSE 0 END), 0) AS replies, \
           COALESCE(MAX(md.member_days), 0) AS member_days, \
           COALESCE(MAX(md.day_actives), 0) AS day_actives \
         FROM activity a \
         LEFT JOIN (SELECT community_id, COUNT(*) AS member_days, COUNT(DISTINCT member_id) AS day_actives FROM \
             (SELECT DISTINCT x.community_id AS community_id, x.member_id AS member_id, v.d AS d \
              FROM activity x JOIN v ON v.cid = x.community_id AND x.occurred_at >= v.s AND x.occurred_at < v.e \
              WHERE {inner}) days \
           GROUP BY community_id) md ON md.community_id = a.community_id \
         WHERE {outer} AND a.occurred_at >= ? AND a.occurred_at < ? \
         GROUP BY a.community_id"
    );
    let mut values: Vec<sea_orm::Value> = days;
    values.extend([t7.into(), t30.into(), from.into(), from.into(), from.into()]);
    values.extend(inner_v);
    values.extend(outer_v);
    values.extend([start.into(), to.into()]);
    let activity = ActivityFacts::find_by_statement(db::raw(backend, &sql, values)).all(&app.db);
    let (cond, cond_v) = of.condition("m");
    let sql = format!(
        "SELECT m.community_id AS community_id, \
           COALESCE(SUM(CASE WHEN m.joined_at < ? AND (m.left_at IS NULL OR m.left_at >= ?) THEN 1 ELSE 0 END), 0) AS members, \
           COALESCE(SUM(CASE WHEN m.joined_at >= ? AND m.joined_at < ? THEN 1 ELSE 0 END), 0) AS joined, \
           COALESCE(SUM(CASE WHEN m.left_at >= ? AND m.left_at < ? THEN 1 ELSE 0 END), 0) AS departed \
         FROM membership m WHERE {cond} GROUP BY m.community_id"
    );
    let mut values: Vec<sea_orm::Value> = vec![
        to.into(),
        to.into(),
        from.into(),
        to.into(),
        from.into(),
        to.into(),
    ];
    values.extend(cond_v);
    let memberships =
        MembershipFacts::find_by_statement(db::raw(backend, &sql, values)).all(&app.db);
    let (activity, memberships) = tokio::try_join!(activity, memberships)?;
    let ratio = |num: f64, den: i64| (den > 0).then(|| num / den as f64);
    let mut out = std::collections::HashMap::new();
    for m in memberships {
        let h = out
            .entry(m.community_id)
            .or_insert_with(|| empty_health(from, to));
        h.members = m.members;
        h.new_members = m.joined;
        h.departed_members = m.departed;
    }
    for a in activity {
        let h = out
            .entry(a.community_id)
            .or_insert_with(|| empty_health(from, to));
        h.active_members_7d = a.active_7;
        h.active_members_30d = a.active_30;
        h.stickiness = ratio(a.member_days as f64 / f64::from(STICKY_DAYS), a.day_actives);
        h.activities = a.activities;
        h.activities_per_active_member = ratio(a.activities as f64, a.active_period);
        h.reply_rate = ratio(a.replies as f64, a.activities);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unwrap_used, reason = "tests")]
    fn sticky_days_are_thirty_local_days_across_a_clock_change() {
        use chrono::TimeZone;
        let utc = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
        // New York in June is UTC−4: 30 June 12:00Z is 08:00 local, so the
        // days are 1-30 June local, from 1 June 04:00Z to the period's end.
        let days = sticky_days("America/New_York", utc(2026, 6, 30, 12));
        assert_eq!(days.len(), 30);
        assert_eq!(days[0].1, utc(2026, 6, 1, 4));
        assert_eq!(days[29].2, utc(2026, 6, 30, 12));
        // Paris moves to summer time on 29 March 2026: that day has 23 hours.
        let days = sticky_days("Europe/Paris", utc(2026, 3, 31, 0));
        let short = days.iter().find(|d| d.1 == utc(2026, 3, 28, 23)).unwrap();
        assert_eq!(short.2, utc(2026, 3, 29, 22));
        assert_eq!(days[0].1, utc(2026, 3, 1, 23), "2 March local");
    }

    #[test]
    fn levels_and_bands() {
        assert_eq!(level(0.0), 0);
        assert_eq!(level(TOP_SCORE), 10);
        assert_eq!(level(10_000.0), 10);
        assert_eq!(EngagementBand::of(8), EngagementBand::Fan);
        for l in 1..=10 {
            let q = min_quarters(l);
            assert!(level(q as f64 / 4.0) >= l);
            assert!(level((q - 1) as f64 / 4.0) < l, "level {l}");
        }
    }
}
