//! Builds the application from settings and runs it until told to stop.

use std::{
    future::Future,
    net::TcpListener,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use actix_cors::Cors;
use actix_web::{dev::Server, http::header, middleware::from_fn, web, App, HttpServer};
use anyhow::Context;
use async_graphql::ValidationMode;

use crate::{
    auth::{ratelimit::RateLimiter, session::AccessCache, tokens::TokenKeys},
    cache::{versions::Versions, Cache},
    config::Settings,
    context::AppContext,
    db, graphql,
    http::{self, observe::observe, AppState},
    telemetry::Metrics,
};

/// A built, bound, not yet running server.
pub struct Application {
    server: Server,
    port: u16,
    state: web::Data<AppState>,
}

impl Application {
    /// Connects to the database (migrating it when `database.auto_migrate`),
    /// sets up the cache and binds `server.host:server.port` (0 picks a port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        crate::telemetry::return_idle_memory();
        let settings = Arc::new(settings);
        let metrics = Metrics::new()?;
        let app = context(settings.clone(), &metrics).await?;
        crate::webhook::delivery::spawn(app.clone());
        app.live.listen(&settings).await;
        let state = web::Data::new(AppState {
            schema: graphql::build(app.clone(), &settings, ValidationMode::Strict),
            schema_validated: graphql::build(app.clone(), &settings, ValidationMode::Fast),
            schema_introspection: graphql::build_introspection(app.clone(), &settings),
            app,
            metrics,
            settings: settings.clone(),
            shutting_down: Arc::new(AtomicBool::new(false)),
            documents: http::document_cache(),
            validated: http::validated_cache(),
            replays: http::replay::replay_cache(Duration::from_secs(settings.cache.ttl_secs)),
            labels: http::observe::OperationLabels::default(),
            persisted: crate::persisted_queries::Persisted::from_settings(&settings)?,
            live_connections: crate::live::ws::Connections::default(),
            shutdown: Arc::new(tokio::sync::Notify::new()),
        });
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!(
                    "could not bind server.host:server.port ({}:{})",
                    settings.server.host, settings.server.port
                )
            })?;
        let port = listener.local_addr()?.port();
        let origins = settings.server.cors_origins.clone();
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .wrap(cors(&origins))
                .wrap(from_fn(observe))
                .configure(http::routes)
        })
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(settings.server.shutdown_timeout_secs);
        if let Some(workers) = settings.server.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            server: server.run(),
            port,
            state,
        })
    }

    /// The shared handles (database, cache, keys).
    pub fn context(&self) -> &AppContext {
        &self.state.app
    }

    /// The log that records statements while switched on (benchmarks
    /// capture a request's statements with it).
    pub fn statement_log(&self) -> crate::telemetry::StatementLog {
        self.state.metrics.statement_log.clone()
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until `shutdown` completes; then readiness turns 503, and after
    /// `server.shutdown_grace_secs` the server stops accepting and lets
    /// in-flight requests finish (up to `server.shutdown_timeout_secs`).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let handle = self.server.handle();
        let state = self.state.clone();
        let db = state.app.db.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(3600));
            loop {
                every.tick().await;
                match crate::account::service::prune_refresh_tokens(&db).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, "pruned expired refresh tokens"),
                    Err(e) => tracing::warn!(error = ?e, "could not prune refresh tokens"),
                }
            }
        });
        let grace = Duration::from_secs(state.settings.server.shutdown_grace_secs);
        tokio::spawn(async move {
            shutdown.await;
            state.shutting_down.store(true, Ordering::SeqCst);
            state.shutdown.notify_waiters();
            tracing::info!(
                grace_secs = grace.as_secs(),
                "shutting down: readiness now answers 503"
            );
            tokio::time::sleep(grace).await;
            tracing::info!("no longer accepting; finishing in-flight requests");
            handle.stop(true).await;
        });
        self.server.await?;
        tracing::info!("stopped");
        Ok(())
    }
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([header::HeaderName::from_static(
            http::observe::REQUEST_ID_HEADER,
        )])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Connects to the database (migrating it when `database.auto_migrate`) and
/// sets up the cache, token keys, rate limiter and versions: the shared
/// handles of the server, and of commands that go through the same
/// services without serving (`hearth demo`).
pub async fn context(settings: Arc<Settings>, metrics: &Metrics) -> anyhow::Result<AppContext> {
    let db = db::connect(&settings, Some(metrics)).await?;
    if settings.database.auto_migrate {
        db::migrate_up(&db).await?;
    }
    let reports_db = db::connect_pool(&settings, Some(metrics), db::Pool::Reports).await?;
    let cache = Cache::from_settings(&settings, metrics.cache.clone())?;
    let (tokens, key_note) = TokenKeys::from_settings(&settings)?;
    if let Some(note) = key_note {
        tracing::warn!("{note}");
    }
    let limiter = RateLimiter::new(cache.clone(), settings.rate_limit.clone());
    let versions = Versions::new(
        cache.redis(),
        settings.redis.key_prefix.clone(),
        settings.request_timeout().max(Duration::from_secs(30)) * 2,
        Duration::from_secs(settings.cache.version_ttl_secs),
    );
    let live = crate::live::bus::LiveBus::new(&settings, cache.redis());
    Ok(AppContext {
        db,
        reports_db,
        cache,
        versions,
        access: AccessCache::new(50_000, Duration::from_secs(settings.cache.ttl_secs)),
        tokens: Arc::new(tokens),
        live,
        limiter,
        settings: settings.clone(),
    })
}
