//! Attribution of community activity and orders to campaign content: an
//! activity may name the content item it answers, an order the offer code
//! it used.

use sea_orm_migration::prelude::*;

use crate::columns::{index, string_null, uuid_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activity {
    Table,
    ContentItemId,
}

#[derive(DeriveIden)]
enum CustomerOrder {
    Table,
    OfferCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Activity::Table)
                    .add_column(uuid_null(Activity::ContentItemId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CustomerOrder::Table)
                    .add_column(string_null(CustomerOrder::OfferCode, 64))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_activity_content_item",
            Activity::Table,
            &["content_item_id"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_customer_order_offer_code",
            CustomerOrder::Table,
            &["brand_id", "offer_code"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_customer_order_offer_code")
                    .table(CustomerOrder::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_activity_content_item")
                    .table(Activity::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CustomerOrder::Table)
                    .drop_column(CustomerOrder::OfferCode)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Activity::Table)
                    .drop_column(Activity::ContentItemId)
                    .to_owned(),
            )
            .await
    }
}
