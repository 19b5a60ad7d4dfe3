//! Settings: built-in defaults < optional TOML file < environment.
//!
//! Environment variables use the `HEARTH_` prefix and `__` between levels
//! (`HEARTH_SERVER__PORT=9000`); `DATABASE_URL` and `REDIS_URL` are accepted
//! as the conventional short forms. Secrets are wrapped in [`SecretString`], so
//! `Debug` output (and `hearth config`) never shows them. Unknown keys and
//! invalid values stop start-up with a message that names the setting.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Environment variable naming an optional settings file.
pub const CONFIG_FILE_ENV: &str = "HEARTH_CONFIG";
/// Settings file read when present and no other file is named.
pub const DEFAULT_CONFIG_FILE: &str = "hearth.toml";

/// Which kind of deployment this is; production turns off developer aids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Local development: GraphiQL, introspection and field suggestions on.
    #[default]
    Development,
    /// Production: developer aids off unless turned on explicitly.
    Production,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// All settings of the service.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Deployment kind (`development` or `production`).
    pub environment: Environment,
    /// HTTP server.
    pub server: ServerSettings,
    /// Database connection.
    pub database: DatabaseSettings,
    /// Redis connection (cache); in-process cache when absent.
    pub redis: RedisSettings,
    /// Cache behaviour.
    pub cache: CacheSettings,
    /// Logging.
    pub log: LogSettings,
    /// Tokens and passwords.
    pub auth: AuthSettings,
    /// Limits on GraphQL documents.
    pub limits: LimitSettings,
    /// Request rate limits.
    pub rate_limit: RateLimitSettings,
    /// Impact reports.
    pub reports: ReportSettings,
    /// Persisted queries.
    pub persisted_queries: PersistedQuerySettings,
    /// Webhook delivery.
    pub webhooks: WebhookSettings,
    /// Live subscriptions over WebSocket.
    pub subscriptions: SubscriptionSettings,
    /// `HEARTH_` environment variables that name no setting (a shell's
    /// `HEARTH_BIN`, say): ignored, and named in a warning at start-up.
    #[serde(skip)]
    pub ignored_variables: Vec<String>,
}

/// Impact report settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// Figures from fewer people than this are flagged as insufficient.
    pub min_sample: u32,
    /// While newer data exists, a report computed at most this many seconds
    /// ago is served (and one refresh starts in the background) unless the
    /// client asks for `fresh: true`; 0 always waits for current data.
    pub max_staleness_secs: u64,
    /// Connections of the pool that reports and other aggregates run on,
    /// apart from the pool of every other read and write.
    pub max_connections: u32,
    /// Seconds a report waits for one of those connections before answering
    /// `SERVICE_UNAVAILABLE`.
    pub acquire_timeout_secs: u64,
    /// Seconds a computation's lock lives without being renewed: how soon
    /// another instance takes over the computation of one that died.
    pub lock_ttl_secs: u64,
    /// PostgreSQL: memory (MiB) each sort or hash of a report statement may
    /// use before it spills to disk (`work_mem` of the reports pool's
    /// connections; the main pool keeps the server's default).
    pub work_mem_mb: u32,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            min_sample: 30,
            max_staleness_secs: 60,
            max_connections: 4,
            acquire_timeout_secs: 30,
            lock_ttl_secs: 10,
            work_mem_mb: 64,
        }
    }
}

/// Token and password settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// HS256 signing secret, at least 32 bytes. In development, when neither
    /// this nor an Ed25519 key pair is given, one is generated in
    /// `database.data_dir`; in production start-up is refused.
    pub jwt_secret: Option<SecretString>,
    /// Ed25519 private key (PKCS#8 PEM file) for EdDSA signing, instead of the secret.
    pub ed25519_private_key_file: Option<PathBuf>,
    /// Ed25519 public key (PEM file) matching the private key.
    pub ed25519_public_key_file: Option<PathBuf>,
    /// `iss` of issued tokens, required on presented ones.
    pub issuer: String,
    /// Lifetime of a user access token, in seconds.
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token, in seconds.
    pub refresh_token_ttl_secs: u64,
    /// Default lifetime of an integration token, in days.
    pub integration_token_ttl_days: u32,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            ed25519_private_key_file: None,
            ed25519_public_key_file: None,
            issuer: "hearth".into(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            integration_token_ttl_days: 365,
            leeway_secs: 5,
        }
    }
}

/// Limits on GraphQL documents (a small-budget attacker must not take the service down).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Deepest selection.
    pub depth: usize,
    /// Largest complexity (each field 1, lists multiplied by their page size).
    pub complexity: usize,
    /// Most aliased fields in a document.
    pub aliases: usize,
    /// Most directives on one field.
    pub directives: usize,
    /// Most lexical tokens in a document.
    pub tokens: usize,
    /// Longest document, in characters.
    pub document_chars: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            depth: 12,
            complexity: 5000,
            aliases: 15,
            directives: 50,
            tokens: 1000,
            document_chars: 15_000,
        }
    }
}

/// Persisted queries: automatic ones (clients register a document by its
/// SHA-256 and then send only the hash), or an allow-list.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PersistedQuerySettings {
    /// A persisted-query manifest (JSON) loaded at start-up; when set, only
    /// its documents run and no other can be registered.
    pub allow_list_file: Option<PathBuf>,
}

/// Webhook delivery: the worker every instance runs, and what it may reach.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Run the delivery worker on this instance.
    pub deliver: bool,
    /// How often the worker looks for due deliveries, in milliseconds.
    pub poll_interval_ms: u64,
    /// Longest wait for a receiver's answer, in milliseconds.
    pub timeout_ms: u64,
    /// Most bytes of a receiver's answer read (the rest is ignored).
    pub max_response_bytes: usize,
    /// The first retry's delay in milliseconds; each next one is 6 times
    /// longer, at most 10 hours, until the delivery has been failing for a
    /// day.
    pub first_retry_ms: u64,
    /// An endpoint whose every attempt has failed for this long is disabled.
    pub disable_after_secs: u64,
    /// How often the worker scans for members slipping away and
    /// certifications expiring within 30 days, in seconds.
    pub scan_interval_secs: u64,
    /// Allow endpoints on loopback, private, link-local (cloud metadata)
    /// and other non-public addresses (off: only public addresses).
    pub allow_private_networks: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            deliver: true,
            poll_interval_ms: 1000,
            timeout_ms: 10_000,
            max_response_bytes: 65_536,
            first_retry_ms: 5_000,
            disable_after_secs: 86_400,
            scan_interval_secs: 300,
            allow_private_networks: false,
        }
    }
}

/// Live subscriptions over WebSocket (`graphql-transport-ws` on `/graphql`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubscriptionSettings {
    /// Open connections one user or integration may hold on one instance.
    pub max_connections_per_principal: usize,
    /// Subscriptions one connection may run at once.
    pub max_per_connection: usize,
    /// Seconds a new connection has to send `connection_init` (then 4408).
    pub init_timeout_secs: u64,
    /// Seconds between the server's `ping` messages.
    pub keepalive_secs: u64,
    /// Seconds between checks that the connection's token still stands
    /// (expiry, revocation, access changes) when no event arrives; each
    /// event is checked as it is sent.
    pub recheck_secs: u64,
    /// Largest message a client may send, in bytes.
    pub max_message_bytes: usize,
    /// Events a subscriber may fall behind before it misses some.
    pub buffer: usize,
}

impl Default for SubscriptionSettings {
    fn default() -> Self {
        Self {
            max_connections_per_principal: 10,
            max_per_connection: 20,
            init_timeout_secs: 10,
            keepalive_secs: 15,
            recheck_secs: 5,
            max_message_bytes: 65_536,
            buffer: 1024,
        }
    }
}

/// Request rate limits (Redis when configured, in-process otherwise).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Login attempts per client IP per minute.
    pub login_per_ip_per_minute: u32,
    /// Login attempts per e-mail address per minute.
    pub login_per_account_per_minute: u32,
    /// Requests per signed-in user or integration per minute.
    pub requests_per_principal_per_minute: u32,
    /// Certificate checks (`verifyCertification`) per client IP per minute.
    pub verify_per_ip_per_minute: u32,
    /// Report pages and CSVs opened by share link, per client IP per minute.
    pub report_link_per_ip_per_minute: u32,
    /// Take the client IP from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            login_per_ip_per_minute: 20,
            login_per_account_per_minute: 10,
            requests_per_principal_per_minute: 1200,
            verify_per_ip_per_minute: 30,
            report_link_per_ip_per_minute: 60,
            trust_forwarded_for: false,
        }
    }
}

/// HTTP server settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to bind.
    pub host: String,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// Worker threads; defaults to the number of cores.
    pub workers: Option<usize>,
    /// Serve the GraphiQL IDE at `/graphiql` (default: on in development).
    pub graphiql: Option<bool>,
    /// Allow schema introspection (default: on in development).
    pub introspection: Option<bool>,
    /// Origins allowed by CORS (the consultants' front end); none by default.
    pub cors_origins: Vec<String>,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Time a request may take before it fails with `TIMEOUT`, in milliseconds.
    pub request_timeout_ms: u64,
    /// Time a client gets to send the whole request body, in milliseconds;
    /// a slower or stalled body gets 408.
    pub body_timeout_ms: u64,
    /// After SIGTERM: seconds readiness reports 503 before the server stops
    /// accepting (lets load balancers notice).
    pub shutdown_grace_secs: u64,
    /// After that: seconds in-flight requests get to finish.
    pub shutdown_timeout_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            workers: None,
            graphiql: None,
            introspection: None,
            cors_origins: Vec::new(),
            // Room for a full ingest batch (10,000 rows).
            body_limit_bytes: 16 * 1024 * 1024,
            request_timeout_ms: 30_000,
            body_timeout_ms: 10_000,
            shutdown_grace_secs: 2,
            shutdown_timeout_secs: 30,
        }
    }
}

/// Database settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://...` for PostgreSQL or `sqlite://...`; when absent an
    /// SQLite file in `data_dir` is used.
    pub url: Option<SecretString>,
    /// Folder for the embedded SQLite database and generated files.
    pub data_dir: PathBuf,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection before answering 503.
    pub acquire_timeout_secs: u64,
    /// Longest a single SQL statement may run (PostgreSQL), in milliseconds.
    pub statement_timeout_ms: u64,
    /// A pooled connection idle at least this long (milliseconds) is checked
    /// with a round trip before it is handed out, and replaced if the
    /// database dropped it; one in use more recently goes straight to its
    /// statement. 0 checks on every use, a round trip per statement.
    pub ping_idle_after_ms: u64,
    /// PostgreSQL: a GraphQL query runs all its statements on one pooled
    /// connection, taken at its first statement and given back when it
    /// ends, so the driver's check of a connection going back to the pool
    /// (a round trip) is paid once per query rather than once per
    /// statement. Off, each statement takes a connection of its own.
    pub connection_per_query: bool,
    /// SQLite: a pooled connection idle this many seconds is closed, and
    /// the page cache and prepared statements SQLite keeps per connection
    /// are freed with it (reopening one is a file open). PostgreSQL
    /// connections are kept.
    pub sqlite_idle_close_secs: u64,
    /// Apply pending migrations when the server starts.
    pub auto_migrate: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            data_dir: PathBuf::from("data"),
            max_connections: 10,
            acquire_timeout_secs: 3,
            statement_timeout_ms: 10_000,
            ping_idle_after_ms: 1_000,
            connection_per_query: true,
            sqlite_idle_close_secs: 15,
            auto_migrate: true,
        }
    }
}

/// Redis settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisSettings {
    /// `redis://host:port/db`; when absent an in-process cache is used.
    pub url: Option<SecretString>,
    /// Prefix of every key this service writes (several deployments can
    /// share one Redis).
    pub key_prefix: String,
    /// Longest wait for one Redis call, in milliseconds; a slow or dead Redis
    /// is then treated as a cache miss.
    pub timeout_ms: u64,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: None,
            key_prefix: "hearth:".into(),
            timeout_ms: 250,
        }
    }
}

/// Cache settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// Lifetime of a cached entry, in seconds.
    pub ttl_secs: u64,
    /// Entries the in-process cache holds at most.
    pub memory_capacity: u64,
    /// Versioned entries (reports) each instance also keeps decoded in
    /// memory, in front of Redis or the in-process cache.
    pub decoded_capacity: u64,
    /// Longest a version mirrored in the cache is trusted before it is read
    /// from the database again, in seconds. It bounds staleness only where
    /// Redis answers readers but refused a writer's pending mark.
    pub version_ttl_secs: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            ttl_secs: 300,
            memory_capacity: 10_000,
            decoded_capacity: 512,
            version_ttl_secs: 5,
        }
    }
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// Filter in `tracing` syntax, e.g. `info` or `hearth=debug,info`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// The `HEARTH_` variables in `vars` as a settings source (`__` between
/// levels, lists split on commas).
fn environment(vars: HashMap<String, String>) -> config::Environment {
    config::Environment::with_prefix("HEARTH")
        .prefix_separator("_")
        .separator("__")
        .try_parsing(true)
        .list_separator(",")
        .with_list_parse_key("server.cors_origins")
        .source(Some(vars))
}

/// Whether the variable `name` names no setting at all (as opposed to a
/// setting given a bad value, which stays an error).
fn names_no_setting(name: &str, value: &str) -> bool {
    let one = HashMap::from([(name.to_string(), value.to_string())]);
    config::Config::builder()
        .add_source(environment(one))
        .build()
        .and_then(|c| c.try_deserialize::<Settings>())
        .is_err_and(|e| e.to_string().contains("unknown field"))
}

impl Settings {
    /// Loads settings from the optional file and the process environment.
    pub fn load(file: Option<PathBuf>) -> anyhow::Result<Self> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::load_from(file, &vars)
    }

    /// Loads settings from the optional file and the given variables.
    pub fn load_from(
        file: Option<PathBuf>,
        vars: &HashMap<String, String>,
    ) -> anyhow::Result<Self> {
        let mut builder = config::Config::builder();
        let file = file.or_else(|| vars.get(CONFIG_FILE_ENV).map(PathBuf::from));
        match file {
            Some(path) => {
                if !path.exists() {
                    bail!("settings file {} does not exist", path.display());
                }
                builder = builder.add_source(config::File::from(path));
            }
            None => {
                builder = builder
                    .add_source(config::File::with_name(DEFAULT_CONFIG_FILE).required(false));
            }
        }
        // A variable that names no setting is someone else's (a shell's
        // `HEARTH_BIN`): it is left out and named in a warning, where an
        // unknown key in a settings file stays an error (a typo).
        let (prefixed, ignored): (HashMap<String, String>, HashMap<String, String>) = vars
            .iter()
            .filter(|(k, _)| k.starts_with("HEARTH_") && k.as_str() != CONFIG_FILE_ENV)
            .map(|(k, v)| (k.clone(), v.clone()))
            .partition(|(k, v)| !names_no_setting(k, v));
        builder = builder.add_source(environment(prefixed));
        // The conventional short names win over nothing, but not over the
        // explicit HEARTH_ forms.
        if let Some(url) = vars
            .get("DATABASE_URL")
            .filter(|_| !vars.contains_key("HEARTH_DATABASE__URL"))
        {
            builder = builder.set_override("database.url", url.as_str())?;
        }
        if let Some(url) = vars
            .get("REDIS_URL")
            .filter(|_| !vars.contains_key("HEARTH_REDIS__URL"))
        {
            builder = builder.set_override("redis.url", url.as_str())?;
        }
        let settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
        settings.validate()?;
        let mut settings = settings;
        settings.ignored_variables = ignored.into_keys().collect();
        settings.ignored_variables.sort();
        Ok(settings)
    }

    /// Checks values that parse but make no sense; the message names the setting.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.server.host.trim().is_empty() {
            bail!("invalid settings: server.host must not be empty");
        }
        if self.server.body_limit_bytes < 1024 {
            bail!("invalid settings: server.body_limit_bytes must be at least 1024");
        }
        if self.server.request_timeout_ms == 0 {
            bail!("invalid settings: server.request_timeout_ms must be at least 1");
        }
        if self.server.body_timeout_ms == 0 {
            bail!("invalid settings: server.body_timeout_ms must be at least 1");
        }
        if self.server.workers == Some(0) {
            bail!("invalid settings: server.workers must be at least 1");
        }
        for origin in &self.server.cors_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.ends_with('/')
            {
                bail!("invalid settings: server.cors_origins entry {origin:?} must look like https://host[:port]");
            }
        }
        if self.database.max_connections == 0 {
            bail!("invalid settings: database.max_connections must be at least 1");
        }
        if self.database.acquire_timeout_secs == 0 {
            bail!("invalid settings: database.acquire_timeout_secs must be at least 1");
        }
        if self.database.sqlite_idle_close_secs == 0 {
            bail!("invalid settings: database.sqlite_idle_close_secs must be at least 1");
        }
        self.database_kind()?;
        if let Some(url) = &self.redis.url {
            let url = url.expose_secret();
            if !(url.starts_with("redis://")
                || url.starts_with("rediss://")
                || url.starts_with("unix://"))
            {
                bail!("invalid settings: redis.url must start with redis://, rediss:// or unix://");
            }
        }
        if self.redis.timeout_ms == 0 {
            bail!("invalid settings: redis.timeout_ms must be at least 1");
        }
        if self.cache.ttl_secs == 0 {
            bail!("invalid settings: cache.ttl_secs must be at least 1");
        }
        if self.cache.version_ttl_secs == 0 {
            bail!("invalid settings: cache.version_ttl_secs must be at least 1");
        }
        if let Some(secret) = &self.auth.jwt_secret {
            if secret.expose_secret().len() < 32 {
                bail!("invalid settings: auth.jwt_secret must be at least 32 bytes");
            }
        }
        if self.auth.ed25519_private_key_file.is_some()
            != self.auth.ed25519_public_key_file.is_some()
        {
            bail!("invalid settings: auth.ed25519_private_key_file and auth.ed25519_public_key_file go together");
        }
        if self.auth.issuer.trim().is_empty() {
            bail!("invalid settings: auth.issuer must not be empty");
        }
        if self.auth.access_token_ttl_secs < 60 {
            bail!("invalid settings: auth.access_token_ttl_secs must be at least 60");
        }
        if self.auth.leeway_secs > 60 {
            bail!("invalid settings: auth.leeway_secs must be at most 60");
        }
        let subs = &self.subscriptions;
        for (name, value) in [
            (
                "subscriptions.max_connections_per_principal",
                subs.max_connections_per_principal as u64,
            ),
            (
                "subscriptions.max_per_connection",
                subs.max_per_connection as u64,
            ),
            ("subscriptions.init_timeout_secs", subs.init_timeout_secs),
            ("subscriptions.keepalive_secs", subs.keepalive_secs),
            ("subscriptions.recheck_secs", subs.recheck_secs),
            ("subscriptions.buffer", subs.buffer as u64),
        ] {
            if value == 0 {
                bail!("invalid settings: {name} must be at least 1");
            }
        }
        if subs.max_message_bytes < 1024 {
            bail!("invalid settings: subscriptions.max_message_bytes must be at least 1024");
        }
        for (name, value) in [
            ("limits.depth", self.limits.depth),
            ("limits.complexity", self.limits.complexity),
            ("limits.tokens", self.limits.tokens),
            ("limits.document_chars", self.limits.document_chars),
            ("limits.directives", self.limits.directives),
        ] {
            if value == 0 {
                bail!("invalid settings: {name} must be at least 1");
            }
        }
        for (name, value) in [
            (
                "rate_limit.login_per_ip_per_minute",
                self.rate_limit.login_per_ip_per_minute,
            ),
            (
                "rate_limit.login_per_account_per_minute",
                self.rate_limit.login_per_account_per_minute,
            ),
            (
                "rate_limit.requests_per_principal_per_minute",
                self.rate_limit.requests_per_principal_per_minute,
            ),
            (
                "rate_limit.verify_per_ip_per_minute",
                self.rate_limit.verify_per_ip_per_minute,
            ),
            (
                "rate_limit.report_link_per_ip_per_minute",
                self.rate_limit.report_link_per_ip_per_minute,
            ),
        ] {
            if value == 0 {
                bail!("invalid settings: {name} must be at least 1");
            }
        }
        for (name, value) in [
            ("reports.min_sample", u64::from(self.reports.min_sample)),
            (
                "reports.max_connections",
                u64::from(self.reports.max_connections),
            ),
            (
                "reports.acquire_timeout_secs",
                self.reports.acquire_timeout_secs,
            ),
            ("reports.lock_ttl_secs", self.reports.lock_ttl_secs),
            ("reports.work_mem_mb", u64::from(self.reports.work_mem_mb)),
        ] {
            if value == 0 {
                bail!("invalid settings: {name} must be at least 1");
            }
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .with_context(|| format!("invalid settings: log.level {:?}", self.log.level))?;
        Ok(())
    }

    /// The database the settings point at.
    pub fn database_kind(&self) -> anyhow::Result<DatabaseKind> {
        match &self.database.url {
            None => Ok(DatabaseKind::Sqlite),
            Some(url) => {
                let url = url.expose_secret();
                if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                    Ok(DatabaseKind::Postgres)
                } else if url.starts_with("sqlite:") {
                    // An in-memory database lives only while a connection to
                    // it is open, and the pool closes idle ones
                    // (`database.sqlite_idle_close_secs`): its data would
                    // vanish whenever the server sat idle.
                    if url.contains(":memory:") || url.contains("mode=memory") {
                        bail!("invalid settings: database.url must name an SQLite file, not an in-memory database (its data would be lost once the pool closes idle connections)");
                    }
                    Ok(DatabaseKind::Sqlite)
                } else {
                    bail!("invalid settings: database.url must start with postgres://, postgresql:// or sqlite:")
                }
            }
        }
    }

    /// The database URL to connect to (the embedded SQLite file by default).
    pub fn database_url(&self) -> SecretString {
        match &self.database.url {
            Some(url) => url.clone(),
            None => {
                let path = self.database.data_dir.join("hearth.sqlite");
                SecretString::from(format!("sqlite://{}?mode=rwc", path.display()))
            }
        }
    }

    /// Whether GraphiQL is served.
    pub fn graphiql_enabled(&self) -> bool {
        self.server
            .graphiql
            .unwrap_or(self.environment == Environment::Development)
    }

    /// Whether introspection is allowed.
    pub fn introspection_enabled(&self) -> bool {
        self.server
            .introspection
            .unwrap_or(self.environment == Environment::Development)
    }

    /// Per-request time limit.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.server.request_timeout_ms)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_configuration() {
        let s = Settings::load_from(None, &vars(&[])).unwrap();
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.server.host, "127.0.0.1");
        assert_eq!(s.database_kind().unwrap(), DatabaseKind::Sqlite);
        assert!(s.graphiql_enabled());
    }

    #[test]
    fn environment_overrides_defaults() {
        let s = Settings::load_from(
            None,
            &vars(&[
                ("HEARTH_SERVER__PORT", "9001"),
                (
                    "HEARTH_SERVER__CORS_ORIGINS",
                    "https://a.example,https://b.example",
                ),
                ("DATABASE_URL", "postgres://u:p@localhost/db"),
                ("HEARTH_ENVIRONMENT", "production"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.port, 9001);
        assert_eq!(s.server.cors_origins.len(), 2);
        assert_eq!(s.database_kind().unwrap(), DatabaseKind::Postgres);
        assert!(!s.graphiql_enabled());
    }

    #[test]
    fn invalid_value_names_the_setting() {
        let err =
            Settings::load_from(None, &vars(&[("HEARTH_SERVER__PORT", "eighty")])).unwrap_err();
        assert!(format!("{err:#}").contains("server.port"), "{err:#}");
        let err = Settings::load_from(None, &vars(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(format!("{err:#}").contains("database.url"), "{err:#}");
        for memory in [
            "sqlite::memory:",
            "sqlite://file:db?mode=memory&cache=shared",
        ] {
            let err = Settings::load_from(None, &vars(&[("DATABASE_URL", memory)])).unwrap_err();
            assert!(
                format!("{err:#}").contains("database.url must name an SQLite file"),
                "{err:#}"
            );
        }
        let err = Settings::load_from(
            None,
            &vars(&[("HEARTH_DATABASE__SQLITE_IDLE_CLOSE_SECS", "0")]),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("database.sqlite_idle_close_secs must be at least 1"),
            "{err:#}"
        );
    }

    #[test]
    fn short_jwt_secret_is_refused() {
        let err =
            Settings::load_from(None, &vars(&[("HEARTH_AUTH__JWT_SECRET", "short")])).unwrap_err();
        assert!(format!("{err:#}").contains("auth.jwt_secret"), "{err:#}");
    }

    #[test]
    fn unknown_key_in_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hearth.toml");
        std::fs::write(&path, "[server]\nprot = 1\n").unwrap();
        let err = Settings::load_from(Some(path), &vars(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("prot"), "{err:#}");
    }

    #[test]
    fn unrelated_variables_are_ignored_and_named() {
        let s = Settings::load_from(
            None,
            &vars(&[
                ("HEARTH_BIN", "/usr/local/bin/hearth"),
                ("HEARTH_SERVER__PROT", "1"),
                ("HEARTH_SERVER__PORT", "9002"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.port, 9002);
        assert_eq!(s.ignored_variables, ["HEARTH_BIN", "HEARTH_SERVER__PROT"]);
        // A known setting with a bad value is still an error.
        let err =
            Settings::load_from(None, &vars(&[("HEARTH_SERVER__PORT", "eighty")])).unwrap_err();
        assert!(format!("{err:#}").contains("server.port"), "{err:#}");
    }

    #[test]
    fn secrets_are_not_printed() {
        let s = Settings::load_from(
            None,
            &vars(&[
                ("DATABASE_URL", "postgres://u:hunter2@localhost/db"),
                ("REDIS_URL", "redis://:sekrit@localhost"),
            ]),
        )
        .unwrap();
        let printed = format!("{s:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains("sekrit"),
            "{printed}"
        );
    }
}
