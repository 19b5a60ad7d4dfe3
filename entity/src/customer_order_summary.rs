//! A customer's orders in one currency, summed at ingest.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of `customer_order_summary`: kept in the same transaction as every
/// order ingest, so it always equals the aggregate of the customer's orders
/// in that currency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "customer_order_summary")]
pub struct Model {
    /// The customer.
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: Uuid,
    /// ISO 4217 code of the orders summed here.
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    /// Owning brand.
    pub brand_id: Uuid,
    /// The customer's first order in the currency.
    pub first_order_at: DateTimeUtc,
    /// Their latest order in the currency.
    pub last_order_at: DateTimeUtc,
    /// How many orders.
    pub orders: i64,
    /// Their total, in ten-thousandths of the currency unit.
    pub amount_e4: i64,
}

/// Relations of `customer_order_summary`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
