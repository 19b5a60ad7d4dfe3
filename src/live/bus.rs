//! The event bus that carries committed events to the subscribers of every
//! instance.
//!
//! A write announces its events on its [`crate::db::WriteTxn`]; they leave
//! only once the transaction commits, through one of three transports:
//!
//! | deployment | transport | when an event leaves |
//! |---|---|---|
//! | Redis configured | `PUBLISH` on `<redis.key_prefix>live` | right after the commit |
//! | PostgreSQL, no Redis | `NOTIFY hearth_live` | inside the transaction: PostgreSQL delivers it at commit, never on rollback |
//! | embedded default | this process | right after the commit |
//!
//! Every instance listens on the transport and hands each event to its own
//! subscribers through one broadcast channel; an instance receives its own
//! events the same way, so each subscriber sees each event once. Live
//! events are best effort (a subscriber that falls behind by more than
//! `subscriptions.buffer` events, or a transport that is down, loses them);
//! webhooks are the channel that delivers every event.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DbBackend};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::{
    config::{DatabaseKind, Settings},
    db,
    error::AppResult,
};

/// The PostgreSQL channel events travel on (one per database).
pub const PG_CHANNEL: &str = "hearth_live";

/// Largest payload PostgreSQL's `NOTIFY` carries, less a margin.
const PG_PAYLOAD_MAX: usize = 7_900;

/// One committed event, as subscribers receive it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LiveEvent {
    /// Unique per event.
    pub id: Uuid,
    /// The event type's name (`ingest.committed`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The brand it happened in.
    pub brand_id: Uuid,
    /// When it was announced (inside the transaction that committed it).
    pub occurred_at: DateTime<Utc>,
    /// What webhooks carry in `data`.
    pub data: serde_json::Value,
}

#[derive(Clone)]
enum Transport {
    InProcess,
    Redis {
        conn: redis::aio::ConnectionManager,
        timeout: Duration,
        channel: String,
    },
    Postgres,
}

/// The bus: publishes committed events and hands received ones to this
/// instance's subscribers.
#[derive(Clone)]
pub struct LiveBus {
    local: broadcast::Sender<Arc<LiveEvent>>,
    transport: Transport,
}

impl LiveBus {
    /// The transport the settings call for (see the module comment);
    /// `redis` is the cache's connection when Redis is configured.
    pub fn new(
        settings: &Settings,
        redis: Option<(redis::aio::ConnectionManager, Duration)>,
    ) -> Self {
        let (local, _) = broadcast::channel(settings.subscriptions.buffer.max(1));
        let transport = match (redis, settings.database_kind()) {
            (Some((conn, timeout)), _) => Transport::Redis {
                conn,
                timeout,
                channel: redis_channel(settings),
            },
            (None, Ok(DatabaseKind::Postgres)) => Transport::Postgres,
            (None, _) => Transport::InProcess,
        };
        Self { local, transport }
    }

    /// `redis`, `postgres` or `in_process`.
    pub fn kind(&self) -> &'static str {
        match self.transport {
            Transport::InProcess => "in_process",
            Transport::Redis { .. } => "redis",
            Transport::Postgres => "postgres",
        }
    }

    /// A receiver of every event this instance hears from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.local.subscribe()
    }

    /// Subscribers on this instance right now.
    pub fn receivers(&self) -> usize {
        self.local.receiver_count()
    }

    /// Inside a transaction that is about to commit: on PostgreSQL without
    /// Redis, the events are notified in it (one statement), so they leave
    /// at commit and never on rollback. Other transports do nothing here.
    pub async fn before_commit<C: ConnectionTrait>(
        &self,
        txn: &C,
        events: &[LiveEvent],
    ) -> AppResult<()> {
        if !matches!(self.transport, Transport::Postgres) || events.is_empty() {
            return Ok(());
        }
        let payloads: Vec<String> = events.iter().filter_map(pg_payload).collect();
        if payloads.is_empty() {
            return Ok(());
        }
        let placeholders = vec!["(?)"; payloads.len()].join(", ");
        let sql =
            format!("SELECT pg_notify('{PG_CHANNEL}', p) FROM (VALUES {placeholders}) AS v(p)");
        let values = payloads.into_iter().map(sea_orm::Value::from).collect();
        txn.execute_raw(db::raw(DbBackend::Postgres, &sql, values))
            .await?;
        Ok(())
    }

    /// After the commit: the events leave through Redis or this process (a
    /// PostgreSQL notification has already left). A Redis that does not
    /// answer loses them for live subscribers (logged); webhooks keep them.
    pub async fn after_commit(&self, events: Vec<LiveEvent>) {
        if events.is_empty() {
            return;
        }
        match &self.transport {
            Transport::InProcess => {
                for e in events {
                    // No receiver is not an error: nobody is subscribed.
                    let _ = self.local.send(Arc::new(e));
                }
            }
            Transport::Redis {
                conn,
                timeout,
                channel,
            } => {
                let mut pipe = redis::pipe();
                for e in &events {
                    match serde_json::to_string(e) {
                        Ok(text) => {
                            pipe.publish(channel, text).ignore();
                        }
                        Err(err) => tracing::warn!(error = %err, "live event not serialisable"),
                    }
                }
                let mut conn = conn.clone();
                match tokio::time::timeout(*timeout, pipe.query_async::<()>(&mut conn)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => {
                        tracing::warn!(error = %err, lost = events.len(), "could not publish live events")
                    }
                    Err(_) => {
                        tracing::warn!(lost = events.len(), "publishing live events timed out")
                    }
                }
            }
            Transport::Postgres => {}
        }
    }

    /// Hands an event heard on the transport to this instance's subscribers.
    fn deliver_text(&self, text: &str) {
        match serde_json::from_str::<LiveEvent>(text) {
            Ok(e) => {
                let _ = self.local.send(Arc::new(e));
            }
            Err(err) => tracing::warn!(error = %err, "ignored a malformed live event"),
        }
    }

    /// Starts listening on the transport (Redis or PostgreSQL; nothing for
    /// the in-process bus) and returns once the first subscription is in
    /// place or failed; it keeps reconnecting in the background.
    pub async fn listen(&self, settings: &Settings) {
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
        match &self.transport {
            Transport::InProcess => return,
            Transport::Redis { channel, .. } => {
                let Some(url) = settings.redis.url.as_ref() else {
                    return;
                };
                let client = match redis::Client::open(url.expose_secret()) {
                    Ok(c) => c,
                    Err(err) => {
                        tracing::error!(error = %err, "live events: invalid Redis URL");
                        return;
                    }
                };
                tokio::spawn(listen_redis(
                    self.clone(),
                    client,
                    channel.clone(),
                    ready_tx,
                ));
            }
            Transport::Postgres => {
                let url = settings.database_url().expose_secret().to_owned();
                tokio::spawn(listen_postgres(self.clone(), url, ready_tx));
            }
        }
        if tokio::time::timeout(Duration::from_secs(10), ready_rx)
            .await
            .is_err()
        {
            tracing::warn!(
                "live events: the listener is not subscribed yet; retrying in the background"
            );
        }
    }
}

fn redis_channel(settings: &Settings) -> String {
    format!("{}live", settings.redis.key_prefix)
}

/// The notification payload of an event, or `None` (logged) when it is over
/// PostgreSQL's limit.
fn pg_payload(e: &LiveEvent) -> Option<String> {
    let text = serde_json::to_string(e).ok()?;
    if text.len() > PG_PAYLOAD_MAX {
        tracing::warn!(event = %e.kind, bytes = text.len(), "live event over the NOTIFY limit; not sent to subscribers");
        return None;
    }
    Some(text)
}

/// Pause between reconnection attempts of a listener.
const RECONNECT: Duration = Duration::from_secs(1);

async fn listen_redis(
    bus: LiveBus,
    client: redis::Client,
    channel: String,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    let mut ready = Some(ready);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        match msg.get_payload::<String>() {
                            Ok(text) => bus.deliver_text(&text),
                            Err(err) => {
                                tracing::warn!(error = %err, "ignored a live event that is not text")
                            }
                        }
                    }
                    tracing::warn!("live events: the Redis subscription ended; reconnecting");
                }
                Err(err) => {
                    tracing::warn!(error = %err, "live events: could not subscribe on Redis")
                }
            },
            Err(err) => tracing::warn!(error = %err, "live events: could not connect to Redis"),
        }
        tokio::time::sleep(RECONNECT).await;
    }
}

async fn listen_postgres(bus: LiveBus, url: String, ready: tokio::sync::oneshot::Sender<()>) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut ready = Some(ready);
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(PG_CHANNEL).await {
                Ok(()) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                    loop {
                        // `None`: the connection was lost (it reconnects on the next call).
                        match listener.try_recv().await {
                            Ok(Some(n)) => bus.deliver_text(n.payload()),
                            Ok(None) => {
                                tracing::warn!("live events: the PostgreSQL listener lost its connection; reconnecting")
                            }
                            Err(err) => {
                                tracing::warn!(error = %err, "live events: the PostgreSQL listener failed");
                                break;
                            }
                        }
                    }
                }
                Err(err) => tracing::warn!(error = %err, "live events: LISTEN failed"),
            },
            Err(err) => {
                tracing::warn!(error = %err, "live events: could not connect to PostgreSQL")
            }
        }
        tokio::time::sleep(RECONNECT).await;
    }
}
