//! Order summaries kept at ingest: one row per customer and currency with
//! the first and last order instants, the number of orders and their total.
//! Impact reports read their population (customers with an order before the
//! period's end) and each customer's first order from it instead of
//! aggregating every order of the brand. Rows are built here for the orders
//! already stored; from then on every order ingest adds to them in its own
//! transaction.

use sea_orm_migration::prelude::*;

use crate::columns::{ts, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CustomerOrderSummary {
    Table,
    CustomerId,
    Currency,
    BrandId,
    FirstOrderAt,
    LastOrderAt,
    Orders,
    AmountE4,
}

/// Builds the summaries of every order stored before this migration.
const BACKFILL: &str = "INSERT INTO customer_order_summary \
    (customer_id, currency, brand_id, first_order_at, last_order_at, orders, amount_e4) \
    SELECT customer_id, currency, brand_id, MIN(ordered_at), MAX(ordered_at), COUNT(*), SUM(amount_e4) \
    FROM customer_order GROUP BY customer_id, currency, brand_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CustomerOrderSummary as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(uuid(S::CustomerId))
                    .col(ColumnDef::new(S::Currency).string_len(3).not_null())
                    .col(uuid(S::BrandId))
                    .col(ts(S::FirstOrderAt))
                    .col(ts(S::LastOrderAt))
                    .col(ColumnDef::new(S::Orders).big_integer().not_null())
                    .col(ColumnDef::new(S::AmountE4).big_integer().not_null())
                    .primary_key(Index::create().col(S::CustomerId).col(S::Currency))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_summary_customer")
                            .from(S::Table, S::CustomerId)
                            .to(Customer::Table, Customer::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_order_summary_brand")
                    .table(S::Table)
                    .col(S::BrandId)
                    .col(S::Currency)
                    .col(S::FirstOrderAt)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(BACKFILL)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerOrderSummary::Table).to_owned())
            .await
    }
}
