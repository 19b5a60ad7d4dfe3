//! A tag on a finding, set by a keyword rule or by a person.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `finding_tag`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "finding_tag")]
pub struct Model {
    /// The finding.
    #[sea_orm(primary_key, auto_increment = false)]
    pub finding_id: Uuid,
    /// The tag.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag_id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// `RULE` (a keyword of the tag is in the text) or `PERSON`.
    pub tagged_by: String,
}

/// Relations of `finding_tag`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
