//! The client report page: a frozen report also keeps its monthly time
//! series (the page and its CSV show it as frozen), and share links that an
//! admin or the brand's consultant creates for a snapshot, with an expiry,
//! revocable, their token stored only as a SHA-256 digest.

use sea_orm_migration::prelude::*;

use crate::columns::{brand_fk, fk, index, string, ts, ts_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReportSnapshot {
    Table,
    Id,
    Monthly,
}

#[derive(DeriveIden)]
enum ReportShareLink {
    Table,
    Id,
    BrandId,
    SnapshotId,
    TokenHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    RevokedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ReportShareLink as L;
        manager
            .alter_table(
                Table::alter()
                    .table(ReportSnapshot::Table)
                    .add_column(ColumnDef::new(ReportSnapshot::Monthly).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(uuid(L::Id).primary_key())
                    .col(uuid(L::BrandId))
                    .col(uuid(L::SnapshotId))
                    .col(string(L::TokenHash, 64))
                    .col(uuid(L::CreatedBy))
                    .col(ts(L::CreatedAt))
                    .col(ts(L::ExpiresAt))
                    .col(ts_null(L::RevokedAt))
                    .col(uuid_null(L::RevokedBy))
                    .foreign_key(&mut brand_fk("fk_share_link_brand", L::Table, L::BrandId))
                    .foreign_key(&mut fk(
                        "fk_share_link_snapshot",
                        (L::Table, L::SnapshotId),
                        (ReportSnapshot::Table, ReportSnapshot::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_share_link_token",
            L::Table,
            &["token_hash"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_share_link_snapshot",
            L::Table,
            &["snapshot_id", "id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportShareLink::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ReportSnapshot::Table)
                    .drop_column(ReportSnapshot::Monthly)
                    .to_owned(),
            )
            .await
    }
}
