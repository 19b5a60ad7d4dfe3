//! Reusing GraphQL output for cached values.
//!
//! A [`CachedValue`] is a value read from the cache under a versioned key
//! (one that changes whenever the data behind it does). Its GraphQL output
//! depends only on that key and on the request, so the [`OutputCache`]
//! keeps the output resolved for one request and reuses it for the same
//! request bytes. At the root of a query, such values are also recorded as
//! [`ReplayableFields`], so that the HTTP layer can keep a response made
//! only of them and send it again (see `crate::http::replay`), after each
//! field's [`CacheKeyCheck`] has recomputed its key for the caller at hand.

use std::{
    borrow::Cow,
    sync::{Arc, Mutex},
};

use async_graphql::{
    parser::types::Field, registry::Registry, ContextSelectionSet, OutputType, Pos, Positioned,
    ServerResult, Value,
};
use futures_util::future::BoxFuture;

use crate::{
    auth::Caller,
    cache::{
        versions::{Subject, VersionsRead},
        CacheKey,
    },
    config::Settings,
    context::AppContext,
    error::AppResult,
};

/// The exact request (POST body or GET query string) being executed: with
/// it, the output of a [`CachedValue`] value is resolved once per request shape.
pub struct RequestBytes(pub bytes::Bytes);

/// OutputCache outputs of [`CachedValue`] values: by the value's versioned cache
/// key, the exact request and the field's place in its document.
pub struct OutputCache(moka::sync::Cache<(String, bytes::Bytes, Pos), Value, ahash::RandomState>);

impl OutputCache {
    /// An empty cache, bounded by bytes; entries live `cache.ttl_secs`.
    pub fn new(settings: &Settings) -> Self {
        Self(
            moka::sync::Cache::builder()
                .weigher(
                    |(key, request, _): &(String, bytes::Bytes, Pos), value: &Value| {
                        let output = serde_json::to_vec(value).map_or(0, |v| v.len());
                        u32::try_from(key.len() + request.len() + output).unwrap_or(u32::MAX)
                    },
                )
                .max_capacity(OUTPUT_CACHE_BYTES)
                .time_to_live(std::time::Duration::from_secs(settings.cache.ttl_secs))
                .build_with_hasher(ahash::RandomState::new()),
        )
    }
}

/// Bytes of requests and outputs [`OutputCache`] holds at most.
const OUTPUT_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// A value read from the cache under a versioned key (one that changes
/// whenever the data behind it does, see [`crate::cache::Cache::get_versioned`]).
/// Its GraphQL output depends only on that key and on the request, so the
/// output resolved for one request is reused for the same request bytes:
/// a dashboard polling a cached report skips resolving the whole tree again.
/// The schema sees `T` itself.
pub struct CachedValue<T> {
    value: Arc<T>,
    key: String,
    key_check: Option<Arc<dyn CacheKeyCheck>>,
}

impl<T> CachedValue<T> {
    /// Wraps `value`, read under the versioned cache key `key`.
    pub fn new(value: Arc<T>, key: &CacheKey) -> Self {
        Self {
            value,
            key: key.as_str().to_string(),
            key_check: None,
        }
    }

    /// Lets a response made only of such values be replayed (see
    /// [`ReplayableFields`]): `key_check` recomputes `key` for a later caller, with
    /// every check the resolver made on the way.
    pub fn replayable(mut self, key_check: impl CacheKeyCheck) -> Self {
        self.key_check = Some(Arc::new(key_check));
        self
    }
}

impl<T: OutputType + Send + Sync> OutputType for CachedValue<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let at_root = ctx.path_node.is_some_and(|p| p.parent.is_none());
        if let (true, Some(key_check), Ok(record)) =
            (at_root, &self.key_check, ctx.data::<ReplayableFields>())
        {
            record.push(ReplayableField {
                response_key: field.node.response_key().node.to_string(),
                key: self.key.clone(),
                key_check: key_check.clone(),
            });
        }
        let (Ok(resolved), Ok(request)) = (ctx.data::<OutputCache>(), ctx.data::<RequestBytes>())
        else {
            return self.value.resolve(ctx, field).await;
        };
        let key = (self.key.clone(), request.0.clone(), field.pos);
        if let Some(output) = resolved.0.get(&key) {
            return Ok(output);
        }
        let output = self.value.resolve(ctx, field).await?;
        resolved.0.insert(key, output.clone());
        Ok(output)
    }
}

/// Recomputes the versioned cache key of a root field for a caller: the
/// resolver's whole preamble (argument checks, authorisation, the data
/// version) without resolving anything. A replayed response stands only
/// while this gives the key it was built from, for the caller at hand.
pub trait CacheKeyCheck: Send + Sync + 'static {
    /// The versions [`CacheKeyCheck::key`] reads (none by default), so that
    /// a replay can read them with the caller's admission.
    fn subjects(&self) -> Vec<Subject> {
        Vec::new()
    }

    /// The field's key for `caller` now; an error means the field would
    /// fail. `read` holds versions already read in this request.
    fn key<'a>(
        &'a self,
        app: &'a AppContext,
        caller: &'a Caller,
        read: &'a VersionsRead,
    ) -> BoxFuture<'a, AppResult<CacheKey>>;
}

/// A replayable root field met while a request ran.
#[derive(Clone)]
pub struct ReplayableField {
    /// Its alias or name in the response.
    pub response_key: String,
    /// The versioned key its value was read under.
    pub key: String,
    /// How to recompute that key.
    pub key_check: Arc<dyn CacheKeyCheck>,
}

/// The replayable root fields of one request, recorded as they resolve.
/// When every root field of a query is one (or `__typename`), the response
/// depends only on the request bytes and those keys, and the HTTP layer
/// keeps it to answer the same bytes again without executing.
/// Clones share one record, so the caller keeps one after handing another
/// to the request.
#[derive(Clone, Default)]
pub struct ReplayableFields(Arc<Mutex<Vec<ReplayableField>>>);

impl ReplayableFields {
    fn push(&self, field: ReplayableField) {
        if let Ok(mut fields) = self.0.lock() {
            fields.push(field);
        }
    }

    /// The recorded fields.
    pub fn fields(&self) -> Vec<ReplayableField> {
        self.0.lock().map(|f| f.clone()).unwrap_or_default()
    }
}
