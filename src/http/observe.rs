//! Per-request middleware: assigns the request id (or keeps a sane incoming
//! `X-Request-Id`), returns it in the response header, writes one log line
//! per request with its operation name and duration, and counts it.

use std::time::Instant;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    web, HttpMessage,
};
use tracing::Instrument;
use uuid::Uuid;

use super::AppState;

/// Response and request header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request id, stored in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The GraphQL operation label, set by the GraphQL handler for the log line.
#[derive(Debug, Clone)]
pub struct OperationLabel(pub String);

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let sane = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    sane.then(|| value.to_string())
}

/// The middleware; see the module documentation.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = incoming_id(&req).unwrap_or_else(|| Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let method = req.method().to_string();
    let path = req.path().to_string();
    let span = tracing::info_span!("request", request_id = %id);
    let start = Instant::now();
    let mut res = next.call(req).instrument(span).await?;
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    let operation = res
        .request()
        .extensions()
        .get::<OperationLabel>()
        .map(|o| o.0.clone())
        .or_else(|| res.request().match_pattern())
        .unwrap_or_else(|| "unmatched".to_string());
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    if let Some(metrics) = metrics {
        metrics
            .requests
            .with_label_values(&[operation.as_str(), &status.to_string()])
            .inc();
        metrics
            .latency
            .with_label_values(&[operation.as_str()])
            .observe(elapsed.as_secs_f64());
    }
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %path,
        status,
        operation = %operation,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    Ok(res)
}
