//! Recognition: reward programmes with criteria, grants, suggested
//! recipients, and reward impact.
//!
//! **Impact** (after Savannah's gift impact): for each grant whose 60 days
//! after have passed, the rewarded member's activities in the 60 days before
//! and the 60 days after it; against that, the average over the community's
//! members who were never rewarded (by any programme), were members at the
//! grant and were in the same engagement band as the rewarded member as of
//! the grant (rewarded members are picked for high activity, which then
//! regresses to the mean). Grants without such members are not measured.
//! Counted in SQL.

use async_graphql::{InputObject, SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};
use entity::{reward_grant, reward_programme};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::service::{self as audit, Event},
    auth::Caller,
    community::service::{readable, writable},
    context::{parse_id, AppContext},
    db, db_enum,
    engagement::service as engagement,
    error::{AppError, AppResult},
    pagination::{newest_first, Page, PageRequest},
    validation,
};

db_enum! {
    /// What a reward is.
    pub enum RewardKind {
        /// A badge.
        Badge = "BADGE",
        /// Points.
        Points = "POINTS",
        /// A perk.
        Perk = "PERK",
        /// Early access to something new.
        EarlyAccess = "EARLY_ACCESS",
        /// A public thank-you.
        ShoutOut = "SHOUT_OUT",
        /// A gift.
        Gift = "GIFT",
    }
}

/// Who qualifies for a programme.
#[derive(Debug, Clone, InputObject, SimpleObject)]
#[graphql(input_name = "RewardCriteriaInput")]
pub struct RewardCriteria {
    /// At least this many activities (0-100000)...
    pub min_activities: i32,
    /// ...in this many days (1-365).
    pub window_days: i32,
    /// And at least this engagement level (0-10).
    pub min_level: i32,
}

/// A new reward programme.
#[derive(Debug, Clone, InputObject)]
pub struct CreateRewardProgrammeInput {
    /// The community.
    pub community_id: ID,
    /// Name, 1-120 characters.
    pub name: String,
    /// What the reward is.
    pub kind: RewardKind,
    /// Details.
    pub description: Option<String>,
    /// Who qualifies.
    pub criteria: RewardCriteria,
}

/// Cursor tag of programme lists.
pub const PROGRAMME_CURSOR: &str = "programmes";
/// Cursor tag of grant lists.
pub const GRANT_CURSOR: &str = "grants";
/// Days on each side of a grant that impact compares.
pub const IMPACT_DAYS: i64 = 60;

/// Creates a programme.
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    input: CreateRewardProgrammeInput,
) -> AppResult<reward_programme::Model> {
    let c = writable(
        app,
        caller,
        parse_id("input.communityId", &input.community_id)?,
    )
    .await?;
    let name = validation::text("input.name", &input.name, 1, 120)?;
    let description =
        validation::optional_text("input.description", input.description.as_deref(), 2000)?;
    let cr = &input.criteria;
    if !(0..=100_000).contains(&cr.min_activities) {
        return Err(AppError::bad_input(
            "input.criteria.minActivities",
            "minActivities must be 0-100000",
        ));
    }
    if !(1..=365).contains(&cr.window_days) {
        return Err(AppError::bad_input(
            "input.criteria.windowDays",
            "windowDays must be 1-365",
        ));
    }
    if !(0..=10).contains(&cr.min_level) {
        return Err(AppError::bad_input(
            "input.criteria.minLevel",
            "minLevel must be 0-10",
        ));
    }
    let (txn, _) = crate::db::WriteTxn::for_community(app, c.id).await?;
    let created = reward_programme::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(c.brand_id),
        community_id: Set(c.id),
        name: Set(name),
        kind: Set(input.kind.as_str().into()),
        description: Set(description),
        min_activities: Set(cr.min_activities),
        window_days: Set(cr.window_days),
        min_level: Set(cr.min_level),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "reward_programme.create",
            object_type: "reward_programme",
            object_id: Some(created.id),
            brand_id: Some(c.brand_id),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// A programme the caller may read.
pub async fn get(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
) -> AppResult<reward_programme::Model> {
    let scope = caller.read_scope()?;
    reward_programme::Entity::find_by_id(id)
        .filter(scope.condition(reward_programme::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("reward programme"))
}

/// A community's programmes, newest first.
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    community: Uuid,
    page: PageRequest,
) -> AppResult<Page<reward_programme::Model>> {
    let c = readable(app, caller, community).await?;
    let q = reward_programme::Entity::find().filter(reward_programme::Column::CommunityId.eq(c.id));
    newest_first(
        &app.db,
        q,
        reward_programme::Column::Id,
        &page,
        PROGRAMME_CURSOR,
        |m| m.id,
    )
    .await
}

/// Grants a programme's reward to a member of its community (once).
pub async fn grant(
    app: &AppContext,
    caller: &Caller,
    programme: Uuid,
    member: Uuid,
    note: Option<String>,
) -> AppResult<reward_grant::Model> {
    let scope = caller.write_scope()?;
    let p = reward_programme::Entity::find_by_id(programme)
        .filter(scope.condition(reward_programme::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("reward programme"))?;
    let in_community = entity::membership::Entity::find()
        .filter(entity::membership::Column::CommunityId.eq(p.community_id))
        .filter(entity::membership::Column::MemberId.eq(member))
        .filter(entity::membership::Column::BrandId.eq(p.brand_id))
        .one(&app.db)
        .await?;
    if in_community.is_none() {
        return Err(AppError::NotFound("member"));
    }
    let note = validation::optional_text("note", note.as_deref(), 500)?;
    let (txn, _) = crate::db::WriteTxn::for_community(app, p.community_id).await?;
    let created = reward_grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(p.brand_id),
        programme_id: Set(p.id),
        member_id: Set(member),
        granted_at: Set(Utc::now()),
        note: Set(note),
    }
    .insert(&txn)
    .await
    .map_err(|e| AppError::from_db_unique(e, || "this member already has this reward".into()))?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "reward.grant",
            object_type: "reward_grant",
            object_id: Some(created.id),
            brand_id: Some(p.brand_id),
            details: Some(json!({ "programme": p.id, "member": member })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// A programme's grants, newest first.
pub async fn grants(
    app: &AppContext,
    caller: &Caller,
    programme: Uuid,
    page: PageRequest,
) -> AppResult<Page<reward_grant::Model>> {
    let p = get(app, caller, programme).await?;
    let q = reward_grant::Entity::find().filter(reward_grant::Column::ProgrammeId.eq(p.id));
    newest_first(
        &app.db,
        q,
        reward_grant::Column::Id,
        &page,
        GRANT_CURSOR,
        |m| m.id,
    )
    .await
}

/// A member who qualifies and has no grant yet.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Candidate {
    /// The member.
    pub member_id: Uuid,
    /// Activities in the programme's window.
    pub activities: i64,
    /// Engagement score in quarter points.
    pub quarters: i64,
}

impl engagement::Ranked for Candidate {
    fn quarters(&self) -> i64 {
        self.quarters
    }

    fn member_id(&self) -> Uuid {
        self.member_id
    }
}

/// Members who meet the criteria and have no grant yet, most engaged first.
pub async fn suggested(
    app: &AppContext,
    caller: &Caller,
    programme: Uuid,
    page: &PageRequest,
) -> AppResult<Page<Candidate>> {
    let p = get(app, caller, programme).await?;
    let now = Utc::now();
    let mut values = engagement::score_values(now);
    values.extend([
        (now - Duration::days(i64::from(p.window_days))).into(),
        p.community_id.into(),
        (now - Duration::days(engagement::WINDOW_DAYS.max(i64::from(p.window_days)))).into(),
        p.community_id.into(),
        p.id.into(),
        i64::from(p.min_activities).into(),
        engagement::min_quarters(p.min_level).into(),
    ]);
    let inner = format!(
        "SELECT ms.member_id AS member_id, COALESCE(e.recent, 0) AS activities, COALESCE(e.quarters, 0) AS quarters \
         FROM membership ms LEFT JOIN ( \
             SELECT member_id, {score} AS quarters, SUM(CASE WHEN occurred_at >= ? THEN 1 ELSE 0 END) AS recent \
             FROM activity WHERE community_id = ? AND occurred_at >= ? GROUP BY member_id \
         ) e ON e.member_id = ms.member_id \
         WHERE ms.community_id = ? AND ms.left_at IS NULL \
           AND NOT EXISTS (SELECT 1 FROM reward_grant g WHERE g.programme_id = ? AND g.member_id = ms.member_id) \
           AND COALESCE(e.recent, 0) >= ? AND COALESCE(e.quarters, 0) >= ?",
        score = engagement::SCORE_SQL
    );
    engagement::ranked_page(app, &inner, values, page).await
}

/// Why a reward impact has no uplift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum ImpactGap {
    /// The programme has no grants.
    NoGrants,
    /// No grant's 60 days after have passed yet.
    WindowsIncomplete,
    /// No measured grant has a never-rewarded member of its band to compare with.
    NoMatchedControls,
}

/// What a programme's rewards did to activity, against never-rewarded
/// members of the same engagement band before each grant.
#[derive(Debug, Clone, SimpleObject)]
pub struct RewardImpact {
    /// Grants made.
    pub grants: i64,
    /// Grants whose 60 days after have not passed yet: not measured.
    pub pending_grants: i64,
    /// Complete grants without a never-rewarded member of the rewarded
    /// member's band at the grant: not measured.
    pub unmatched_grants: i64,
    /// Grants measured (complete and matched): the sample size of every
    /// figure below.
    pub measured_grants: i64,
    /// Rewarded members' activities in the 60 days before their grant, on
    /// average over the measured grants.
    pub rewarded_before: Option<f64>,
    /// ...and in the 60 days after it.
    pub rewarded_after: Option<f64>,
    /// Never-rewarded members matched to the measured grants, counted once
    /// per grant they are matched to.
    pub control_members: i64,
    /// Their activities in the same 60 days before each grant: per grant the
    /// average over its matched members, then averaged over the grants.
    pub control_before: Option<f64>,
    /// ...and after.
    pub control_after: Option<f64>,
    /// Rewarded change (after − before) minus the matched controls' change;
    /// null with the reason in `upliftUnavailable`.
    pub uplift: Option<f64>,
    /// Why `uplift` is null.
    pub uplift_unavailable: Option<ImpactGap>,
    /// Whether every grant's 60 days after have passed.
    pub windows_complete: bool,
}

/// Per measured grant, one side: the rewarded member, or the never-rewarded
/// members of one band.
#[derive(FromQueryResult)]
struct BandCounts {
    gid: Uuid,
    rewarded: i32,
    band: i32,
    n: i64,
    before: i64,
    after: i64,
}

/// Computes reward impact (see the module documentation).
pub async fn impact(app: &AppContext, caller: &Caller, programme: Uuid) -> AppResult<RewardImpact> {
    let p = get(app, caller, programme).await?;
    let grants: Vec<(Uuid, DateTime<Utc>)> = reward_grant::Entity::find()
        .select_only()
        .column(reward_grant::Column::Id)
        .column(reward_grant::Column::GrantedAt)
        .filter(reward_grant::Column::ProgrammeId.eq(p.id))
        .order_by_asc(reward_grant::Column::GrantedAt)
        .into_tuple()
        .all(&app.db)
        .await?;
    // A grant is measured once its "after" window has passed.
    let complete_by = Utc::now() - Duration::days(IMPACT_DAYS);
    let complete = grants.iter().filter(|(_, g)| *g <= complete_by).count() as i64;
    let mut out = RewardImpact {
        grants: grants.len() as i64,
        pending_grants: grants.len() as i64 - complete,
        unmatched_grants: 0,
        measured_grants: 0,
        rewarded_before: None,
        rewarded_after: None,
        control_members: 0,
        control_before: None,
        control_after: None,
        uplift: None,
        uplift_unavailable: None,
        windows_complete: complete == grants.len() as i64,
    };
    if grants.is_empty() {
        out.uplift_unavailable = Some(ImpactGap::NoGrants);
        return Ok(out);
    }
    if complete == 0 {
        out.uplift_unavailable = Some(ImpactGap::WindowsIncomplete);
        return Ok(out);
    }
    let backend = app.db.get_database_backend();
    // One statement whatever the number of grants: per complete grant, the
    // rewarded member and the community's never-rewarded members (by any
    // programme) who were members at the grant, each with their band as of
    // the grant and their activities in the windows [granted − N days,
    // granted) and [granted, granted + N days), counted per band.
    let shifted =
        |op: &str, days: i64| db::compare_shifted(backend, "a.occurred_at", op, "p.m", days);
    let sql = format!(
        "WITH g AS (SELECT id AS gid, member_id AS rid, granted_at AS m FROM reward_grant \
                    WHERE programme_id = ? AND granted_at <= ?), \
         ever AS (SELECT DISTINCT member_id FROM reward_grant WHERE brand_id = ?), \
         p AS (SELECT g.gid AS gid, g.m AS m, g.rid AS mid, 1 AS rewarded FROM g \
               UNION ALL \
               SELECT g.gid, g.m, ms.member_id, 0 FROM g JOIN membership ms ON ms.community_id = ? \
                 AND ms.joined_at < g.m AND (ms.left_at IS NULL OR ms.left_at >= g.m) \
               WHERE ms.member_id NOT IN (SELECT member_id FROM ever)), \
         s AS (SELECT p.gid AS gid, p.rewarded AS rewarded, \
                 COALESCE(SUM({decayed}), 0) AS q, \
                 COALESCE(SUM(CASE WHEN a.occurred_at < p.m AND {in_before} THEN 1 ELSE 0 END), 0) AS before, \
                 COALESCE(SUM(CASE WHEN a.occurred_at >= p.m THEN 1 ELSE 0 END), 0) AS after \
               FROM p LEFT JOIN activity a ON a.member_id = p.mid AND a.community_id = ? \
                 AND {from_window} AND {to_window} \
               GROUP BY p.gid, p.mid, p.rewarded) \
         SELECT gid, rewarded, {band} AS band, COUNT(*) AS n, \
           CAST(SUM(before) AS BIGINT) AS before, CAST(SUM(after) AS BIGINT) AS after \
         FROM s GROUP BY gid, rewarded, {band}",
        decayed = engagement::decayed_sql(backend, "a", "p.m"),
        in_before = shifted(">=", -IMPACT_DAYS),
        from_window = shifted(">=", -engagement::WINDOW_DAYS.max(IMPACT_DAYS)),
        to_window = shifted("<", IMPACT_DAYS),
        band = engagement::band_sql("q"),
    );
    let c = p.community_id;
    let values: Vec<sea_orm::Value> = vec![
        p.id.into(),
        complete_by.into(),
        p.brand_id.into(),
        c.into(),
        c.into(),
    ];
    let rows = BandCounts::find_by_statement(db::raw(backend, &sql, values))
        .all(&app.db)
        .await?;
    // Per grant: the rewarded member's band and counts, then the controls of that band.
    let (mut rb, mut ra, mut cb, mut ca) = (0.0, 0.0, 0.0, 0.0);
    for r in rows.iter().filter(|r| r.rewarded == 1) {
        let Some(k) = rows
            .iter()
            .find(|c| c.gid == r.gid && c.rewarded == 0 && c.band == r.band && c.n > 0)
        else {
            out.unmatched_grants += 1;
            continue;
        };
        out.measured_grants += 1;
        out.control_members += k.n;
        rb += r.before as f64;
        ra += r.after as f64;
        cb += k.before as f64 / k.n as f64;
        ca += k.after as f64 / k.n as f64;
    }
    if out.measured_grants == 0 {
        out.uplift_unavailable = Some(ImpactGap::NoMatchedControls);
        return Ok(out);
    }
    let n = out.measured_grants as f64;
    let (rb, ra, cb, ca) = (rb / n, ra / n, cb / n, ca / n);
    out.rewarded_before = Some(rb);
    out.rewarded_after = Some(ra);
    out.control_before = Some(cb);
    out.control_after = Some(ca);
    out.uplift = Some((ra - rb) - (ca - cb));
    Ok(out)
}
