//! Offers addressed to members: the members an offer or early-access item
//! reaches (or was kept from by the brand's cap), each with their own code
//! when the item hands out one per member, and the brand's cap itself.

use sea_orm_migration::prelude::*;

use crate::columns::{brand_fk, fk, index, string, string_null, ts, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Brand {
    Table,
    MaxOffersPerMember,
}

#[derive(DeriveIden)]
enum ContentItem {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Member {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ContentRecipient {
    Table,
    ItemId,
    MemberId,
    BrandId,
    CommunityId,
    At,
    Status,
    OfferCode,
    Reason,
    CreatedAt,
}

/// The cap new and existing brands start with.
const DEFAULT_CAP: i32 = 4;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Brand::Table)
                    .add_column(
                        ColumnDef::new(Brand::MaxOffersPerMember)
                            .integer()
                            .null()
                            .default(DEFAULT_CAP),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContentRecipient::Table)
                    .col(uuid(ContentRecipient::ItemId))
                    .col(uuid(ContentRecipient::MemberId))
                    .col(uuid(ContentRecipient::BrandId))
                    .col(uuid(ContentRecipient::CommunityId))
                    .col(ts(ContentRecipient::At))
                    .col(string(ContentRecipient::Status, 16))
                    .col(string_null(ContentRecipient::OfferCode, 64))
                    .col(string_null(ContentRecipient::Reason, 500))
                    .col(ts(ContentRecipient::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ContentRecipient::ItemId)
                            .col(ContentRecipient::MemberId),
                    )
                    .foreign_key(&mut brand_fk(
                        "fk_content_recipient_brand",
                        ContentRecipient::Table,
                        ContentRecipient::BrandId,
                    ))
                    .foreign_key(&mut fk(
                        "fk_content_recipient_item",
                        (ContentRecipient::Table, ContentRecipient::ItemId),
                        (ContentItem::Table, ContentItem::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_content_recipient_member",
                        (ContentRecipient::Table, ContentRecipient::MemberId),
                        (Member::Table, Member::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The cap reads a member's offers around a slot; orders find the
        // item of a per-member code.
        index(
            manager,
            "ix_content_recipient_member_at",
            ContentRecipient::Table,
            &["brand_id", "member_id", "at"],
            false,
        )
        .await?;
        index(
            manager,
            "ux_content_recipient_code",
            ContentRecipient::Table,
            &["brand_id", "offer_code"],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ContentRecipient::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Brand::Table)
                    .drop_column(Brand::MaxOffersPerMember)
                    .to_owned(),
            )
            .await
    }
}
