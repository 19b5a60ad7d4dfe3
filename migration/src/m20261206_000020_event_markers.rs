//! Events found by scanning (a member slipping away, a certification
//! expiring) are announced once: a marker per object and occasion, unique,
//! so instances scanning at the same time announce each once.

use sea_orm_migration::prelude::*;

use crate::columns::{string, ts, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EventMarker {
    Table,
    Kind,
    ObjectId,
    MarkerKey,
    BrandId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use EventMarker as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(string(M::Kind, 64))
                    .col(uuid(M::ObjectId))
                    .col(string(M::MarkerKey, 100))
                    .col(uuid(M::BrandId))
                    .col(ts(M::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(M::Kind)
                            .col(M::ObjectId)
                            .col(M::MarkerKey),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventMarker::Table).to_owned())
            .await
    }
}
