//! What every benchmark shares: a release instance on a scratch database
//! (PostgreSQL when `BENCH_DATABASE_URL` is set, SQLite otherwise; Redis when
//! `BENCH_REDIS_URL` is set), an admin client, a plain actix-web endpoint to
//! compare with, and wrk as the out-of-process load generator.
#![allow(dead_code, reason = "each benchmark uses its own part")]

use std::path::{Path, PathBuf};

use actix_web::{web, App, HttpResponse, HttpServer};
use hearth::{config::Settings, context::AppContext, startup::Application};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{json, Value};
use tempfile::TempDir;
use uuid::Uuid;

/// wrk: rounds per side, seconds per round, open connections.
const WRK_ROUNDS: usize = 3;
const WRK_SECONDS: u32 = 8;
const WRK_CONNECTIONS: u32 = 16;

/// A GraphQL client for the benchmark.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    /// `http://127.0.0.1:PORT/graphql`.
    pub url: String,
    pub token: String,
}

impl Api {
    /// The raw answer body.
    pub async fn raw(&self, query: &str, variables: Value) -> web::Bytes {
        self.client
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    }

    /// The same client signed in with `token`.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: token.to_string(),
            ..self.clone()
        }
    }

    /// POSTs a whole request body (query and variables already in it) with
    /// this token; fails on any error, returns the full answer.
    pub async fn post_body(&self, body: &str) -> Value {
        let bytes = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let r: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(r.get("errors").is_none(), "{r}");
        r
    }

    /// Creates a brand named `name`; its id.
    pub async fn create_brand(&self, name: &str) -> String {
        self.call(
            "mutation($n: String!) { createBrand(input: { name: $n }) { id } }",
            json!({ "n": name }),
        )
        .await["createBrand"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A client signed in as a new integration of `brand` holding `scope`
    /// (a GraphQL enum value such as `INGEST_ORDERS`).
    pub async fn integration(&self, brand: &str, scope: &str) -> Self {
        let id = self
            .call(
                &format!("mutation($b: ID!) {{ createIntegration(input: {{ brandId: $b, name: \"Bot\", scopes: [{scope}] }}) {{ id }} }}"),
                json!({ "b": brand }),
            )
            .await["createIntegration"]["id"]
            .clone();
        let token = self
            .call(
                "mutation($id: ID!) { issueIntegrationToken(id: $id) { token } }",
                json!({ "id": id }),
            )
            .await["issueIntegrationToken"]["token"]
            .as_str()
            .unwrap()
            .to_string();
        self.with_token(&token)
    }

    /// `data`, failing on any error.
    pub async fn call(&self, query: &str, variables: Value) -> Value {
        let r: Value = serde_json::from_slice(&self.raw(query, variables).await).unwrap();
        assert!(r.get("errors").is_none(), "{r}");
        r["data"].clone()
    }
}

/// A running release instance with an admin signed in.
pub struct Bench {
    pub ctx: AppContext,
    pub settings: Settings,
    pub api: Api,
    /// Scratch files; removed on drop.
    pub dir: TempDir,
    /// Records the instance's statements while switched on.
    pub statements: hearth::telemetry::StatementLog,
    /// The scratch database and cache keys this run made; dropped with it.
    _scratch: Scratch,
}

/// What one run created outside its temporary directory: its own database
/// and its own cache key prefix. Dropping it removes exactly those (never
/// anything found by a name pattern), on success and on a panic alike.
struct Scratch {
    /// Admin URL and name of the database made for this run.
    database: Option<(String, String)>,
    /// Redis URL and the key prefix unique to this run.
    keys: Option<(String, String)>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.database {
            if std::env::var_os("BENCH_KEEP_DATABASE").is_some() {
                println!("kept the scratch database {name} (drop it when done)");
                return;
            }
            let _ = std::process::Command::new("psql")
                .arg(admin)
                .args([
                    "-qAtc",
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                ])
                .status();
        }
        if let Some((url, prefix)) = &self.keys {
            if let Ok(out) = std::process::Command::new("redis-cli")
                .args(["-u", url, "--scan", "--pattern", &format!("{prefix}*")])
                .output()
            {
                let keys: Vec<String> = String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(str::to_string)
                    .collect();
                for chunk in keys.chunks(500) {
                    let _ = std::process::Command::new("redis-cli")
                        .args(["-u", url, "DEL"])
                        .args(chunk)
                        .output();
                }
            }
        }
    }
}

impl Bench {
    /// Starts an instance; `change` adjusts the settings first. The
    /// instance runs no webhook delivery worker unless `change` turns it on:
    /// the worker's polls would otherwise land among the statements a
    /// capture records for one request (and in the pgbench reference).
    pub async fn start(change: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // `HEARTH_` variables (and a `hearth.toml` in the working folder)
        // set the instance's settings as they set the server's, to compare
        // two settings run by run; the bench's own choices below win.
        let vars = std::env::vars()
            .filter(|(k, _)| k.starts_with("HEARTH_"))
            .collect();
        let mut settings = Settings::load_from(None, &vars).unwrap();
        settings.server.port = 0;
        settings.webhooks.deliver = false;
        settings.rate_limit.requests_per_principal_per_minute = 100_000_000;
        settings.auth.jwt_secret = Some(SecretString::from(
            "benchmark-secret-benchmark-secret-0123456789".to_string(),
        ));
        settings.database.data_dir = dir.path().to_path_buf();
        let mut scratch = Scratch {
            database: None,
            keys: None,
        };
        let url = match std::env::var("BENCH_DATABASE_URL") {
            Ok(admin) => {
                let name = format!("hearth_bench_{}", Uuid::new_v4().simple());
                scratch.database = Some((admin.clone(), name.clone()));
                let conn = Database::connect(admin.as_str()).await.unwrap();
                conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap();
                scratch_url(&admin, &name)
            }
            Err(_) => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.sqlite").display()
            ),
        };
        settings.database.url = Some(SecretString::from(url.clone()));
        if let Ok(redis) = std::env::var("BENCH_REDIS_URL") {
            settings.redis.url = Some(SecretString::from(redis.clone()));
            settings.redis.key_prefix = format!("hearth_bench_{}:", Uuid::new_v4().simple());
            scratch.keys = Some((redis, settings.redis.key_prefix.clone()));
        }
        change(&mut settings);
        println!(
            "database: {}, cache: {}",
            if url.starts_with("sqlite") {
                "SQLite"
            } else {
                "PostgreSQL"
            },
            if settings.redis.url.is_some() {
                "Redis"
            } else {
                "in-process"
            }
        );
        let app = Application::build(settings.clone()).await.unwrap();
        let ctx = app.context().clone();
        let statements = app.statement_log();
        let admin = hearth::account::service::bootstrap_admin(
            &ctx.db,
            "bench@agency.test",
            "Bench",
            "benchmark password 1".into(),
        )
        .await
        .unwrap();
        let (token, _) = ctx
            .tokens
            .issue_user(admin.id, admin.role, None, uuid::Uuid::now_v7())
            .unwrap();
        let api = Api {
            client: reqwest::Client::new(),
            url: format!("http://127.0.0.1:{}/graphql", app.port()),
            token,
        };
        tokio::spawn(app.run_until(std::future::pending()));
        Self {
            ctx,
            settings,
            api,
            dir,
            statements,
            _scratch: scratch,
        }
    }

    /// An instance whose statements and requests may run for ten minutes
    /// (cold reports on the large brand, the matched comparison).
    pub async fn start_for_large_reports() -> Self {
        Self::start(|s| {
            s.database.statement_timeout_ms = 600_000;
            s.server.request_timeout_ms = 600_000;
        })
        .await
    }

    /// A new access token for `user` (a session of its own, so every
    /// token's bytes differ).
    pub fn token_for(&self, user: Uuid, role: entity::user::Role, brand: Option<Uuid>) -> String {
        self.ctx
            .tokens
            .issue_user(user, role, brand, Uuid::now_v7())
            .unwrap()
            .0
    }

    /// The statements the instance runs for one request of `body` with
    /// `token`, in order, after a first request has warmed what it caches
    /// (so they are what every later request of the same shape runs).
    pub async fn capture(&self, body: &str, token: &str) -> Vec<sea_orm::Statement> {
        let api = self.api.with_token(token);
        let send = || async {
            api.post_body(body).await;
        };
        send().await;
        self.statements.start();
        send().await;
        self.statements.stop()
    }

    /// The scratch database's URL (PostgreSQL), for pgbench.
    pub fn database_url(&self) -> String {
        use secrecy::ExposeSecret;
        self.settings
            .database
            .url
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_string()
    }

    /// The scratch database's name, from the instance's settings.
    pub fn database_name(&self) -> String {
        use secrecy::ExposeSecret;
        let url = self.settings.database.url.as_ref().unwrap();
        let url = url.expose_secret();
        let path = url.split_once('?').map_or(url, |(path, _)| path);
        path.rsplit('/').next().unwrap().to_string()
    }

    /// Fresh tables have no planner statistics; where autovacuum is off (as
    /// on some test machines) call this after each bulk phase, as it would.
    pub async fn analyze(&self) {
        if self.ctx.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            self.ctx.db.execute_unprepared("ANALYZE").await.unwrap();
        }
    }

    /// `VACUUM ANALYZE`: the tables as autovacuum leaves them once a bulk
    /// load has settled (statistics, and pages marked all-visible so index-only
    /// scans need not visit them).
    pub async fn vacuum_analyze(&self) {
        if self.ctx.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            self.ctx
                .db
                .execute_unprepared("VACUUM ANALYZE")
                .await
                .unwrap();
        }
    }

    /// A plain actix-web endpoint answering every POST with `body`, with as
    /// many workers as the service; returns its URL.
    pub fn plain_endpoint(&self, body: web::Bytes) -> String {
        let server = HttpServer::new(move || {
            let b = body.clone();
            App::new().route(
                "/plain",
                // Reads the request body, as any JSON endpoint does (an
                // unread body also makes actix close the connection).
                web::post().to(move |_request: web::Bytes| {
                    let b = b.clone();
                    async move { HttpResponse::Ok().content_type("application/json").body(b) }
                }),
            )
        })
        .workers(self.settings.server.workers.unwrap_or(2))
        .bind(("127.0.0.1", 0))
        .unwrap();
        let url = format!("http://127.0.0.1:{}/plain", server.addrs()[0].port());
        tokio::spawn(server.run());
        url
    }

    /// Requests per second of the GraphQL `query` (with the admin token) and
    /// of the plain endpoint, both driven by wrk from its own process. The
    /// two alternate for a few rounds and each keeps its best, so a burst of
    /// background work on the machine does not decide the ratio.
    pub async fn throughput(
        &self,
        name: &str,
        query: &str,
        variables: Value,
        plain: &str,
    ) -> (f64, f64) {
        let request = json!({ "query": query, "variables": variables }).to_string();
        let api_script = wrk_script(self.dir.path(), name, &request, Some(&self.api.token));
        let plain_script = wrk_script(self.dir.path(), "plain", "{}", None);
        let (mut api, mut reference) = (0.0_f64, 0.0_f64);
        for _ in 0..WRK_ROUNDS {
            api = api.max(wrk(&self.api.url, &api_script).await);
            reference = reference.max(wrk(plain, &plain_script).await);
        }
        (api, reference)
    }
}

/// The reference side of an ingest comparison: `rows` as multi-row
/// `INSERT ... ON CONFLICT (unique) DO NOTHING` statements of 500 rows,
/// built before the clock starts (see the README's *Benchmarks*).
pub fn insert_statements<A>(
    backend: sea_orm::DbBackend,
    rows: &[A],
    unique: &[<A::Entity as sea_orm::EntityTrait>::Column],
) -> Vec<sea_orm::Statement>
where
    A: sea_orm::ActiveModelTrait + Clone,
{
    rows.chunks(500)
        .map(|chunk| {
            sea_orm::QueryTrait::build(
                &<A::Entity as sea_orm::EntityTrait>::insert_many(chunk.to_vec())
                    .on_conflict_do_nothing_on(unique.iter().copied()),
                backend,
            )
        })
        .collect()
}

/// `admin` (a PostgreSQL URL) naming database `name` instead, its
/// parameters (e.g. `?sslmode=disable`) kept.
pub fn scratch_url(admin: &str, name: &str) -> String {
    let (path, params) = match admin.split_once('?') {
        Some((path, params)) => (path, format!("?{params}")),
        None => (admin, String::new()),
    };
    format!("{}/{name}{params}", path.rsplit_once('/').unwrap().0)
}

/// A number from the environment, or `default`.
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes a wrk script that POSTs each `(body, token)` in turn, so that
/// request bytes vary from request to request as real traffic does.
pub fn wrk_script_rotating(dir: &Path, name: &str, requests: &[(String, String)]) -> PathBuf {
    let path = dir.join(format!("{name}.lua"));
    // Requests are formatted in `init`, once wrk has filled in the host and
    // path of the URL.
    let mut lua = String::from("local bodies = {\n");
    for (body, token) in requests {
        lua.push_str(&format!("  {{ \"{token}\", [==[{body}]==] }},\n"));
    }
    lua.push_str(
        "}\nlocal requests = {}\nlocal i = 0\n\
         init = function(args)\n  for k, b in ipairs(bodies) do\n    \
         requests[k] = wrk.format(\"POST\", nil, { [\"Content-Type\"] = \"application/json\", [\"Authorization\"] = \"Bearer \" .. b[1] }, b[2])\n  \
         end\nend\n\
         request = function()\n  i = i % #requests + 1\n  return requests[i]\nend\n",
    );
    std::fs::write(&path, lua).unwrap();
    path
}

/// Writes a wrk script that POSTs `body` (with a bearer token if given).
fn wrk_script(dir: &Path, name: &str, body: &str, token: Option<&str>) -> PathBuf {
    let path = dir.join(format!("{name}.lua"));
    let mut lua = format!(
        "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [==[{body}]==]\n"
    );
    if let Some(t) = token {
        lua.push_str(&format!(
            "wrk.headers[\"Authorization\"] = \"Bearer {t}\"\n"
        ));
    }
    std::fs::write(&path, lua).unwrap();
    path
}

/// Runs wrk against `url` and returns requests per second; fails on any
/// socket error or non-2xx answer. `BENCH_WRK_THREADS` sets wrk's threads
/// (default 1, leaving the other core to the server).
async fn wrk(url: &str, script: &Path) -> f64 {
    wrk_run(url, script, WRK_CONNECTIONS, WRK_SECONDS)
        .await
        .rate
}

/// What one wrk run measured.
pub struct WrkRun {
    /// Requests per second.
    pub rate: f64,
    /// Requests served.
    pub requests: u64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
}

/// Runs wrk with `connections` open connections for `seconds`; fails on any
/// socket error or non-2xx answer.
pub async fn wrk_run(url: &str, script: &Path, connections: u32, seconds: u32) -> WrkRun {
    let out = tokio::process::Command::new("wrk")
        .args([
            &format!("-t{}", env_number("BENCH_WRK_THREADS", 1)),
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(url)
        .output()
        .await
        .expect("wrk is needed for throughput (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {text}");
    assert!(
        !text.contains("Non-2xx") && !text.contains("Socket errors"),
        "wrk saw errors: {text}"
    );
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rate in wrk output: {text}"));
    let requests = text
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" requests in ")
                .map(|(n, _)| n.to_string())
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no request count in wrk output: {text}"));
    let p50_ms = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("50%"))
        .map(|v| duration_ms(v.trim()))
        .unwrap_or_else(|| panic!("no median in wrk output: {text}"));
    WrkRun {
        rate,
        requests,
        p50_ms,
    }
}

/// wrk's `1.23ms` / `850.00us` / `1.02s` as milliseconds.
fn duration_ms(v: &str) -> f64 {
    let (number, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        panic!("unknown duration {v}")
    };
    number.parse::<f64>().unwrap() * factor
}

/// CPU seconds spent so far by this process (the server and the benchmark's
/// own driver), by the tools it ran and waited for (wrk, pgbench), and by
/// every PostgreSQL process, including backends that have exited (counted in
/// the postmaster's reaped-children time).
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    /// This process.
    pub server: f64,
    /// Child processes that have exited and been waited for: a tool's CPU
    /// shows here once its run is over.
    pub tools: f64,
    /// PostgreSQL.
    pub database: f64,
}

impl Cpu {
    /// Now.
    pub fn now() -> Self {
        let (server, tools) = proc_cpu("/proc/self/stat").unwrap_or_default();
        let mut database = 0.0;
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let path = entry.path().join("stat");
            if let Ok(text) = std::fs::read_to_string(&path) {
                if text.contains("(postgres)") {
                    if let Some((own, children)) = parse_stat(&text) {
                        database += own + children;
                    }
                }
            }
        }
        Self {
            server,
            tools,
            database,
        }
    }

    /// CPU spent since `earlier`.
    pub fn since(earlier: Self) -> Self {
        let now = Self::now();
        Self {
            server: now.server - earlier.server,
            tools: now.tools - earlier.tools,
            database: now.database - earlier.database,
        }
    }
}

fn proc_cpu(path: &str) -> Option<(f64, f64)> {
    parse_stat(&std::fs::read_to_string(path).ok()?)
}

/// (utime + stime, cutime + cstime) in seconds from a `/proc/PID/stat` line.
fn parse_stat(text: &str) -> Option<(f64, f64)> {
    // Fields after the command name, which is in parentheses.
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // utime, stime, cutime, cstime are fields 14-17 of the line, 12-15 here.
    let tick = 100.0; // USER_HZ on Linux
    Some((
        (f.get(11)? + f.get(12)?) / tick,
        (f.get(13)? + f.get(14)?) / tick,
    ))
}

/// The 1-minute load average, to print beside a ratio.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// What one pgbench run measured.
pub struct PgbenchRun {
    /// Transactions (script runs) per second.
    pub rate: f64,
    /// Transactions run.
    pub transactions: u64,
    /// Median latency, milliseconds (from the per-transaction log).
    pub p50_ms: f64,
}

/// How long a pgbench run lasts.
#[derive(Debug, Clone, Copy)]
pub enum Length {
    /// For this many seconds (`-T`).
    Seconds(u32),
    /// This many script runs per client (`-t`).
    Transactions(u32),
}

/// Runs pgbench (`-M prepared`, no vacuum, no init) with `scripts` (one
/// picked at random per transaction)
/// against `url` for `seconds` with `clients` clients; `vars` become
/// pgbench variables (`-D name=value`), sent as bound parameters.
pub async fn pgbench(
    url: &str,
    scripts: &[PathBuf],
    clients: u32,
    seconds: u32,
    vars: &[(String, String)],
) -> PgbenchRun {
    pgbench_for(url, scripts, clients, Length::Seconds(seconds), vars).await
}

/// [`pgbench`] for a given [`Length`].
pub async fn pgbench_for(
    url: &str,
    scripts: &[PathBuf],
    clients: u32,
    length: Length,
    vars: &[(String, String)],
) -> PgbenchRun {
    let logs = tempfile::tempdir().unwrap();
    let prefix = logs.path().join("tx");
    let mut cmd = tokio::process::Command::new("pgbench");
    cmd.args(["-n", "-M", "prepared", "-j", "1"])
        .arg(format!("-c{clients}"))
        .arg(match length {
            Length::Seconds(n) => format!("-T{n}"),
            Length::Transactions(n) => format!("-t{n}"),
        })
        .arg("-l")
        .arg(format!("--log-prefix={}", prefix.display()));
    for script in scripts {
        cmd.arg("-f").arg(script);
    }
    for (k, v) in vars {
        cmd.arg("-D").arg(format!("{k}={v}"));
    }
    let out = cmd
        .arg(url)
        .output()
        .await
        .expect("pgbench is needed for the SQL reference (postgresql-client)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no tps in pgbench output: {text}"));
    let transactions = text
        .lines()
        .find_map(|l| l.strip_prefix("number of transactions actually processed: "))
        .and_then(|v| v.split('/').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no transaction count in pgbench output: {text}"));
    // Log lines: client transaction latency_us script epoch epoch_us.
    let mut latencies: Vec<f64> = Vec::new();
    for entry in std::fs::read_dir(logs.path()).unwrap().flatten() {
        for line in std::fs::read_to_string(entry.path()).unwrap().lines() {
            if let Some(us) = line
                .split_whitespace()
                .nth(2)
                .and_then(|v| v.parse::<f64>().ok())
            {
                latencies.push(us / 1000.0);
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let p50_ms = latencies
        .get(latencies.len() / 2)
        .copied()
        .unwrap_or(f64::NAN);
    PgbenchRun {
        rate,
        transactions,
        p50_ms,
    }
}

/// A pgbench script running `statements` in order, their `$n` parameters
/// renamed to pgbench variables `:s{i}p{n}`; returns the variables to pass,
/// with each value as text.
pub fn pgbench_script(path: &Path, statements: &[sea_orm::Statement]) -> Vec<(String, String)> {
    let mut script = String::new();
    let mut vars = Vec::new();
    for (i, st) in statements.iter().enumerate() {
        let values = st.values.as_ref().map(|v| v.0.clone()).unwrap_or_default();
        let mut sql = st.sql.clone();
        // Highest first, so `$1` does not eat the start of `$12`.
        for n in (1..=values.len()).rev() {
            sql = sql.replace(&format!("${n}"), &format!(":s{i}p{n}"));
        }
        for (n, v) in values.iter().enumerate() {
            vars.push((format!("s{i}p{}", n + 1), value_text(v)));
        }
        script.push_str(&sql.replace('\n', " "));
        script.push_str(";\n");
    }
    std::fs::write(path, script).unwrap();
    vars
}

/// One pgbench script per request variant (`{name}-{k}.sql`), each running
/// that variant's statements in order, their `$n` parameters renamed to
/// pgbench variables `:v{k}s{i}p{n}`; returns the scripts and the variables.
/// pgbench picks a script at random for each transaction, as the rotating
/// wrk script varies its requests.
pub fn pgbench_scripts(
    dir: &Path,
    name: &str,
    variants: &[Vec<sea_orm::Statement>],
) -> (Vec<PathBuf>, Vec<(String, String)>) {
    let mut paths = Vec::new();
    let mut vars = Vec::new();
    for (k, statements) in variants.iter().enumerate() {
        let path = dir.join(format!("{name}-{k}.sql"));
        let mut script = String::new();
        for (i, st) in statements.iter().enumerate() {
            let values = st.values.as_ref().map(|v| v.0.clone()).unwrap_or_default();
            let mut sql = st.sql.clone();
            for n in (1..=values.len()).rev() {
                sql = sql.replace(&format!("${n}"), &format!(":v{k}s{i}p{n}"));
            }
            for (n, v) in values.iter().enumerate() {
                vars.push((format!("v{k}s{i}p{}", n + 1), value_text(v)));
            }
            script.push_str(&sql.replace('\n', " "));
            script.push_str(";\n");
        }
        std::fs::write(&path, script).unwrap();
        paths.push(path);
    }
    (paths, vars)
}

/// A bound value as PostgreSQL reads it from text.
fn value_text(v: &sea_orm::Value) -> String {
    use sea_orm::Value;
    match v {
        Value::Array(_, Some(items)) => format!(
            "{{{}}}",
            items.iter().map(value_text).collect::<Vec<_>>().join(",")
        ),
        Value::String(Some(s)) => s.clone(),
        Value::Uuid(Some(u)) => u.to_string(),
        Value::BigInt(Some(n)) => n.to_string(),
        Value::Int(Some(n)) => n.to_string(),
        Value::BigUnsigned(Some(n)) => n.to_string(),
        Value::Double(Some(n)) => n.to_string(),
        Value::Bool(Some(b)) => b.to_string(),
        Value::ChronoDateTimeUtc(Some(t)) => t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        other => panic!("no text form for {other:?} in the pgbench reference"),
    }
}

/// A page over HTTP (wrk with `wrk_script` against `api_url`) against
/// pgbench running `script` with `vars` on `database_url`: `rounds`
/// alternating rounds of `seconds` at `connections`, each followed by a
/// half-length round at one connection for the medians; the best of each
/// side, CPU per request beside each rate.
pub async fn page_against_pgbench(
    api_url: &str,
    wrk_script: &Path,
    database_url: &str,
    script: &Path,
    vars: &[(String, String)],
    shape: (usize, u32, u32),
) -> Best {
    pages_against_pgbench(
        api_url,
        wrk_script,
        database_url,
        &[script.to_path_buf()],
        vars,
        shape,
    )
    .await
}

/// [`page_against_pgbench`] with one pgbench script per request variant.
pub async fn pages_against_pgbench(
    api_url: &str,
    wrk_script: &Path,
    database_url: &str,
    scripts: &[PathBuf],
    vars: &[(String, String)],
    (rounds, seconds, connections): (usize, u32, u32),
) -> Best {
    let mut best = Best::default();
    for _ in 0..rounds {
        let cpu = Cpu::now();
        let w = wrk_run(api_url, wrk_script, connections, seconds).await;
        let used = Cpu::since(cpu);
        let n = w.requests as f64;
        best.api(w.rate, used.server / n, used.database / n);
        let cpu = Cpu::now();
        let p = pgbench(database_url, scripts, connections, seconds, vars).await;
        let used = Cpu::since(cpu);
        // pgbench is the reference's client, as the server is the page's:
        // its CPU counts, as the server's does (wrk's, the load generator's,
        // does not).
        let n = p.transactions as f64;
        best.reference(p.rate, used.tools / n, used.database / n);
        let w1 = wrk_run(api_url, wrk_script, 1, seconds / 2).await;
        let p1 = pgbench(database_url, scripts, 1, seconds / 2, vars).await;
        best.medians(w1.p50_ms, p1.p50_ms);
    }
    best
}

/// Best of each side over the alternating rounds.
#[derive(Default)]
pub struct Best {
    api_rate: f64,
    api_cpu: f64,
    /// PostgreSQL's part of `api_cpu`.
    api_db_cpu: f64,
    ref_rate: f64,
    ref_cpu: f64,
    /// PostgreSQL's part of `ref_cpu`.
    ref_db_cpu: f64,
    api_p50: f64,
    ref_p50: f64,
}

impl Best {
    /// One round of the server: its rate, and the CPU seconds per request
    /// of the server process and of PostgreSQL.
    pub fn api(&mut self, rate: f64, server: f64, database: f64) {
        self.api_rate = self.api_rate.max(rate);
        if self.api_cpu == 0.0 || server + database < self.api_cpu {
            self.api_cpu = server + database;
            self.api_db_cpu = database;
        }
    }

    /// One round of the reference: its rate, and the CPU seconds per
    /// transaction of pgbench and of PostgreSQL.
    pub fn reference(&mut self, rate: f64, client: f64, database: f64) {
        self.ref_rate = self.ref_rate.max(rate);
        if self.ref_cpu == 0.0 || client + database < self.ref_cpu {
            self.ref_cpu = client + database;
            self.ref_db_cpu = database;
        }
    }

    /// One round's medians at one connection, milliseconds.
    pub fn medians(&mut self, api: f64, reference: f64) {
        self.api_p50 = if self.api_p50 == 0.0 {
            api
        } else {
            self.api_p50.min(api)
        };
        self.ref_p50 = if self.ref_p50 == 0.0 {
            reference
        } else {
            self.ref_p50.min(reference)
        };
    }

    /// The comparison in words, with its ratios.
    pub fn report(&self, what: &str, load: &str) -> String {
        format!(
            "{what} (load {load}):\n\
             \x20 over HTTP:       {:>8.0} req/s  {:>6.0} µs CPU/req  p50 {:>6.2} ms  ({:.0} µs of it in PostgreSQL)\n\
             \x20 pgbench, same SQL:{:>7.0} tx/s   {:>6.0} µs CPU/tx   p50 {:>6.2} ms  ({:.0} µs of it in PostgreSQL)\n\
             \x20 ratios: throughput {:.2}, CPU {:.2} ({:.2} counting only PostgreSQL on pgbench's side), p50 {:.2}  (target >= 0.60)",
            self.api_rate,
            self.api_cpu * 1e6,
            self.api_p50,
            self.api_db_cpu * 1e6,
            self.ref_rate,
            self.ref_cpu * 1e6,
            self.ref_p50,
            self.ref_db_cpu * 1e6,
            self.api_rate / self.ref_rate,
            self.ref_cpu / self.api_cpu,
            self.ref_db_cpu / self.api_cpu,
            self.ref_p50 / self.api_p50,
        )
    }
}

/// The large brand the impact benchmarks seed through the ingest API.
pub struct SeededBrand {
    pub brand: String,
    pub community: String,
    pub customers: usize,
    pub orders: usize,
    pub members: usize,
    /// The instant the orders were dated back from.
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Seeds 100,000 customers, 1,000,000 orders over two years and 20,000
/// members (divided by `scale`) through the ingest API, analysing as it goes.
pub async fn seed_large_brand(bench: &Bench, scale: usize) -> SeededBrand {
    const CUSTOMERS: usize = 100_000;
    const ORDERS: usize = 1_000_000;
    const MEMBERS: usize = 20_000;
    const BATCH: usize = 10_000;
    let brand = bench
        .api
        .call(
            "mutation { createBrand(input: { name: \"Big Brand\" }) { id } }",
            json!({}),
        )
        .await["createBrand"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let community = bench
        .api
        .call(
            "mutation($b: ID!) { createCommunity(input: { brandId: $b, name: \"Club\", purpose: \"Bench\", kind: PRODUCT, platform: DISCORD }) { id } }",
            json!({ "b": brand }),
        )
        .await["createCommunity"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (customers, orders, members) = (CUSTOMERS / scale, ORDERS / scale, MEMBERS / scale);
    let batch = BATCH.min(members);
    let now = chrono::Utc::now();
    let seed = std::time::Instant::now();
    for b in 0..members / batch {
        let rows: Vec<Value> = (0..batch)
            .map(|i| {
                let n = b * batch + i;
                json!({ "sourceKey": format!("j{n}"), "externalId": format!("m{n}"), "kind": "join",
                        "occurredAt": (now - chrono::Duration::days((n % 700) as i64)).to_rfc3339() })
            })
            .collect();
        bench
            .api
            .call(
                "mutation($i: IngestActivitiesInput!) { ingestActivities(input: $i) { inserted } }",
                json!({ "i": { "communityId": community, "rows": rows } }),
            )
            .await;
    }
    bench.analyze().await;
    for b in 0..customers / batch {
        let rows: Vec<Value> = (0..batch)
            .map(|i| {
                let n = b * batch + i;
                if n < members {
                    json!({ "externalRef": format!("c{n}"), "memberPlatform": "DISCORD", "memberExternalId": format!("m{n}") })
                } else {
                    json!({ "externalRef": format!("c{n}") })
                }
            })
            .collect();
        bench
            .api
            .call(
                "mutation($i: IngestCustomersInput!) { ingestCustomers(input: $i) { inserted } }",
                json!({ "i": { "brandId": brand, "rows": rows } }),
            )
            .await;
    }
    bench.analyze().await;
    for b in 0..orders / batch {
        if b % 20 == 0 {
            bench.analyze().await;
        }
        let rows: Vec<Value> = (0..batch)
            .map(|i| {
                let n = b * batch + i;
                json!({ "externalId": format!("o{n}"), "customerRef": format!("c{}", (n * 7919) % customers),
                        "orderedAt": (now - chrono::Duration::hours((n % 17_000) as i64)).to_rfc3339(),
                        "amount": format!("{}.{:02}", 5 + n % 200, n % 100), "currency": "EUR" })
            })
            .collect();
        bench
            .api
            .call(
                "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }",
                json!({ "i": { "brandId": brand, "rows": rows } }),
            )
            .await;
    }
    bench.vacuum_analyze().await;
    println!(
        "seeded {customers} customers, {orders} orders, {members} members in {:.0} s",
        seed.elapsed().as_secs_f64()
    );

    SeededBrand {
        brand,
        community,
        customers,
        orders,
        members,
        now,
    }
}

/// `ingestOrders` with one row per call, as a shop pushing each order.
pub const SINGLE_ORDER: &str =
    "mutation($i: IngestOrdersInput!) { ingestOrders(input: $i) { inserted } }";

/// The `n`-th single order row (50 customers in turn).
pub fn single_order(n: usize) -> Value {
    json!({ "externalId": format!("o{n}"), "customerRef": format!("c{}", n % 50), "orderedAt": "2026-11-02T10:00:00Z", "amount": "12.50", "currency": "EUR" })
}

/// Orders `from..from + count`, one per call, from `concurrency` clients;
/// answers writes per second.
pub async fn single_order_writes(
    bot: &Api,
    brand: &str,
    from: usize,
    count: usize,
    concurrency: usize,
) -> f64 {
    use futures_util::StreamExt;
    let started = std::time::Instant::now();
    futures_util::stream::iter(from..from + count)
        .for_each_concurrent(concurrency, |n| {
            let bot = bot.clone();
            let brand = brand.to_string();
            async move {
                let r = bot
                    .call(
                        SINGLE_ORDER,
                        json!({ "i": { "brandId": brand, "rows": [single_order(n)] } }),
                    )
                    .await;
                assert_eq!(r["ingestOrders"]["inserted"], 1);
            }
        })
        .await;
    count as f64 / started.elapsed().as_secs_f64()
}

/// The `p` quantile (0..1) of sorted values, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}
