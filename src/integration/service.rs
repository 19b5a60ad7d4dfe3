//! Integration rules and queries.

use async_graphql::{Enum, InputObject, ID};
use chrono::{DateTime, Duration, Utc};
use entity::{integration, integration_token};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::service::{self as audit, Event},
    auth::{tokens::IntegrationClaims, Caller, IntegrationPrincipal},
    cache::versions::Subject,
    context::{parse_id, AppContext},
    db::WriteTxn,
    error::{AppError, AppResult},
    pagination::{newest_first, Page, PageRequest},
    validation,
};

/// What an integration may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum IntegrationScope {
    /// Push community activity (`ingest:activities`).
    IngestActivities,
    /// Push customers and orders (`ingest:orders`).
    IngestOrders,
    /// Push survey responses (`ingest:surveys`).
    IngestSurveys,
    /// Push training results (`ingest:training`).
    IngestTraining,
    /// Push audience-research findings (`ingest:research`).
    IngestResearch,
    /// Read the brand's reports (`read:reports`).
    ReadReports,
    /// Claim due campaign content and report it published (`publish:content`).
    PublishContent,
}

impl IntegrationScope {
    /// The scope as it appears in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IngestActivities => "ingest:activities",
            Self::IngestOrders => "ingest:orders",
            Self::IngestSurveys => "ingest:surveys",
            Self::IngestTraining => "ingest:training",
            Self::IngestResearch => "ingest:research",
            Self::ReadReports => "read:reports",
            Self::PublishContent => "publish:content",
        }
    }

    /// Parses a stored scope.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::IngestActivities,
            Self::IngestOrders,
            Self::IngestSurveys,
            Self::IngestTraining,
            Self::IngestResearch,
            Self::ReadReports,
            Self::PublishContent,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// A new integration.
#[derive(Debug, Clone, InputObject)]
pub struct CreateIntegrationInput {
    /// The brand it belongs to.
    pub brand_id: ID,
    /// Name shown to staff, 1-120 characters.
    pub name: String,
    /// What it may do; at least one.
    pub scopes: Vec<IntegrationScope>,
}

/// Filters of the integration list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct IntegrationFilter {
    /// Only this brand's integrations.
    pub brand_id: Option<ID>,
    /// Include revoked integrations (default: no).
    pub include_revoked: Option<bool>,
}

/// A freshly issued integration token (shown once).
#[derive(Debug)]
pub struct IssuedToken {
    /// The JWT.
    pub token: String,
    /// Its id (`jti`), for revocation.
    pub token_id: Uuid,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Cursor tag of the integration list.
pub const CURSOR_TAG: &str = "integrations";

/// Creates an integration (admins, or consultants of the brand).
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    input: CreateIntegrationInput,
) -> AppResult<integration::Model> {
    let me = caller.user()?.id;
    let brand_id = parse_id("input.brandId", &input.brand_id)?;
    caller.write_scope()?.check(brand_id, "brand")?;
    crate::brand::service::ensure_exists(app, brand_id).await?;
    let name = validation::text("input.name", &input.name, 1, 120)?;
    if input.scopes.is_empty() {
        return Err(AppError::bad_input(
            "input.scopes",
            "give at least one scope",
        ));
    }
    let mut scopes: Vec<&str> = input.scopes.iter().map(|s| s.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    let txn = WriteTxn::for_brand(app, brand_id).await?;
    let created = integration::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(brand_id),
        name: Set(name),
        scopes: Set(scopes.join(" ")),
        revoked_at: Set(None),
        created_by: Set(me),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "integration.create",
            object_type: "integration",
            object_id: Some(created.id),
            brand_id: Some(brand_id),
            details: Some(json!({ "scopes": created.scopes })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// An integration in the caller's (staff) scope; others' look missing.
pub async fn get(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<integration::Model> {
    let scope = caller.write_scope()?;
    integration::Entity::find_by_id(id)
        .filter(scope.condition(integration::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("integration"))
}

/// Lists integrations in the caller's scope, newest first.
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    filter: IntegrationFilter,
    page: PageRequest,
) -> AppResult<Page<integration::Model>> {
    let scope = caller.write_scope()?;
    let mut cond = scope.condition(integration::Column::BrandId);
    if let Some(b) = &filter.brand_id {
        cond = cond.add(integration::Column::BrandId.eq(parse_id("filter.brandId", b)?));
    }
    if !filter.include_revoked.unwrap_or(false) {
        cond = cond.add(integration::Column::RevokedAt.is_null());
    }
    newest_first(
        &app.db,
        integration::Entity::find().filter(cond),
        integration::Column::Id,
        &page,
        CURSOR_TAG,
        |m| m.id,
    )
    .await
}

/// Revokes an integration: every token of it stops working at once.
pub async fn revoke(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<integration::Model> {
    let current = get(app, caller, id).await?;
    if current.revoked_at.is_some() {
        return Ok(current);
    }
    let mut txn = WriteTxn::begin(app).await?;
    txn.touch(Subject::Integration(id));
    let mut active: integration::ActiveModel = current.into();
    active.revoked_at = Set(Some(Utc::now()));
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "integration.revoke",
            object_type: "integration",
            object_id: Some(id),
            brand_id: Some(updated.brand_id),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Issues a token for an integration (shown once; only its id is kept).
pub async fn issue_token(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    expires_in_days: Option<i32>,
) -> AppResult<IssuedToken> {
    let me = caller.user()?.id;
    let found = get(app, caller, id).await?;
    if found.revoked_at.is_some() {
        return Err(AppError::Conflict(
            "the integration is revoked; create a new one".into(),
        ));
    }
    let days = validation::number_or(
        "expiresInDays",
        expires_in_days,
        1,
        3650,
        i64::from(app.settings.auth.integration_token_ttl_days),
    )?;
    let now = Utc::now();
    let expires_at = now + Duration::days(days);
    let token_id = Uuid::now_v7();
    let token = app
        .tokens
        .issue_integration(
            found.id,
            found.brand_id,
            &found.scopes,
            token_id,
            expires_at,
        )
        .map_err(AppError::Internal)?;
    let mut txn = WriteTxn::begin(app).await?;
    txn.touch(Subject::Integration(found.id));
    integration_token::ActiveModel {
        id: Set(token_id),
        integration_id: Set(found.id),
        brand_id: Set(found.brand_id),
        created_by: Set(me),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "integration.issue_token",
            object_type: "integration_token",
            object_id: Some(token_id),
            brand_id: Some(found.brand_id),
            details: Some(json!({ "integration": found.id })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedToken {
        token,
        token_id,
        expires_at,
    })
}

/// Revokes one integration token; it stops working at once.
pub async fn revoke_token(app: &AppContext, caller: &Caller, token_id: Uuid) -> AppResult<bool> {
    let scope = caller.write_scope()?;
    let found = integration_token::Entity::find_by_id(token_id)
        .filter(scope.condition(integration_token::Column::BrandId))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("integration token"))?;
    if found.revoked_at.is_some() {
        return Ok(true);
    }
    let mut txn = WriteTxn::begin(app).await?;
    txn.touch(Subject::Integration(found.integration_id));
    let brand = found.brand_id;
    let mut active: integration_token::ActiveModel = found.into();
    active.revoked_at = Set(Some(Utc::now()));
    active.update(&txn).await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "integration.revoke_token",
            object_type: "integration_token",
            object_id: Some(token_id),
            brand_id: Some(brand),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The calling integration.
pub async fn current(app: &AppContext, caller: &Caller) -> AppResult<integration::Model> {
    let me = caller.integration()?;
    integration::Entity::find_by_id(me.id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("integration"))
}

/// Checks a verified integration token against the database, the source of
/// truth for revocation (so revocation holds on every instance at once and
/// does not depend on Redis): the token and its integration must both be
/// unrevoked and belong together. One statement. `None` when revoked.
pub async fn authenticate(
    app: &AppContext,
    claims: &IntegrationClaims,
) -> AppResult<Option<IntegrationPrincipal>> {
    let (Ok(id), Ok(jti)) = (Uuid::parse_str(&claims.sub), Uuid::parse_str(&claims.jti)) else {
        return Ok(None);
    };
    let live_token = Query::select()
        .column(integration_token::Column::IntegrationId)
        .from(integration_token::Entity)
        .and_where(Expr::col(integration_token::Column::Id).eq(jti))
        .and_where(Expr::col(integration_token::Column::RevokedAt).is_null())
        .to_owned();
    let found = integration::Entity::find_by_id(id)
        .filter(
            Condition::all()
                .add(integration::Column::RevokedAt.is_null())
                .add(integration::Column::BrandId.eq(claims.brand))
                .add(Expr::col(integration::Column::Id).in_subquery(live_token)),
        )
        .one(&app.db)
        .await?;
    Ok(found.map(|i| IntegrationPrincipal {
        id: i.id,
        brand_id: i.brand_id,
        scopes: i.scopes.split_whitespace().map(str::to_string).collect(),
        token_id: jti,
    }))
}
