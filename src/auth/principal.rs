//! Who is calling, and which brands they may see and change.
//!
//! Services call the guards here and apply [`BrandScope`] inside their own
//! queries, so a resolver that forgets a check still cannot leak another
//! brand's rows. Another brand's object looks exactly like a missing one.

use entity::{consultant_assignment, user::Role};
use std::sync::Arc;

use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ColumnTrait, Condition,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A signed-in person, as the database says they are now (their access
/// version was checked on this request, see [`crate::auth::session`]).
#[derive(Debug, Clone)]
pub struct UserPrincipal {
    /// User id.
    pub id: Uuid,
    /// Current role.
    pub role: Role,
    /// The brand of a `CLIENT` user.
    pub brand_id: Option<Uuid>,
    /// The brands a `CONSULTANT` is assigned to now.
    pub assigned: Arc<Vec<Uuid>>,
}

/// A machine client of one brand.
#[derive(Debug, Clone)]
pub struct IntegrationPrincipal {
    /// Integration id.
    pub id: Uuid,
    /// Its brand.
    pub brand_id: Uuid,
    /// Granted scopes, e.g. `ingest:activities`.
    pub scopes: Vec<String>,
    /// The presented token's id.
    pub token_id: Uuid,
}

/// The authenticated party of a request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// No token: may only sign in.
    Anonymous,
    /// A user access token.
    User(UserPrincipal),
    /// An integration token.
    Integration(IntegrationPrincipal),
}

/// The caller of one request: principal, request id and client address.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who is calling.
    pub principal: Principal,
    /// The request id (also in logs and `INTERNAL` errors).
    pub request_id: String,
    /// The client's IP address, for login throttling.
    pub client_ip: String,
}

/// A brand the caller was checked against: the only way a service that
/// reads one brand's aggregates (reports, time series, health) gets its
/// brand. It cannot be built outside this module except by
/// [`BrandScope::grant`], so a resolver that skips its check has nothing to
/// pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct BrandAccess(Uuid);

impl BrandAccess {
    /// The brand's id.
    pub fn id(&self) -> Uuid {
        self.0
    }
}

/// The brands a caller may see (or change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrandScope {
    /// Every brand (admins).
    All,
    /// Brands assigned to this consultant: the user, and the assignments
    /// read at this request's access version.
    Assigned(Uuid, Arc<Vec<Uuid>>),
    /// Exactly one brand (client users, integrations).
    One(Uuid),
}

impl BrandScope {
    /// A condition restricting `brand_column` to the scope, evaluated inside
    /// the same SQL statement (no extra round trip).
    pub fn condition<C: ColumnTrait>(&self, brand_column: C) -> Condition {
        match self {
            Self::All => Condition::all(),
            Self::One(brand) => Condition::all().add(brand_column.eq(*brand)),
            Self::Assigned(user, _) => Condition::all().add(
                Expr::col(brand_column).in_subquery(
                    Query::select()
                        .column(consultant_assignment::Column::BrandId)
                        .from(consultant_assignment::Entity)
                        .and_where(Expr::col(consultant_assignment::Column::UserId).eq(*user))
                        .to_owned(),
                ),
            ),
        }
    }

    /// The same restriction for hand-written SQL: a condition on the brand
    /// column `column` and the values it binds.
    pub fn sql(&self, column: &str) -> (String, Vec<sea_orm::Value>) {
        match self {
            Self::All => ("1 = 1".into(), Vec::new()),
            Self::One(b) => (format!("{column} = ?"), vec![(*b).into()]),
            Self::Assigned(user, _) => (
                format!(
                    "{column} IN (SELECT brand_id FROM consultant_assignment WHERE user_id = ?)"
                ),
                vec![(*user).into()],
            ),
        }
    }

    /// Checks `brand_id` against the scope ([`BrandScope::check`]) and
    /// hands out the proof services take instead of a bare brand id.
    pub fn grant(&self, brand_id: Uuid, what: &'static str) -> AppResult<BrandAccess> {
        self.check(brand_id, what)?;
        Ok(BrandAccess(brand_id))
    }

    /// Whether `brand_id` is inside the scope; `NOT_FOUND` (named `what`)
    /// otherwise.
    pub fn check(&self, brand_id: Uuid, what: &'static str) -> AppResult<()> {
        let allowed = match self {
            Self::All => true,
            Self::One(b) => *b == brand_id,
            Self::Assigned(_, brands) => brands.contains(&brand_id),
        };
        if allowed {
            Ok(())
        } else {
            Err(AppError::NotFound(what))
        }
    }
}

impl Caller {
    /// The signed-in user; anonymous callers get `UNAUTHENTICATED`, integrations `FORBIDDEN`.
    pub fn user(&self) -> AppResult<&UserPrincipal> {
        match &self.principal {
            Principal::User(u) => Ok(u),
            Principal::Anonymous => Err(AppError::Unauthenticated(
                "sign in first: send an access token",
            )),
            Principal::Integration(_) => Err(AppError::Forbidden(
                "this operation needs a user token, not an integration token".into(),
            )),
        }
    }

    /// The calling integration; users get `FORBIDDEN`.
    pub fn integration(&self) -> AppResult<&IntegrationPrincipal> {
        match &self.principal {
            Principal::Integration(i) => Ok(i),
            Principal::Anonymous => Err(AppError::Unauthenticated(
                "sign in first: send an access token",
            )),
            Principal::User(_) => Err(AppError::Forbidden(
                "this operation needs an integration token, not a user token".into(),
            )),
        }
    }

    /// The calling integration, which must hold `scope`.
    pub fn integration_with(&self, scope: &str) -> AppResult<&IntegrationPrincipal> {
        let i = self.integration()?;
        if i.scopes.iter().any(|s| s == scope) {
            Ok(i)
        } else {
            Err(AppError::Forbidden(format!(
                "this integration lacks the {scope} scope"
            )))
        }
    }

    /// An admin; others get `FORBIDDEN`.
    pub fn admin(&self) -> AppResult<&UserPrincipal> {
        let u = self.user()?;
        if u.role == Role::Admin {
            Ok(u)
        } else {
            Err(AppError::Forbidden("only admins may do this".into()))
        }
    }

    /// Brands a user may read: all (admin), assigned (consultant), their own (client).
    pub fn read_scope(&self) -> AppResult<BrandScope> {
        let u = self.user()?;
        Ok(match (u.role, u.brand_id) {
            (Role::Admin, _) => BrandScope::All,
            (Role::Consultant, _) => BrandScope::Assigned(u.id, u.assigned.clone()),
            (Role::Client, Some(b)) => BrandScope::One(b),
            (Role::Client, None) => {
                return Err(AppError::Forbidden("this client user has no brand".into()))
            }
        })
    }

    /// Who may read reports: users in their read scope, and integrations of
    /// the brand holding `read:reports`.
    pub fn report_scope(&self) -> AppResult<BrandScope> {
        match &self.principal {
            Principal::Integration(i) => {
                self.integration_with("read:reports")?;
                Ok(BrandScope::One(i.brand_id))
            }
            _ => self.read_scope(),
        }
    }

    /// Brands a user may change: client users change nothing.
    pub fn write_scope(&self) -> AppResult<BrandScope> {
        let u = self.user()?;
        match u.role {
            Role::Admin => Ok(BrandScope::All),
            Role::Consultant => Ok(BrandScope::Assigned(u.id, u.assigned.clone())),
            Role::Client => Err(AppError::Forbidden(
                "client users can read but not change this".into(),
            )),
        }
    }

    /// `(actor_type, actor_id)` for the audit log.
    pub fn actor(&self) -> (&'static str, Option<Uuid>) {
        match &self.principal {
            Principal::Anonymous => ("anonymous", None),
            Principal::User(u) => ("user", Some(u.id)),
            Principal::Integration(i) => ("integration", Some(i.id)),
        }
    }
}
