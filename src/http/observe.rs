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

/// Distinct operation names that become metrics labels, at most.
pub const MAX_OPERATION_LABELS: usize = 200;

/// The bounded set of operation labels: the operation names signed-in
/// callers send, up to [`MAX_OPERATION_LABELS`] of them; any further name is
/// `other`, and anonymous callers' operations are `anonymous`. So no caller
/// can grow the metrics without bound.
#[derive(Default)]
pub struct OperationLabels(std::sync::RwLock<std::collections::HashSet<String>>);

impl OperationLabels {
    /// The label for an operation named `name`, sent by a signed-in caller
    /// (`signed_in`) or not.
    pub fn label(&self, name: Option<&str>, signed_in: bool) -> String {
        let Some(name) = name.filter(|n| {
            signed_in
                && !n.is_empty()
                && n.len() <= 64
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        }) else {
            return "anonymous".to_string();
        };
        if let Ok(known) = self.0.read() {
            if known.contains(name) {
                return name.to_string();
            }
        }
        match self.0.write() {
            Ok(mut known) if known.len() < MAX_OPERATION_LABELS => {
                known.insert(name.to_string());
                name.to_string()
            }
            Ok(known) if known.contains(name) => name.to_string(),
            _ => "other".to_string(),
        }
    }
}

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
