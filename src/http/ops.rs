//! Operational endpoints: liveness, readiness, metrics and GraphiQL.

use std::{sync::atomic::Ordering, time::Duration};

use actix_web::{http::header, web, HttpResponse};
use async_graphql::http::GraphiQLSource;
use prometheus::{Encoder, TextEncoder};
use serde_json::json;

use super::AppState;
use crate::db;

/// `GET /healthz`: the process answers; never touches the database.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 when the database answers; 503 (with `Retry-After`)
/// when it does not or while shutting down. Redis is reported but, being a
/// cache, does not make the service unready.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.shutting_down.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "5"))
            .json(json!({ "status": "shutting_down" }));
    }
    let database_up = matches!(
        tokio::time::timeout(Duration::from_secs(2), state.app.db.pool().ping()).await,
        Ok(Ok(()))
    );
    let cache = state.app.cache.ping().await;
    let body = json!({
        "status": if database_up { "ready" } else { "unavailable" },
        "database": if database_up { "up" } else { "down" },
        "cache": { "kind": state.app.cache.kind(), "status": if cache.is_ok() { "up" } else { "down" } },
    });
    if database_up {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "5"))
            .json(body)
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    db::record_pool(&state.app.db, db::Pool::Main, &state.metrics);
    db::record_pool(&state.app.reports_db, db::Pool::Reports, &state.metrics);
    let live = &state.metrics.live;
    let open = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    live.with_label_values(&["connections"])
        .set(open(state.live_connections.open()));
    live.with_label_values(&["subscriptions"])
        .set(open(state.app.live.receivers()));
    let mut buf = Vec::new();
    let encoder = TextEncoder::new();
    if encoder
        .encode(&state.metrics.registry.gather(), &mut buf)
        .is_err()
    {
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(buf)
}

/// `GET /graphiql`: the GraphiQL IDE (404 when turned off).
pub async fn graphiql(state: web::Data<AppState>) -> HttpResponse {
    if !state.settings.graphiql_enabled() {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("Hearth GraphQL")
                .finish(),
        )
}
