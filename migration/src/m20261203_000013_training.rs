//! Team training, first part: programmes (agency-wide or for one brand)
//! with their modules in order, the brand's trainees, and enrollments.

use sea_orm_migration::prelude::*;

use crate::columns::{
    brand_fk, fk, index, string, string_null, ts, ts_null, uuid, uuid_null, version,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrainingProgramme {
    Table,
    Id,
    BrandId,
    Title,
    Description,
    ValidityMonths,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TrainingModule {
    Table,
    Id,
    ProgrammeId,
    BrandId,
    Position,
    Title,
    Kind,
    Required,
    MasteryScore,
    MoveOn,
    RenewRequired,
    ActivityId,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Trainee {
    Table,
    Id,
    BrandId,
    Name,
    Email,
    JobRole,
    UserId,
    MemberId,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Enrollment {
    Table,
    Id,
    BrandId,
    TraineeId,
    ProgrammeId,
    DueAt,
    StartedAt,
    CompletedAt,
    WaivedAt,
    WaivedReason,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrainingProgramme::Table)
                    .col(uuid(TrainingProgramme::Id).primary_key())
                    // NULL: agency-wide.
                    .col(uuid_null(TrainingProgramme::BrandId))
                    .col(string(TrainingProgramme::Title, 200))
                    .col(ColumnDef::new(TrainingProgramme::Description).text().null())
                    .col(
                        ColumnDef::new(TrainingProgramme::ValidityMonths)
                            .integer()
                            .null(),
                    )
                    .col(string(TrainingProgramme::Status, 16))
                    .col(version(TrainingProgramme::Version))
                    .col(ts(TrainingProgramme::CreatedAt))
                    .col(ts(TrainingProgramme::UpdatedAt))
                    .foreign_key(&mut brand_fk(
                        "fk_training_programme_brand",
                        TrainingProgramme::Table,
                        TrainingProgramme::BrandId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_training_programme_brand",
            TrainingProgramme::Table,
            &["brand_id", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(TrainingModule::Table)
                    .col(uuid(TrainingModule::Id).primary_key())
                    .col(uuid(TrainingModule::ProgrammeId))
                    .col(uuid_null(TrainingModule::BrandId))
                    .col(
                        ColumnDef::new(TrainingModule::Position)
                            .integer()
                            .not_null(),
                    )
                    .col(string(TrainingModule::Title, 200))
                    .col(string(TrainingModule::Kind, 16))
                    .col(
                        ColumnDef::new(TrainingModule::Required)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(TrainingModule::MasteryScore).double().null())
                    .col(string(TrainingModule::MoveOn, 32))
                    .col(
                        ColumnDef::new(TrainingModule::RenewRequired)
                            .boolean()
                            .not_null(),
                    )
                    .col(string_null(TrainingModule::ActivityId, 500))
                    .col(version(TrainingModule::Version))
                    .col(ts(TrainingModule::CreatedAt))
                    .col(ts(TrainingModule::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_training_module_programme",
                        (TrainingModule::Table, TrainingModule::ProgrammeId),
                        (TrainingProgramme::Table, TrainingProgramme::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_training_module_programme",
            TrainingModule::Table,
            &["programme_id", "position"],
            false,
        )
        .await?;
        // An external activity id names one module of a programme.
        index(
            manager,
            "ux_training_module_activity",
            TrainingModule::Table,
            &["programme_id", "activity_id"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Trainee::Table)
                    .col(uuid(Trainee::Id).primary_key())
                    .col(uuid(Trainee::BrandId))
                    .col(string(Trainee::Name, 120))
                    .col(string(Trainee::Email, 254))
                    .col(string_null(Trainee::JobRole, 120))
                    .col(uuid_null(Trainee::UserId))
                    .col(uuid_null(Trainee::MemberId))
                    .col(version(Trainee::Version))
                    .col(ts(Trainee::CreatedAt))
                    .col(ts(Trainee::UpdatedAt))
                    .foreign_key(&mut brand_fk(
                        "fk_trainee_brand",
                        Trainee::Table,
                        Trainee::BrandId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_trainee_brand_email",
            Trainee::Table,
            &["brand_id", "email"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Enrollment::Table)
                    .col(uuid(Enrollment::Id).primary_key())
                    .col(uuid(Enrollment::BrandId))
                    .col(uuid(Enrollment::TraineeId))
                    .col(uuid(Enrollment::ProgrammeId))
                    .col(ts_null(Enrollment::DueAt))
                    .col(ts_null(Enrollment::StartedAt))
                    .col(ts_null(Enrollment::CompletedAt))
                    .col(ts_null(Enrollment::WaivedAt))
                    .col(
                        ColumnDef::new(Enrollment::WaivedReason)
                            .string_len(1000)
                            .null(),
                    )
                    .col(version(Enrollment::Version))
                    .col(ts(Enrollment::CreatedAt))
                    .col(ts(Enrollment::UpdatedAt))
                    .foreign_key(&mut brand_fk(
                        "fk_enrollment_brand",
                        Enrollment::Table,
                        Enrollment::BrandId,
                    ))
                    .foreign_key(&mut fk(
                        "fk_enrollment_trainee",
                        (Enrollment::Table, Enrollment::TraineeId),
                        (Trainee::Table, Trainee::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_enrollment_programme",
                        (Enrollment::Table, Enrollment::ProgrammeId),
                        (TrainingProgramme::Table, TrainingProgramme::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_enrollment_trainee_programme",
            Enrollment::Table,
            &["trainee_id", "programme_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_enrollment_programme",
            Enrollment::Table,
            &["programme_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_enrollment_brand",
            Enrollment::Table,
            &["brand_id", "id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Enrollment::Table.into_iden(),
            Trainee::Table.into_iden(),
            TrainingModule::Table.into_iden(),
            TrainingProgramme::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
