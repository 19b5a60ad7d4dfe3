//! Community roles that require a valid certification of a programme.

use sea_orm_migration::prelude::*;

use crate::columns::{brand_fk, fk, string, ts, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Community {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TrainingProgramme {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RoleRequirement {
    Table,
    CommunityId,
    Role,
    BrandId,
    ProgrammeId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RoleRequirement::Table)
                    .col(uuid(RoleRequirement::CommunityId))
                    .col(string(RoleRequirement::Role, 16))
                    .col(uuid(RoleRequirement::BrandId))
                    .col(uuid(RoleRequirement::ProgrammeId))
                    .col(ts(RoleRequirement::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(RoleRequirement::CommunityId)
                            .col(RoleRequirement::Role),
                    )
                    .foreign_key(&mut brand_fk(
                        "fk_role_requirement_brand",
                        RoleRequirement::Table,
                        RoleRequirement::BrandId,
                    ))
                    .foreign_key(&mut fk(
                        "fk_role_requirement_community",
                        (RoleRequirement::Table, RoleRequirement::CommunityId),
                        (Community::Table, Community::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_role_requirement_programme",
                        (RoleRequirement::Table, RoleRequirement::ProgrammeId),
                        (TrainingProgramme::Table, TrainingProgramme::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RoleRequirement::Table).to_owned())
            .await
    }
}
