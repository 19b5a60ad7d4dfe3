//! HTTP surface: routes, the GraphQL endpoint, operational endpoints and the
//! per-request middleware (request id, log line, metrics).

pub mod graphql;
pub mod limits;
pub mod observe;
pub mod ops;
pub mod replay;
pub mod variables;

use std::sync::{atomic::AtomicBool, Arc};

use actix_web::{http::header, web, HttpResponse};
use async_graphql::parser::types::ExecutableDocument;

use crate::{config::Settings, context::AppContext, graphql::AppSchema, telemetry::Metrics};

/// State shared by every handler.
pub struct AppState {
    /// The GraphQL schema, validating every request in full.
    pub schema: AppSchema,
    /// The same schema for requests whose exact bytes passed full validation
    /// before: it keeps only the complexity and depth checks.
    pub schema_validated: AppSchema,
    /// Where introspection is enabled, the schema for operations that
    /// select only introspection: the stock clients' introspection query
    /// nests deeper than ordinary queries may.
    pub schema_introspection: Option<AppSchema>,
    /// Database and cache.
    pub app: AppContext,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Settings in force.
    pub settings: Arc<Settings>,
    /// Set on SIGTERM: readiness answers 503 from then on.
    pub shutting_down: Arc<AtomicBool>,
    /// Parsed documents that passed the document limits, by their text:
    /// clients send the same few queries.
    pub documents: moka::sync::Cache<String, Arc<ExecutableDocument>, ahash::RandomState>,
    /// Requests (document, operation name and variables, as sent) that passed
    /// full validation: dashboards repeat the same few requests.
    pub validated: moka::sync::Cache<web::Bytes, (), ahash::RandomState>,
    /// Responses kept to answer the same request again (see [`replay`]).
    pub replays: replay::KeptResponses,
    /// The operation names used as metrics labels (bounded).
    pub labels: observe::OperationLabels,
    /// Registered persisted queries and the allow-list.
    pub persisted: crate::persisted_queries::Persisted,
    /// Open WebSocket connections per caller.
    pub live_connections: crate::live::ws::Connections,
    /// Woken on SIGTERM, with `shutting_down` set: open WebSocket
    /// connections close (1012) so that clients reconnect elsewhere.
    pub shutdown: Arc<tokio::sync::Notify>,
}

/// Bytes of text each of the two request caches holds at most. Both hash
/// whole requests on every call, hence a fast keyed hasher.
const REQUEST_CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// The largest request remembered as validated. Larger ones are batches of
/// rows, never sent again byte for byte: remembering four 10,000-row
/// batches would hold 6 MiB of bodies that no request reads again, and push
/// out the small pages that are repeated.
pub const VALIDATED_MAX_BYTES: usize = 64 * 1024;

/// A cache of parsed GraphQL documents, bounded by total text size.
pub fn document_cache() -> moka::sync::Cache<String, Arc<ExecutableDocument>, ahash::RandomState> {
    moka::sync::Cache::builder()
        .weigher(|query: &String, _| u32::try_from(query.len()).unwrap_or(u32::MAX))
        .max_capacity(REQUEST_CACHE_BYTES)
        .build_with_hasher(ahash::RandomState::new())
}

/// A set of validated requests, bounded by total size.
pub fn validated_cache() -> moka::sync::Cache<web::Bytes, (), ahash::RandomState> {
    moka::sync::Cache::builder()
        .weigher(|request: &web::Bytes, _| u32::try_from(request.len()).unwrap_or(u32::MAX))
        .max_capacity(REQUEST_CACHE_BYTES)
        .build_with_hasher(ahash::RandomState::new())
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/graphql")
            .route(
                web::get()
                    .guard(actix_web::guard::fn_guard(crate::live::ws::is_upgrade))
                    .to(crate::live::ws::socket),
            )
            .route(web::get().to(graphql::get))
            .route(web::post().to(graphql::post))
            .default_service(web::to(|| async {
                HttpResponse::MethodNotAllowed()
                    .insert_header((header::ALLOW, "GET, POST"))
                    .finish()
            })),
    )
    .route("/graphiql", web::get().to(ops::graphiql))
    .route(
        "/reports/{snapshot}",
        web::get().to(crate::report_page::http::page),
    )
    .route("/healthz", web::get().to(ops::healthz))
    .route("/readyz", web::get().to(ops::readyz))
    .route("/metrics", web::get().to(ops::metrics));
}
