//! The schema: merges each area's queries and mutations, and sets the limits.

use async_graphql::{dataloader::DataLoader, EmptySubscription, MergedObject, Request, Schema};

use crate::{
    account::graphql::{AccountMutation, AccountQuery, AssignmentLoader},
    audit::graphql::AuditQuery,
    brand::graphql::{BrandMutation, BrandQuery},
    community::graphql::{
        self as community, CommunityMutation, CommunityQuery, RecognitionMutation, RecognitionQuery,
    },
    config::{Environment, Settings},
    context::AppContext,
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
pub fn build(app: AppContext, settings: &Settings) -> AppSchema {
    let limits = &settings.limits;
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(app)
        .limit_depth(limits.depth)
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

/// Adds what lives for one request only: the DataLoaders (never shared
/// between callers, so one caller's rows cannot be served to another).
pub fn with_request_data(request: Request, app: &AppContext) -> Request {
    let request = request.data(loader(AssignmentLoader(app.db.clone())));
    community::loaders(request, app)
}

/// The DataLoader type every area uses.
pub type Loader<T> = DataLoader<T, async_graphql::dataloader::HashMapCache>;

/// A per-request DataLoader with a per-request cache (so list resolvers can
/// prefetch a whole level in one statement and feed it in).
pub fn loader<T: Send + Sync + 'static>(inner: T) -> Loader<T> {
    DataLoader::with_cache(
        inner,
        tokio::spawn,
        async_graphql::dataloader::HashMapCache::default(),
    )
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
