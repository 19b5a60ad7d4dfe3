//! An order of a customer.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `customer_order`; `external_id` is unique per brand.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "customer_order")]
pub struct Model {
    /// Time-ordered UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The shop's order id.
    pub external_id: String,
    /// When it was placed.
    pub ordered_at: DateTimeUtc,
    /// Amount in ten-thousandths of the currency unit (exact sums in SQL).
    pub amount_e4: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Items in the order.
    pub item_count: i32,
    /// Stored.
    pub created_at: DateTimeUtc,
    /// Fingerprint of the payload the row arrived with (none before it was kept).
    pub payload_hash: Option<String>,
    /// The campaign offer code used, upper case.
    pub offer_code: Option<String>,
}

/// Relations of `customer_order`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
