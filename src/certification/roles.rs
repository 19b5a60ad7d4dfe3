//! Community roles that require training: a community may require a valid
//! certification of a programme for `HOST`, `MODERATOR` or `AMBASSADOR`.
//! A member gets such a role only when they are linked to a trainee (of the
//! same brand) holding a valid certification of that programme; the gaps
//! list the role holders whose certification is missing, revoked, expired
//! or about to expire.

use std::collections::HashMap;

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use entity::{certification, membership, role_requirement, trainee, training_programme};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::training::programmes::programme_in;
use crate::{
    audit::service as audit,
    auth::Caller,
    context::AppContext,
    error::{AppError, AppResult},
    member::service::MemberRole,
};

/// Roles that may require a certification.
pub const ROLES: [MemberRole; 3] = [
    MemberRole::Host,
    MemberRole::Moderator,
    MemberRole::Ambassador,
];

/// What a role holder lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum TrainingGapKind {
    /// No certification of the programme (or no linked trainee).
    Missing,
    /// The latest certification was revoked.
    Revoked,
    /// The latest certification has expired.
    Expired,
    /// The certification expires within the days asked.
    Expiring,
}

/// A role holder without a valid certification the role requires.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrainingGap {
    /// The community.
    pub community_id: async_graphql::ID,
    /// The role.
    pub role: MemberRole,
    /// The member holding it.
    pub member_id: async_graphql::ID,
    /// The trainee linked to the member, if any.
    pub trainee_id: Option<async_graphql::ID>,
    /// The programme the role requires.
    pub programme_id: async_graphql::ID,
    /// Its title.
    pub programme_title: String,
    /// What is lacking.
    pub gap: TrainingGapKind,
    /// When the latest certification expires or expired.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A requirement as shown.
#[derive(Debug, Clone, SimpleObject)]
pub struct RoleRequirement {
    /// The role.
    pub role: MemberRole,
    /// The programme whose valid certification it needs.
    pub programme_id: async_graphql::ID,
}

/// Where a member stands on a programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Valid(Option<DateTime<Utc>>),
    Lacking(TrainingGapKind, Option<DateTime<Utc>>),
}

/// The standing of each of `members` on `programme`: their linked
/// trainees' latest certification of it.
async fn standings<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    members: &[Uuid],
    programme: Uuid,
    now: DateTime<Utc>,
) -> AppResult<HashMap<Uuid, (Option<Uuid>, Standing)>> {
    let trainees = trainee::Entity::find()
        .filter(trainee::Column::BrandId.eq(brand))
        .filter(trainee::Column::MemberId.is_in(members.to_vec()))
        .all(db)
        .await?;
    let by_trainee: HashMap<Uuid, Uuid> = trainees
        .iter()
        .filter_map(|t| t.member_id.map(|m| (t.id, m)))
        .collect();
    let mut latest: HashMap<Uuid, certification::Model> = HashMap::new();
    if !by_trainee.is_empty() {
        for c in certification::Entity::find()
            .filter(
                certification::Column::TraineeId
                    .is_in(by_trainee.keys().copied().collect::<Vec<_>>()),
            )
            .filter(certification::Column::ProgrammeId.eq(programme))
            .order_by_asc(certification::Column::IssuedAt)
            .order_by_asc(certification::Column::Number)
            .all(db)
            .await?
        {
            latest.insert(c.trainee_id, c);
        }
    }
    let mut out: HashMap<Uuid, (Option<Uuid>, Standing)> = members
        .iter()
        .map(|m| {
            (
                *m,
                (None, Standing::Lacking(TrainingGapKind::Missing, None)),
            )
        })
        .collect();
    for (t, m) in by_trainee {
        let standing = match latest.get(&t) {
            None => Standing::Lacking(TrainingGapKind::Missing, None),
            Some(c) if c.revoked_at.is_some() => {
                Standing::Lacking(TrainingGapKind::Revoked, c.expires_at)
            }
            Some(c) if c.expires_at.is_some_and(|e| e <= now) => {
                Standing::Lacking(TrainingGapKind::Expired, c.expires_at)
            }
            Some(c) => Standing::Valid(c.expires_at),
        };
        // A member linked to several trainees counts their best standing.
        let entry = out.entry(m).or_insert((Some(t), standing));
        if matches!(entry.1, Standing::Lacking(..)) {
            *entry = (Some(t), standing);
        }
    }
    Ok(out)
}

/// Why `member` may not hold `role` in `community`, if the community
/// requires a certification for it that the member does not hold.
pub async fn lacking<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    community: Uuid,
    member: Uuid,
    role: MemberRole,
) -> AppResult<Option<String>> {
    let Some(req) = role_requirement::Entity::find_by_id((community, role.as_str().to_string()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let s = standings(db, brand, &[member], req.programme_id, Utc::now()).await?;
    let why = match s.get(&member).map(|(_, s)| *s) {
        Some(Standing::Valid(_)) => return Ok(None),
        Some(Standing::Lacking(TrainingGapKind::Revoked, _)) => "their certification was revoked",
        Some(Standing::Lacking(TrainingGapKind::Expired, _)) => "their certification has expired",
        _ => "they hold no certification of it (link the member to a trainee who does)",
    };
    let title = training_programme::Entity::find_by_id(req.programme_id)
        .one(db)
        .await?
        .map(|p| p.title)
        .unwrap_or_default();
    Ok(Some(format!(
        "the {} role in this community needs a valid certification of \"{title}\" ({}); {why}",
        role.as_str(),
        req.programme_id
    )))
}

/// Refuses giving `member` `role` in `community` when the community
/// requires a certification for it that the member does not hold
/// (`BAD_USER_INPUT` naming the programme). Called inside the write.
pub async fn check_role<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    community: Uuid,
    member: Uuid,
    role: MemberRole,
) -> AppResult<()> {
    match lacking(db, brand, community, member, role).await? {
        None => Ok(()),
        Some(why) => Err(AppError::bad_input("role", why)),
    }
}

/// Sets (or, with no programme, clears) the certification a role needs in
/// a community (admins and the brand's consultants).
pub async fn require(
    app: &AppContext,
    caller: &Caller,
    community: Uuid,
    role: MemberRole,
    programme: Option<Uuid>,
) -> AppResult<Vec<RoleRequirement>> {
    let c = crate::community::service::writable(app, caller, community).await?;
    if !ROLES.contains(&role) {
        return Err(AppError::bad_input(
            "role",
            "only HOST, MODERATOR and AMBASSADOR can require a certification",
        ));
    }
    let txn = crate::db::WriteTxn::outside_reports(app, c.brand_id).await?;
    role_requirement::Entity::delete_by_id((c.id, role.as_str().to_string()))
        .exec(&txn)
        .await?;
    if let Some(p) = programme {
        let p = programme_in(&txn, &crate::auth::BrandScope::One(c.brand_id), p).await?;
        role_requirement::Entity::insert(role_requirement::ActiveModel {
            community_id: Set(c.id),
            role: Set(role.as_str().into()),
            brand_id: Set(c.brand_id),
            programme_id: Set(p.id),
            created_at: Set(Utc::now()),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    audit::record(
        &txn,
        caller,
        audit::Event {
            action: "community.role_requirement",
            object_type: "community",
            object_id: Some(c.id),
            brand_id: Some(c.brand_id),
            details: Some(serde_json::json!({ "role": role.as_str(), "programme": programme })),
        },
    )
    .await?;
    txn.commit().await?;
    requirements(app, c.id).await
}

/// The requirements of a community, by role.
pub async fn requirements(app: &AppContext, community: Uuid) -> AppResult<Vec<RoleRequirement>> {
    role_requirement::Entity::find()
        .filter(role_requirement::Column::CommunityId.eq(community))
        .order_by_asc(role_requirement::Column::Role)
        .all(&app.db)
        .await?
        .into_iter()
        .map(|r| {
            Ok(RoleRequirement {
                role: MemberRole::from_db(&r.role)?,
                programme_id: crate::context::to_id(r.programme_id),
            })
        })
        .collect()
}

/// Role holders of a brand's communities whose required certification is
/// missing, revoked, expired or expiring within `days` days.
pub async fn gaps(
    app: &AppContext,
    caller: &Caller,
    brand: Uuid,
    days: i32,
) -> AppResult<Vec<TrainingGap>> {
    caller.read_scope()?.check(brand, "brand")?;
    if !(0..=365).contains(&days) {
        return Err(AppError::bad_input("withinDays", "withinDays is 0-365"));
    }
    let now = Utc::now();
    let horizon = now + Duration::days(i64::from(days));
    let reqs = role_requirement::Entity::find()
        .filter(role_requirement::Column::BrandId.eq(brand))
        .order_by_asc(role_requirement::Column::CommunityId)
        .order_by_asc(role_requirement::Column::Role)
        .all(&app.db)
        .await?;
    let mut out = Vec::new();
    for req in reqs {
        let holders = membership::Entity::find()
            .filter(membership::Column::CommunityId.eq(req.community_id))
            .filter(membership::Column::Role.eq(req.role.clone()))
            .filter(membership::Column::LeftAt.is_null())
            .order_by_asc(membership::Column::MemberId)
            .all(&app.db)
            .await?;
        if holders.is_empty() {
            continue;
        }
        let members: Vec<Uuid> = holders.iter().map(|h| h.member_id).collect();
        let s = standings(&app.db, brand, &members, req.programme_id, now).await?;
        let title = training_programme::Entity::find_by_id(req.programme_id)
            .one(&app.db)
            .await?
            .map(|p| p.title)
            .unwrap_or_default();
        for m in members {
            let Some((trainee, standing)) = s.get(&m).copied() else {
                continue;
            };
            let (gap, expires_at) = match standing {
                Standing::Valid(Some(e)) if e <= horizon => (TrainingGapKind::Expiring, Some(e)),
                Standing::Valid(_) => continue,
                Standing::Lacking(k, e) => (k, e),
            };
            out.push(TrainingGap {
                community_id: crate::context::to_id(req.community_id),
                role: MemberRole::from_db(&req.role)?,
                member_id: crate::context::to_id(m),
                trainee_id: trainee.map(crate::context::to_id),
                programme_id: crate::context::to_id(req.programme_id),
                programme_title: title.clone(),
                gap,
                expires_at,
            });
        }
    }
    Ok(out)
}
