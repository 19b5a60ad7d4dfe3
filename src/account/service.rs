//! Account rules and queries.

use async_graphql::{Enum, InputObject, MaybeUndefined, ID};
use chrono::{DateTime, Duration, Utc};
use entity::{
    brand, consultant_assignment, refresh_token,
    user::{self, Role as DbRole, UserStatus as DbStatus},
};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::service::{self as audit, Event},
    auth::{
        password,
        ratelimit::Limit,
        tokens::{hash_opaque, opaque_token},
        Caller,
    },
    cache::versions::Subject,
    context::{parse_id, AppContext},
    db::WriteTxn,
    error::{AppError, AppResult},
    pagination::{newest_first, Page, PageRequest},
    validation,
};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum Role {
    /// Everything, for every brand.
    Admin,
    /// The brands assigned to them.
    Consultant,
    /// One brand: reads its data and approves its content; changes nothing else.
    Client,
}

impl From<DbRole> for Role {
    fn from(r: DbRole) -> Self {
        match r {
            DbRole::Admin => Self::Admin,
            DbRole::Consultant => Self::Consultant,
            DbRole::Client => Self::Client,
        }
    }
}

impl From<Role> for DbRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => Self::Admin,
            Role::Consultant => Self::Consultant,
            Role::Client => Self::Client,
        }
    }
}

/// Whether a user may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum UserStatus {
    /// May sign in.
    Active,
    /// May not sign in; their sessions end.
    Disabled,
}

impl From<DbStatus> for UserStatus {
    fn from(s: DbStatus) -> Self {
        match s {
            DbStatus::Active => Self::Active,
            DbStatus::Disabled => Self::Disabled,
        }
    }
}

impl From<UserStatus> for DbStatus {
    fn from(s: UserStatus) -> Self {
        match s {
            UserStatus::Active => Self::Active,
            UserStatus::Disabled => Self::Disabled,
        }
    }
}

/// A new user.
#[derive(Debug, Clone, InputObject)]
pub struct CreateUserInput {
    /// Sign-in e-mail address (stored lower-case, unique).
    pub email: String,
    /// Name shown to others, 1-120 characters.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The brand of a `CLIENT` user (required for clients, refused for others).
    pub brand_id: Option<ID>,
    /// Initial password, at least 12 characters.
    pub password: String,
}

/// Changes to a user; omitted fields stay as they are.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateUserInput {
    /// New display name.
    pub display_name: Option<String>,
    /// New role; signs the user out everywhere.
    pub role: Option<Role>,
    /// New brand of a `CLIENT` user.
    pub brand_id: MaybeUndefined<ID>,
    /// `DISABLED` signs the user out everywhere and refuses sign-in.
    pub status: Option<UserStatus>,
    /// A new password set by an admin; signs the user out everywhere.
    pub password: Option<String>,
    /// The version you read; when given and stale the update is refused with `CONFLICT`.
    pub expected_version: Option<i32>,
}

/// Filters of the user list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct UserFilter {
    /// Only users with this role.
    pub role: Option<Role>,
    /// Only users with this status.
    pub status: Option<UserStatus>,
    /// Only client users of this brand.
    pub brand_id: Option<ID>,
}

/// What a sign-in or refresh returns.
#[derive(Debug)]
pub struct Session {
    /// Short-lived JWT for the `Authorization: Bearer` header.
    pub access_token: String,
    /// When the access token expires.
    pub access_token_expires_at: DateTime<Utc>,
    /// Opaque token to get the next access token; single use.
    pub refresh_token: String,
    /// When the refresh token expires.
    pub refresh_token_expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: user::Model,
}

const BAD_LOGIN: &str = "invalid e-mail or password";
const BAD_REFRESH: &str = "the refresh token is invalid, expired or already used; sign in again";

fn normalize_email(field: &str, email: &str) -> AppResult<String> {
    crate::validation::email(field, email)
}

async fn issue_session<C: ConnectionTrait>(
    app: &AppContext,
    db: &C,
    user: user::Model,
    family: Uuid,
) -> AppResult<Session> {
    let (access_token, access_token_expires_at) = app
        .tokens
        .issue_user(user.id, user.role, user.brand_id, family)
        .map_err(AppError::Internal)?;
    let (refresh, hash) = opaque_token();
    let now = Utc::now();
    let expires = now + Duration::seconds(app.settings.auth.refresh_token_ttl_secs as i64);
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        family_id: Set(family),
        token_hash: Set(hash),
        created_at: Set(now),
        expires_at: Set(expires),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(Session {
        access_token,
        access_token_expires_at,
        refresh_token: refresh,
        refresh_token_expires_at: expires,
        user,
    })
}

/// Signs a user in. Attempts are throttled per client IP and per e-mail
/// address before the password is checked; failures never say which part
/// was wrong, and an unknown address costs as much time as a wrong password.
#[tracing::instrument(skip_all)]
pub async fn login(
    app: &AppContext,
    caller: &Caller,
    email: &str,
    password: String,
) -> AppResult<Session> {
    let email = email.trim().to_lowercase();
    app.limiter
        .hit(Limit::LoginPerIp, &caller.client_ip)
        .await?;
    app.limiter.hit(Limit::LoginPerAccount, &email).await?;
    let found = if email.len() <= 254 {
        user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(&app.db)
            .await?
    } else {
        None
    };
    let password_ok = password.chars().count() <= password::MAX_LEN
        && password::verify(password, found.as_ref().map(|u| u.password_hash.clone())).await;
    let user = match found {
        Some(u) if password_ok && u.status == DbStatus::Active => u,
        _ => return Err(AppError::Unauthenticated(BAD_LOGIN)),
    };
    let txn = WriteTxn::begin(app).await?;
    let mut active: user::ActiveModel = user.clone().into();
    active.last_login_at = Set(Some(Utc::now()));
    let user = active.update(&txn).await?;
    let session = issue_session(app, &txn, user, Uuid::now_v7()).await?;
    audit::record_as(
        &txn,
        "user",
        Some(session.user.id),
        &caller.request_id,
        Event {
            action: "auth.login",
            object_type: "user",
            object_id: Some(session.user.id),
            brand_id: session.user.brand_id,
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends one sign-in session: its refresh tokens stop working, and so do its
/// access tokens, from the next request on (the user's access version moves).
async fn revoke_family(txn: &mut WriteTxn, user: Uuid, family: Uuid) -> AppResult<()> {
    txn.touch(Subject::User(user));
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&*txn)
        .await?;
    Ok(())
}

/// Ends every sign-in session of `user`, as [`revoke_family`] does one.
async fn revoke_all_for_user(txn: &mut WriteTxn, user: Uuid) -> AppResult<()> {
    txn.touch(Subject::User(user));
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&*txn)
        .await?;
    Ok(())
}

/// Deletes refresh tokens that expired more than a day ago (a day of grace
/// keeps a just-expired token recognisable in the log of a late retry);
/// returns how many. Run at start-up and hourly.
pub async fn prune_refresh_tokens(db: &crate::db::Db) -> AppResult<u64> {
    let before = Utc::now() - Duration::days(1);
    let done = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Exchanges a refresh token for a new pair. Each refresh token works once:
/// presenting a used one again revokes its whole family (every token that
/// descends from the same sign-in), since it was probably stolen.
#[tracing::instrument(skip_all)]
pub async fn refresh(app: &AppContext, caller: &Caller, token: &str) -> AppResult<Session> {
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_opaque(token)))
        .one(&app.db)
        .await?
        .ok_or(AppError::Unauthenticated(BAD_REFRESH))?;
    if row.revoked_at.is_some() || row.expires_at <= Utc::now() {
        return Err(AppError::Unauthenticated(BAD_REFRESH));
    }
    let mut txn = WriteTxn::begin(app).await?;
    // Mark used only if still unused: two racing refreshes cannot both win.
    let marked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected == 0 {
        revoke_family(&mut txn, row.user_id, row.family_id).await?;
        audit::record_as(
            &txn,
            "user",
            Some(row.user_id),
            &caller.request_id,
            Event {
                action: "auth.refresh_reuse",
                object_type: "user",
                object_id: Some(row.user_id),
                brand_id: None,
                details: Some(json!({ "family": row.family_id })),
            },
        )
        .await?;
        txn.commit().await?;
        tracing::warn!(user = %row.user_id, "refresh token reused: family revoked");
        return Err(AppError::Unauthenticated(BAD_REFRESH));
    }
    let user = user::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .filter(|u| u.status == DbStatus::Active)
        .ok_or(AppError::Unauthenticated(BAD_REFRESH))?;
    let session = issue_session(app, &txn, user, row.family_id).await?;
    txn.commit().await?;
    Ok(session)
}

/// Signs out: revokes the refresh token's family. Unknown tokens are ignored.
pub async fn logout(app: &AppContext, caller: &Caller, token: &str) -> AppResult<bool> {
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_opaque(token)))
        .one(&app.db)
        .await?
    else {
        return Ok(false);
    };
    let mut txn = WriteTxn::begin(app).await?;
    revoke_family(&mut txn, row.user_id, row.family_id).await?;
    audit::record_as(
        &txn,
        "user",
        Some(row.user_id),
        &caller.request_id,
        Event {
            action: "auth.logout",
            object_type: "user",
            object_id: Some(row.user_id),
            brand_id: None,
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The signed-in user.
pub async fn me(app: &AppContext, caller: &Caller) -> AppResult<user::Model> {
    let me = caller.user()?;
    user::Entity::find_by_id(me.id)
        .one(&app.db)
        .await?
        .ok_or(AppError::Unauthenticated("this account no longer exists"))
}

/// Changes the caller's own password; other sessions end.
pub async fn change_password(
    app: &AppContext,
    caller: &Caller,
    current: String,
    new: String,
) -> AppResult<bool> {
    let me = self::me(app, caller).await?;
    password::check_policy("newPassword", &new)?;
    if !password::verify(current, Some(me.password_hash.clone())).await {
        return Err(AppError::bad_input(
            "currentPassword",
            "the current password is not correct",
        ));
    }
    let hash = password::hash(new).await?;
    let mut txn = WriteTxn::begin(app).await?;
    let version = me.version;
    let mut active: user::ActiveModel = me.into();
    active.password_hash = Set(hash);
    active.version = Set(version + 1);
    active.updated_at = Set(Utc::now());
    let me = active.update(&txn).await?;
    revoke_all_for_user(&mut txn, me.id).await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "user.change_password",
            object_type: "user",
            object_id: Some(me.id),
            brand_id: me.brand_id,
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

async fn brand_exists(db: &crate::db::Db, id: Uuid, field: &str) -> AppResult<()> {
    let found = brand::Entity::find_by_id(id).count(db).await?;
    if found == 0 {
        return Err(AppError::bad_input(
            field,
            format!("{field} names no brand"),
        ));
    }
    Ok(())
}

fn email_taken(email: &str) -> impl FnOnce() -> String + '_ {
    move || format!("a user with the e-mail {email} already exists")
}

/// Creates a user (admins only).
#[tracing::instrument(skip_all)]
pub async fn create_user(
    app: &AppContext,
    caller: &Caller,
    input: CreateUserInput,
) -> AppResult<user::Model> {
    caller.admin()?;
    let email = normalize_email("input.email", &input.email)?;
    let display_name = validation::text("input.displayName", &input.display_name, 1, 120)?;
    password::check_policy("input.password", &input.password)?;
    let brand_id = match (input.role, &input.brand_id) {
        (Role::Client, Some(b)) => Some(parse_id("input.brandId", b)?),
        (Role::Client, None) => {
            return Err(AppError::bad_input(
                "input.brandId",
                "a CLIENT user needs a brand",
            ))
        }
        (_, Some(_)) => {
            return Err(AppError::bad_input(
                "input.brandId",
                "only CLIENT users belong to a brand",
            ))
        }
        (_, None) => None,
    };
    if let Some(b) = brand_id {
        brand_exists(&app.db, b, "input.brandId").await?;
    }
    let hash = password::hash(input.password).await?;
    insert_user(
        &app.db,
        caller,
        email,
        display_name,
        input.role.into(),
        brand_id,
        hash,
    )
    .await
}

async fn insert_user(
    db: &crate::db::Db,
    caller: &Caller,
    email: String,
    display_name: String,
    role: DbRole,
    brand_id: Option<Uuid>,
    password_hash: String,
) -> AppResult<user::Model> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let created = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.clone()),
        display_name: Set(display_name),
        password_hash: Set(password_hash),
        role: Set(role),
        brand_id: Set(brand_id),
        status: Set(DbStatus::Active),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| AppError::from_db_unique(e, email_taken(&email)))?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "user.create",
            object_type: "user",
            object_id: Some(created.id),
            brand_id: created.brand_id,
            details: Some(json!({ "role": format!("{role:?}").to_uppercase() })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Creates the first admin from the command line. Refuses when an admin exists.
pub async fn bootstrap_admin(
    db: &crate::db::Db,
    email: &str,
    display_name: &str,
    password: String,
) -> AppResult<user::Model> {
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(DbRole::Admin))
        .count(db)
        .await?;
    if admins > 0 {
        return Err(AppError::Conflict(
            "an admin already exists; sign in as that admin to add users".into(),
        ));
    }
    cli_admin(db, email, display_name, password).await
}

/// Creates an admin from the command line, beside any admins there are
/// (`hearth demo` adds its own): whoever runs the command holds the
/// database already. The e-mail, name and password rules are the API's.
pub async fn cli_admin(
    db: &crate::db::Db,
    email: &str,
    display_name: &str,
    password: String,
) -> AppResult<user::Model> {
    let email = normalize_email("email", email)?;
    let display_name = validation::text("name", display_name, 1, 120)?;
    password::check_policy("password", &password)?;
    let hash = password::hash(password).await?;
    let caller = Caller {
        principal: crate::auth::Principal::Anonymous,
        request_id: String::new(),
        client_ip: "cli".into(),
    };
    insert_user(db, &caller, email, display_name, DbRole::Admin, None, hash).await
}

/// Number of users (start-up tells how to create the first admin when 0).
pub async fn count_users(db: &crate::db::Db) -> AppResult<u64> {
    Ok(user::Entity::find().count(db).await?)
}

/// A user by id: admins see everyone, others only themselves.
pub async fn get_user(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<user::Model> {
    let me = caller.user()?;
    if me.role != DbRole::Admin && me.id != id {
        return Err(AppError::NotFound("user"));
    }
    user::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("user"))
}

/// Changes a user (admins only).
#[tracing::instrument(skip_all)]
pub async fn update_user(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateUserInput,
) -> AppResult<user::Model> {
    caller.admin()?;
    let current = user::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if let Some(v) = input.expected_version {
        if v != current.version {
            return Err(AppError::Conflict(format!(
                "the user was changed meanwhile (version {} now, {v} expected); read it again",
                current.version
            )));
        }
    }
    let mut changes = <user::ActiveModel as Default>::default();
    let mut sign_out = false;
    if let Some(name) = &input.display_name {
        changes.display_name = Set(validation::text("input.displayName", name, 1, 120)?);
    }
    let role: DbRole = input.role.map(Into::into).unwrap_or(current.role);
    if role != current.role {
        changes.role = Set(role);
        sign_out = true;
    }
    let brand_id = match &input.brand_id {
        MaybeUndefined::Undefined => current.brand_id,
        MaybeUndefined::Null => None,
        MaybeUndefined::Value(b) => Some(parse_id("input.brandId", b)?),
    };
    match (role, brand_id) {
        (DbRole::Client, None) => {
            return Err(AppError::bad_input(
                "input.brandId",
                "a CLIENT user needs a brand",
            ))
        }
        (DbRole::Admin | DbRole::Consultant, Some(_)) => {
            return Err(AppError::bad_input(
                "input.brandId",
                "only CLIENT users belong to a brand",
            ))
        }
        _ => {}
    }
    if brand_id != current.brand_id {
        if let Some(b) = brand_id {
            brand_exists(&app.db, b, "input.brandId").await?;
        }
        changes.brand_id = Set(brand_id);
        sign_out = true;
    }
    if let Some(status) = input.status {
        let status: DbStatus = status.into();
        if status != current.status {
            changes.status = Set(status);
            sign_out |= status == DbStatus::Disabled;
        }
    }
    if let Some(pw) = input.password {
        password::check_policy("input.password", &pw)?;
        changes.password_hash = Set(password::hash(pw).await?);
        sign_out = true;
    }
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(Utc::now());
    let mut txn = WriteTxn::begin(app).await?;
    let result = user::Entity::update_many()
        .set(changes)
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::Conflict(
            "the user was changed meanwhile; read it again".into(),
        ));
    }
    if sign_out {
        revoke_all_for_user(&mut txn, id).await?;
    }
    if role != DbRole::Consultant && current.role == DbRole::Consultant {
        consultant_assignment::Entity::delete_many()
            .filter(consultant_assignment::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        caller,
        Event {
            action: "user.update",
            object_type: "user",
            object_id: Some(id),
            brand_id,
            details: None,
        },
    )
    .await?;
    txn.touch(Subject::User(id));
    txn.commit().await?;
    user::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("user"))
}

/// Lists users, newest first (admins only).
pub async fn list_users(
    app: &AppContext,
    caller: &Caller,
    filter: UserFilter,
    page: PageRequest,
) -> AppResult<Page<user::Model>> {
    caller.admin()?;
    let mut cond = Condition::all();
    if let Some(r) = filter.role {
        cond = cond.add(user::Column::Role.eq(DbRole::from(r)));
    }
    if let Some(s) = filter.status {
        cond = cond.add(user::Column::Status.eq(DbStatus::from(s)));
    }
    if let Some(b) = &filter.brand_id {
        cond = cond.add(user::Column::BrandId.eq(parse_id("filter.brandId", b)?));
    }
    newest_first(
        &app.db,
        user::Entity::find().filter(cond),
        user::Column::Id,
        &page,
        USER_CURSOR,
        |m| m.id,
    )
    .await
}

/// Cursor tag of the user list.
pub const USER_CURSOR: &str = "users";

async fn consultant(app: &AppContext, user_id: Uuid) -> AppResult<user::Model> {
    let u = user::Entity::find_by_id(user_id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if u.role != DbRole::Consultant {
        return Err(AppError::bad_input(
            "userId",
            "only CONSULTANT users are assigned to brands",
        ));
    }
    Ok(u)
}

/// Assigns a consultant to a brand (admins only; idempotent).
pub async fn assign_consultant(
    app: &AppContext,
    caller: &Caller,
    user_id: Uuid,
    brand_id: Uuid,
) -> AppResult<user::Model> {
    caller.admin()?;
    let u = consultant(app, user_id).await?;
    if brand::Entity::find_by_id(brand_id).count(&app.db).await? == 0 {
        return Err(AppError::NotFound("brand"));
    }
    let assigned = consultant_assignment::Entity::find()
        .filter(consultant_assignment::Column::UserId.eq(user_id))
        .filter(consultant_assignment::Column::BrandId.eq(brand_id))
        .count(&app.db)
        .await?;
    if assigned == 0 {
        let mut txn = WriteTxn::begin(app).await?;
        let inserted = consultant_assignment::ActiveModel {
            user_id: Set(user_id),
            brand_id: Set(brand_id),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) => {}
            Err(e) => return Err(e.into()),
        }
        audit::record(
            &txn,
            caller,
            Event {
                action: "user.assign_brand",
                object_type: "user",
                object_id: Some(user_id),
                brand_id: Some(brand_id),
                details: None,
            },
        )
        .await?;
        txn.touch(Subject::User(user_id));
        txn.commit().await?;
    }
    Ok(u)
}

/// Removes a consultant's assignment (admins only; idempotent).
pub async fn unassign_consultant(
    app: &AppContext,
    caller: &Caller,
    user_id: Uuid,
    brand_id: Uuid,
) -> AppResult<user::Model> {
    caller.admin()?;
    let u = consultant(app, user_id).await?;
    let mut txn = WriteTxn::begin(app).await?;
    let removed = consultant_assignment::Entity::delete_many()
        .filter(consultant_assignment::Column::UserId.eq(user_id))
        .filter(consultant_assignment::Column::BrandId.eq(brand_id))
        .exec(&txn)
        .await?;
    if removed.rows_affected > 0 {
        audit::record(
            &txn,
            caller,
            Event {
                action: "user.unassign_brand",
                object_type: "user",
                object_id: Some(user_id),
                brand_id: Some(brand_id),
                details: None,
            },
        )
        .await?;
    }
    txn.touch(Subject::User(user_id));
    txn.commit().await?;
    Ok(u)
}

/// Brand ids assigned to each of `users` (one statement, for the DataLoader).
pub async fn assignments_of(db: &crate::db::Db, users: &[Uuid]) -> AppResult<Vec<(Uuid, Uuid)>> {
    Ok(consultant_assignment::Entity::find()
        .select_only()
        .column(consultant_assignment::Column::UserId)
        .column(consultant_assignment::Column::BrandId)
        .filter(consultant_assignment::Column::UserId.is_in(users.to_vec()))
        .order_by(consultant_assignment::Column::BrandId, Order::Asc)
        .into_tuple()
        .all(db)
        .await?)
}
