//! What every resolver can reach: the database, the cache, and helpers to
//! read arguments.

use async_graphql::{Context, ID};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    cache::Cache,
    error::{AppError, AppResult},
};

/// Shared handles, put into the schema once at start-up.
#[derive(Clone)]
pub struct AppContext {
    /// Database pool.
    pub db: DatabaseConnection,
    /// Cache (Redis or in-process).
    pub cache: Cache,
}

/// Accessors on the resolver context.
pub trait ContextExt {
    /// The shared handles; an error (not a panic) if the schema was built without them.
    fn app(&self) -> AppResult<&AppContext>;
    /// Whether the client selected `totalCount` on the connection being resolved.
    fn wants_total(&self) -> bool;
}

impl ContextExt for Context<'_> {
    fn app(&self) -> AppResult<&AppContext> {
        self.data::<AppContext>()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("schema built without AppContext")))
    }

    fn wants_total(&self) -> bool {
        self.look_ahead().field("totalCount").exists()
    }
}

/// Parses an `ID` argument as a UUID; `field` names it in the error.
pub fn parse_id(field: &str, id: &ID) -> AppResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(field, format!("{field} is not a valid id")))
}
