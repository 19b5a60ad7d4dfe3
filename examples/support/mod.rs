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
}

impl Bench {
    /// Starts an instance; `change` adjusts the settings first.
    pub async fn start(change: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.port = 0;
        settings.rate_limit.requests_per_principal_per_minute = 100_000_000;
        settings.auth.jwt_secret = Some(SecretString::from(
            "benchmark-secret-benchmark-secret-0123456789".to_string(),
        ));
        settings.database.data_dir = dir.path().to_path_buf();
        let url = match std::env::var("BENCH_DATABASE_URL") {
            Ok(admin) => {
                let name = format!("hearth_bench_{}", Uuid::new_v4().simple());
                let conn = Database::connect(admin.as_str()).await.unwrap();
                conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap();
                format!("{}/{name}", admin.rsplit_once('/').map(|(b, _)| b).unwrap())
            }
            Err(_) => format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.sqlite").display()
            ),
        };
        settings.database.url = Some(SecretString::from(url.clone()));
        if let Ok(redis) = std::env::var("BENCH_REDIS_URL") {
            settings.redis.url = Some(SecretString::from(redis));
            settings.redis.key_prefix = format!("hearth_bench_{}:", Uuid::new_v4().simple());
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
        }
    }

    /// Fresh tables have no planner statistics; where autovacuum is off (as
    /// on some test machines) call this after each bulk phase, as it would.
    pub async fn analyze(&self) {
        if self.ctx.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            self.ctx.db.execute_unprepared("ANALYZE").await.unwrap();
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

/// A number from the environment, or `default`.
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
    let out = tokio::process::Command::new("wrk")
        .args([
            &format!("-t{}", env_number("BENCH_WRK_THREADS", 1)),
            &format!("-c{WRK_CONNECTIONS}"),
            &format!("-d{WRK_SECONDS}s"),
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
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rate in wrk output: {text}"))
}
