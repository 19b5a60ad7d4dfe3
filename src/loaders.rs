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

/// The per-request cache of every loader: keyed by ids, hashed with a
/// randomly seeded fast hasher rather than SipHash (a nested page looks up
/// every row of every level in it).
type Cache = async_graphql::dataloader::HashMapCache<ahash::RandomState>;

/// The DataLoader type every area uses.
pub type Loader<T> = DataLoader<T, Cache>;

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
                DataLoader::with_cache(T::new(app, scope), tokio::spawn, Cache::new())
                    .delay(std::time::Duration::ZERO),
            )
        })
        .clone();
    built.downcast::<Loader<T>>().map_err(|_| missing())
}

/// A relation listed as a nested connection: the table of its rows and the
/// column naming each row's parent (rows carry their brand as `brand_id`).
pub trait ChildRows: Send + Sync + 'static {
    /// Table of the rows.
    const TABLE: &'static str;
    /// Column naming each row's parent.
    const PARENT: &'static str;
}

/// Counts `R`'s rows per parent in the caller's scope.
pub struct CountLoader<R>(AppContext, BrandScope, std::marker::PhantomData<R>);

impl<R: ChildRows> RequestLoader for CountLoader<R> {
    fn new(app: &AppContext, scope: BrandScope) -> Self {
        Self(app.clone(), scope, std::marker::PhantomData)
    }
}

impl<R: ChildRows> async_graphql::dataloader::Loader<Uuid> for CountLoader<R> {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, u64>, LoadError> {
        crate::db::count_per_parent(&self.0.db, R::TABLE, R::PARENT, &self.1, keys)
            .await
            .map_err(load_error)
    }
}

/// Counts `R`'s rows for every parent of a list page in one statement when
/// the nested connection `field` (below each node) selects `totalCount`,
/// and feeds them to the request's count loader: the nested resolvers then
/// read them from its cache, however the executor interleaves them.
pub async fn prefetch_totals<R: ChildRows>(
    ctx: &Context<'_>,
    field: &str,
    parents: &[Uuid],
) -> AppResult<()> {
    let wanted = node_child(ctx.field(), field).is_some_and(|f| child(f, "totalCount").is_some());
    if !wanted || parents.is_empty() {
        return Ok(());
    }
    let app = ctx.app()?;
    let caller = ctx.caller()?;
    let scope = caller.read_scope().or_else(|_| caller.report_scope())?;
    let counts = crate::db::count_per_parent(&app.db, R::TABLE, R::PARENT, &scope, parents).await?;
    loader::<CountLoader<R>>(ctx)?
        .feed_many(
            parents
                .iter()
                .map(|p| (*p, counts.get(p).copied().unwrap_or(0))),
        )
        .await;
    Ok(())
}

/// A nested connection's `totalCount` when the client selected it, else
/// `None`: from what the list resolver prefetched, else batched over the
/// parents waiting at the time.
pub async fn total_of<R: ChildRows>(
    ctx: &Context<'_>,
    parent: Uuid,
) -> async_graphql::Result<Option<u64>> {
    if !ctx.wants_total() {
        return Ok(None);
    }
    let n = loader::<CountLoader<R>>(ctx)?.load_one(parent).await?;
    Ok(Some(n.unwrap_or(0)))
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
