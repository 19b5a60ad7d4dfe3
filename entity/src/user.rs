//! A person who signs in: agency staff or a client brand's user.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a user may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    /// Everything, for every brand.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    /// The brands assigned to them.
    #[sea_orm(string_value = "CONSULTANT")]
    Consultant,
    /// One brand: reads its data, approves its content.
    #[sea_orm(string_value = "CLIENT")]
    Client,
}

/// Whether a user may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "UPPERCASE")]
pub enum UserStatus {
    /// May sign in.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// May not sign in; existing sessions end at their next refresh.
    #[sea_orm(string_value = "DISABLED")]
    Disabled,
}

/// A row of `app_user`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Sign-in e-mail, lower-cased, unique.
    #[sea_orm(unique)]
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// Argon2id PHC string; never leaves the service.
    #[serde(skip_serializing)]
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// The brand of a `CLIENT` user.
    pub brand_id: Option<Uuid>,
    /// Whether the user may sign in.
    pub status: UserStatus,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// When the row was created.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTimeUtc>,
}

/// Relations of `app_user`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
