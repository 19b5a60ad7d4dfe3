//! Versioned values computed once, and served within a staleness bound.
//!
//! A *series* is one question (a report of one brand with one set of
//! parameters); each of its answers is computed from one data version and
//! stored under `<series>:v<version>`, where it never changes.
//!
//! **One computation at a time.** Concurrent requests for the same series
//! and version wait for one computation: in this process through one shared
//! cell per key, and across instances sharing Redis through a lock
//! (`flight:lock:<key>`, `SET NX` with a lifetime of `reports.lock_ttl_secs`)
//! whose value is a fencing token from one counter. The holder renews the
//! lock while it computes and stores its answer only while the lock still
//! holds its token; waiting instances poll for the answer and take the lock
//! over when it expires (the holder died). Redis failing is never an error:
//! the instance computes on its own.
//!
//! **Freshness.** Every stored answer also moves the series' *latest*
//! pointer (version and computation time, set-if-newer). [`Cache::serve`]
//! answers from the current version when it is stored; otherwise, when the
//! caller accepts staleness, from the latest answer computed at most
//! `max_staleness` ago, starting one refresh in the background; otherwise
//! it waits for the current version's computation.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use tokio::sync::OnceCell;

use super::{Cache, CacheKey, Decoded};
use crate::error::{AppError, AppResult};

/// An answer with the data version it was computed from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Computed<T> {
    /// The data version read before computing: the answer includes every
    /// write committed up to it.
    pub version: i64,
    /// When the computation started.
    pub computed_at: DateTime<Utc>,
    /// The answer.
    pub value: T,
}

/// An answer as served to one request.
#[derive(Debug, Clone)]
pub struct Served<T> {
    /// The answer and its version.
    pub computed: Arc<Computed<T>>,
    /// The data version when the request was answered.
    pub current_version: i64,
    /// The key that identifies this answer for this current version (the
    /// output and replay caches use it).
    pub key: CacheKey,
}

impl<T> Served<T> {
    /// Whether data newer than the answer exists.
    pub fn newer_data_exists(&self) -> bool {
        self.current_version > self.computed.version
    }
}

/// The newest answer stored for a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latest {
    /// Its data version.
    pub version: i64,
    /// When its computation started.
    pub computed_at: DateTime<Utc>,
}

/// Whether a computation waits for another one holding the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Wait for the holder's answer (a request).
    Wait,
    /// Give up when someone else computes (a background refresh).
    IfIdle,
}

/// In-process state of the computations.
pub(super) struct Flights {
    /// One cell per key being computed in this process.
    cells: Mutex<HashMap<String, Arc<OnceCell<Decoded>>>>,
    /// Latest pointers, in-process (without Redis).
    latest: moka::sync::Cache<String, Latest>,
    lock_ttl: Duration,
    wait_limit: Duration,
    try_lock: redis::Script,
    renew: redis::Script,
    store: redis::Script,
    release: redis::Script,
}

impl Flights {
    /// The cells in flight (a panic elsewhere never leaves them unusable).
    fn cells(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<Decoded>>>> {
        self.cells
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn new(lock_ttl: Duration, wait_limit: Duration, ttl: Duration) -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
            latest: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ttl)
                .build(),
            lock_ttl,
            wait_limit,
            try_lock: redis::Script::new(TRY_LOCK),
            renew: redis::Script::new(RENEW),
            store: redis::Script::new(STORE),
            release: redis::Script::new(RELEASE),
        }
    }
}

/// Takes the lock `KEYS[1]` when free, with a token from counter `KEYS[2]`
/// and a lifetime of `ARGV[1]` ms; answers the token, or 0 when held.
const TRY_LOCK: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], t, 'PX', ARGV[1])
return t
";

/// Renews lock `KEYS[1]` for `ARGV[2]` ms while it holds token `ARGV[1]`.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// While lock `KEYS[1]` holds token `ARGV[1]`: stores answer `ARGV[2]` under
/// `KEYS[2]` for `ARGV[3]` s, moves latest pointer `KEYS[3]` to version
/// `ARGV[4]` computed at `ARGV[5]` (µs) unless it is newer, and releases
/// the lock. Answers 1, or 0 when the lock was lost (nothing is written).
const STORE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
local cur = tonumber(redis.call('HGET', KEYS[3], 'v') or '-1')
if cur < tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[3], 'v', ARGV[4], 'at', ARGV[5])
end
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('DEL', KEYS[1])
return 1
";

/// Releases lock `KEYS[1]` if it holds token `ARGV[1]`.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// The key of the answer computed at `version` as served while the data
/// is at `current`.
pub fn answer_key(series: &CacheKey, version: i64, current: i64) -> CacheKey {
    CacheKey(format!("{}:now{current}", at_version(series, version).0))
}

/// The key of a series' answer at one version.
pub fn at_version(series: &CacheKey, version: i64) -> CacheKey {
    CacheKey(format!("{}:v{version}", series.0))
}

impl Cache {
    fn latest_key(&self, series: &CacheKey) -> String {
        format!("{}flight:latest:{}", self.prefix, series.0)
    }

    /// The newest answer stored for `series`, if any.
    pub async fn latest(&self, series: &CacheKey) -> Option<Latest> {
        let key = self.latest_key(series);
        let Some((mut conn, timeout)) = self.redis() else {
            return self.flights.latest.get(&key);
        };
        let call = redis::cmd("HMGET").arg(&key).arg("v").arg("at").to_owned();
        let read = call.query_async::<(Option<i64>, Option<i64>)>(&mut conn);
        match tokio::time::timeout(timeout, read).await {
            Ok(Ok((Some(version), Some(at)))) => Some(Latest {
                version,
                computed_at: DateTime::from_timestamp_micros(at)?,
            }),
            Ok(Ok(_)) => None,
            _ => {
                tracing::warn!("could not read a computation's latest answer");
                self.count("error");
                None
            }
        }
    }

    fn set_latest_in_process(&self, series: &CacheKey, latest: Latest) {
        self.flights
            .latest
            .entry(self.latest_key(series))
            .and_compute_with(|cur| match cur {
                Some(c) if c.value().version >= latest.version => moka::ops::compute::Op::Nop,
                _ => moka::ops::compute::Op::Put(latest),
            });
    }

    /// What [`Cache::serve`] would answer without computing anything:
    /// the current version's answer, or (when `max_staleness` allows) the
    /// latest one; `None` when it would have to compute.
    pub async fn lookup<T>(
        &self,
        series: &CacheKey,
        current: i64,
        max_staleness: Option<Duration>,
    ) -> Option<Served<T>>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let served = |computed: Arc<Computed<T>>| {
            let current_version = current.max(computed.version);
            let key = answer_key(series, computed.version, current_version);
            Served {
                computed,
                current_version,
                key,
            }
        };
        if let Some(hit) = self.get_versioned(&at_version(series, current)).await {
            return Some(served(hit));
        }
        let latest = self.latest(series).await?;
        // An answer from a newer version than the one read includes every
        // write committed before it: it is fresh enough for anyone.
        let young = max_staleness.is_some_and(|max| {
            (Utc::now() - latest.computed_at)
                .to_std()
                .map_or(true, |age| age <= max)
        });
        if latest.version > current || (latest.version < current && young) {
            let hit = self
                .get_versioned(&at_version(series, latest.version))
                .await?;
            return Some(served(hit));
        }
        None
    }

    /// The answer of `series` for data version `current`: see the module
    /// documentation. `compute` runs at most once, here or in the
    /// background, and only when no instance is computing the same key.
    pub async fn serve<T, F, Fut>(
        &self,
        series: &CacheKey,
        current: i64,
        max_staleness: Option<Duration>,
        compute: F,
    ) -> AppResult<Served<T>>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = AppResult<T>> + Send + 'static,
    {
        if let Some(hit) = self.lookup::<T>(series, current, max_staleness).await {
            if hit.newer_data_exists() {
                let (cache, series) = (self.clone(), series.clone());
                tokio::spawn(async move {
                    if let Err(e) = cache
                        .compute_once(&series, current, Mode::IfIdle, compute)
                        .await
                    {
                        tracing::warn!(error = %e, "a background refresh failed");
                    }
                });
            }
            return Ok(hit);
        }
        let computed = self
            .compute_once(series, current, Mode::Wait, compute)
            .await?
            .ok_or(AppError::Timeout)?;
        let current_version = current.max(computed.version);
        Ok(Served {
            key: answer_key(series, computed.version, current_version),
            current_version,
            computed,
        })
    }

    /// Computes `series` at `version` once across concurrent callers and
    /// instances; `None` only in [`Mode::IfIdle`] when another computes.
    async fn compute_once<T, F, Fut>(
        &self,
        series: &CacheKey,
        version: i64,
        mode: Mode,
        compute: F,
    ) -> AppResult<Option<Arc<Computed<T>>>>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = AppResult<T>> + Send,
    {
        let key = at_version(series, version);
        let full = self.full_key(&key);
        let cell = {
            let mut cells = self.flights.cells();
            if mode == Mode::IfIdle && cells.contains_key(&full) {
                return Ok(None);
            }
            cells.entry(full.clone()).or_default().clone()
        };
        let result = cell
            .get_or_try_init(|| async {
                if let Some(hit) = self.get_versioned::<Computed<T>>(&key).await {
                    return Ok(hit as Decoded);
                }
                match self
                    .compute_across_instances(series, &key, version, mode, compute)
                    .await
                {
                    Ok(Some(computed)) => Ok(computed as Decoded),
                    // The cell stays empty: a waiting caller computes itself.
                    Ok(None) => Err(None),
                    Err(e) => Err(Some(e)),
                }
            })
            .await
            .cloned();
        {
            let mut cells = self.flights.cells();
            if cells.get(&full).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                cells.remove(&full);
            }
        }
        match result {
            Ok(decoded) => Ok(Some(decoded.downcast::<Computed<T>>().map_err(|_| {
                AppError::Internal(anyhow::anyhow!("a computation stored another type"))
            })?)),
            Err(None) => Ok(None),
            Err(Some(e)) => Err(e),
        }
    }

    async fn compute_across_instances<T, F, Fut>(
        &self,
        series: &CacheKey,
        key: &CacheKey,
        version: i64,
        mode: Mode,
        compute: F,
    ) -> AppResult<Option<Arc<Computed<T>>>>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = AppResult<T>> + Send,
    {
        let Some((conn, timeout)) = self.redis() else {
            let computed = run(version, compute).await?;
            self.set_versioned(key, computed.clone()).await;
            self.set_latest_in_process(series, latest_of(&computed));
            return Ok(Some(computed));
        };
        let lock = format!("{}flight:lock:{}", self.prefix, key.0);
        let fence = format!("{}flight:fence", self.prefix);
        let lock_ms = self.flights.lock_ttl.as_millis() as u64;
        let started = Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            let mut c = conn.clone();
            let mut call = self.flights.try_lock.key(&lock);
            call.key(&fence).arg(lock_ms);
            let token = match tokio::time::timeout(timeout, call.invoke_async::<i64>(&mut c)).await
            {
                Ok(Ok(t)) => Some(t),
                _ => {
                    tracing::warn!("could not take a computation's lock; computing here");
                    self.count("error");
                    None
                }
            };
            match token {
                // Held by another computation.
                Some(0) => {
                    if mode == Mode::IfIdle {
                        return Ok(None);
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(200));
                    if let Some(hit) = self.get_versioned::<Computed<T>>(key).await {
                        return Ok(Some(hit));
                    }
                    if started.elapsed() > self.flights.wait_limit {
                        return Err(AppError::Timeout);
                    }
                }
                Some(token) => {
                    // The previous holder stores its answer and releases the
                    // lock in one script: an answer stored by then is final.
                    if let Some(hit) = self.get_versioned::<Computed<T>>(key).await {
                        self.release(&lock, token).await;
                        return Ok(Some(hit));
                    }
                    let computed = self.holding(&lock, token, version, compute).await;
                    let computed = match computed {
                        Ok(c) => c,
                        Err(e) => {
                            self.release(&lock, token).await;
                            return Err(e);
                        }
                    };
                    self.store_fenced(series, key, &lock, token, &computed)
                        .await;
                    return Ok(Some(computed));
                }
                None => {
                    let computed = run(version, compute).await?;
                    self.set_versioned(key, computed.clone()).await;
                    return Ok(Some(computed));
                }
            }
        }
    }

    /// Computes while renewing the lock every third of its lifetime.
    async fn holding<T, F, Fut>(
        &self,
        lock: &str,
        token: i64,
        version: i64,
        compute: F,
    ) -> AppResult<Arc<Computed<T>>>
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = AppResult<T>> + Send,
    {
        let Some((conn, timeout)) = self.redis() else {
            return run(version, compute).await;
        };
        let renew_every = self.flights.lock_ttl / 3;
        let lock_ms = self.flights.lock_ttl.as_millis() as u64;
        let (script, lock) = (self.flights.renew.clone(), lock.to_string());
        // Stops renewing when the computation ends or is dropped.
        let _renewing = AbortOnDrop(tokio::spawn(async move {
            loop {
                tokio::time::sleep(renew_every).await;
                let mut c = conn.clone();
                let mut call = script.key(&lock);
                call.arg(token).arg(lock_ms);
                if !matches!(
                    tokio::time::timeout(timeout, call.invoke_async::<i64>(&mut c)).await,
                    Ok(Ok(1))
                ) {
                    tracing::warn!("a computation's lock could not be renewed");
                }
            }
        }));
        run(version, compute).await
    }

    /// Stores the holder's answer while it still holds the lock; a holder
    /// that lost it keeps its answer to itself (another one is computing).
    async fn store_fenced<T: Serialize + Send + Sync + 'static>(
        &self,
        series: &CacheKey,
        key: &CacheKey,
        lock: &str,
        token: i64,
        computed: &Arc<Computed<T>>,
    ) {
        let Some((mut conn, timeout)) = self.redis() else {
            return;
        };
        let Ok(json) = serde_json::to_vec(computed.as_ref()) else {
            return;
        };
        self.decoded.insert(self.full_key(key), computed.clone());
        let mut call = self.flights.store.key(lock);
        call.key(self.full_key(key))
            .key(self.latest_key(series))
            .arg(token)
            .arg(json)
            .arg(self.ttl.as_secs())
            .arg(computed.version)
            .arg(computed.computed_at.timestamp_micros());
        match tokio::time::timeout(timeout, call.invoke_async::<i64>(&mut conn)).await {
            Ok(Ok(1)) => {}
            Ok(Ok(_)) => {
                tracing::warn!("a computation outlived its lock; its answer is not shared")
            }
            _ => {
                tracing::warn!("could not store a computation's answer");
                self.count("error");
            }
        }
    }

    async fn release(&self, lock: &str, token: i64) {
        if let Some((mut conn, timeout)) = self.redis() {
            let mut call = self.flights.release.key(lock);
            call.arg(token);
            let _ = tokio::time::timeout(timeout, call.invoke_async::<i64>(&mut conn)).await;
        }
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn latest_of<T>(c: &Computed<T>) -> Latest {
    Latest {
        version: c.version,
        computed_at: c.computed_at,
    }
}

async fn run<T, F, Fut>(version: i64, compute: F) -> AppResult<Arc<Computed<T>>>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    let computed_at = Utc::now();
    let value = compute().await?;
    Ok(Arc::new(Computed {
        version,
        computed_at,
        value,
    }))
}
