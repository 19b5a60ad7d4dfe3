//! Logs (tracing, text or JSON) and Prometheus metrics.

use prometheus::{
    HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::{
    cache::CacheMetrics,
    config::{LogFormat, LogSettings},
};

/// Installs the global log subscriber. `RUST_LOG` overrides `log.level`.
pub fn init_logging(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match settings.format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false),
            )
            .try_init(),
        LogFormat::Text => registry.with(fmt::layer()).try_init(),
    };
    // A second call (tests) keeps the first subscriber.
    let _ = result;
}

/// Every metric the service exports on `/metrics`.
#[derive(Clone)]
pub struct Metrics {
    /// The registry `/metrics` renders.
    pub registry: Registry,
    /// HTTP requests by operation and status.
    pub requests: IntCounterVec,
    /// HTTP request latency by operation.
    pub latency: HistogramVec,
    /// SQL statements executed.
    pub db_statements: IntCounter,
    /// SQL statements that failed.
    pub db_statement_errors: IntCounter,
    /// Pool connections by pool (`main`, `reports`) and state (`idle`,
    /// `in_use`), refreshed on scrape.
    pub db_pool: IntGaugeVec,
    /// Largest size of each pool.
    pub db_pool_max: IntGaugeVec,
    /// Cache figures.
    pub cache: CacheMetrics,
    /// Kept GraphQL responses by result (`stored`, `hit`, `stale`).
    pub replays: IntCounterVec,
    /// Ingest batches whose rows were read straight from the request's
    /// JSON into their input type (see `ingest::from_json`).
    pub batches_read_directly: IntCounter,
    /// The statements run while it is recording (off unless asked).
    pub statement_log: StatementLog,
    /// Open WebSocket connections and running subscriptions (`connections`,
    /// `subscriptions`), refreshed on scrape.
    pub live: IntGaugeVec,
}

/// Records the statements the service runs, with their bound values, while
/// it is switched on: what a benchmark replays through pgbench as the very
/// SQL a request issued, and what a test names when a count is off. Off, it
/// costs one atomic load per statement.
#[derive(Clone, Default)]
pub struct StatementLog(std::sync::Arc<StatementLogInner>);

#[derive(Default)]
struct StatementLogInner {
    on: std::sync::atomic::AtomicBool,
    statements: std::sync::Mutex<Vec<sea_orm::Statement>>,
}

impl StatementLog {
    /// Starts recording (dropping anything recorded before).
    pub fn start(&self) {
        if let Ok(mut s) = self.0.statements.lock() {
            s.clear();
        }
        self.0.on.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Stops recording and returns what was recorded, in order.
    pub fn stop(&self) -> Vec<sea_orm::Statement> {
        self.0.on.store(false, std::sync::atomic::Ordering::SeqCst);
        self.0
            .statements
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }

    /// Records `statement` if recording.
    pub fn record(&self, statement: &sea_orm::Statement) {
        if self.0.on.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(mut s) = self.0.statements.lock() {
                s.push(statement.clone());
            }
        }
    }
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new_custom(Some("hearth".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by GraphQL operation and status",
            ),
            &["operation", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by GraphQL operation",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["operation"],
        )?;
        let db_statements = IntCounter::new("db_statements_total", "SQL statements executed")?;
        let db_statement_errors =
            IntCounter::new("db_statement_errors_total", "SQL statements that failed")?;
        let db_pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections by pool (main, reports) and state",
            ),
            &["pool", "state"],
        )?;
        let db_pool_max = IntGaugeVec::new(
            Opts::new(
                "db_pool_max_connections",
                "Largest size of each database pool",
            ),
            &["pool"],
        )?;
        let cache_requests = IntCounterVec::new(
            Opts::new(
                "cache_requests_total",
                "Cache reads by result (hit, miss, error)",
            ),
            &["result"],
        )?;
        let replays = IntCounterVec::new(
            Opts::new(
                "graphql_replays_total",
                "Responses kept for repeated requests, by result (stored, hit, stale)",
            ),
            &["result"],
        )?;
        let batches_read_directly = IntCounter::new(
            "ingest_batches_read_directly_total",
            "Ingest batches whose rows were read straight from the request's JSON",
        )?;
        let live = IntGaugeVec::new(
            Opts::new(
                "live_open",
                "Open WebSocket connections and running subscriptions on this instance",
            ),
            &["kind"],
        )?;
        registry.register(Box::new(live.clone()))?;
        registry.register(Box::new(replays.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(db_statements.clone()))?;
        registry.register(Box::new(db_statement_errors.clone()))?;
        registry.register(Box::new(db_pool.clone()))?;
        registry.register(Box::new(db_pool_max.clone()))?;
        registry.register(Box::new(cache_requests.clone()))?;
        registry.register(Box::new(batches_read_directly.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            db_statements,
            db_statement_errors,
            db_pool,
            db_pool_max,
            cache: CacheMetrics {
                requests: cache_requests,
            },
            replays,
            batches_read_directly,
            statement_log: StatementLog::default(),
            live,
        })
    }
}

/// Turns on jemalloc's background threads, which purge freed pages on a
/// timer (jemalloc's default decay, 10 s) rather than only when the thread
/// that freed them allocates again, so the resident set shrinks back after
/// a burst while the server idles. Called once at start-up; a failure only
/// costs memory, so it is logged, not fatal.
pub fn return_idle_memory() {
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::warn!(error = %e, "could not start the allocator's background purging");
    }
}
