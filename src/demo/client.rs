//! The demo's way in: GraphQL operations executed on the same schema, with
//! the same callers, as requests to the server, so every rule, audit record
//! and data version applies exactly as it does to an HTTP request.

use anyhow::{anyhow, bail, Context as _};
use async_graphql::{Request, ValidationMode, Variables};
use serde_json::{json, Value};

use crate::{
    auth::{session, Caller, Principal},
    context::AppContext,
    error::AppError,
    graphql::{self, AppSchema},
    loaders, response_cache,
};

/// Executes operations in process.
pub struct Gql {
    app: AppContext,
    schema: AppSchema,
}

/// The most rows one ingest call takes.
pub const BATCH: usize = 10_000;

fn caller(principal: Principal) -> Caller {
    Caller {
        principal,
        request_id: "demo".into(),
        client_ip: "cli".into(),
    }
}

impl Gql {
    /// The schema as the server builds it.
    pub fn new(app: AppContext) -> Self {
        let schema = graphql::build(app.clone(), &app.settings, ValidationMode::Strict);
        Self { app, schema }
    }

    /// Runs one operation as `who`; any error in the response is an error
    /// naming the operation's first field, the message and its code.
    pub async fn run(&self, who: &Caller, query: &str, variables: Value) -> anyhow::Result<Value> {
        let request =
            loaders::attach(Request::new(query).variables(Variables::from_json(variables)))
                .data(who.clone())
                .data(response_cache::ReplayableFields::default())
                .data(response_cache::RequestBytes(bytes::Bytes::new()));
        let response = self.schema.execute(request).await;
        if let Some(error) = response.errors.first() {
            let code = error
                .source::<AppError>()
                .map(AppError::code)
                .unwrap_or("GRAPHQL_VALIDATION_FAILED");
            let name = query
                .split_once('{')
                .and_then(|(_, rest)| rest.trim_start().split(['(', '{', ' ']).next())
                .unwrap_or(query);
            bail!("{name}: {} ({code})", error.message);
        }
        Ok(response.data.into_json()?)
    }

    /// Runs an ingest mutation (`field(input: $input)` returning an ingest
    /// result) in batches of [`BATCH`] rows; a rejected row is an error.
    /// Returns the rows inserted.
    pub async fn ingest(
        &self,
        who: &Caller,
        field: &str,
        input_type: &str,
        input: Value,
        rows: &[Value],
        mut progress: impl FnMut(u64),
    ) -> anyhow::Result<u64> {
        let query = format!(
            "mutation($input: {input_type}!) {{ {field}(input: $input) {{ inserted rejected {{ index field reason }} }} }}"
        );
        let mut inserted = 0;
        for chunk in rows.chunks(BATCH) {
            let mut input = input.clone();
            input["rows"] = Value::Array(chunk.to_vec());
            let out = self.run(who, &query, json!({ "input": input })).await?;
            let result = &out[field];
            if let Some(first) = result["rejected"].as_array().and_then(|r| r.first()) {
                bail!("{field} rejected a row: {first}");
            }
            inserted += result["inserted"].as_u64().unwrap_or(0);
            progress(chunk.len() as u64);
        }
        Ok(inserted)
    }

    /// Signs in through the `login` mutation and admits the access token as
    /// the server does.
    pub async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<Caller> {
        let out = self
            .run(
                &caller(Principal::Anonymous),
                "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }",
                json!({ "email": email, "password": password }),
            )
            .await?;
        let token = out["login"]["accessToken"]
            .as_str()
            .context("login answered no access token")?;
        self.admit(token).await
    }

    /// The caller a presented token stands for (user or integration).
    pub async fn admit(&self, token: &str) -> anyhow::Result<Caller> {
        let verified = self
            .app
            .tokens
            .verify(token)
            .map_err(|e| anyhow!("the token was refused: {e:?}"))?;
        let principal = session::admit(&self.app, verified)
            .await
            .map_err(|e| anyhow!("the token was not admitted: {e:?}"))?;
        Ok(caller(principal))
    }
}

/// A string field of an answer, by JSON pointer.
pub fn text(value: &Value, pointer: &str) -> anyhow::Result<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
        .with_context(|| format!("the answer has no {pointer}"))
}
