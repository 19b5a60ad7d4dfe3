//! Webhooks for integrations: the endpoints an integration registers, the
//! outbox of deliveries written in the same transaction as the change that
//! causes them, and every delivery attempt.

use sea_orm_migration::prelude::*;

use crate::columns::{brand_fk, fk, index, string, string_null, text, ts, ts_null, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Integration {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WebhookEndpoint {
    Table,
    Id,
    BrandId,
    IntegrationId,
    Url,
    EventTypes,
    Secret,
    CreatedAt,
    DisabledAt,
    DisabledReason,
    FailingSince,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
    BrandId,
    EndpointId,
    EventType,
    Payload,
    CreatedAt,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    DeliveredAt,
    LastStatus,
    LastError,
}

#[derive(DeriveIden)]
enum WebhookAttempt {
    Table,
    Id,
    DeliveryId,
    At,
    StatusCode,
    LatencyMs,
    Error,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WebhookEndpoint as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(uuid(E::Id).primary_key())
                    .col(uuid(E::BrandId))
                    .col(uuid(E::IntegrationId))
                    .col(string(E::Url, 2000))
                    .col(text(E::EventTypes))
                    .col(string(E::Secret, 100))
                    .col(ts(E::CreatedAt))
                    .col(ts_null(E::DisabledAt))
                    .col(string_null(E::DisabledReason, 500))
                    .col(ts_null(E::FailingSince))
                    .foreign_key(&mut brand_fk(
                        "fk_webhook_endpoint_brand",
                        E::Table,
                        E::BrandId,
                    ))
                    .foreign_key(&mut fk(
                        "fk_webhook_endpoint_integration",
                        (E::Table, E::IntegrationId),
                        (Integration::Table, Integration::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_webhook_endpoint_brand",
            E::Table,
            &["brand_id", "id"],
            false,
        )
        .await?;
        use WebhookDelivery as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(uuid(D::Id).primary_key())
                    .col(uuid(D::BrandId))
                    .col(uuid(D::EndpointId))
                    .col(string(D::EventType, 64))
                    .col(text(D::Payload))
                    .col(ts(D::CreatedAt))
                    .col(string(D::Status, 16))
                    .col(ColumnDef::new(D::Attempts).integer().not_null().default(0))
                    .col(ts(D::NextAttemptAt))
                    .col(ts_null(D::LockedUntil))
                    .col(ts_null(D::DeliveredAt))
                    .col(ColumnDef::new(D::LastStatus).integer().null())
                    .col(string_null(D::LastError, 500))
                    .foreign_key(&mut fk(
                        "fk_webhook_delivery_endpoint",
                        (D::Table, D::EndpointId),
                        (E::Table, E::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_webhook_delivery_due",
            D::Table,
            &["status", "next_attempt_at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_webhook_delivery_endpoint",
            D::Table,
            &["endpoint_id", "id"],
            false,
        )
        .await?;
        use WebhookAttempt as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(uuid(A::Id).primary_key())
                    .col(uuid(A::DeliveryId))
                    .col(ts(A::At))
                    .col(ColumnDef::new(A::StatusCode).integer().null())
                    .col(ColumnDef::new(A::LatencyMs).big_integer().not_null())
                    .col(string_null(A::Error, 500))
                    .foreign_key(&mut fk(
                        "fk_webhook_attempt_delivery",
                        (A::Table, A::DeliveryId),
                        (D::Table, D::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_webhook_attempt_delivery",
            A::Table,
            &["delivery_id", "at"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookAttempt::Table.into_iden(),
            WebhookDelivery::Table.into_iden(),
            WebhookEndpoint::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
