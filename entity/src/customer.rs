//! A brand's customer (from its shop), possibly linked to a member.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `customer`; `external_ref` is unique per brand.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "customer")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The brand's customer reference.
    pub external_ref: String,
    /// The member this customer is, when linked by identity.
    pub member_id: Option<Uuid>,
    /// Created.
    pub created_at: DateTimeUtc,
}

/// Relations of `customer`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
