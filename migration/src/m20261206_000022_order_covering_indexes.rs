//! Reports read a brand's orders in one currency over a period, and one
//! customer's orders in one currency, always for the customer, the instant
//! and the amount. The two time indexes of `customer_order` become indexes
//! that answer those reads by themselves (index-only scans, no visit to the
//! wide order rows): the currency joins the key, and the columns read come
//! along (`INCLUDE` on PostgreSQL, trailing key columns on SQLite). They
//! replace the old two, so an order insert writes as many index entries as
//! before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, PostgreSQL definition, SQLite definition) of the new indexes.
const COVERING: [(&str, &str, &str); 2] = [
    (
        "ix_order_brand_currency_time",
        "(brand_id, currency, ordered_at) INCLUDE (customer_id, amount_e4)",
        "(brand_id, currency, ordered_at, customer_id, amount_e4)",
    ),
    (
        "ix_order_customer_currency_time",
        "(customer_id, currency, ordered_at) INCLUDE (amount_e4)",
        "(customer_id, currency, ordered_at, amount_e4)",
    ),
];

/// The indexes they replace: (name, columns).
const REPLACED: [(&str, &str); 2] = [
    ("ix_order_brand_time", "(brand_id, ordered_at)"),
    ("ix_order_customer_time", "(customer_id, ordered_at)"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        for (name, pg, sqlite) in COVERING {
            let columns = if postgres { pg } else { sqlite };
            db.execute_unprepared(&format!("CREATE INDEX {name} ON customer_order {columns}"))
                .await?;
        }
        for (name, _) in REPLACED {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, columns) in REPLACED {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON customer_order {columns}"))
                .await?;
        }
        for (name, _, _) in COVERING {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
