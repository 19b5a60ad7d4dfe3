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
    ingest::ReadRows,
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

/// How to read the rows of an ingest mutation's batch (`input.rows`)
/// straight from JSON, by the mutation's field name; see
/// [`crate::ingest::ReadRows`]. Every mutation whose input has `rows` is
/// listed (a test checks it against the schema).
pub fn rows_reader(field: &str) -> Option<fn(&str) -> Option<ReadRows>> {
    Some(match field {
        "ingestActivities" => ReadRows::read::<crate::activity::service::ActivityRowInput>,
        "ingestFindings" => ReadRows::read::<crate::finding::service::FindingRowInput>,
        "ingestContentMetrics" => {
            ReadRows::read::<crate::publishing::results::ContentMetricRowInput>
        }
        "ingestTrainingStatements" => {
            ReadRows::read::<crate::training_result::service::TrainingStatementRow>
        }
        "ingestCustomers" => ReadRows::read::<crate::commerce::service::CustomerRowInput>,
        "ingestOrders" => ReadRows::read::<crate::commerce::service::OrderRowInput>,
        "ingestSurveyResponses" => ReadRows::read::<crate::commerce::service::SurveyRowInput>,
        _ => return None,
    })
}

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

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use async_graphql::{EnumType, InputType};
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;

    use super::rows_reader;

    /// `rows`, read by `field`'s reader and by the GraphQL input type,
    /// give the same rows.
    fn read_alike<T: InputType + Debug + Send + 'static>(field: &str, rows: &str) {
        let read = rows_reader(field).unwrap()(rows)
            .unwrap_or_else(|| panic!("{field}: {rows}"))
            .take::<T>()
            .unwrap();
        let value: async_graphql::Value = serde_json::from_str(rows).unwrap();
        let parsed = <Vec<T> as InputType>::parse(Some(value)).unwrap();
        assert_eq!(format!("{read:?}"), format!("{parsed:?}"), "{field}");
    }

    #[test]
    fn every_reader_reads_rows_as_the_graphql_input_type_does() {
        use crate::{activity, commerce, finding, publishing, training_result};
        // Every field set, then only the required ones (the others absent or null).
        read_alike::<activity::service::ActivityRowInput>(
            "ingestActivities",
            r#"[{"sourceKey":"k1","externalId":"u1","platform":"MIGHTY_NETWORKS","handle":"h",
                 "kind":"message","occurredAt":"2026-01-02T03:04:05.123+02:00","channelExternalId":"c",
                 "isReply":true,"properties":{"a":[1,2.5,"x",null,{"b":false}]},"contentItemId":"i1"},
                {"sourceKey":"k2","externalId":"u2","kind":"reaction","occurredAt":"2026-01-02T03:04:05Z",
                 "platform":null,"properties":null}]"#,
        );
        read_alike::<finding::service::FindingRowInput>(
            "ingestFindings",
            r#"[{"externalId":"f1","source":"INTERVIEW","platform":"REDDIT","text":"t","url":"https://x",
                 "collectedAt":"2026-01-02T03:04:05Z","sentiment":-0.5,"weight":2,"tags":["a","b"]},
                {"externalId":"f2","source":"SURVEY","text":"t","collectedAt":"2026-01-02T03:04:05Z"}]"#,
        );
        read_alike::<publishing::results::ContentMetricRowInput>(
            "ingestContentMetrics",
            r#"[{"itemId":"i1","metric":"VOTES","option":"A","observedAt":"2026-01-02T03:04:05Z","value":3},
                {"itemId":"i2","metric":"REVENUE","observedAt":"2026-01-02T03:04:05Z","value":12.75}]"#,
        );
        read_alike::<training_result::service::TrainingStatementRow>(
            "ingestTrainingStatements",
            r#"[{"statementId":"s1","actorEmail":"a@b.c","verb":"PASSED","moduleId":"m1","activityId":"x",
                 "scoreScaled":0.9,"success":true,"completion":false,"duration":"PT1H","timestamp":"2026-01-02T03:04:05Z"},
                {"statementId":"s2","actorEmail":"a@b.c","verb":"COMPLETED","timestamp":"2026-01-02T03:04:05Z"}]"#,
        );
        read_alike::<commerce::service::CustomerRowInput>(
            "ingestCustomers",
            r#"[{"externalRef":"c1","memberPlatform":"DISCORD","memberExternalId":"u1"},{"externalRef":"c2"}]"#,
        );
        read_alike::<commerce::service::OrderRowInput>(
            "ingestOrders",
            r#"[{"externalId":"o1","customerRef":"c1","orderedAt":"2026-01-02T03:04:05Z","amount":"9.90",
                 "currency":"EUR","itemCount":3,"offerCode":"X"},
                {"externalId":"o2","customerRef":"c1","orderedAt":"2026-01-02T03:04:05Z","amount":"1","currency":"EUR"}]"#,
        );
        read_alike::<commerce::service::SurveyRowInput>(
            "ingestSurveyResponses",
            r#"[{"externalId":"s1","kind":"CSAT","score":4,"comment":"ok","customerRef":"c1","memberPlatform":"SLACK",
                 "memberExternalId":"u1","respondedAt":"2026-01-02T03:04:05Z"},
                {"externalId":"s2","kind":"NPS","score":9,"respondedAt":"2026-01-02T03:04:05Z"}]"#,
        );
    }

    /// Every value of `T` reads from its GraphQL name.
    fn names_read_alike<T: EnumType + DeserializeOwned + Debug>() {
        for item in T::items() {
            let read: T = serde_json::from_str(&format!("\"{}\"", item.name)).unwrap();
            assert!(read == item.value, "{} read as {read:?}", item.name);
        }
    }

    #[test]
    fn every_enum_in_a_row_reads_from_its_graphql_name() {
        names_read_alike::<crate::community::service::Platform>();
        names_read_alike::<crate::research::service::FindingSource>();
        names_read_alike::<crate::research::service::GatheringPlatform>();
        names_read_alike::<crate::campaign::service::ContentMetric>();
        names_read_alike::<crate::training_result::service::TrainingVerb>();
        names_read_alike::<crate::commerce::service::SurveyKind>();
    }

    #[test]
    fn what_graphql_would_refuse_or_read_otherwise_is_not_read() {
        let orders = rows_reader("ingestOrders").unwrap();
        let row = r#"{"externalId":"o1","customerRef":"c1","orderedAt":"2026-01-02T03:04:05Z","amount":"9.90","currency":"EUR"}"#;
        for rows in [
            row.to_string(),
            format!("[{}]", row.replace("\"9.90\"", "9.9")),
            format!("[{}]", row.replace("\"EUR\"", "\"EUR\",\"x\":1")),
            format!("[{}]", row.replace(",\"currency\":\"EUR\"", "")),
            format!("[{}]", row.replace("\"o1\"", "null")),
            format!("[{}]", row.replace("2026-01-02T03:04:05Z", "yesterday")),
        ] {
            assert!(orders(&rows).is_none(), "{rows}");
        }
        let surveys = rows_reader("ingestSurveyResponses").unwrap();
        let row =
            r#"{"externalId":"s","kind":"NPS","score":9,"respondedAt":"2026-01-02T03:04:05Z"}"#;
        for rows in [
            row.replace("NPS", "nps"),
            row.replace("9", "9.5"),
            row.replace("9", "3000000000"),
        ] {
            assert!(surveys(&format!("[{rows}]")).is_none(), "{rows}");
        }
        assert!(rows_reader("createBrand").is_none());
    }

    #[test]
    fn every_mutation_taking_a_batch_of_rows_has_a_reader() {
        use async_graphql::parser::{
            parse_schema,
            types::{BaseType, TypeKind, TypeSystemDefinition},
        };
        let doc = parse_schema(super::sdl()).unwrap();
        let types: std::collections::HashMap<String, &TypeKind> = doc
            .definitions
            .iter()
            .filter_map(|d| match d {
                TypeSystemDefinition::Type(t) => Some((t.node.name.node.to_string(), &t.node.kind)),
                _ => None,
            })
            .collect();
        let TypeKind::Object(mutation) = types["Mutation"] else {
            panic!("Mutation is an object type")
        };
        let mut batches = 0;
        for field in &mutation.fields {
            let takes_rows = field.node.arguments.iter().any(|arg| {
                let BaseType::Named(ty) = &arg.node.ty.node.base else {
                    return false;
                };
                arg.node.name.node == "input"
                    && matches!(types.get(ty.as_str()), Some(TypeKind::InputObject(o))
                        if o.fields.iter().any(|f| f.node.name.node == "rows"))
            });
            let name = field.node.name.node.as_str();
            assert_eq!(takes_rows, rows_reader(name).is_some(), "{name}");
            batches += usize::from(takes_rows);
        }
        assert_eq!(batches, 7, "the seven ingest mutations");
    }
}
