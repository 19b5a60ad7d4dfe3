//! The schema: merges each area's queries and mutations, and sets the limits.

use std::{
    any::{Any, TypeId},
    borrow::Cow,
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_graphql::{
    dataloader::DataLoader, parser::types::Field, registry::Registry, Context, ContextSelectionSet,
    EmptySubscription, MergedObject, OutputType, Pos, Positioned, Request, Schema, ServerResult,
    ValidationMode, Value,
};

use futures_util::future::BoxFuture;

use crate::{
    account::graphql::{AccountMutation, AccountQuery},
    audit::graphql::AuditQuery,
    auth::Caller,
    brand::graphql::{BrandMutation, BrandQuery},
    cache::CacheKey,
    community::graphql::{
        CommunityMutation, CommunityQuery, RecognitionMutation, RecognitionQuery,
    },
    config::{Environment, Settings},
    context::{AppContext, ContextExt},
    error::{AppError, AppResult},
    impact::graphql::{ImpactMutation, ImpactQuery},
    integration::graphql::{IntegrationMutation, IntegrationQuery},
};

// One member per domain area.
/// Everything that can be read.
#[derive(MergedObject, Default)]
pub struct Query(
    AccountQuery,
    BrandQuery,
    CommunityQuery,
    RecognitionQuery,
    ImpactQuery,
    IntegrationQuery,
    AuditQuery,
);

// One member per domain area.
/// Everything that can be changed.
#[derive(MergedObject, Default)]
pub struct Mutation(
    AccountMutation,
    BrandMutation,
    CommunityMutation,
    RecognitionMutation,
    ImpactMutation,
    IntegrationMutation,
);

/// The service's GraphQL schema.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Deepest nesting of input values and fragments.
pub const MAX_RECURSIVE_DEPTH: usize = 32;

/// Builds the schema with its shared data and the limits from the settings.
/// `Strict` validates each request in full; `Fast` keeps only the
/// complexity and depth limits, for requests known to have passed `Strict`.
pub fn build(app: AppContext, settings: &Settings, mode: ValidationMode) -> AppSchema {
    build_with_depth(app, settings, mode, settings.limits.depth)
}

/// How deep an introspection-only operation may nest: the stock clients'
/// introspection query (graphql-js `getIntrospectionQuery()`) needs 13.
pub const INTROSPECTION_DEPTH: usize = 16;

/// Where introspection is enabled, the schema that runs operations selecting
/// only introspection fields, with [`INTROSPECTION_DEPTH`] as depth limit
/// (every other limit as in [`build`]).
pub fn build_introspection(app: AppContext, settings: &Settings) -> Option<AppSchema> {
    settings.introspection_enabled().then(|| {
        let depth = settings.limits.depth.max(INTROSPECTION_DEPTH);
        build_with_depth(app, settings, ValidationMode::Strict, depth)
    })
}

fn build_with_depth(
    app: AppContext,
    settings: &Settings,
    mode: ValidationMode,
    depth: usize,
) -> AppSchema {
    let limits = &settings.limits;
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(app)
        .data(Resolved::new(settings))
        .validation_mode(mode)
        .limit_depth(depth)
        .limit_complexity(limits.complexity)
        .limit_directives(limits.directives)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH);
    if !settings.introspection_enabled() {
        builder = builder.disable_introspection();
    }
    if settings.environment == Environment::Production {
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// Adds what lives for one request only: its DataLoaders, each built on
/// first use (never shared between callers, so one caller's rows cannot be
/// served to another; most requests need none).
pub fn with_request_data(request: Request) -> Request {
    request.data(Loaders::default())
}

/// The DataLoader type every area uses.
pub type Loader<T> = DataLoader<T, async_graphql::dataloader::HashMapCache>;

/// A loader that can be built from the shared handles.
pub trait RequestLoader: Send + Sync + 'static {
    /// Builds the loader.
    fn new(app: &AppContext) -> Self;
}

/// The request's DataLoaders, by loader type.
#[derive(Default)]
pub struct Loaders(Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

/// The request's DataLoader of `T`, built on first use, with a per-request
/// cache (so list resolvers can prefetch a whole level in one statement and
/// feed it in).
pub fn loader<T: RequestLoader>(ctx: &Context<'_>) -> AppResult<Arc<Loader<T>>> {
    let missing = || AppError::Internal(anyhow::anyhow!("request executed without its loaders"));
    let app = ctx.app()?;
    let loaders = ctx.data::<Loaders>().map_err(|_| missing())?;
    let built = loaders
        .0
        .lock()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("request loaders poisoned")))?
        .entry(TypeId::of::<T>())
        .or_insert_with(|| {
            Arc::new(DataLoader::with_cache(
                T::new(app),
                tokio::spawn,
                async_graphql::dataloader::HashMapCache::default(),
            ))
        })
        .clone();
    built.downcast::<Loader<T>>().map_err(|_| missing())
}

/// The exact request (POST body or GET query string) being executed: with
/// it, the output of a [`Versioned`] value is resolved once per request shape.
pub struct RequestBytes(pub bytes::Bytes);

/// Resolved outputs of [`Versioned`] values: by the value's versioned cache
/// key, the exact request and the field's place in its document.
pub struct Resolved(moka::sync::Cache<(String, bytes::Bytes, Pos), Value, ahash::RandomState>);

impl Resolved {
    fn new(settings: &Settings) -> Self {
        Self(
            moka::sync::Cache::builder()
                .weigher(
                    |(key, request, _): &(String, bytes::Bytes, Pos), value: &Value| {
                        let output = serde_json::to_vec(value).map_or(0, |v| v.len());
                        u32::try_from(key.len() + request.len() + output).unwrap_or(u32::MAX)
                    },
                )
                .max_capacity(RESOLVED_BYTES)
                .time_to_live(std::time::Duration::from_secs(settings.cache.ttl_secs))
                .build_with_hasher(ahash::RandomState::new()),
        )
    }
}

/// Bytes of requests and outputs [`Resolved`] holds at most.
const RESOLVED_BYTES: u64 = 32 * 1024 * 1024;

/// A value read from the cache under a versioned key (one that changes
/// whenever the data behind it does, see [`crate::cache::Cache::get_versioned`]).
/// Its GraphQL output depends only on that key and on the request, so the
/// output resolved for one request is reused for the same request bytes:
/// a dashboard polling a cached report skips resolving the whole tree again.
/// The schema sees `T` itself.
pub struct Versioned<T> {
    value: Arc<T>,
    key: String,
    rekey: Option<Arc<dyn Rekey>>,
}

impl<T> Versioned<T> {
    /// Wraps `value`, read under the versioned cache key `key`.
    pub fn new(value: Arc<T>, key: &CacheKey) -> Self {
        Self {
            value,
            key: key.as_str().to_string(),
            rekey: None,
        }
    }

    /// Lets a response made only of such values be replayed (see
    /// [`ReplayRecord`]): `rekey` recomputes `key` for a later caller, with
    /// every check the resolver made on the way.
    pub fn replayable(mut self, rekey: impl Rekey) -> Self {
        self.rekey = Some(Arc::new(rekey));
        self
    }
}

impl<T: OutputType + Send + Sync> OutputType for Versioned<T> {
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
        if let (true, Some(rekey), Ok(record)) = (at_root, &self.rekey, ctx.data::<ReplayRecord>())
        {
            record.push(RootField {
                response_key: field.node.response_key().node.to_string(),
                key: self.key.clone(),
                rekey: rekey.clone(),
            });
        }
        let (Ok(resolved), Ok(request)) = (ctx.data::<Resolved>(), ctx.data::<RequestBytes>())
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
pub trait Rekey: Send + Sync + 'static {
    /// The field's key for `caller` now; an error means the field would fail.
    fn key<'a>(
        &'a self,
        app: &'a AppContext,
        caller: &'a Caller,
    ) -> BoxFuture<'a, AppResult<CacheKey>>;
}

/// A replayable root field met while a request ran.
#[derive(Clone)]
pub struct RootField {
    /// Its alias or name in the response.
    pub response_key: String,
    /// The versioned key its value was read under.
    pub key: String,
    /// How to recompute that key.
    pub rekey: Arc<dyn Rekey>,
}

/// The replayable root fields of one request, recorded as they resolve.
/// When every root field of a query is one (or `__typename`), the response
/// depends only on the request bytes and those keys, and the HTTP layer
/// keeps it to answer the same bytes again without executing.
/// Clones share one record, so the caller keeps one after handing another
/// to the request.
#[derive(Clone, Default)]
pub struct ReplayRecord(Arc<Mutex<Vec<RootField>>>);

impl ReplayRecord {
    fn push(&self, field: RootField) {
        if let Ok(mut fields) = self.0.lock() {
            fields.push(field);
        }
    }

    /// The recorded fields.
    pub fn fields(&self) -> Vec<RootField> {
        self.0.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
