//! Ingested rows keep a fingerprint of the payload they arrived with, so a
//! reused external id with a different payload is told apart from a replay
//! (the stored row itself may change later: merges, erasures). Rows stored
//! before have none and count as replays.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activity {
    Table,
}

#[derive(DeriveIden)]
enum CustomerOrder {
    Table,
}

#[derive(DeriveIden)]
enum SurveyResponse {
    Table,
}

#[derive(DeriveIden)]
enum Col {
    PayloadHash,
}

fn tables() -> Vec<DynIden> {
    vec![
        Activity::Table.into_iden(),
        CustomerOrder::Table.into_iden(),
        SurveyResponse::Table.into_iden(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(ColumnDef::new(Col::PayloadHash).string_len(32).null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Col::PayloadHash)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
