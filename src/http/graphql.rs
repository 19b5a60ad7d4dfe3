//! The GraphQL endpoint, written against the GraphQL-over-HTTP spec.
//!
//! The body is read here with a hard limit before anything is buffered
//! beyond it, JSON batches are refused, mutations over GET answer 405, and
//! the status code follows the requested media type. Errors leave with a
//! stable `extensions.code`; internal ones are logged with the request id and
//! reach the client only as that id.

use actix_web::{
    http::{header, StatusCode},
    web, HttpMessage, HttpRequest, HttpResponse,
};
use async_graphql::{
    parser::{
        parse_query,
        types::{DocumentOperations, ExecutableDocument, OperationDefinition, OperationType},
    },
    ErrorExtensionValues, Response, ServerError, Value,
};
use std::sync::Arc;

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::{
    limits::{
        argument_of_variable, count_aliases, count_tokens, introspection_only, nul_in_document,
        nul_in_variables,
    },
    observe::{OperationLabel, RequestId},
    replay::{self, ReplayKey},
    variables::{RawVariables, SentVariables},
    AppState,
};
use crate::{
    auth::{
        session::{self, Refusal},
        Caller, Principal,
    },
    cache::versions::{Subject, VersionsRead},
    error::{code, AppError},
    response_cache,
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// Which response media type the client asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `application/json`: errors travel with 200.
    Json,
    /// `application/graphql-response+json`: 4xx for request errors.
    GraphqlResponse,
}

impl Format {
    fn from_request(req: &HttpRequest) -> Self {
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accept.contains(GRAPHQL_RESPONSE_JSON) {
            Self::GraphqlResponse
        } else {
            Self::Json
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::GraphqlResponse => GRAPHQL_RESPONSE_JSON,
        }
    }
}

/// The JSON body of a POST.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    query: Option<String>,
    operation_name: Option<String>,
    /// Kept as sent until the operation is known: an ingest batch's rows
    /// may then be read straight into their input type (see [`crate::ingest::from_json`]), and
    /// everything else is read once, into GraphQL values.
    #[serde(default)]
    variables: SentVariables,
    /// `persistedQuery` (see [`crate::persisted_queries`]).
    extensions: Option<serde_json::Value>,
}

/// The query string of a GET.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

pub(crate) fn request_id(req: &HttpRequest) -> String {
    req.extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// An error answered before execution, with its own status.
fn request_error(status: StatusCode, code: &str, message: &str, format: Format) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(format.content_type())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

/// `BAD_USER_INPUT` for a string input holding a NUL character, which no
/// store accepts, naming the argument or variable.
fn nul_refused(field: &str, format: Format) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type(format.content_type())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "errors": [{
            "message": format!("{field} must not contain a NUL character"),
            "extensions": { "code": code::BAD_USER_INPUT, "field": field }
        }] }))
}

/// [`request_error`], boxed for `Result`s.
fn boxed_error(status: StatusCode, code: &str, message: &str, format: Format) -> Box<HttpResponse> {
    Box::new(request_error(status, code, message, format))
}

/// 401 with `WWW-Authenticate`, for a presented token that does not pass.
fn unauthorized(format: Format) -> HttpResponse {
    HttpResponse::Unauthorized()
        .content_type(format.content_type())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""))
        .json(json!({ "errors": [{
            "message": "the token is invalid, expired or revoked",
            "extensions": { "code": code::UNAUTHENTICATED }
        }] }))
}

/// 429 with `Retry-After`.
fn rate_limited(retry_after_secs: u64, format: Format) -> HttpResponse {
    HttpResponse::TooManyRequests()
        .content_type(format.content_type())
        .insert_header((header::RETRY_AFTER, retry_after_secs.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "errors": [{
            "message": format!("too many requests; retry in {retry_after_secs} s"),
            "extensions": { "code": code::RATE_LIMITED, "retryAfter": retry_after_secs }
        }] }))
}

/// Reads the bearer token, if any, and admits its caller. No header:
/// anonymous. A token that fails any check, or whose user, session or
/// integration no longer stands: 401. Admission also counts the request
/// against the caller's rate limit (429), in the same cache round trip that
/// reads the caller's access version.
async fn authenticate(
    req: &HttpRequest,
    state: &AppState,
    format: Format,
    also: &[Subject],
) -> Result<(Principal, VersionsRead), HttpResponse> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok((Principal::Anonymous, VersionsRead::default()));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized(format))?;
    let verified = state.app.tokens.verify(token).map_err(|e| {
        tracing::info!(reason = %e, "token refused");
        unauthorized(format)
    })?;
    match session::admit_reading(&state.app, verified, also).await {
        Ok(admitted) => Ok(admitted),
        Err(Refusal::Token(why)) => {
            tracing::info!(reason = why, "token no longer stands");
            Err(unauthorized(format))
        }
        Err(Refusal::App(AppError::RateLimited { retry_after_secs })) => {
            Err(rate_limited(retry_after_secs, format))
        }
        Err(Refusal::App(AppError::Unavailable)) => Err(HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "5"))
            .content_type(format.content_type())
            .json(json!({ "errors": [{
                "message": AppError::Unavailable.to_string(),
                "extensions": { "code": code::SERVICE_UNAVAILABLE }
            }] }))),
        Err(Refusal::App(e)) => {
            tracing::error!(request_id = %request_id(req), error = ?e, "admitting a caller failed");
            Err(HttpResponse::InternalServerError()
                .content_type(format.content_type())
                .json(json!({ "errors": [{
                    "message": "internal error",
                    "extensions": { "code": code::INTERNAL, "requestId": request_id(req) }
                }] })))
        }
    }
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop when
/// the settings say a trusted proxy sets it.
pub(crate) fn client_ip(req: &HttpRequest, state: &AppState) -> String {
    if state.settings.rate_limit.trust_forwarded_for {
        if let Some(first) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
        {
            let first = first.trim();
            if first.parse::<std::net::IpAddr>().is_ok() {
                return first.to_string();
            }
        }
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// `POST /graphql`.
pub async fn post(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let format = Format::from_request(&req);
    let mime = req.mime_type().ok().flatten();
    let essence = mime.as_ref().map(|m| m.essence_str().to_ascii_lowercase());
    if !matches!(
        essence.as_deref(),
        Some("application/json") | Some(GRAPHQL_RESPONSE_JSON)
    ) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::BAD_USER_INPUT,
            "send the request as application/json",
            format,
        );
    }
    let limit = state.settings.server.body_limit_bytes;
    let deadline = std::time::Duration::from_millis(state.settings.server.body_timeout_ms);
    let read = tokio::time::timeout(deadline, read_limited(&req, payload, limit)).await;
    let Ok(read) = read else {
        return request_error(
            StatusCode::REQUEST_TIMEOUT,
            code::TIMEOUT,
            "the request body did not arrive in time",
            format,
        );
    };
    let body = match read {
        Ok(b) => b,
        Err(status) if status == StatusCode::PAYLOAD_TOO_LARGE => {
            return request_error(
                status,
                code::PAYLOAD_TOO_LARGE,
                &format!("the request body is over the {limit}-byte limit"),
                format,
            )
        }
        Err(status) => {
            return request_error(
                status,
                code::BAD_USER_INPUT,
                "the request body could not be read",
                format,
            )
        }
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return request_error(
            StatusCode::BAD_REQUEST,
            code::BAD_USER_INPUT,
            "batched requests are not accepted; send one operation per request",
            format,
        );
    }
    let body = body.freeze();
    let parse = || {
        serde_json::from_slice::<Body>(&body).map_err(|_| {
            boxed_error(
                StatusCode::BAD_REQUEST,
                code::BAD_USER_INPUT,
                "the body must be a JSON object with a \"query\" string",
                format,
            )
        })
    };
    run(&req, &state, (false, body.clone()), format, parse).await
}

/// `GET /graphql?query=...`: queries only.
pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let format = Format::from_request(&req);
    let key = web::Bytes::copy_from_slice(req.query_string().as_bytes());
    let parse = || {
        let params = web::Query::<GetParams>::from_query(req.query_string())
            .map_err(|_| {
                boxed_error(
                    StatusCode::BAD_REQUEST,
                    code::BAD_USER_INPUT,
                    "the query string could not be read",
                    format,
                )
            })?
            .into_inner();
        let variables =
            json_param(params.variables.as_deref(), "variables", format)?.unwrap_or_default();
        let extensions = json_param(params.extensions.as_deref(), "extensions", format)?;
        Ok(Body {
            query: params.query,
            operation_name: params.operation_name,
            variables,
            extensions,
        })
    };
    run(&req, &state, (true, key), format, parse).await
}

/// A JSON-valued query parameter, or the answer naming it.
fn json_param<T: serde::de::DeserializeOwned>(
    value: Option<&str>,
    what: &str,
    format: Format,
) -> Result<Option<T>, Box<HttpResponse>> {
    value
        .map(serde_json::from_str::<T>)
        .transpose()
        .map_err(|_| {
            boxed_error(
                StatusCode::BAD_REQUEST,
                code::BAD_USER_INPUT,
                &format!("{what} must be a JSON object"),
                format,
            )
        })
}

/// Answers a request: replayed when a kept response for the same bytes
/// still stands for this caller, else parsed with `parse` and executed.
/// A kept response means the bytes parsed before, so checking the caller
/// first changes no answer.
async fn run(
    req: &HttpRequest,
    state: &AppState,
    key: ReplayKey,
    format: Format,
    parse: impl FnOnce() -> Result<Body, Box<HttpResponse>>,
) -> HttpResponse {
    let mut admitted = None;
    if let Some(replay) = state.replays.get(&key) {
        // The versions the replay checks are read with the admission.
        let (caller, read) = match caller_reading(req, state, format, &replay.subjects()).await {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        let valid = tokio::time::timeout(
            state.settings.request_timeout(),
            replay.still_valid_for(&state.app, &caller, &read),
        )
        .await;
        if valid.unwrap_or(false) {
            state.metrics.replays.with_label_values(&["hit"]).inc();
            req.extensions_mut()
                .insert(OperationLabel(replay.label.clone()));
            return ok(replay.body.clone(), format);
        }
        state.metrics.replays.with_label_values(&["stale"]).inc();
        admitted = Some(caller);
    }
    match parse() {
        Ok(body) => execute(req, state, body, key, format, admitted).await,
        Err(response) => *response,
    }
}

/// Reads the body, failing with 413 as soon as it passes `limit`.
async fn read_limited(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, StatusCode> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
        if body.len() + chunk.len() > limit {
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The operation a request will run, and its name.
pub(crate) fn selected_operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&'a str>,
) -> Option<(&'a OperationDefinition, Option<&'a str>)> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some((&op.node, name)),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name).map(|op| (&op.node, Some(name)))
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops
            .iter()
            .next()
            .map(|(n, op)| (&op.node, Some(n.as_str()))),
        _ => None,
    }
}

/// Why a document was refused before execution.
pub(crate) struct DocumentRefused {
    /// `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED` (a limit) or
    /// `BAD_USER_INPUT` (a NUL character, in `field`).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The argument holding a NUL character.
    pub field: Option<String>,
}

/// The parsed document for `query`: from the cache, or checked against the
/// document limits, parsed and cached. Shared by HTTP and WebSocket.
pub(crate) fn checked_document(
    state: &AppState,
    query: &str,
) -> Result<Arc<ExecutableDocument>, DocumentRefused> {
    if let Some(doc) = state.documents.get(query) {
        return Ok(doc);
    }
    let limits = &state.settings.limits;
    let over = |message: String| DocumentRefused {
        code: code::GRAPHQL_VALIDATION_FAILED,
        message,
        field: None,
    };
    if query.chars().count() > limits.document_chars {
        return Err(over(format!(
            "the document is over the {}-character limit",
            limits.document_chars
        )));
    }
    if count_tokens(query, limits.tokens).is_none() {
        return Err(over(format!(
            "the document has more than {} tokens",
            limits.tokens
        )));
    }
    let doc = parse_query(query).map_err(|e| match e {
        // The parser's own nesting guard: a limit, like the depth limit.
        async_graphql::parser::Error::RecursionLimitExceeded => over(format!(
            "the document is nested more than {} levels deep",
            limits.depth
        )),
        e => DocumentRefused {
            code: code::GRAPHQL_PARSE_FAILED,
            message: e.to_string(),
            field: None,
        },
    })?;
    if let Some(field) = nul_in_document(&doc) {
        return Err(DocumentRefused {
            code: code::BAD_USER_INPUT,
            message: format!("{field} must not contain a NUL character"),
            field: Some(field),
        });
    }
    if count_aliases(&doc) > limits.aliases {
        return Err(over(format!(
            "the document has more than {} aliases",
            limits.aliases
        )));
    }
    let doc = Arc::new(doc);
    state.documents.insert(query.to_string(), doc.clone());
    Ok(doc)
}

/// [`checked_document`], with a refusal as the answer to send.
fn document(
    state: &AppState,
    query: &str,
    format: Format,
) -> Result<Arc<ExecutableDocument>, Box<HttpResponse>> {
    checked_document(state, query).map_err(|refused| {
        if let Some(field) = refused.field {
            return Box::new(nul_refused(&field, format));
        }
        let status = if format == Format::Json {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        boxed_error(status, refused.code, &refused.message, format)
    })
}

/// Authenticates the caller. An `Err` is the answer to send.
async fn caller(
    req: &HttpRequest,
    state: &AppState,
    format: Format,
) -> Result<Caller, HttpResponse> {
    Ok(caller_reading(req, state, format, &[]).await?.0)
}

/// [`caller`], also reading the versions of `also` in the round trip that
/// admits the caller (see [`session::admit_reading`]).
async fn caller_reading(
    req: &HttpRequest,
    state: &AppState,
    format: Format,
    also: &[Subject],
) -> Result<(Caller, VersionsRead), HttpResponse> {
    let (principal, read) = authenticate(req, state, format, also).await?;
    Ok((
        Caller {
            principal,
            request_id: request_id(req),
            client_ip: client_ip(req, state),
        },
        read,
    ))
}

/// The caller of a request to a route other than `/graphql` (the report
/// page): the same token rules, request id and client address. An `Err` is
/// the answer to send.
pub(crate) async fn caller_of(req: &HttpRequest, state: &AppState) -> Result<Caller, HttpResponse> {
    caller(req, state, Format::Json).await
}

/// Runs one request. `key` is the request as sent (method and POST body or
/// GET query string): once a request passed full validation, the same bytes
/// skip it, and a response made only of versioned root fields is kept for
/// replay. `admitted` is the caller when already authenticated.
async fn execute(
    req: &HttpRequest,
    state: &AppState,
    body: Body,
    key: ReplayKey,
    format: Format,
    admitted: Option<Caller>,
) -> HttpResponse {
    let resolved = state
        .persisted
        .resolve(&state.app.cache, body.query, body.extensions.as_ref())
        .await;
    let resolved = match resolved {
        Ok(r) => r,
        // Apollo clients read a miss from a 200 and send the document.
        Err(refused) if refused.code == code::PERSISTED_QUERY_NOT_FOUND => {
            return request_error(StatusCode::OK, refused.code, &refused.message, format)
        }
        Err(refused) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                refused.code,
                &refused.message,
                format,
            )
        }
    };
    let Some(query) = resolved.query else {
        return request_error(
            StatusCode::BAD_REQUEST,
            code::BAD_USER_INPUT,
            "the request has no \"query\"",
            format,
        );
    };

    let raw_variables = match body.variables {
        SentVariables::None => RawVariables::default(),
        SentVariables::Object(vars) => vars,
        SentVariables::NotAnObject => {
            return request_error(
                StatusCode::BAD_REQUEST,
                code::BAD_USER_INPUT,
                "variables must be a JSON object",
                format,
            )
        }
    };
    let caller = match admitted {
        Some(caller) => caller,
        None => match caller(req, state, format).await {
            Ok(caller) => caller,
            Err(response) => return response,
        },
    };
    let doc = match document(state, &query, format) {
        Ok(doc) => doc,
        Err(response) => return *response,
    };
    if let Some(hash) = resolved.register {
        state
            .persisted
            .register(&state.app.cache, hash, &query)
            .await;
    }
    let operation = selected_operation(&doc, body.operation_name.as_deref());
    let batch = operation.and_then(|(op, _)| crate::ingest::from_json::batch_variable(&doc, op));
    let Ok((variables, read_rows)) = crate::ingest::from_json::variables(raw_variables, batch)
    else {
        return request_error(
            StatusCode::BAD_REQUEST,
            code::BAD_USER_INPUT,
            "variables must hold JSON values GraphQL can read (numbers within range)",
            format,
        );
    };
    if let Some(path) = nul_in_variables(&variables) {
        // Named as the argument the variable is passed to, like any input.
        let (var, rest) = path.split_once('.').unwrap_or((path.as_str(), ""));
        let arg = argument_of_variable(&doc, var).unwrap_or_else(|| var.to_string());
        let field = if rest.is_empty() {
            arg
        } else {
            format!("{arg}.{rest}")
        };
        return nul_refused(&field, format);
    }
    let signed_in = !matches!(caller.principal, Principal::Anonymous);
    let label = state
        .labels
        .label(operation.and_then(|(_, n)| n), signed_in);
    req.extensions_mut().insert(OperationLabel(label.clone()));
    if matches!(operation, Some((op, _)) if op.ty == OperationType::Subscription) {
        return request_error(
            StatusCode::BAD_REQUEST,
            code::BAD_USER_INPUT,
            "subscriptions are served over WebSocket (graphql-transport-ws) at this same path",
            format,
        );
    }
    let over_get = key.0;
    if over_get
        && matches!(
            operation,
            Some((op, _)) if op.ty != OperationType::Query
        )
    {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .content_type(format.content_type())
            .json(json!({ "errors": [{
                "message": "mutations must be sent with POST",
                "extensions": { "code": code::BAD_USER_INPUT }
            }] }));
    }
    let mut request = async_graphql::Request::new(query).variables(variables);
    if let Some(name) = body.operation_name.clone() {
        request = request.operation_name(name);
    }
    request.set_parsed_query(ExecutableDocument::clone(&doc));
    let rid = caller.request_id.clone();
    let record = response_cache::ReplayableFields::default();
    let mut request = crate::loaders::attach(request);
    if let Some(read) = read_rows {
        state.metrics.batches_read_directly.inc();
        request = request.data(read);
    }
    // A query that reads nothing (`__typename`) takes no connection: the
    // held one is taken at the first statement.
    if state.settings.database.connection_per_query
        && matches!(operation, Some((op, _)) if op.ty == OperationType::Query)
    {
        if let Some(app) = state.app.holding_one_connection() {
            request = request.data(app);
        }
    }
    let request = request
        .data(caller)
        .data(record.clone())
        .data(response_cache::RequestBytes(key.1.clone()));
    let validated = state.validated.contains_key(&key.1);
    let introspection = state.schema_introspection.as_ref().filter(|_| {
        operation.is_some_and(|(op, _)| introspection_only(&doc, &op.selection_set.node))
    });
    let schema = match introspection {
        Some(schema) => schema,
        None if validated => &state.schema_validated,
        None => &state.schema,
    };
    let response =
        match tokio::time::timeout(state.settings.request_timeout(), schema.execute(request)).await
        {
            Ok(r) => {
                // Validation errors carry no path; anything else was raised later.
                if !validated
                    && key.1.len() <= super::VALIDATED_MAX_BYTES
                    && r.errors.iter().all(|e| !e.path.is_empty())
                {
                    state.validated.insert(key.1.clone(), ());
                }
                r
            }
            Err(_) => {
                let mut err = ServerError::new(AppError::Timeout.to_string(), None);
                err.source = Some(std::sync::Arc::new(AppError::Timeout));
                Response::from_errors(vec![err])
            }
        };
    if !response.errors.is_empty() {
        return respond(response, &rid, format);
    }
    let Ok(output) = serde_json::to_vec(&response).map(web::Bytes::from) else {
        return respond(response, &rid, format);
    };
    if let Some((op, _)) = operation.filter(|(op, _)| op.ty == OperationType::Query) {
        let kept = replay::replay_of(
            &doc,
            &op.selection_set.node,
            record.fields(),
            output.clone(),
            label,
        );
        if let Some(kept) = kept {
            state.replays.insert(key, Arc::new(kept));
            state.metrics.replays.with_label_values(&["stored"]).inc();
        }
    }
    ok(output, format)
}

/// 200 with a response body that carries no errors.
fn ok(body: web::Bytes, format: Format) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body)
}

/// Gives every error its code, then picks the status.
fn respond(mut response: Response, rid: &str, format: Format) -> HttpResponse {
    let no_data = response.data == Value::Null;
    let mut retry_after = None;
    let mut codes = Vec::new();
    for err in &mut response.errors {
        let c = classify(err, rid);
        if let Some(AppError::RateLimited { retry_after_secs }) = err.source::<AppError>() {
            retry_after = Some(*retry_after_secs);
        }
        codes.push(c);
    }
    let status = if !no_data || codes.is_empty() {
        StatusCode::OK
    } else if codes.contains(&code::RATE_LIMITED) {
        StatusCode::TOO_MANY_REQUESTS
    } else if codes.contains(&code::SERVICE_UNAVAILABLE) {
        retry_after = retry_after.or(Some(5));
        StatusCode::SERVICE_UNAVAILABLE
    } else if codes.contains(&code::TIMEOUT) {
        StatusCode::GATEWAY_TIMEOUT
    } else if format == Format::GraphqlResponse
        && codes.iter().all(|c| *c == code::GRAPHQL_VALIDATION_FAILED)
    {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut builder = HttpResponse::build(status);
    builder
        .content_type(format.content_type())
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    if let Some(secs) = retry_after {
        builder.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    builder.json(&response)
}

fn set(err: &mut ServerError, key: &str, value: Value) {
    err.extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set(key, value);
}

/// Sets `extensions.code` (and `field` or `requestId`) and returns the code.
pub(crate) fn classify(err: &mut ServerError, rid: &str) -> &'static str {
    let app = err
        .source::<AppError>()
        .or_else(|| err.source::<std::sync::Arc<AppError>>().map(|a| a.as_ref()));
    if let Some(app) = app {
        let c = app.code();
        match app {
            AppError::BadUserInput { field, .. } => {
                let field = field.clone();
                set(err, "field", Value::from(field));
            }
            AppError::Internal(source) => {
                tracing::error!(request_id = %rid, error = ?source, "internal error");
                set(err, "requestId", Value::from(rid));
            }
            AppError::RateLimited { retry_after_secs } => {
                let secs = *retry_after_secs;
                set(err, "retryAfter", Value::from(secs));
            }
            _ => {}
        }
        set(err, "code", Value::from(c));
        return c;
    }
    let c = if err.path.is_empty() {
        // Raised before execution: the document does not fit the schema or a limit.
        code::GRAPHQL_VALIDATION_FAILED
    } else {
        // Raised while reading an argument: a value of the wrong shape.
        code::BAD_USER_INPUT
    };
    set(err, "code", Value::from(c));
    c
}
