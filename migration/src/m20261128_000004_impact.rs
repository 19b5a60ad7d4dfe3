//! Impact measurement: customers, orders, survey responses, the brands' data
//! versions (for report caching) and frozen report snapshots.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Brand {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
    BrandId,
    ExternalRef,
    MemberId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomerOrder {
    Table,
    Id,
    BrandId,
    CustomerId,
    ExternalId,
    OrderedAt,
    AmountE4,
    Currency,
    ItemCount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SurveyResponse {
    Table,
    Id,
    BrandId,
    ExternalId,
    Kind,
    Score,
    Comment,
    CustomerId,
    MemberId,
    RespondedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BrandDataVersion {
    Table,
    BrandId,
    Version,
}

#[derive(DeriveIden)]
enum ReportSnapshot {
    Table,
    Id,
    BrandId,
    CommunityId,
    PeriodFrom,
    PeriodTo,
    Currency,
    Report,
    CreatedBy,
    CreatedAt,
}

fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().to_owned()
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(table).to_owned();
    for c in cols {
        stmt.col(Alias::new(*c));
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customer::Table)
                    .col(uuid(Customer::Id).primary_key())
                    .col(uuid(Customer::BrandId))
                    .col(
                        ColumnDef::new(Customer::ExternalRef)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Customer::MemberId).uuid().null())
                    .col(ts(Customer::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customer_brand")
                            .from(Customer::Table, Customer::BrandId)
                            .to(Brand::Table, Brand::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_customer_brand_ref",
            Customer::Table,
            &["brand_id", "external_ref"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_customer_member",
            Customer::Table,
            &["member_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CustomerOrder::Table)
                    .col(uuid(CustomerOrder::Id).primary_key())
                    .col(uuid(CustomerOrder::BrandId))
                    .col(uuid(CustomerOrder::CustomerId))
                    .col(
                        ColumnDef::new(CustomerOrder::ExternalId)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(ts(CustomerOrder::OrderedAt))
                    .col(
                        ColumnDef::new(CustomerOrder::AmountE4)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CustomerOrder::Currency)
                            .string_len(3)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CustomerOrder::ItemCount)
                            .integer()
                            .not_null(),
                    )
                    .col(ts(CustomerOrder::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_customer")
                            .from(CustomerOrder::Table, CustomerOrder::CustomerId)
                            .to(Customer::Table, Customer::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_order_brand_external",
            CustomerOrder::Table,
            &["brand_id", "external_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_order_brand_time",
            CustomerOrder::Table,
            &["brand_id", "ordered_at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_order_customer_time",
            CustomerOrder::Table,
            &["customer_id", "ordered_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(SurveyResponse::Table)
                    .col(uuid(SurveyResponse::Id).primary_key())
                    .col(uuid(SurveyResponse::BrandId))
                    .col(
                        ColumnDef::new(SurveyResponse::ExternalId)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SurveyResponse::Kind)
                            .string_len(8)
                            .not_null(),
                    )
                    .col(ColumnDef::new(SurveyResponse::Score).integer().not_null())
                    .col(ColumnDef::new(SurveyResponse::Comment).text().null())
                    .col(ColumnDef::new(SurveyResponse::CustomerId).uuid().null())
                    .col(ColumnDef::new(SurveyResponse::MemberId).uuid().null())
                    .col(ts(SurveyResponse::RespondedAt))
                    .col(ts(SurveyResponse::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_survey_brand_external",
            SurveyResponse::Table,
            &["brand_id", "external_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_survey_brand_time",
            SurveyResponse::Table,
            &["brand_id", "responded_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(BrandDataVersion::Table)
                    .col(uuid(BrandDataVersion::BrandId).primary_key())
                    .col(
                        ColumnDef::new(BrandDataVersion::Version)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReportSnapshot::Table)
                    .col(uuid(ReportSnapshot::Id).primary_key())
                    .col(uuid(ReportSnapshot::BrandId))
                    .col(ColumnDef::new(ReportSnapshot::CommunityId).uuid().null())
                    .col(ts(ReportSnapshot::PeriodFrom))
                    .col(ts(ReportSnapshot::PeriodTo))
                    .col(
                        ColumnDef::new(ReportSnapshot::Currency)
                            .string_len(3)
                            .null(),
                    )
                    .col(ColumnDef::new(ReportSnapshot::Report).text().not_null())
                    .col(uuid(ReportSnapshot::CreatedBy))
                    .col(ts(ReportSnapshot::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_snapshot_brand",
            ReportSnapshot::Table,
            &["brand_id", "id"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReportSnapshot::Table.into_iden(),
            BrandDataVersion::Table.into_iden(),
            SurveyResponse::Table.into_iden(),
            CustomerOrder::Table.into_iden(),
            Customer::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
