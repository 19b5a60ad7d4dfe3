//! What every resolver can reach: the database, the cache, the token keys,
//! the rate limiter, the caller, and helpers to read arguments.

use std::sync::Arc;

use async_graphql::{Context, ID};
use uuid::Uuid;

use crate::{
    auth::{ratelimit::RateLimiter, session::AccessCache, tokens::TokenKeys, Caller},
    cache::{versions::Versions, Cache},
    config::Settings,
    db::Db,
    error::{AppError, AppResult},
};

/// Shared handles, put into the schema once at start-up.
#[derive(Clone)]
pub struct AppContext {
    /// Database pool of every read and write.
    pub db: Db,
    /// The pool reports and other aggregates run on (`reports.max_connections`).
    pub reports_db: Db,
    /// Cache (Redis or in-process).
    pub cache: Cache,
    /// The mirror of every version (data, access), see [`crate::cache::versions`].
    pub versions: Versions,
    /// What decides each caller's access, by access version.
    pub access: AccessCache,
    /// Token signing and verification.
    pub tokens: Arc<TokenKeys>,
    /// Rate limiter.
    pub limiter: RateLimiter,
    /// Settings in force.
    pub settings: Arc<Settings>,
    /// Committed events on their way to live subscribers.
    pub live: crate::live::bus::LiveBus,
}

impl AppContext {
    /// The same handles with the reports pool as `db`: heavy aggregates run
    /// on it, so they queue on their own connections and every other read
    /// keeps its own pool however many reports are computing.
    pub fn for_reports(&self) -> AppContext {
        AppContext {
            db: self.reports_db.clone(),
            ..self.clone()
        }
    }

    /// The same handles with `db` holding one connection of the main pool
    /// for as long as the returned context lives (see [`crate::db::Db`]):
    /// what one GraphQL query reads through. `None` where nothing would be
    /// held (SQLite), so the shared handles serve as they are.
    pub fn holding_one_connection(&self) -> Option<AppContext> {
        Some(AppContext {
            db: self.db.holding_one_connection()?,
            ..self.clone()
        })
    }
}

/// Accessors on the resolver context.
pub trait ContextExt {
    /// The shared handles; an error (not a panic) if the schema was built without them.
    fn app(&self) -> AppResult<&AppContext>;
    /// The caller of this request.
    fn caller(&self) -> AppResult<&Caller>;
    /// Whether the client selected `totalCount` on the connection being resolved.
    fn wants_total(&self) -> bool;
    /// Whether the client selected a cursor (`edges.cursor` or `pageInfo`)
    /// on the connection being resolved.
    fn wants_cursors(&self) -> bool;
}

impl ContextExt for Context<'_> {
    fn app(&self) -> AppResult<&AppContext> {
        self.data::<AppContext>()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("schema built without AppContext")))
    }

    fn caller(&self) -> AppResult<&Caller> {
        self.data::<Caller>()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("request executed without a Caller")))
    }

    fn wants_total(&self) -> bool {
        self.look_ahead().field("totalCount").exists()
    }

    fn wants_cursors(&self) -> bool {
        let page = self.look_ahead();
        page.field("pageInfo").exists() || page.field("edges").field("cursor").exists()
    }
}

/// Parses an `ID` argument as a UUID; `field` names it in the error.
pub fn parse_id(field: &str, id: &ID) -> AppResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(field, format!("{field} is not a valid id")))
}

/// A UUID as a GraphQL `ID`.
pub fn to_id(id: Uuid) -> ID {
    ID(id.to_string())
}
