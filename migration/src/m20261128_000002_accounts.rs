//! Accounts, consultant assignments, refresh tokens, integrations, their
//! tokens, and the audit log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Brand {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    Role,
    BrandId,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum ConsultantAssignment {
    Table,
    UserId,
    BrandId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RefreshToken {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Integration {
    Table,
    Id,
    BrandId,
    Name,
    Scopes,
    RevokedAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IntegrationToken {
    Table,
    Id,
    IntegrationId,
    BrandId,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    At,
    ActorType,
    ActorId,
    Action,
    ObjectType,
    ObjectId,
    BrandId,
    RequestId,
    Details,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppUser::Table)
                    .col(uuid(AppUser::Id).primary_key())
                    .col(ColumnDef::new(AppUser::Email).string_len(254).not_null())
                    .col(
                        ColumnDef::new(AppUser::DisplayName)
                            .string_len(120)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AppUser::PasswordHash)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AppUser::Role).string_len(16).not_null())
                    .col(ColumnDef::new(AppUser::BrandId).uuid().null())
                    .col(ColumnDef::new(AppUser::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(AppUser::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .col(ts(AppUser::CreatedAt))
                    .col(ts(AppUser::UpdatedAt))
                    .col(ts_null(AppUser::LastLoginAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_app_user_brand")
                            .from(AppUser::Table, AppUser::BrandId)
                            .to(Brand::Table, Brand::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_app_user_email")
                    .table(AppUser::Table)
                    .col(AppUser::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsultantAssignment::Table)
                    .col(uuid(ConsultantAssignment::UserId))
                    .col(uuid(ConsultantAssignment::BrandId))
                    .col(ts(ConsultantAssignment::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ConsultantAssignment::UserId)
                            .col(ConsultantAssignment::BrandId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assignment_user")
                            .from(ConsultantAssignment::Table, ConsultantAssignment::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assignment_brand")
                            .from(ConsultantAssignment::Table, ConsultantAssignment::BrandId)
                            .to(Brand::Table, Brand::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_assignment_brand")
                    .table(ConsultantAssignment::Table)
                    .col(ConsultantAssignment::BrandId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshToken::Table)
                    .col(uuid(RefreshToken::Id).primary_key())
                    .col(uuid(RefreshToken::UserId))
                    .col(uuid(RefreshToken::FamilyId))
                    .col(
                        ColumnDef::new(RefreshToken::TokenHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ts(RefreshToken::CreatedAt))
                    .col(ts(RefreshToken::ExpiresAt))
                    .col(ts_null(RefreshToken::UsedAt))
                    .col(ts_null(RefreshToken::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_token_user")
                            .from(RefreshToken::Table, RefreshToken::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_refresh_token_hash")
                    .table(RefreshToken::Table)
                    .col(RefreshToken::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_token_family")
                    .table(RefreshToken::Table)
                    .col(RefreshToken::FamilyId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Integration::Table)
                    .col(uuid(Integration::Id).primary_key())
                    .col(uuid(Integration::BrandId))
                    .col(ColumnDef::new(Integration::Name).string_len(120).not_null())
                    .col(
                        ColumnDef::new(Integration::Scopes)
                            .string_len(1000)
                            .not_null(),
                    )
                    .col(ts_null(Integration::RevokedAt))
                    .col(uuid(Integration::CreatedBy))
                    .col(ts(Integration::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_integration_brand")
                            .from(Integration::Table, Integration::BrandId)
                            .to(Brand::Table, Brand::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_integration_brand")
                    .table(Integration::Table)
                    .col(Integration::BrandId)
                    .col(Integration::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IntegrationToken::Table)
                    .col(uuid(IntegrationToken::Id).primary_key())
                    .col(uuid(IntegrationToken::IntegrationId))
                    .col(uuid(IntegrationToken::BrandId))
                    .col(uuid(IntegrationToken::CreatedBy))
                    .col(ts(IntegrationToken::CreatedAt))
                    .col(ts(IntegrationToken::ExpiresAt))
                    .col(ts_null(IntegrationToken::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_integration_token_integration")
                            .from(IntegrationToken::Table, IntegrationToken::IntegrationId)
                            .to(Integration::Table, Integration::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_integration_token_integration")
                    .table(IntegrationToken::Table)
                    .col(IntegrationToken::IntegrationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(uuid(AuditEvent::Id).primary_key())
                    .col(ts(AuditEvent::At))
                    .col(
                        ColumnDef::new(AuditEvent::ActorType)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvent::ActorId).uuid().null())
                    .col(ColumnDef::new(AuditEvent::Action).string_len(64).not_null())
                    .col(
                        ColumnDef::new(AuditEvent::ObjectType)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEvent::ObjectId).uuid().null())
                    .col(ColumnDef::new(AuditEvent::BrandId).uuid().null())
                    .col(ColumnDef::new(AuditEvent::RequestId).string_len(64).null())
                    .col(ColumnDef::new(AuditEvent::Details).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_event_brand")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::BrandId)
                    .col(AuditEvent::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_event_actor")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::ActorId)
                    .col(AuditEvent::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvent::Table.into_iden(),
            IntegrationToken::Table.into_iden(),
            Integration::Table.into_iden(),
            RefreshToken::Table.into_iden(),
            ConsultantAssignment::Table.into_iden(),
            AppUser::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
