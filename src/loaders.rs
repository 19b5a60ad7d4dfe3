//! Per-request DataLoaders: every relation field batches through one, built
//! on first use for the request at hand and never shared between callers,
//! so one caller's rows cannot be served to another.

use std::{
    any::{Any, TypeId},
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
};

use async_graphql::{dataloader::DataLoader, Context, Request};
use uuid::Uuid;

use crate::{
    auth::BrandScope,
    context::{AppContext, ContextExt},
    error::{AppError, AppResult},
};

/// Adds what lives for one request only: its DataLoaders, each built on
/// first use (never shared between callers, so one caller's rows cannot be
/// served to another; most requests need none).
pub fn attach(request: Request) -> Request {
    request.data(Loaders::default())
}

/// The DataLoader type every area uses.
pub type Loader<T> = DataLoader<T, async_graphql::dataloader::HashMapCache>;

/// A loader built from the shared handles and the caller's brand scope,
/// which every statement it runs applies: an id from another brand loads
/// nothing, whatever a resolver did before.
pub trait RequestLoader: Send + Sync + 'static {
    /// Builds the loader.
    fn new(app: &AppContext, scope: BrandScope) -> Self;
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
    let caller = ctx.caller()?;
    let scope = caller.read_scope().or_else(|_| caller.report_scope())?;
    let loaders = ctx.data::<Loaders>().map_err(|_| missing())?;
    let built = loaders
        .0
        .lock()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("request loaders poisoned")))?
        .entry(TypeId::of::<T>())
        .or_insert_with(|| {
            // No batching delay: requests execute on an actix worker's
            // single-threaded runtime, so the spawned load cannot start
            // before the executor has polled every sibling field and
            // registered its key; the default 1 ms only added latency to
            // each nested level.
            Arc::new(
                DataLoader::with_cache(
                    T::new(app, scope),
                    tokio::spawn,
                    async_graphql::dataloader::HashMapCache::default(),
                )
                .delay(std::time::Duration::ZERO),
            )
        })
        .clone();
    built.downcast::<Loader<T>>().map_err(|_| missing())
}

/// The error type every loader returns (DataLoaders need it cloneable).
pub type LoadError = Arc<AppError>;

/// Wraps an error for a loader.
pub fn load_error<E: Into<AppError>>(e: E) -> LoadError {
    Arc::new(e.into())
}

/// The field `name` directly below `field` in the selection.
pub fn child<'a>(
    field: async_graphql::SelectionField<'a>,
    name: &str,
) -> Option<async_graphql::SelectionField<'a>> {
    field.selection_set().find(|f| f.name() == name)
}

/// The `node` of a connection field's `edges`, and below it `name`: what a
/// list resolver reads to prefetch a nested level.
pub fn node_child<'a>(
    connection: async_graphql::SelectionField<'a>,
    name: &str,
) -> Option<async_graphql::SelectionField<'a>> {
    child(connection, "edges")
        .and_then(|e| child(e, "node"))
        .and_then(|n| child(n, name))
}

/// The literal `first` argument of a selected field, if given.
pub fn first_argument(field: async_graphql::SelectionField<'_>) -> AppResult<Option<i32>> {
    let args = field
        .arguments()
        .map_err(|e| AppError::bad_input("first", e.message))?;
    Ok(args
        .into_iter()
        .find(|(name, _)| name.as_str() == "first")
        .and_then(|(_, v)| match v {
            async_graphql::Value::Number(n) => n.as_i64(),
            _ => None,
        })
        .map(|n| i32::try_from(n).unwrap_or(i32::MAX)))
}

/// Groups keys `(parent, first)` by `first` and loads each group with `load`.
pub async fn by_first<M, F, Fut>(
    keys: &[(Uuid, u64)],
    parent: impl Fn(&M) -> Uuid,
    load: F,
) -> Result<HashMap<(Uuid, u64), Vec<M>>, LoadError>
where
    F: Fn(Vec<Uuid>, u64) -> Fut,
    Fut: std::future::Future<Output = AppResult<Vec<M>>>,
{
    let mut out = HashMap::new();
    for (first, parents) in group(keys.iter().map(|(p, f)| (*f, *p))) {
        // One more than asked, to know whether a next page exists.
        let rows = load(parents, first + 1).await.map_err(load_error)?;
        for (p, rows) in group(rows.into_iter().map(|r| (parent(&r), r))) {
            out.insert((p, first), rows);
        }
    }
    Ok(out)
}

/// Groups rows by key, keeping their order within each key.
pub fn group<K: Hash + Eq, V>(rows: impl IntoIterator<Item = (K, V)>) -> HashMap<K, Vec<V>> {
    let mut map: HashMap<K, Vec<V>> = HashMap::new();
    for (k, v) in rows {
        map.entry(k).or_default().push(v);
    }
    map
}

/// Declares loaders over the shared handles and the caller's brand scope,
/// built per request on first use.
macro_rules! request_loaders {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        pub struct $name(pub $crate::context::AppContext, pub $crate::auth::BrandScope);

        impl $crate::loaders::RequestLoader for $name {
            fn new(app: &$crate::context::AppContext, scope: $crate::auth::BrandScope) -> Self {
                Self(app.clone(), scope)
            }
        }
    )*};
}
pub(crate) use request_loaders;
