//! One version of a content item's content; every edit adds one.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `content_version`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "content_version")]
pub struct Model {
    /// The item.
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: Uuid,
    /// 1, 2, ...
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i32,
    /// Owning brand.
    pub brand_id: Uuid,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// JSON object of the kind's own fields.
    pub fields: String,
    /// Who wrote it.
    pub edited_by_user_id: Option<Uuid>,
    /// When.
    pub created_at: DateTimeUtc,
}

/// Relations of `content_version`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
