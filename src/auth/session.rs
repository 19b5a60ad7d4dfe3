//! Admitting a verified token: is the caller still who the token says, with
//! the access it says, right now?
//!
//! Every user and integration has an access version (see
//! [`crate::cache::versions`]) that each change to what decides their access
//! bumps in its own transaction: a user's status, role, brand, assignments,
//! password and sessions; an integration's status, scopes and tokens. Each
//! request reads the caller's version in the same cache round trip that
//! counts its rate limit, and what the database says at that version (the
//! [`UserAccess`] or integration principal) is kept in this process under
//! it. So a change takes effect on the very next request on every instance,
//! and nothing is ever invalidated by deleting a key.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use entity::{
    consultant_assignment, refresh_token,
    user::{self, Role, UserStatus},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{
    ratelimit::Limit,
    tokens::{IntegrationClaims, UserClaims, Verified},
    IntegrationPrincipal, Principal, UserPrincipal,
};
use crate::{
    cache::versions::{confirmed, Subject, VersionsRead},
    context::AppContext,
    error::{AppError, AppResult},
    integration,
};

/// What the database says about a user, at one access version.
#[derive(Debug, Clone)]
pub struct UserAccess {
    /// `None` when no such user exists.
    facts: Option<UserFacts>,
}

#[derive(Debug, Clone)]
struct UserFacts {
    status: UserStatus,
    role: Role,
    brand_id: Option<Uuid>,
    assigned: Arc<Vec<Uuid>>,
    /// Sign-in sessions (refresh-token families) ended recently enough that
    /// an access token of theirs may still be unexpired.
    ended_sessions: Vec<Uuid>,
}

/// Access facts kept in this process, by subject and access version. An
/// entry never changes once written (a change bumps the version), so it
/// never needs invalidating; it lives at most `cache.ttl_secs`.
#[derive(Clone)]
pub struct AccessCache {
    users: moka::sync::Cache<(Uuid, i64), Arc<UserAccess>, ahash::RandomState>,
    integrations:
        moka::sync::Cache<(Uuid, i64, Uuid), Arc<Option<IntegrationPrincipal>>, ahash::RandomState>,
}

impl AccessCache {
    /// An empty cache of at most `capacity` entries of each kind.
    pub fn new(capacity: u64, ttl: Duration) -> Self {
        Self {
            users: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build_with_hasher(ahash::RandomState::new()),
            integrations: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build_with_hasher(ahash::RandomState::new()),
        }
    }
}

/// Why a request was not admitted.
#[derive(Debug)]
pub enum Refusal {
    /// The token no longer stands (401).
    Token(&'static str),
    /// Anything else: rate limited, database unavailable, internal.
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

/// The subject whose access version decides a verified token.
fn subject_of(verified: &Verified) -> Option<Subject> {
    match verified {
        Verified::User(c) => Uuid::parse_str(&c.sub).ok().map(Subject::User),
        Verified::Integration(c) => Uuid::parse_str(&c.sub).ok().map(Subject::Integration),
    }
}

/// Counts the request against the caller's rate limit and reads the
/// caller's access version, in one cache round trip; then checks the token
/// against what the database says at that version.
pub async fn admit(app: &AppContext, verified: Verified) -> Result<Principal, Refusal> {
    admit_reading(app, verified, &[])
        .await
        .map(|(principal, _)| principal)
}

/// [`admit`], also reading the versions of `also` in the same round trip
/// (what a replayed response checks next); those the mirror confirms come
/// back with the principal.
pub async fn admit_reading(
    app: &AppContext,
    verified: Verified,
    also: &[Subject],
) -> Result<(Principal, VersionsRead), Refusal> {
    let subject = subject_of(&verified).ok_or(Refusal::Token("the subject is not an id"))?;
    let rate_key = match subject {
        Subject::User(id) => format!("u:{id}"),
        Subject::Integration(id) => format!("i:{id}"),
        Subject::BrandData(_) => return Err(Refusal::Token("not a caller")),
    };
    // The caller's access version first, then `also`.
    let keys: Vec<String> = if app.versions.in_redis() {
        std::iter::once(subject)
            .chain(also.iter().copied())
            .map(|s| app.versions.redis_key(s))
            .collect()
    } else {
        Vec::new()
    };
    let (limited, read) = app
        .limiter
        .hit_reading(Limit::Principal, &rate_key, &keys)
        .await;
    limited?;
    let (mirrored, also_read) = match read {
        Some(raw) if !raw.is_empty() => (
            confirmed(raw[0].as_deref()),
            VersionsRead::from_raw(also, &raw[1..]),
        ),
        _ => (app.versions.local(subject), VersionsRead::default()),
    };
    let version = match mirrored {
        Some(v) => v,
        None => app.versions.from_db(&app.db, subject).await?,
    };
    let principal = match verified {
        Verified::User(claims) => admit_user(app, &claims, version).await,
        Verified::Integration(claims) => admit_integration(app, &claims, version).await,
    }?;
    Ok((principal, also_read))
}

/// Checks a token admitted earlier again, as [`admit`] does but without
/// counting a request: what a long-lived connection does before it sends
/// anything, so that a revoked session or a changed access takes effect.
pub async fn recheck(app: &AppContext, verified: Verified) -> Result<Principal, Refusal> {
    let subject = subject_of(&verified).ok_or(Refusal::Token("the subject is not an id"))?;
    let version = app.versions.current(&app.db, subject).await?;
    match verified {
        Verified::User(claims) => admit_user(app, &claims, version).await,
        Verified::Integration(claims) => admit_integration(app, &claims, version).await,
    }
}

async fn admit_user(
    app: &AppContext,
    claims: &UserClaims,
    version: i64,
) -> Result<Principal, Refusal> {
    let id = Uuid::parse_str(&claims.sub).map_err(|_| Refusal::Token("bad subject"))?;
    let access = match app.access.users.get(&(id, version)) {
        Some(hit) => hit,
        None => {
            let loaded = Arc::new(load_user(app, id).await?);
            app.access.users.insert((id, version), loaded.clone());
            loaded
        }
    };
    let facts = access
        .facts
        .as_ref()
        .ok_or(Refusal::Token("no such user"))?;
    if facts.status != UserStatus::Active {
        return Err(Refusal::Token("the user is disabled"));
    }
    if claims
        .sid
        .is_some_and(|sid| facts.ended_sessions.contains(&sid))
    {
        return Err(Refusal::Token("the session has ended"));
    }
    Ok(Principal::User(UserPrincipal {
        id,
        role: facts.role,
        brand_id: facts.brand_id,
        assigned: facts.assigned.clone(),
    }))
}

/// Reads a user's access facts from the database.
async fn load_user(app: &AppContext, id: Uuid) -> AppResult<UserAccess> {
    let Some(u) = user::Entity::find_by_id(id).one(&app.db).await? else {
        return Ok(UserAccess { facts: None });
    };
    let assigned: Vec<Uuid> = if u.role == Role::Consultant {
        consultant_assignment::Entity::find()
            .select_only()
            .column(consultant_assignment::Column::BrandId)
            .filter(consultant_assignment::Column::UserId.eq(id))
            .into_tuple()
            .all(&app.db)
            .await?
    } else {
        Vec::new()
    };
    // A token lives at most its lifetime plus the leeway; a session ended
    // before that can have no live token left. One minute more for clocks.
    let auth = &app.settings.auth;
    let horizon = auth.access_token_ttl_secs + auth.leeway_secs + 60;
    let since = Utc::now() - chrono::Duration::seconds(i64::try_from(horizon).unwrap_or(i64::MAX));
    let ended_sessions: Vec<Uuid> = refresh_token::Entity::find()
        .select_only()
        .column(refresh_token::Column::FamilyId)
        .distinct()
        .filter(refresh_token::Column::UserId.eq(id))
        .filter(refresh_token::Column::RevokedAt.gt(since))
        .into_tuple()
        .all(&app.db)
        .await?;
    Ok(UserAccess {
        facts: Some(UserFacts {
            status: u.status,
            role: u.role,
            brand_id: u.brand_id,
            assigned: Arc::new(assigned),
            ended_sessions,
        }),
    })
}

async fn admit_integration(
    app: &AppContext,
    claims: &IntegrationClaims,
    version: i64,
) -> Result<Principal, Refusal> {
    let (Ok(id), Ok(jti)) = (Uuid::parse_str(&claims.sub), Uuid::parse_str(&claims.jti)) else {
        return Err(Refusal::Token("bad subject or token id"));
    };
    let key = (id, version, jti);
    let found = match app.access.integrations.get(&key) {
        Some(hit) => hit,
        None => {
            let loaded = Arc::new(integration::service::authenticate(app, claims).await?);
            app.access.integrations.insert(key, loaded.clone());
            loaded
        }
    };
    match found.as_ref() {
        Some(p) => Ok(Principal::Integration(p.clone())),
        None => Err(Refusal::Token("the integration or token is revoked")),
    }
}
