//! A community a campaign runs in.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `campaign_community`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "campaign_community")]
pub struct Model {
    /// The campaign.
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: Uuid,
    /// The community (of the same brand).
    #[sea_orm(primary_key, auto_increment = false)]
    pub community_id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
}

/// Relations of `campaign_community`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
