//! Refresh tokens are looked up by user (revoking a user's sessions, the
//! sessions a user has ended) and pruned by expiry: index both.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefreshToken {
    Table,
    UserId,
    ExpiresAt,
}

const BY_USER: &str = "ix_refresh_token_user";
const BY_EXPIRY: &str = "ix_refresh_token_expires";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(BY_USER)
                    .table(RefreshToken::Table)
                    .col(RefreshToken::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_EXPIRY)
                    .table(RefreshToken::Table)
                    .col(RefreshToken::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(BY_EXPIRY)
                    .table(RefreshToken::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(BY_USER)
                    .table(RefreshToken::Table)
                    .to_owned(),
            )
            .await
    }
}
