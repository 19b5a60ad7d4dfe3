//! Order summaries are updated in place by every order ingest (one row per
//! customer and currency). On PostgreSQL their pages keep 30% free so those
//! updates stay on the same page and touch no index (heap-only tuples);
//! pages written before this keep their old fill until rewritten. Nothing
//! to do on SQLite.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE customer_order_summary SET (fillfactor = 70)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE customer_order_summary RESET (fillfactor)")
                .await?;
        }
        Ok(())
    }
}
