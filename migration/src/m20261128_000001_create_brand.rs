//! The `brand` table: the tenant every other row belongs to.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Brand {
    Table,
    Id,
    Slug,
    Name,
    Description,
    WebsiteUrl,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
    ArchivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Brand::Table)
                    .col(ColumnDef::new(Brand::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Brand::Slug).string_len(64).not_null())
                    .col(ColumnDef::new(Brand::Name).string_len(120).not_null())
                    .col(ColumnDef::new(Brand::Description).text().null())
                    .col(ColumnDef::new(Brand::WebsiteUrl).string_len(2048).null())
                    .col(ColumnDef::new(Brand::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(Brand::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .col(
                        ColumnDef::new(Brand::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Brand::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Brand::ArchivedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_brand_slug")
                    .table(Brand::Table)
                    .col(Brand::Slug)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Serves the name-ordered listing and its keyset cursor.
        manager
            .create_index(
                Index::create()
                    .name("ix_brand_name_id")
                    .table(Brand::Table)
                    .col(Brand::Name)
                    .col(Brand::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Brand::Table).to_owned())
            .await
    }
}
