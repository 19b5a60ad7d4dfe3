//! Spawns the app for one test and talks to it over HTTP.

use std::{future::Future, path::Path, time::Duration};

use hearth::{config::Settings, startup::Application};
use reqwest::{header::HeaderMap, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{json, Value};
use tempfile::TempDir;
use uuid::Uuid;

/// The PostgreSQL server to create test databases on, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// The Redis server to use, if any.
pub fn redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Replaces the database name of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A database of the test's own: its URL (None = embedded SQLite in `dir`).
pub async fn fresh_database(dir: &Path) -> String {
    match postgres_url() {
        Some(admin) => {
            let name = format!("hearth_t_{}", Uuid::new_v4().simple());
            let conn = Database::connect(admin.as_str())
                .await
                .expect("TEST_DATABASE_URL is set but PostgreSQL cannot be reached");
            conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("could not create a test database");
            conn.close().await.ok();
            with_database(&admin, &name)
        }
        None => format!("sqlite://{}?mode=rwc", dir.join("test.sqlite").display()),
    }
}

/// Settings for a test: port 0, one worker, its own database and Redis prefix.
pub async fn test_settings(dir: &Path) -> Settings {
    let mut s = Settings::default();
    s.server.port = 0;
    s.server.workers = Some(1);
    s.server.shutdown_grace_secs = 0;
    s.database.data_dir = dir.to_path_buf();
    s.database.url = Some(SecretString::from(fresh_database(dir).await));
    if let Some(url) = redis_url() {
        let client =
            redis::Client::open(url.as_str()).expect("TEST_REDIS_URL is not a valid Redis URL");
        let mut conn = tokio::time::timeout(
            Duration::from_secs(3),
            client.get_multiplexed_async_connection(),
        )
        .await
        .expect("TEST_REDIS_URL is set but Redis does not answer")
        .expect("TEST_REDIS_URL is set but Redis cannot be reached");
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .expect("Redis PING failed");
        s.redis.url = Some(SecretString::from(url));
        s.redis.key_prefix = format!("hearth_test:{}:", Uuid::new_v4().simple());
    }
    s.auth.jwt_secret = Some(SecretString::from(JWT_SECRET.to_string()));
    // The webhook worker polls the database on its own schedule, which would
    // land in the statement counts tests assert; the webhook tests turn it on.
    s.webhooks.deliver = false;
    // With Redis, a mirrored version is read again from the database once
    // it is `cache.version_ttl_secs` old (5 s by default). On a loaded
    // machine that re-read could land inside a request whose statements a
    // test counts, so tests trust a version for an hour;
    // `impact::a_version_mirrored_in_redis_is_read_again_once_its_lifetime_ends`
    // sets a short lifetime to test the re-read itself.
    s.cache.version_ttl_secs = 3_600;
    s
}

/// The signing secret of test apps, so tests can forge tokens.
pub const JWT_SECRET: &str = "test-signing-secret-that-is-long-enough-0123456789";
/// Password of every user tests create.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running app, with an admin signed in.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    /// Access token of the admin every test app starts with.
    pub admin_token: String,
    /// The instance's shared handles (database, cache, versions), for tests
    /// that force an interleaving or call a service directly.
    pub context: hearth::context::AppContext,
    _dir: TempDir,
}

/// A GraphQL answer: status, headers and body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// `errors[0].extensions.code`.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("")
    }

    /// `data`, asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"]
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Builds and runs an instance: its address and shared handles.
async fn start(settings: &Settings) -> (String, hearth::context::AppContext) {
    let app = Application::build(settings.clone())
        .await
        .expect("the app failed to start");
    let address = format!("http://127.0.0.1:{}", app.port());
    let context = app.context().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    (address, context)
}

impl TestApp {
    /// Starts the app with the default test settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the app after `change` has adjusted the settings.
    pub async fn spawn_with(change: impl FnOnce(&mut Settings)) -> Self {
        // Errors the app logs (internal errors with their cause) show with a failing test.
        hearth::telemetry::init_logging(&hearth::config::LogSettings {
            format: hearth::config::LogFormat::Text,
            level: "error".into(),
        });
        let dir = tempfile::tempdir().unwrap();
        let mut settings = test_settings(dir.path()).await;
        change(&mut settings);
        let (address, context) = start(&settings).await;
        let admin = hearth::account::service::bootstrap_admin(
            &context.db,
            "admin@agency.test",
            "Admin",
            PASSWORD.into(),
        )
        .await
        .expect("could not create the admin");
        // Signed directly, so that apps with tight limits still get an admin token.
        let (admin_token, _) = context
            .tokens
            .issue_user(admin.id, admin.role, None, uuid::Uuid::now_v7())
            .unwrap();
        Self {
            address,
            client: reqwest::Client::new(),
            settings,
            admin_token,
            context,
            _dir: dir,
        }
    }

    /// A second instance on the same database and Redis, as behind a load
    /// balancer; the admin token works on both.
    pub async fn another_instance(&self) -> Self {
        let (address, context) = start(&self.settings).await;
        Self {
            address,
            client: reqwest::Client::new(),
            settings: self.settings.clone(),
            admin_token: self.admin_token.clone(),
            context,
            _dir: tempfile::tempdir().unwrap(),
        }
    }

    /// POSTs a GraphQL operation as JSON, as the admin.
    pub async fn gql(&self, query: &str, variables: Value) -> Answer {
        self.gql_as(Some(&self.admin_token.clone()), query, variables)
            .await
    }

    /// POSTs a GraphQL operation with the given bearer token (or none).
    pub async fn gql_as(&self, token: Option<&str>, query: &str, variables: Value) -> Answer {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        Self::answer(req.send().await.unwrap()).await
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let a = self.login_payload(email, password).await;
        a.data()["login"]["accessToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Signs in and returns the whole answer.
    pub async fn login_payload(&self, email: &str, password: &str) -> Answer {
        self.gql_as(
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken user { id role } } }",
            json!({ "e": email, "p": password }),
        )
        .await
    }

    /// Creates a user with [`PASSWORD`] and returns its id and e-mail.
    pub async fn create_user(&self, role: &str, brand: Option<&str>) -> (String, String) {
        let email = format!(
            "{}-{}@brand.test",
            role.to_lowercase(),
            Uuid::new_v4().simple()
        );
        let a = self
            .gql(
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "email": email, "displayName": role, "role": role, "brandId": brand, "password": PASSWORD } }),
            )
            .await;
        (
            a.data()["createUser"]["id"].as_str().unwrap().to_string(),
            email,
        )
    }

    /// Creates a user and signs them in: returns (user id, access token).
    pub async fn user_token(&self, role: &str, brand: Option<&str>) -> (String, String) {
        let (id, email) = self.create_user(role, brand).await;
        (id, self.login(&email, PASSWORD).await)
    }

    /// A consultant assigned to `brands`: (user id, access token).
    pub async fn consultant_for(&self, brands: &[&str]) -> (String, String) {
        let (id, token) = self.user_token("CONSULTANT", None).await;
        for brand in brands {
            self.gql(
                "mutation($u: ID!, $b: ID!) { assignConsultant(userId: $u, brandId: $b) { id } }",
                json!({ "u": id, "b": brand }),
            )
            .await
            .data();
        }
        (id, token)
    }

    /// An integration of `brand` with `scopes` and a token: (integration id, token, token id).
    pub async fn integration_token(
        &self,
        brand: &str,
        scopes: &[&str],
    ) -> (String, String, String) {
        let a = self
            .gql(
                "mutation($i: CreateIntegrationInput!) { createIntegration(input: $i) { id } }",
                json!({ "i": { "brandId": brand, "name": "Bot", "scopes": scopes } }),
            )
            .await;
        let id = a.data()["createIntegration"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let t = self
            .gql(
                "mutation($id: ID!) { issueIntegrationToken(id: $id) { token tokenId } }",
                json!({ "id": id }),
            )
            .await;
        let t = &t.data()["issueIntegrationToken"];
        (
            id,
            t["token"].as_str().unwrap().to_string(),
            t["tokenId"].as_str().unwrap().to_string(),
        )
    }

    /// Turns a response into an [`Answer`] (non-JSON bodies become `null`).
    pub async fn answer(res: reqwest::Response) -> Answer {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// GETs a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    /// The value of a metric without labels (or the sum over its series).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.get("/metrics").await.text().await.unwrap();
        text.lines()
            .filter(|l| {
                l.starts_with(name)
                    && (l[name.len()..].starts_with(' ') || l[name.len()..].starts_with('{'))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// SQL statements executed so far by this app.
    pub async fn statements(&self) -> f64 {
        self.metric("hearth_db_statements_total").await
    }

    /// Runs `request` and asserts it executed no SQL statement; `why`
    /// names what should have answered instead.
    pub async fn without_statements<T>(&self, why: &str, request: impl Future<Output = T>) -> T {
        let before = self.statements().await;
        let out = request.await;
        assert_eq!(self.statements().await, before, "{why}");
        out
    }

    /// Creates a brand and returns its id.
    pub async fn create_brand(&self, name: &str) -> String {
        let a = self
            .gql(
                "mutation($input: CreateBrandInput!) { createBrand(input: $input) { id } }",
                json!({ "input": { "name": name } }),
            )
            .await;
        a.data()["createBrand"]["id"].as_str().unwrap().to_string()
    }
}
