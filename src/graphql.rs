//! The schema: merges each area's queries and mutations, and sets the limits.

use async_graphql::{MergedObject, MergedSubscription, Schema, ValidationMode};

use crate::{
    account::graphql::{AccountMutation, AccountQuery},
    activity::graphql::{ActivityMutation, ActivityQuery},
    audit::graphql::AuditQuery,
    brand::graphql::{BrandMutation, BrandQuery},
    campaign::graphql::{CampaignMutation, CampaignQuery},
    certification::graphql::{CertificationMutation, CertificationQuery},
    commerce::graphql::CommerceMutation,
    community::graphql::{CommunityMutation, CommunityQuery},
    config::{Environment, Settings},
    content::graphql::{ContentMutation, ContentQuery},
    context::AppContext,
    engagement::graphql::EngagementQuery,
    feedback::graphql::{FeedbackMutation, FeedbackQuery},
    finding::graphql::{FindingMutation, FindingQuery},
    insight::graphql::InsightQuery,
    integration::graphql::{IntegrationMutation, IntegrationQuery},
    live::graphql::LiveSubscription,
    member::graphql::{MemberMutation, MemberQuery},
    node::NodeQuery,
    publishing::graphql::{PublishingMutation, PublishingQuery},
    recognition::graphql::{RecognitionMutation, RecognitionQuery},
    report_page::graphql::{ReportPageMutation, ReportPageQuery},
    reporting::graphql::{ImpactMutation, ImpactQuery},
    research::graphql::{ResearchMutation, ResearchQuery},
    response_cache::OutputCache,
    schedule::graphql::{ScheduleMutation, ScheduleQuery},
    trainee::graphql::{TraineeMutation, TraineeQuery},
    training::graphql::{TrainingMutation, TrainingQuery},
    training_result::graphql::{TrainingResultMutation, TrainingResultQuery},
    webhook::graphql::{WebhookMutation, WebhookQuery},
};

// One member per domain area.
/// Everything that can be read.
#[derive(MergedObject, Default)]
pub struct Query(
    AccountQuery,
    BrandQuery,
    ResearchQuery,
    FindingQuery,
    InsightQuery,
    CommunityQuery,
    CampaignQuery,
    ContentQuery,
    ScheduleQuery,
    PublishingQuery,
    TrainingQuery,
    TraineeQuery,
    TrainingResultQuery,
    CertificationQuery,
    MemberQuery,
    EngagementQuery,
    ActivityQuery,
    RecognitionQuery,
    FeedbackQuery,
    ImpactQuery,
    ReportPageQuery,
    IntegrationQuery,
    AuditQuery,
    WebhookQuery,
    NodeQuery,
);

// One member per domain area.
/// Everything that can be changed.
#[derive(MergedObject, Default)]
pub struct Mutation(
    AccountMutation,
    BrandMutation,
    ResearchMutation,
    FindingMutation,
    CommunityMutation,
    CampaignMutation,
    ContentMutation,
    ScheduleMutation,
    PublishingMutation,
    TrainingMutation,
    TraineeMutation,
    TrainingResultMutation,
    CertificationMutation,
    MemberMutation,
    ActivityMutation,
    RecognitionMutation,
    FeedbackMutation,
    CommerceMutation,
    ImpactMutation,
    ReportPageMutation,
    IntegrationMutation,
    WebhookMutation,
);

// One member per area with live updates.
/// Everything that can be followed live (over WebSocket).
#[derive(MergedSubscription, Default)]
pub struct Subscription(LiveSubscription);

/// The service's GraphQL schema.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

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
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .data(app)
    .data(OutputCache::new(settings))
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

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl()
}
