//! The WebSocket endpoint: GraphQL subscriptions in the `graphql-transport-ws`
//! protocol (what `graphql-ws`, Apollo Client and urql speak), on `GET
//! /graphql` with `Upgrade: websocket`.
//!
//! The client authenticates in `connection_init` (`{"authorization":
//! "Bearer <token>"}`) with the same rules as HTTP; the token is checked
//! again before every event and every `subscriptions.recheck_secs`, and a
//! token that no longer stands closes the socket with 4403. Close codes
//! are the protocol's: 4400 invalid message, 4401 subscribe before
//! `connection_ack`, 4403 forbidden, 4408 no `connection_init` in time,
//! 4409 a subscription id in use, 4429 a second `connection_init` or too
//! many connections for one caller; 1012 when the instance shuts down
//! (reconnect, to another instance).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{guard::GuardContext, http::header, web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use async_graphql::parser::types::OperationType;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::{
    sync::{mpsc, watch},
    time::{interval_at, Instant},
};
use uuid::Uuid;

use super::service::{Check, Subscriber};
use crate::{
    auth::{session::Refusal, Caller, Principal},
    error::{code, AppError},
    http::{
        graphql::{checked_document, classify, client_ip, request_id, selected_operation},
        limits::nul_in_variables,
        AppState,
    },
};

/// The subprotocol served.
pub const PROTOCOL: &str = "graphql-transport-ws";

/// How the server closes a connection: a code and the reason sent with it.
type Close = (u16, String);

fn close(code: u16, reason: impl Into<String>) -> Close {
    (code, reason.into())
}

/// Whether a request asks to upgrade to WebSocket.
pub fn is_upgrade(ctx: &GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Open connections per caller on this instance.
#[derive(Clone, Default)]
pub struct Connections(Arc<Mutex<HashMap<Uuid, usize>>>);

/// One open connection of a caller; dropping it frees the place.
struct Slot {
    connections: Connections,
    principal: Uuid,
}

impl Connections {
    /// A place for one more connection of `principal`, if it has fewer than `max`.
    fn take(&self, principal: Uuid, max: usize) -> Option<Slot> {
        let mut open = self.0.lock().ok()?;
        let n = open.entry(principal).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            connections: self.clone(),
            principal,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.0.lock().map(|m| m.values().sum()).unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.connections.0.lock() {
            if let Some(n) = open.get_mut(&self.principal) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&self.principal);
                }
            }
        }
    }
}

/// `GET /graphql` with `Upgrade: websocket`.
pub async fn socket(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let offered = req
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    if !offered {
        return HttpResponse::BadRequest().json(json!({ "errors": [{
            "message": format!("offer the {PROTOCOL} subprotocol in Sec-WebSocket-Protocol"),
            "extensions": { "code": code::BAD_USER_INPUT }
        }] }));
    }
    if state
        .shutting_down
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "5"))
            .json(json!({ "errors": [{
                "message": AppError::Unavailable.to_string(),
                "extensions": { "code": code::SERVICE_UNAVAILABLE }
            }] }));
    }
    match actix_ws::handle_with_protocols(&req, body, &[PROTOCOL]) {
        Ok((response, session, stream)) => {
            let max = state.settings.subscriptions.max_message_bytes;
            let stream = stream
                .max_frame_size(max)
                .aggregate_continuations()
                .max_continuation_size(max);
            let connection =
                Connection::new(state.clone(), request_id(&req), client_ip(&req, &state));
            actix_web::rt::spawn(connection.run(session, stream));
            response
        }
        Err(e) => e.error_response(),
    }
}

/// A message from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        payload: Option<Value>,
    },
    Ping {
        payload: Option<Value>,
    },
    Pong {
        #[serde(rename = "payload")]
        _payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

/// A subscription request, as a GraphQL-over-HTTP body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscribePayload {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Value>,
    extensions: Option<Value>,
}

/// What a subscription's task tells the connection.
enum Out {
    /// A message to send.
    Text(String),
    /// The subscription `id` (its `serial`-th) is over: its id is free.
    Finished(String, u64),
}

/// The connection once `connection_init` was accepted.
struct Ready {
    caller: Caller,
    subscriber: Arc<Subscriber>,
    ended: watch::Receiver<Option<&'static str>>,
    _slot: Slot,
}

struct Connection {
    state: web::Data<AppState>,
    request_id: String,
    client_ip: String,
    tx: mpsc::Sender<Out>,
    rx: mpsc::Receiver<Out>,
    init_received: bool,
    ready: Option<Ready>,
    subscriptions: HashMap<String, (tokio::task::AbortHandle, u64)>,
    serial: u64,
}

/// The access token in `connection_init`'s payload: `authorization`
/// (`Bearer <token>`, any case of the key) or `token`.
fn token_of(payload: Option<&Value>) -> Option<String> {
    let object = payload?.as_object()?;
    let value = object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.as_str())
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
        })
        .or_else(|| object.get("token").and_then(Value::as_str))?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

fn principal_id(caller: &Caller) -> Option<Uuid> {
    match &caller.principal {
        Principal::User(u) => Some(u.id),
        Principal::Integration(i) => Some(i.id),
        Principal::Anonymous => None,
    }
}

/// An `error` message for subscription `id`.
fn error_message(id: &str, code: &str, message: &str) -> String {
    json!({ "id": id, "type": "error", "payload": [{
        "message": message,
        "extensions": { "code": code }
    }] })
    .to_string()
}

/// Resolves when the subscriber's token no longer stands (never before
/// `connection_ack`), with why.
async fn ended(ready: &mut Option<Ready>) -> &'static str {
    if let Some(r) = ready {
        loop {
            if let Some(why) = *r.ended.borrow_and_update() {
                return why;
            }
            if r.ended.changed().await.is_err() {
                break;
            }
        }
    }
    std::future::pending().await
}

impl Connection {
    fn new(state: web::Data<AppState>, request_id: String, client_ip: String) -> Self {
        let (tx, rx) = mpsc::channel(256);
        Self {
            state,
            request_id,
            client_ip,
            tx,
            rx,
            init_received: false,
            ready: None,
            subscriptions: HashMap::new(),
            serial: 0,
        }
    }

    async fn run(mut self, mut session: Session, mut stream: AggregatedMessageStream) {
        let settings = self.state.settings.subscriptions.clone();
        let init_deadline = tokio::time::sleep(Duration::from_secs(settings.init_timeout_secs));
        tokio::pin!(init_deadline);
        let keepalive_every = Duration::from_secs(settings.keepalive_secs);
        let mut keepalive = interval_at(Instant::now() + keepalive_every, keepalive_every);
        let recheck_every = Duration::from_secs(settings.recheck_secs);
        let mut recheck = interval_at(Instant::now() + recheck_every, recheck_every);
        let shutdown = self.state.shutdown.clone();
        let closing: Option<Close> = loop {
            if self
                .state
                .shutting_down
                .load(std::sync::atomic::Ordering::SeqCst)
            {
                break Some(close(1012, "the server is restarting; reconnect"));
            }
            tokio::select! {
                _ = shutdown.notified() => continue,
                message = stream.recv() => match message {
                    None | Some(Ok(AggregatedMessage::Close(_))) => break None,
                    Some(Err(actix_ws::ProtocolError::Overflow)) => {
                        break Some(close(1009, format!("messages are limited to {} bytes", settings.max_message_bytes)))
                    }
                    Some(Err(_)) => break Some(close(1002, "WebSocket protocol error")),
                    Some(Ok(AggregatedMessage::Binary(_))) => {
                        break Some(close(4400, "binary messages are not part of graphql-transport-ws"))
                    }
                    Some(Ok(AggregatedMessage::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            break None;
                        }
                    }
                    Some(Ok(AggregatedMessage::Pong(_))) => {}
                    Some(Ok(AggregatedMessage::Text(text))) => match self.on_text(&text).await {
                        Ok(Some(reply)) => {
                            if session.text(reply).await.is_err() {
                                break None;
                            }
                        }
                        Ok(None) => {}
                        Err(c) => break Some(c),
                    },
                },
                Some(out) = self.rx.recv() => match out {
                    Out::Text(text) => {
                        if session.text(text).await.is_err() {
                            break None;
                        }
                    }
                    Out::Finished(id, serial) => {
                        if self.subscriptions.get(&id).is_some_and(|(_, s)| *s == serial) {
                            self.subscriptions.remove(&id);
                        }
                    }
                },
                _ = &mut init_deadline, if self.ready.is_none() => {
                    break Some(close(4408, "Connection initialisation timeout"));
                }
                _ = keepalive.tick() => {
                    if session.text(r#"{"type":"ping"}"#).await.is_err() {
                        break None;
                    }
                }
                _ = recheck.tick(), if self.ready.is_some() => {
                    if let Some(ready) = &self.ready {
                        match ready.subscriber.check().await {
                            Check::Ended(why) => break Some(close(4403, format!("Forbidden: {why}"))),
                            Check::Admitted(_) | Check::Unavailable => {}
                        }
                    }
                }
                why = ended(&mut self.ready) => break Some(close(4403, format!("Forbidden: {why}"))),
            }
        };
        for (_, (task, _)) in self.subscriptions.drain() {
            task.abort();
        }
        // The caller's place is free before the client learns of the close.
        self.ready = None;
        let reason = closing.map(|(code, description)| CloseReason {
            code: CloseCode::Other(code),
            description: Some(description),
        });
        let _ = session.close(reason).await;
    }

    /// Handles one text message: the reply to send, or how to close.
    async fn on_text(&mut self, text: &str) -> Result<Option<String>, Close> {
        let message: ClientMessage =
            serde_json::from_str(text).map_err(|_| close(4400, "Invalid message received"))?;
        match message {
            ClientMessage::ConnectionInit { payload } => self.init(payload).await.map(Some),
            ClientMessage::Ping { payload } => {
                let mut pong = json!({ "type": "pong" });
                if let Some(p) = payload {
                    pong["payload"] = p;
                }
                Ok(Some(pong.to_string()))
            }
            ClientMessage::Pong { .. } => Ok(None),
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, payload).await,
            ClientMessage::Complete { id } => {
                if let Some((task, _)) = self.subscriptions.remove(&id) {
                    task.abort();
                }
                Ok(None)
            }
        }
    }

    async fn init(&mut self, payload: Option<Value>) -> Result<String, Close> {
        if self.init_received {
            return Err(close(4429, "Too many initialisation requests"));
        }
        self.init_received = true;
        let token = token_of(payload.as_ref()).ok_or_else(|| {
            close(
                4403,
                "Forbidden: send the access token in connection_init as {\"authorization\": \"Bearer <token>\"}",
            )
        })?;
        let app = &self.state.app;
        let (subscriber, caller) = match Subscriber::admit(
            app,
            &token,
            self.request_id.clone(),
            self.client_ip.clone(),
        )
        .await
        {
            Ok(admitted) => admitted,
            Err(Refusal::Token(why)) => return Err(close(4403, format!("Forbidden: {why}"))),
            Err(Refusal::App(AppError::RateLimited { retry_after_secs })) => {
                return Err(close(
                    4429,
                    format!("Too many requests: retry in {retry_after_secs} s"),
                ))
            }
            Err(Refusal::App(e)) => {
                tracing::warn!(error = ?e, request_id = %self.request_id, "could not admit a subscriber");
                return Err(close(1013, "the token could not be checked; try again"));
            }
        };
        let id = principal_id(&caller).ok_or_else(|| close(4403, "Forbidden"))?;
        let max = self
            .state
            .settings
            .subscriptions
            .max_connections_per_principal;
        let slot = self.state.live_connections.take(id, max).ok_or_else(|| {
            close(
                4429,
                format!("Too many connections: at most {max} per caller on one instance"),
            )
        })?;
        self.ready = Some(Ready {
            ended: subscriber.ended(),
            caller,
            subscriber,
            _slot: slot,
        });
        Ok(json!({ "type": "connection_ack" }).to_string())
    }

    async fn subscribe(
        &mut self,
        id: String,
        payload: SubscribePayload,
    ) -> Result<Option<String>, Close> {
        let Some(ready) = &self.ready else {
            return Err(close(4401, "Unauthorized"));
        };
        if self.subscriptions.contains_key(&id) {
            return Err(close(4409, format!("Subscriber for {id} already exists")));
        }
        let max = self.state.settings.subscriptions.max_per_connection;
        if self.subscriptions.len() >= max {
            return Ok(Some(error_message(
                &id,
                code::BAD_USER_INPUT,
                &format!("this connection already runs {max} subscriptions; complete one first"),
            )));
        }
        let request = match self.request(payload).await {
            Ok(r) => r,
            Err((c, message)) => return Ok(Some(error_message(&id, c, &message))),
        };
        let request = crate::loaders::attach(request)
            .data(ready.caller.clone())
            .data(ready.subscriber.clone());
        self.serial += 1;
        let serial = self.serial;
        let schema = self.state.schema.clone();
        let tx = self.tx.clone();
        let rid = self.request_id.clone();
        let task_id = id.clone();
        let task = tokio::spawn(async move {
            let id = task_id;
            let mut responses = schema.execute_stream(request);
            let mut first = true;
            while let Some(mut response) = responses.next().await {
                for e in &mut response.errors {
                    classify(e, &rid);
                }
                // Refused before any event (validation, arguments, scope):
                // an `error` message ends the subscription.
                if first
                    && response.data == async_graphql::Value::Null
                    && !response.errors.is_empty()
                {
                    let message = json!({ "id": id, "type": "error", "payload": response.errors });
                    let _ = tx.send(Out::Finished(id.clone(), serial)).await;
                    let _ = tx.send(Out::Text(message.to_string())).await;
                    return;
                }
                first = false;
                let message = json!({ "id": id, "type": "next", "payload": response });
                if tx.send(Out::Text(message.to_string())).await.is_err() {
                    return;
                }
            }
            let _ = tx.send(Out::Finished(id.clone(), serial)).await;
            let _ = tx
                .send(Out::Text(
                    json!({ "id": id, "type": "complete" }).to_string(),
                ))
                .await;
        });
        self.subscriptions.insert(id, (task.abort_handle(), serial));
        Ok(None)
    }

    /// The GraphQL request of a `subscribe` message, after the same checks
    /// as over HTTP (persisted queries, document limits, NUL characters);
    /// only subscriptions run here.
    async fn request(
        &self,
        payload: SubscribePayload,
    ) -> Result<async_graphql::Request, (&'static str, String)> {
        let state = &self.state;
        let resolved = state
            .persisted
            .resolve(&state.app.cache, payload.query, payload.extensions.as_ref())
            .await
            .map_err(|r| (r.code, r.message))?;
        let query = resolved.query.ok_or((
            code::BAD_USER_INPUT,
            "the request has no \"query\"".to_string(),
        ))?;
        let doc = checked_document(state, &query).map_err(|r| (r.code, r.message))?;
        if let Some(hash) = resolved.register {
            state
                .persisted
                .register(&state.app.cache, hash, &query)
                .await;
        }
        let variables = match payload.variables {
            None | Some(Value::Null) => async_graphql::Variables::default(),
            Some(v @ Value::Object(_)) => async_graphql::Variables::from_json(v),
            Some(_) => {
                return Err((
                    code::BAD_USER_INPUT,
                    "variables must be a JSON object".to_string(),
                ))
            }
        };
        if let Some(path) = nul_in_variables(&variables) {
            return Err((
                code::BAD_USER_INPUT,
                format!("variable {path} must not contain a NUL character"),
            ));
        }
        match selected_operation(&doc, payload.operation_name.as_deref()) {
            Some((op, _)) if op.ty != OperationType::Subscription => {
                return Err((
                    code::BAD_USER_INPUT,
                    "this socket serves subscriptions; send queries and mutations over HTTP"
                        .to_string(),
                ))
            }
            _ => {}
        }
        let mut request = async_graphql::Request::new(query).variables(variables);
        if let Some(name) = payload.operation_name {
            request = request.operation_name(name);
        }
        request.set_parsed_query(async_graphql::parser::types::ExecutableDocument::clone(
            &doc,
        ));
        Ok(request)
    }
}
