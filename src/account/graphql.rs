//! GraphQL types and resolvers for accounts.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{dataloader::Loader, ComplexObject, Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::user;
use uuid::Uuid;

use super::service::{
    self, CreateUserInput, Role, Session, UpdateUserInput, UserFilter, UserStatus, USER_CURSOR,
};
use crate::{
    context::{parse_id, ContextExt},
    error::AppError,
    pagination::{Connection, PageRequest},
};

/// A person who signs in.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct User {
    /// Unique id.
    pub id: ID,
    /// Sign-in e-mail address.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The brand of a `CLIENT` user.
    pub brand_id: Option<ID>,
    /// Whether the user may sign in.
    pub status: UserStatus,
    /// Version, incremented on every change.
    pub version: i32,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    uuid: Uuid,
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            uuid: m.id,
            email: m.email,
            display_name: m.display_name,
            role: m.role.into(),
            brand_id: m.brand_id.map(|b| ID(b.to_string())),
            status: m.status.into(),
            version: m.version,
            created_at: m.created_at,
            last_login_at: m.last_login_at,
        }
    }
}

/// Loads consultants' brand assignments for many users in one statement.
pub struct AssignmentLoader(pub crate::db::Db);

impl crate::loaders::RequestLoader for AssignmentLoader {
    // Users are not brand data: only admins list them.
    fn new(app: &crate::context::AppContext, _scope: crate::auth::BrandScope) -> Self {
        Self(app.db.clone())
    }
}

impl Loader<Uuid> for AssignmentLoader {
    type Value = Vec<ID>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let rows = service::assignments_of(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        let mut map: HashMap<Uuid, Vec<ID>> = HashMap::new();
        for (user, brand) in rows {
            map.entry(user).or_default().push(ID(brand.to_string()));
        }
        Ok(map)
    }
}

#[ComplexObject]
impl User {
    /// Brands a `CONSULTANT` is assigned to (empty for other roles).
    async fn assigned_brand_ids(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ID>> {
        if self.role != Role::Consultant {
            return Ok(Vec::new());
        }
        let loader = crate::loaders::loader::<AssignmentLoader>(ctx)?;
        Ok(loader.load_one(self.uuid).await?.unwrap_or_default())
    }
}

/// The result of signing in or refreshing.
#[derive(Debug, SimpleObject)]
pub struct AuthPayload {
    /// Short-lived JWT: send it as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// When the access token expires.
    pub access_token_expires_at: DateTime<Utc>,
    /// Opaque single-use token for `refreshToken`; keep it secret.
    pub refresh_token: String,
    /// When the refresh token expires.
    pub refresh_token_expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: User,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        Self {
            access_token: s.access_token,
            access_token_expires_at: s.access_token_expires_at,
            refresh_token: s.refresh_token,
            refresh_token_expires_at: s.refresh_token_expires_at,
            user: s.user.into(),
        }
    }
}

/// Account queries.
#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(service::me(ctx.app()?, ctx.caller()?).await?.into())
    }

    /// A user by id (admins; others only themselves).
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] id: ID,
    ) -> async_graphql::Result<User> {
        Ok(
            service::get_user(ctx.app()?, ctx.caller()?, parse_id("id", &id)?)
                .await?
                .into(),
        )
    }

    /// Users, newest first (admins only).
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
        #[graphql(desc = "Which users to include.")] filter: Option<UserFilter>,
    ) -> async_graphql::Result<Connection<User>> {
        let page = PageRequest::new(first, after.as_deref(), USER_CURSOR, 1, ctx.wants_total())?;
        let page = service::list_users(ctx.app()?, ctx.caller()?, filter.unwrap_or_default(), page)
            .await?;
        Ok(page.map(User::from).into())
    }
}

/// Account mutations.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Signs in. Failures say only that the e-mail or password is wrong;
    /// repeated attempts are throttled (`RATE_LIMITED`).
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "E-mail address.")] email: String,
        #[graphql(desc = "Password.", secret)] password: String,
    ) -> async_graphql::Result<AuthPayload> {
        Ok(service::login(ctx.app()?, ctx.caller()?, &email, password)
            .await?
            .into())
    }

    /// Exchanges a refresh token for a new access token and refresh token.
    /// Each refresh token works once; reusing one signs out its whole family.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The refresh token from `login` or the last `refreshToken`.",
            secret
        )]
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        Ok(service::refresh(ctx.app()?, ctx.caller()?, &refresh_token)
            .await?
            .into())
    }

    /// Signs out: the refresh token (and every token of its family) stops working.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The current refresh token.", secret)] refresh_token: String,
    ) -> async_graphql::Result<bool> {
        Ok(service::logout(ctx.app()?, ctx.caller()?, &refresh_token).await?)
    }

    /// Changes the signed-in user's password; other sessions end.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The password now.", secret)] current_password: String,
        #[graphql(desc = "The new password, at least 12 characters.", secret)] new_password: String,
    ) -> async_graphql::Result<bool> {
        Ok(
            service::change_password(ctx.app()?, ctx.caller()?, current_password, new_password)
                .await?,
        )
    }

    /// Creates a user (admins only).
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new user.")] input: CreateUserInput,
    ) -> async_graphql::Result<User> {
        Ok(service::create_user(ctx.app()?, ctx.caller()?, input)
            .await?
            .into())
    }

    /// Changes a user (admins only).
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's id.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateUserInput,
    ) -> async_graphql::Result<User> {
        Ok(
            service::update_user(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, input)
                .await?
                .into(),
        )
    }

    /// Assigns a consultant to a brand (admins only).
    async fn assign_consultant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The consultant's user id.")] user_id: ID,
        #[graphql(desc = "The brand.")] brand_id: ID,
    ) -> async_graphql::Result<User> {
        let (user, brand) = (
            parse_id("userId", &user_id)?,
            parse_id("brandId", &brand_id)?,
        );
        Ok(
            service::assign_consultant(ctx.app()?, ctx.caller()?, user, brand)
                .await?
                .into(),
        )
    }

    /// Removes a consultant from a brand (admins only).
    async fn unassign_consultant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The consultant's user id.")] user_id: ID,
        #[graphql(desc = "The brand.")] brand_id: ID,
    ) -> async_graphql::Result<User> {
        let (user, brand) = (
            parse_id("userId", &user_id)?,
            parse_id("brandId", &brand_id)?,
        );
        Ok(
            service::unassign_consultant(ctx.app()?, ctx.caller()?, user, brand)
                .await?
                .into(),
        )
    }
}
