//! Versions that only move forward: a brand's data version, and the access
//! version of each user and integration.
//!
//! The database holds every version, and a write bumps it in its own
//! transaction. The cache (Redis, or this process) mirrors it so that a
//! request can learn a version without a database round trip, under a
//! protocol that cannot serve an old version after a committed write:
//!
//! 1. Inside the writer's transaction, after the database bump to `n`, the
//!    mirror is marked *pending `n`* ([`Versions::bump`]). A reader that
//!    meets a pending mark reads the database instead.
//! 2. After the commit, the writer confirms `n` ([`Versions::confirm`]). If
//!    that is lost, the first reader that reads `n` from the database
//!    confirms it instead; nothing stale is served meanwhile.
//! 3. Readers that read the database put what they read back with
//!    *set-if-greater*: a late reader holding an older value cannot move the
//!    mirror backwards, over a pending mark or a newer confirmed value.
//! 4. In Redis, a confirmed value is trusted for `cache.version_ttl_secs` at
//!    most, then read from the database again. That bounds the one case the
//!    protocol cannot see: Redis refusing the writer's pending mark (step 1)
//!    while it still answers other instances. In-process (one instance, no
//!    Redis) every write goes through the mirror, and nothing expires.
//!
//! Nothing is ever deleted to invalidate. When the mirror cannot answer (Redis
//! down or slow), the version comes from the database.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use redis::aio::ConnectionManager;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{db, error::AppResult};

/// What a version counts the changes of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Everything a brand's reports are computed from, and the brand itself.
    BrandData(Uuid),
    /// A user's status, role, brand, assignments and sessions.
    User(Uuid),
    /// An integration's status, scopes and tokens.
    Integration(Uuid),
}

impl Subject {
    /// The mirror's key, without the deployment prefix.
    pub fn key(&self) -> String {
        match self {
            Self::BrandData(id) => format!("v:b:{id}"),
            Self::User(id) => format!("v:u:{id}"),
            Self::Integration(id) => format!("v:i:{id}"),
        }
    }

    fn read_sql(&self) -> (&'static str, Uuid) {
        match self {
            Self::BrandData(id) => (
                "SELECT version FROM brand_data_version WHERE brand_id = ?",
                *id,
            ),
            Self::User(id) | Self::Integration(id) => (
                "SELECT version FROM access_version WHERE subject_id = ?",
                *id,
            ),
        }
    }

    fn bump_sql(&self) -> (&'static str, Uuid) {
        match self {
            Self::BrandData(id) => (
                "INSERT INTO brand_data_version (brand_id, version) VALUES (?, 1) \
                 ON CONFLICT (brand_id) DO UPDATE SET version = brand_data_version.version + 1 \
                 RETURNING version",
                *id,
            ),
            Self::User(id) | Self::Integration(id) => (
                "INSERT INTO access_version (subject_id, version) VALUES (?, 1) \
                 ON CONFLICT (subject_id) DO UPDATE SET version = access_version.version + 1 \
                 RETURNING version",
                *id,
            ),
        }
    }

    /// The version in the database (0 when it never moved).
    pub async fn read_db<C: ConnectionTrait>(&self, db: &C) -> AppResult<i64> {
        let (sql, id) = self.read_sql();
        let row = db
            .query_one_raw(db::raw(db.get_database_backend(), sql, vec![id.into()]))
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<i64>("", "version")?,
            None => 0,
        })
    }

    async fn bump_db<C: ConnectionTrait>(&self, db: &C) -> AppResult<i64> {
        let (sql, id) = self.bump_sql();
        let row = db
            .query_one_raw(db::raw(db.get_database_backend(), sql, vec![id.into()]))
            .await?
            .ok_or_else(|| {
                crate::error::AppError::Internal(anyhow::anyhow!("a version bump returned no row"))
            })?;
        Ok(row.try_get::<i64>("", "version")?)
    }
}

/// A bump made inside a transaction, to confirm once it has committed.
#[must_use = "confirm the bump after the commit (readers go to the database until then)"]
#[derive(Debug, Clone, Copy)]
pub struct Bump {
    subject: Subject,
    version: i64,
}

impl Bump {
    /// The version the write moved to.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// What was bumped.
    pub fn subject(&self) -> Subject {
        self.subject
    }
}

/// Faults that tests switch on to force the interleavings the protocol must
/// survive. Always off in service.
#[derive(Debug, Default)]
pub struct Faults {
    /// Drop every confirmation after a commit, as a timed-out call would.
    pub drop_confirms: AtomicBool,
}

/// A mirrored version's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mirror {
    /// Committed at this version; trusted until the instant.
    Confirmed(i64, Instant),
    /// A write to this version may have committed; trusted until the instant
    /// only to refuse older values.
    Pending(i64, Instant),
}

impl Mirror {
    fn live(self, now: Instant) -> Option<Self> {
        match self {
            Self::Confirmed(_, until) | Self::Pending(_, until) if until <= now => None,
            other => Some(other),
        }
    }
}

#[derive(Clone)]
enum Backend {
    Redis {
        conn: ConnectionManager,
        timeout: Duration,
    },
    Memory(moka::sync::Cache<Subject, Mirror, ahash::RandomState>),
}

/// Marks pending `n` unless the mirror already holds a higher version, or
/// `n` confirmed. Values: `"<n>"` confirmed, `"p<n>"` pending.
const MARK: &str = r"
local cur = redis.call('GET', KEYS[1])
local n = tonumber(ARGV[1])
if cur then
  local pending = string.sub(cur, 1, 1) == 'p'
  local c = tonumber(pending and string.sub(cur, 2) or cur)
  if c and (c > n or (c == n and not pending)) then return 0 end
end
redis.call('SET', KEYS[1], 'p' .. ARGV[1], 'PX', ARGV[2])
return 1
";

/// Sets confirmed `v` unless the mirror holds a higher version (pending or
/// confirmed) or `v` confirmed already.
const CONFIRM: &str = r"
local cur = redis.call('GET', KEYS[1])
local v = tonumber(ARGV[1])
if cur then
  local pending = string.sub(cur, 1, 1) == 'p'
  local c = tonumber(pending and string.sub(cur, 2) or cur)
  if c and (c > v or (c == v and not pending)) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
";

/// Parses a mirrored value as Redis holds it: the version when confirmed.
pub fn confirmed(raw: Option<&str>) -> Option<i64> {
    raw.filter(|r| !r.starts_with('p'))
        .and_then(|r| r.parse().ok())
}

/// Versions a request read from the mirror along with its caller's
/// admission, in that one round trip ([`crate::auth::session::admit_reading`]):
/// a request that knows the versions it will check (a replayed response)
/// reads them there instead of one round trip each. Only confirmed reads
/// are kept; any other is read again by [`Versions::current_or_read`].
#[derive(Debug, Clone, Default)]
pub struct VersionsRead(Vec<(Subject, i64)>);

impl VersionsRead {
    /// Keeps the confirmed ones of `raw`, the mirror's values of `subjects`.
    pub fn from_raw(subjects: &[Subject], raw: &[Option<String>]) -> Self {
        Self(
            subjects
                .iter()
                .zip(raw)
                .filter_map(|(s, r)| confirmed(r.as_deref()).map(|v| (*s, v)))
                .collect(),
        )
    }

    /// The version read for `subject`, if any.
    pub fn get(&self, subject: Subject) -> Option<i64> {
        self.0.iter().find(|(s, _)| *s == subject).map(|(_, v)| *v)
    }
}

/// The mirror of every version, shared by the whole process.
#[derive(Clone)]
pub struct Versions {
    backend: Backend,
    prefix: String,
    pending_ttl: Duration,
    confirmed_ttl: Duration,
    mark: Arc<redis::Script>,
    confirm: Arc<redis::Script>,
    faults: Arc<Faults>,
}

impl Versions {
    /// A mirror in Redis (`Some`) or in this process.
    pub fn new(
        redis: Option<(ConnectionManager, Duration)>,
        prefix: String,
        pending_ttl: Duration,
        confirmed_ttl: Duration,
    ) -> Self {
        let backend = match redis {
            Some((conn, timeout)) => Backend::Redis { conn, timeout },
            None => Backend::Memory(
                moka::sync::Cache::builder()
                    .max_capacity(200_000)
                    .build_with_hasher(ahash::RandomState::new()),
            ),
        };
        Self {
            backend,
            prefix,
            pending_ttl,
            confirmed_ttl,
            mark: Arc::new(redis::Script::new(MARK)),
            confirm: Arc::new(redis::Script::new(CONFIRM)),
            faults: Arc::new(Faults::default()),
        }
    }

    /// The fault switches (tests only).
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The full Redis key of `subject`'s mirror, for reading it in a
    /// pipeline with other commands ([`confirmed`] parses the value).
    pub fn redis_key(&self, subject: Subject) -> String {
        format!("{}{}", self.prefix, subject.key())
    }

    /// What the mirror holds for `subject` when kept in this process:
    /// `Some(version)` when confirmed. `None` with Redis (read it with
    /// [`Versions::redis_key`]) or when it must come from the database.
    pub fn local(&self, subject: Subject) -> Option<i64> {
        match &self.backend {
            Backend::Memory(m) => match m.get(&subject).and_then(|s| s.live(Instant::now())) {
                Some(Mirror::Confirmed(v, _)) => Some(v),
                _ => None,
            },
            Backend::Redis { .. } => None,
        }
    }

    /// Whether the mirror lives in Redis.
    pub fn in_redis(&self) -> bool {
        matches!(self.backend, Backend::Redis { .. })
    }

    /// The current version of `subject`: from the mirror when it is
    /// confirmed there, else from the database (and put back).
    pub async fn current(&self, db: &crate::db::Db, subject: Subject) -> AppResult<i64> {
        let mirrored = match &self.backend {
            Backend::Memory(_) => self.local(subject),
            Backend::Redis { conn, timeout } => {
                let mut conn = conn.clone();
                let key = self.redis_key(subject);
                let cmd = redis::cmd("GET").arg(&key).to_owned();
                let call = cmd.query_async::<Option<String>>(&mut conn);
                match tokio::time::timeout(*timeout, call).await {
                    Ok(Ok(raw)) => confirmed(raw.as_deref()),
                    _ => {
                        tracing::warn!("version mirror did not answer; reading the database");
                        None
                    }
                }
            }
        };
        match mirrored {
            Some(v) => Ok(v),
            None => self.from_db(db, subject).await,
        }
    }

    /// `subject`'s version as read earlier in the request (see
    /// [`VersionsRead`]), else as [`Versions::current`] reads it.
    pub async fn current_or_read(
        &self,
        db: &crate::db::Db,
        subject: Subject,
        read: &VersionsRead,
    ) -> AppResult<i64> {
        match read.get(subject) {
            Some(v) => Ok(v),
            None => self.current(db, subject).await,
        }
    }

    /// Reads `subject`'s version from the database and puts it back.
    pub async fn from_db(&self, db: &crate::db::Db, subject: Subject) -> AppResult<i64> {
        let v = subject.read_db(db).await?;
        self.fill(subject, v).await;
        Ok(v)
    }

    /// Puts back a version read from the database: set-if-greater, so a
    /// reader that read before a write committed cannot undo that write.
    pub async fn fill(&self, subject: Subject, version: i64) {
        self.set_confirmed(subject, version).await;
    }

    /// Bumps `subject` inside `txn` and marks the mirror pending; confirm
    /// the returned [`Bump`] with [`Versions::confirm`] after the commit.
    pub async fn bump<C: ConnectionTrait>(&self, txn: &C, subject: Subject) -> AppResult<Bump> {
        let version = subject.bump_db(txn).await?;
        self.mark_pending(subject, version).await;
        Ok(Bump { subject, version })
    }

    /// Confirms bumps whose transaction has committed.
    pub async fn confirm(&self, bumps: impl IntoIterator<Item = Bump>) {
        if self.faults.drop_confirms.load(Ordering::Relaxed) {
            return;
        }
        for b in bumps {
            self.set_confirmed(b.subject, b.version).await;
        }
    }

    async fn mark_pending(&self, subject: Subject, version: i64) {
        match &self.backend {
            Backend::Memory(m) => {
                let until = Instant::now() + self.pending_ttl;
                m.entry(subject).and_compute_with(|cur| {
                    let now = Instant::now();
                    let keep = match cur.and_then(|e| e.into_value().live(now)) {
                        Some(Mirror::Pending(c, _)) => c > version,
                        Some(Mirror::Confirmed(c, _)) => c >= version,
                        None => false,
                    };
                    if keep {
                        moka::ops::compute::Op::Nop
                    } else {
                        moka::ops::compute::Op::Put(Mirror::Pending(version, until))
                    }
                });
            }
            Backend::Redis { conn, timeout } => {
                let mut conn = conn.clone();
                let mut call = self.mark.key(self.redis_key(subject));
                call.arg(version).arg(self.pending_ttl.as_millis() as u64);
                let res = tokio::time::timeout(*timeout, call.invoke_async::<i64>(&mut conn)).await;
                if !matches!(res, Ok(Ok(_))) {
                    tracing::warn!(
                        subject = ?subject,
                        "could not mark a version pending; other instances may trust the old one \
                         for up to cache.version_ttl_secs"
                    );
                }
            }
        }
    }

    async fn set_confirmed(&self, subject: Subject, version: i64) {
        match &self.backend {
            Backend::Memory(m) => {
                // In-process, every write goes through this process's
                // mirror, so a confirmed value needs no expiry.
                let until = Instant::now() + Duration::from_secs(365 * 24 * 3600);
                m.entry(subject).and_compute_with(|cur| {
                    let now = Instant::now();
                    let keep = match cur.and_then(|e| e.into_value().live(now)) {
                        Some(Mirror::Pending(c, _)) => c > version,
                        Some(Mirror::Confirmed(c, _)) => c > version,
                        None => false,
                    };
                    if keep {
                        moka::ops::compute::Op::Nop
                    } else {
                        moka::ops::compute::Op::Put(Mirror::Confirmed(version, until))
                    }
                });
            }
            Backend::Redis { conn, timeout } => {
                let mut conn = conn.clone();
                let mut call = self.confirm.key(self.redis_key(subject));
                call.arg(version).arg(self.confirmed_ttl.as_millis() as u64);
                let res = tokio::time::timeout(*timeout, call.invoke_async::<i64>(&mut conn)).await;
                if !matches!(res, Ok(Ok(_))) {
                    // Readers meet the pending mark and read the database.
                    tracing::warn!(subject = ?subject, "could not confirm a version");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    fn memory() -> Versions {
        Versions::new(
            None,
            String::new(),
            Duration::from_secs(60),
            Duration::from_secs(60),
        )
    }

    #[tokio::test]
    async fn a_late_reader_cannot_move_a_version_back() {
        let v = memory();
        let s = Subject::BrandData(Uuid::now_v7());
        v.fill(s, 3).await;
        v.mark_pending(s, 4).await;
        assert_eq!(v.local(s), None, "pending: read the database");
        v.fill(s, 3).await;
        assert_eq!(v.local(s), None, "an older read does not clear the mark");
        v.set_confirmed(s, 4).await;
        assert_eq!(v.local(s), Some(4));
        v.fill(s, 3).await;
        assert_eq!(v.local(s), Some(4), "an older read does not undo the write");
    }

    #[test]
    fn only_confirmed_values_are_trusted() {
        assert_eq!(confirmed(Some("7")), Some(7));
        assert_eq!(confirmed(Some("p7")), None);
        assert_eq!(confirmed(None), None);
        assert_eq!(confirmed(Some("junk")), None);
    }
}
