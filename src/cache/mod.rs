//! The cache: Redis when `redis.url` is set, otherwise in-process.
//!
//! Every cache in the service, its key, what moves it, and the longest it
//! may serve an old value (all "never" but the first, which is bounded):
//!
//! | cache | key | moved by | stale at most |
//! |---|---|---|---|
//! | version mirror ([`versions`]) | `v:b:<brand>`, `v:u:<user>`, `v:i:<integration>` | every write, in its transaction (pending mark, then confirm) | `cache.version_ttl_secs`, only if Redis refused a writer's pending mark yet answers others |
//! | impact reports (`reporting::service::serve`, [`flight`]) | brand, parameters, data version | the brand's data version | only when the client allows it, and said (`freshness`): up to `reports.max_staleness_secs` |
//! | a brand's row (`brand::service::get`) | brand, data version | the brand's data version | never |
//! | access facts (`auth::session::AccessCache`) | user or integration (+ token id), access version | the caller's access version, read on every request | never |
//! | GraphQL output (`response_cache::OutputCache`) | versioned key, request bytes, position | the versioned key | never |
//! | kept responses (`http::replay`) | request bytes | re-checked for each caller before a replay | never |
//! | verified tokens (`auth::tokens::TokenKeys`) | token text | nothing: expiry checked on use, access per request | never |
//! | parsed documents, validated requests (`http`) | text / bytes | nothing: the schema is fixed | never |
//!
//! `docs/caches.md` says the same for operators. Nothing is ever deleted to
//! invalidate it.
//!
//! Both backends behave the same to callers. Every key is built by [`CacheKey`], which
//! starts with the brand it belongs to, so one brand's entries can never be
//! served to another. A slow or unreachable Redis is a cache miss after
//! `redis.timeout_ms`, logged and counted, never an error for the client.

use std::{any::Any, sync::Arc, time::Duration};

use anyhow::Context;
use prometheus::IntCounterVec;
use redis::{aio::ConnectionManager, AsyncCommands};
use secrecy::ExposeSecret;
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

use crate::config::Settings;

pub mod flight;
pub mod versions;

/// A cache key scoped to one brand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey(String);

impl CacheKey {
    /// A key for `what` inside `brand`'s scope, e.g. `brand(b, "profile")`.
    pub fn brand(brand_id: Uuid, what: &str) -> Self {
        Self(format!("b:{brand_id}:{what}"))
    }

    /// A key for `what` about one user (their own data, not a brand's).
    pub fn user(user_id: Uuid, what: &str) -> Self {
        Self(format!("u:{user_id}:{what}"))
    }

    /// A persisted GraphQL document, by the SHA-256 of its text. Documents
    /// are text that any caller may send, not brand data: every caller
    /// shares them, and nothing about a caller's data is in them.
    pub fn document(sha256: &str) -> Self {
        Self(format!("q:{sha256}"))
    }

    /// The key without the deployment prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Cache figures exported on `/metrics`.
#[derive(Clone)]
pub struct CacheMetrics {
    /// `hearth_cache_requests_total{result="hit|miss|error"}`.
    pub requests: IntCounterVec,
}

#[derive(Clone)]
enum Backend {
    Redis {
        conn: ConnectionManager,
        timeout: Duration,
    },
    Memory(moka::future::Cache<String, Arc<Vec<u8>>>),
}

/// A decoded value of any type, shared.
type Decoded = Arc<dyn Any + Send + Sync>;

/// The cache used by every service.
#[derive(Clone)]
pub struct Cache {
    backend: Backend,
    /// Decoded copies of versioned entries, which never change once written.
    decoded: moka::sync::Cache<String, Decoded>,
    prefix: String,
    ttl: Duration,
    metrics: CacheMetrics,
    /// Computations in flight and latest answers ([`flight`]).
    flights: Arc<flight::Flights>,
}

impl Cache {
    /// Builds the cache from settings. Redis is connected lazily, so a Redis
    /// that is down at start-up does not stop the service.
    pub fn from_settings(settings: &Settings, metrics: CacheMetrics) -> anyhow::Result<Self> {
        let ttl = Duration::from_secs(settings.cache.ttl_secs);
        let backend = match &settings.redis.url {
            Some(url) => {
                let timeout = Duration::from_millis(settings.redis.timeout_ms);
                let client = redis::Client::open(url.expose_secret())
                    .context("invalid settings: redis.url is not a valid Redis URL")?;
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_secs(2));
                let conn = ConnectionManager::new_lazy_with_config(client, config)
                    .context("could not set up the Redis connection")?;
                Backend::Redis { conn, timeout }
            }
            None => Backend::Memory(
                moka::future::Cache::builder()
                    .max_capacity(settings.cache.memory_capacity)
                    .time_to_live(ttl)
                    .build(),
            ),
        };
        Ok(Self {
            backend,
            decoded: moka::sync::Cache::builder()
                .max_capacity(settings.cache.decoded_capacity)
                .time_to_live(ttl)
                .build(),
            prefix: settings.redis.key_prefix.clone(),
            ttl,
            metrics,
            flights: Arc::new(flight::Flights::new(
                Duration::from_secs(settings.reports.lock_ttl_secs),
                settings.request_timeout(),
                ttl,
            )),
        })
    }

    /// The Redis connection and call timeout, when Redis is configured.
    pub fn redis(&self) -> Option<(ConnectionManager, Duration)> {
        match &self.backend {
            Backend::Redis { conn, timeout } => Some((conn.clone(), *timeout)),
            Backend::Memory(_) => None,
        }
    }

    /// The deployment's key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `redis` or `memory`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Redis { .. } => "redis",
            Backend::Memory(_) => "memory",
        }
    }

    fn full_key(&self, key: &CacheKey) -> String {
        format!("{}{}", self.prefix, key.0)
    }

    fn count(&self, result: &str) {
        self.metrics.requests.with_label_values(&[result]).inc();
    }

    /// Reads raw bytes; `None` on a miss or when Redis fails.
    pub async fn get_bytes(&self, key: &CacheKey) -> Option<Arc<Vec<u8>>> {
        let full = self.full_key(key);
        let found = match &self.backend {
            Backend::Memory(m) => Ok(m.get(&full).await),
            Backend::Redis { conn, timeout } => {
                let mut conn = conn.clone();
                match tokio::time::timeout(*timeout, conn.get::<_, Option<Vec<u8>>>(&full)).await {
                    Ok(Ok(v)) => Ok(v.map(Arc::new)),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("timed out".to_string()),
                }
            }
        };
        match found {
            Ok(Some(v)) => {
                self.count("hit");
                Some(v)
            }
            Ok(None) => {
                self.count("miss");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "cache read failed; reading from the database");
                self.count("error");
                None
            }
        }
    }

    /// Stores raw bytes with the configured lifetime; failures are logged.
    pub async fn set_bytes(&self, key: &CacheKey, value: Vec<u8>) {
        let full = self.full_key(key);
        match &self.backend {
            Backend::Memory(m) => m.insert(full, Arc::new(value)).await,
            Backend::Redis { conn, timeout } => {
                let mut conn = conn.clone();
                let ttl = self.ttl.as_secs();
                let res =
                    tokio::time::timeout(*timeout, conn.set_ex::<_, _, ()>(&full, value, ttl))
                        .await;
                if !matches!(res, Ok(Ok(()))) {
                    tracing::warn!("cache write failed");
                    self.count("error");
                }
            }
        }
    }

    /// Reads a JSON value; an entry that no longer decodes is a miss.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &CacheKey) -> Option<T> {
        let bytes = self.get_bytes(key).await?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores a JSON value.
    pub async fn set_json<T: Serialize>(&self, key: &CacheKey, value: &T) {
        if let Ok(bytes) = serde_json::to_vec(value) {
            self.set_bytes(key, bytes).await;
        }
    }

    /// Reads a versioned entry: one whose key carries the version of the data
    /// it was computed from, so it never changes once written. Such entries
    /// are also kept decoded in this process, and a hit here skips both the
    /// backend and decoding.
    pub async fn get_versioned<T>(&self, key: &CacheKey) -> Option<Arc<T>>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let full = self.full_key(key);
        if let Some(hit) = self.decoded.get(&full).and_then(|d| d.downcast::<T>().ok()) {
            self.count("hit");
            return Some(hit);
        }
        let value: Arc<T> = Arc::new(self.get_json(key).await?);
        self.decoded.insert(full, value.clone());
        Some(value)
    }

    /// Stores a versioned entry (see [`Cache::get_versioned`]).
    pub async fn set_versioned<T>(&self, key: &CacheKey, value: Arc<T>)
    where
        T: Serialize + Send + Sync + 'static,
    {
        self.set_json(key, value.as_ref()).await;
        self.decoded.insert(self.full_key(key), value);
    }

    /// Checks the backend answers (always true in-process).
    pub async fn ping(&self) -> Result<(), String> {
        match &self.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Redis { conn, timeout } => {
                let mut conn = conn.clone();
                match tokio::time::timeout(
                    *timeout,
                    redis::cmd("PING").query_async::<String>(&mut conn),
                )
                .await
                {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("timed out".into()),
                }
            }
        }
    }
}
