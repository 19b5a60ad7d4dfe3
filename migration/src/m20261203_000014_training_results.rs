//! Team training, second part: results as xAPI-shaped statements, and the
//! certifications they earn.

use sea_orm_migration::prelude::*;

use crate::columns::{brand_fk, fk, index, string, string_null, ts, ts_null, uuid, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Trainee {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Enrollment {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TrainingStatement {
    Table,
    Id,
    BrandId,
    StatementId,
    TraineeId,
    Verb,
    ModuleId,
    ActivityId,
    ScoreScaled,
    Success,
    Completion,
    DurationSecs,
    OccurredAt,
    PayloadHash,
    RecordedByUserId,
    RecordedByIntegrationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Certification {
    Table,
    Id,
    BrandId,
    TraineeId,
    ProgrammeId,
    EnrollmentId,
    Number,
    IssuedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
    Code,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrainingStatement::Table)
                    .col(uuid(TrainingStatement::Id).primary_key())
                    .col(uuid(TrainingStatement::BrandId))
                    .col(string(TrainingStatement::StatementId, 36))
                    .col(uuid(TrainingStatement::TraineeId))
                    .col(string(TrainingStatement::Verb, 16))
                    .col(uuid_null(TrainingStatement::ModuleId))
                    .col(string_null(TrainingStatement::ActivityId, 500))
                    .col(
                        ColumnDef::new(TrainingStatement::ScoreScaled)
                            .double()
                            .null(),
                    )
                    .col(ColumnDef::new(TrainingStatement::Success).boolean().null())
                    .col(
                        ColumnDef::new(TrainingStatement::Completion)
                            .boolean()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(TrainingStatement::DurationSecs)
                            .double()
                            .null(),
                    )
                    .col(ts(TrainingStatement::OccurredAt))
                    .col(string(TrainingStatement::PayloadHash, 32))
                    .col(uuid_null(TrainingStatement::RecordedByUserId))
                    .col(uuid_null(TrainingStatement::RecordedByIntegrationId))
                    .col(ts(TrainingStatement::CreatedAt))
                    .foreign_key(&mut brand_fk(
                        "fk_training_statement_brand",
                        TrainingStatement::Table,
                        TrainingStatement::BrandId,
                    ))
                    .foreign_key(&mut fk(
                        "fk_training_statement_trainee",
                        (TrainingStatement::Table, TrainingStatement::TraineeId),
                        (Trainee::Table, Trainee::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // A statement id is stored once per brand: a replay stores nothing.
        index(
            manager,
            "ux_training_statement_id",
            TrainingStatement::Table,
            &["brand_id", "statement_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_training_statement_trainee",
            TrainingStatement::Table,
            &["trainee_id", "occurred_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Certification::Table)
                    .col(uuid(Certification::Id).primary_key())
                    .col(uuid(Certification::BrandId))
                    .col(uuid(Certification::TraineeId))
                    .col(uuid(Certification::ProgrammeId))
                    .col(uuid(Certification::EnrollmentId))
                    .col(ColumnDef::new(Certification::Number).integer().not_null())
                    .col(ts(Certification::IssuedAt))
                    .col(ts_null(Certification::ExpiresAt))
                    .col(ts_null(Certification::RevokedAt))
                    .col(string_null(Certification::RevokedReason, 1000))
                    .col(string(Certification::Code, 32))
                    .col(ts(Certification::CreatedAt))
                    .foreign_key(&mut brand_fk(
                        "fk_certification_brand",
                        Certification::Table,
                        Certification::BrandId,
                    ))
                    .foreign_key(&mut fk(
                        "fk_certification_enrollment",
                        (Certification::Table, Certification::EnrollmentId),
                        (Enrollment::Table, Enrollment::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_certification_code",
            Certification::Table,
            &["code"],
            true,
        )
        .await?;
        index(
            manager,
            "ux_certification_number",
            Certification::Table,
            &["enrollment_id", "number"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_certification_brand_expiry",
            Certification::Table,
            &["brand_id", "expires_at"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Certification::Table.into_iden(),
            TrainingStatement::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
