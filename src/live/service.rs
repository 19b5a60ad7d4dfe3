//! Who may subscribe to what, and the stream of events a subscription gets.

use std::sync::Arc;

use futures_util::Stream;
use tokio::sync::{broadcast::error::RecvError, watch};
use uuid::Uuid;

use super::bus::LiveEvent;
use crate::{
    auth::{
        session::{self, Refusal},
        BrandScope, Caller, Principal,
    },
    context::AppContext,
    error::{AppError, AppResult},
    webhook::outbox::WebhookEvent,
};

/// The caller of one live connection, checked again before every event it
/// is sent and at `subscriptions.recheck_secs` between events.
pub struct Subscriber {
    app: AppContext,
    token: String,
    request_id: String,
    client_ip: String,
    ended: watch::Sender<Option<&'static str>>,
}

/// What a check of the subscriber found.
pub enum Check {
    /// The token still stands; the caller as of now.
    Admitted(Caller),
    /// The token no longer stands (expired, signed out, revoked, disabled):
    /// the connection ends.
    Ended(&'static str),
    /// The database or cache did not answer: nothing is sent this time.
    Unavailable,
}

impl Subscriber {
    /// Admits the token a connection presented, as HTTP admits a request
    /// (counting it against the caller's rate limit).
    pub async fn admit(
        app: &AppContext,
        token: &str,
        request_id: String,
        client_ip: String,
    ) -> Result<(Arc<Self>, Caller), Refusal> {
        let verified = app
            .tokens
            .verify(token)
            .map_err(|_| Refusal::Token("the token is invalid or expired"))?;
        let principal = session::admit(app, verified).await?;
        let caller = Caller {
            principal,
            request_id: request_id.clone(),
            client_ip: client_ip.clone(),
        };
        let subscriber = Self {
            app: app.clone(),
            token: token.to_string(),
            request_id,
            client_ip,
            ended: watch::channel(None).0,
        };
        Ok((Arc::new(subscriber), caller))
    }

    /// Checks the token again, without counting a request.
    pub async fn check(&self) -> Check {
        let Ok(verified) = self.app.tokens.verify(&self.token) else {
            return Check::Ended("the token has expired");
        };
        match session::recheck(&self.app, verified).await {
            Ok(principal) => Check::Admitted(Caller {
                principal,
                request_id: self.request_id.clone(),
                client_ip: self.client_ip.clone(),
            }),
            Err(Refusal::Token(why)) => Check::Ended(why),
            Err(Refusal::App(e)) => {
                tracing::warn!(error = ?e, "could not check a subscriber's token");
                Check::Unavailable
            }
        }
    }

    /// Marks the connection ended, for `why`.
    pub fn end(&self, why: &'static str) {
        self.ended.send_replace(Some(why));
    }

    /// Tells when the connection has ended and why.
    pub fn ended(&self) -> watch::Receiver<Option<&'static str>> {
        self.ended.subscribe()
    }
}

/// The brands a subscriber's events come from: a user's read scope, an
/// integration's own brand.
pub fn scope_of(caller: &Caller) -> AppResult<BrandScope> {
    match &caller.principal {
        Principal::Integration(i) => Ok(BrandScope::One(i.brand_id)),
        _ => caller.read_scope(),
    }
}

/// What one subscription receives.
#[derive(Debug, Clone)]
pub struct EventFilter {
    brand: Option<Uuid>,
    types: Vec<WebhookEvent>,
}

impl EventFilter {
    fn wants(&self, e: &LiveEvent) -> bool {
        self.brand.is_none_or(|b| b == e.brand_id) && self.types.iter().any(|t| t.name() == e.kind)
    }
}

/// Event types subscribers can receive: all but the webhook-only
/// `webhook.endpoint_disabled`.
pub fn live_types() -> Vec<WebhookEvent> {
    WebhookEvent::ALL
        .into_iter()
        .filter(|t| *t != WebhookEvent::EndpointDisabled)
        .collect()
}

/// Checks a subscription's arguments: `brand` must be one the caller may
/// read (`NOT_FOUND` otherwise, as for a missing one); `types`, when
/// given, at least one type subscribers receive.
pub async fn filter(
    app: &AppContext,
    caller: &Caller,
    brand: Option<Uuid>,
    types: Option<Vec<WebhookEvent>>,
) -> AppResult<EventFilter> {
    let scope = scope_of(caller)?;
    if let Some(b) = brand {
        scope.check(b, "brand")?;
        crate::brand::service::ensure_exists(app, b).await?;
    }
    let types = match types {
        None => live_types(),
        Some(t) if t.is_empty() => {
            return Err(AppError::bad_input(
                "types",
                "name at least one event type, or leave types out for all",
            ))
        }
        Some(t) if t.contains(&WebhookEvent::EndpointDisabled) => {
            return Err(AppError::bad_input(
                "types",
                "ENDPOINT_DISABLED is sent to webhooks only",
            ))
        }
        Some(t) => t,
    };
    Ok(EventFilter { brand, types })
}

/// The events a subscription receives from now on: those `filter` wants, in
/// a brand the subscriber may read at the moment each is sent. A token
/// that no longer stands ends the stream and the connection.
pub fn events(
    app: &AppContext,
    subscriber: Arc<Subscriber>,
    filter: EventFilter,
) -> impl Stream<Item = Arc<LiveEvent>> + Send + 'static {
    let rx = app.live.subscribe();
    futures_util::stream::unfold(
        (rx, subscriber, filter),
        |(mut rx, subscriber, filter)| async move {
            loop {
                match rx.recv().await {
                    Ok(e) if filter.wants(&e) => match subscriber.check().await {
                        Check::Admitted(caller) => {
                            let readable = scope_of(&caller)
                                .and_then(|s| s.check(e.brand_id, "brand"))
                                .is_ok();
                            if readable {
                                return Some((e, (rx, subscriber, filter)));
                            }
                        }
                        Check::Ended(why) => {
                            subscriber.end(why);
                            return None;
                        }
                        Check::Unavailable => {}
                    },
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a subscriber fell behind and missed events")
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    )
}
