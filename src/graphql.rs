//! The schema: merges each area's queries and mutations, and sets the limits.

use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::{
    brand::graphql::{BrandMutation, BrandQuery},
    config::{Environment, Settings},
    context::AppContext,
};

// One member per domain area.
/// Everything that can be read.
#[derive(MergedObject, Default)]
pub struct Query(BrandQuery);

// One member per domain area.
/// Everything that can be changed.
#[derive(MergedObject, Default)]
pub struct Mutation(BrandMutation);

/// The service's GraphQL schema.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Deepest selection accepted.
pub const MAX_DEPTH: usize = 10;
/// Largest complexity (one per field, lists weighted by their page size).
pub const MAX_COMPLEXITY: usize = 5000;
/// Most directives on one field.
pub const MAX_DIRECTIVES: usize = 50;
/// Deepest nesting of input values and fragments.
pub const MAX_RECURSIVE_DEPTH: usize = 32;

/// Builds the schema with its shared data and limits.
pub fn build(app: AppContext, settings: &Settings) -> AppSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(app)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_directives(MAX_DIRECTIVES)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH);
    if !settings.introspection_enabled() {
        builder = builder.disable_introspection();
    }
    if settings.environment == Environment::Production {
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
