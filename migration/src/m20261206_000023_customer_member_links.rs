//! Every report starts from the brand's customers linked to a member
//! (`customer.member_id`). The only index on that column is keyed by the
//! member, so that read walked every linked customer of every brand and
//! visited each row for its brand. A partial index of the linked customers,
//! keyed by brand and member and carrying the customer's id (`INCLUDE` on
//! PostgreSQL, a trailing key column on SQLite), answers it by itself, in
//! member order, as the join with the members wants it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_customer_brand_member";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let columns = if db.get_database_backend() == DbBackend::Postgres {
            "(brand_id, member_id) INCLUDE (id)"
        } else {
            "(brand_id, member_id, id)"
        };
        db.execute_unprepared(&format!(
            "CREATE INDEX {NAME} ON customer {columns} WHERE member_id IS NOT NULL"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX {NAME}"))
            .await?;
        Ok(())
    }
}
