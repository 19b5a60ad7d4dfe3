//! A client's decision on one version of a content item.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `content_review`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "content_review")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The item.
    pub item_id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The version decided on.
    pub content_version: i32,
    /// `APPROVED` or `CHANGES_REQUESTED`.
    pub decision: String,
    /// The reviewer's words.
    pub comment: Option<String>,
    /// The client user.
    pub user_id: Uuid,
    /// When.
    pub created_at: DateTimeUtc,
}

/// Relations of `content_review`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
