//! Versions of what decides access: one counter per user and per
//! integration, bumped in the same transaction as every change to their
//! status, role, assignments, sessions or tokens. Each request checks the
//! caller's counter, so such a change takes effect on the next request.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccessVersion {
    Table,
    SubjectId,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessVersion::Table)
                    .col(
                        ColumnDef::new(AccessVersion::SubjectId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AccessVersion::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccessVersion::Table).to_owned())
            .await
    }
}
