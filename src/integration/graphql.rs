//! GraphQL types and resolvers for integrations.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::integration;

use super::service::{
    self, CreateIntegrationInput, IntegrationFilter, IntegrationScope, IssuedToken, CURSOR_TAG,
};
use crate::{
    context::{parse_id, ContextExt},
    pagination::{Connection, PageRequest},
};

/// A machine client of one brand.
#[derive(Debug, Clone, SimpleObject)]
pub struct Integration {
    /// Unique id (the `sub` of its tokens).
    pub id: ID,
    /// The brand it belongs to.
    pub brand_id: ID,
    /// Name shown to staff.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<IntegrationScope>,
    /// When it was revoked; its tokens stopped working then.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<integration::Model> for Integration {
    fn from(m: integration::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            brand_id: ID(m.brand_id.to_string()),
            name: m.name,
            scopes: m
                .scopes
                .split_whitespace()
                .filter_map(IntegrationScope::parse)
                .collect(),
            revoked_at: m.revoked_at,
            created_at: m.created_at,
        }
    }
}

/// A newly issued integration token. The token is shown only now.
#[derive(Debug, SimpleObject)]
pub struct IntegrationToken {
    /// The JWT to send as `Authorization: Bearer <token>`; store it securely.
    pub token: String,
    /// The token's id (`jti`), to revoke it.
    pub token_id: ID,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

impl From<IssuedToken> for IntegrationToken {
    fn from(t: IssuedToken) -> Self {
        Self {
            token: t.token,
            token_id: ID(t.token_id.to_string()),
            expires_at: t.expires_at,
        }
    }
}

/// Integration queries.
#[derive(Default)]
pub struct IntegrationQuery;

#[Object]
impl IntegrationQuery {
    /// One integration by id (admins and the brand's consultants).
    async fn integration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integration's id.")] id: ID,
    ) -> async_graphql::Result<Integration> {
        Ok(
            service::get(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// Integrations, newest first (admins and the brands' consultants).
    async fn integrations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Which integrations to include.")] filter: Option<IntegrationFilter>,
    ) -> async_graphql::Result<Connection<Integration>> {
        let page = PageRequest::new(first, after.as_deref(), CURSOR_TAG, 1, ctx.wants_total())?;
        let page =
            service::list(ctx.app()?, ctx.caller()?, filter.unwrap_or_default(), page).await?;
        Ok(page.map(Integration::from).into())
    }

    /// The calling integration (integration tokens only).
    async fn current_integration(&self, ctx: &Context<'_>) -> async_graphql::Result<Integration> {
        Ok(service::current(ctx.app()?, ctx.caller()?).await?.into())
    }
}

/// Integration mutations.
#[derive(Default)]
pub struct IntegrationMutation;

#[Object]
impl IntegrationMutation {
    /// Creates an integration for a brand (admins and the brand's consultants).
    async fn create_integration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new integration.")] input: CreateIntegrationInput,
    ) -> async_graphql::Result<Integration> {
        Ok(service::create(ctx.app()?, ctx.caller()?, input)
            .await?
            .into())
    }

    /// Revokes an integration: all its tokens stop working at once.
    async fn revoke_integration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integration's id.")] id: ID,
    ) -> async_graphql::Result<Integration> {
        Ok(
            service::revoke(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// Issues a token for an integration. The token is returned only here.
    async fn issue_integration_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The integration's id.")] id: ID,
        #[graphql(desc = "Lifetime in days, 1-3650 (default from settings).")]
        expires_in_days: Option<i32>,
    ) -> async_graphql::Result<IntegrationToken> {
        Ok(service::issue_token(
            ctx.app()?,
            ctx.caller()?,
            parse_id("id", &id)?,
            expires_in_days,
        )
        .await?
        .into())
    }

    /// Revokes one integration token; it stops working at once.
    async fn revoke_integration_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's id (`tokenId`).")] token_id: ID,
    ) -> async_graphql::Result<bool> {
        Ok(
            service::revoke_token(ctx.app()?, ctx.caller()?, parse_id("tokenId", &token_id)?)
                .await?,
        )
    }
}
