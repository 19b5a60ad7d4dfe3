//! Nested member pages read each community's newest current members
//! (`joined_at DESC, member_id DESC`, `left_at IS NULL`): a partial index in
//! that order lets PostgreSQL read exactly the rows a page shows instead of
//! sorting every membership of the community. Both backends support partial
//! indexes with the same syntax.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CREATE: &str = "CREATE INDEX ix_membership_current_page \
    ON membership (community_id, joined_at DESC, member_id DESC) WHERE left_at IS NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(CREATE).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_membership_current_page")
            .await?;
        Ok(())
    }
}
