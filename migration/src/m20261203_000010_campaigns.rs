//! Content campaigns: campaigns over a brand's communities, content items
//! with their versions and client reviews, the publishing lease, and the
//! results integrations push per item.

use sea_orm_migration::prelude::*;

use crate::columns::{
    brand_fk, fk, index, string, string_null, text, ts, ts_null, uuid, uuid_null, version,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    BrandId,
    Name,
    Description,
    Objective,
    Status,
    StartsAt,
    EndsAt,
    OwnerUserId,
    Targets,
    ApprovalLeadHours,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignCommunity {
    Table,
    CampaignId,
    CommunityId,
    BrandId,
}

#[derive(DeriveIden)]
enum ContentItem {
    Table,
    Id,
    BrandId,
    CampaignId,
    CommunityId,
    ChannelId,
    Kind,
    IsPrompt,
    Title,
    Body,
    Fields,
    ScheduledAt,
    Status,
    ContentVersion,
    ApprovedVersion,
    OfferCode,
    LeaseId,
    LeaseExpiresAt,
    Attempts,
    NextAttemptAt,
    LastError,
    LastFailedLease,
    ExternalPostId,
    PostUrl,
    PublishedAt,
    StatusReason,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContentVersion {
    Table,
    ItemId,
    Number,
    BrandId,
    Title,
    Body,
    Fields,
    EditedByUserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContentReview {
    Table,
    Id,
    ItemId,
    BrandId,
    ContentVersion,
    Decision,
    Comment,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContentMetric {
    Table,
    ItemId,
    BrandId,
    Metric,
    OptionKey,
    ObservedAt,
    Value,
    RecordedByIntegrationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Community {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaign::Table)
                    .col(uuid(Campaign::Id).primary_key())
                    .col(uuid(Campaign::BrandId))
                    .col(string(Campaign::Name, 120))
                    .col(ColumnDef::new(Campaign::Description).text().null())
                    .col(string(Campaign::Objective, 20))
                    .col(string(Campaign::Status, 20))
                    .col(ts(Campaign::StartsAt))
                    .col(ts(Campaign::EndsAt))
                    .col(uuid_null(Campaign::OwnerUserId))
                    // JSON array of {metric, value}.
                    .col(text(Campaign::Targets))
                    .col(
                        ColumnDef::new(Campaign::ApprovalLeadHours)
                            .integer()
                            .not_null()
                            .default(24),
                    )
                    .col(version(Campaign::Version))
                    .col(ts(Campaign::CreatedAt))
                    .col(ts(Campaign::UpdatedAt))
                    .foreign_key(&mut brand_fk(
                        "fk_campaign_brand",
                        Campaign::Table,
                        Campaign::BrandId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_campaign_brand_name",
            Campaign::Table,
            &["brand_id", "name"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_campaign_brand_starts",
            Campaign::Table,
            &["brand_id", "starts_at", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CampaignCommunity::Table)
                    .col(uuid(CampaignCommunity::CampaignId))
                    .col(uuid(CampaignCommunity::CommunityId))
                    .col(uuid(CampaignCommunity::BrandId))
                    .primary_key(
                        Index::create()
                            .col(CampaignCommunity::CampaignId)
                            .col(CampaignCommunity::CommunityId),
                    )
                    .foreign_key(&mut fk(
                        "fk_campaign_community_campaign",
                        (CampaignCommunity::Table, CampaignCommunity::CampaignId),
                        (Campaign::Table, Campaign::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_campaign_community_community",
                        (CampaignCommunity::Table, CampaignCommunity::CommunityId),
                        (Community::Table, Community::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_campaign_community_community",
            CampaignCommunity::Table,
            &["community_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContentItem::Table)
                    .col(uuid(ContentItem::Id).primary_key())
                    .col(uuid(ContentItem::BrandId))
                    .col(uuid(ContentItem::CampaignId))
                    .col(uuid(ContentItem::CommunityId))
                    .col(uuid_null(ContentItem::ChannelId))
                    .col(string(ContentItem::Kind, 20))
                    .col(ColumnDef::new(ContentItem::IsPrompt).boolean().not_null())
                    .col(string(ContentItem::Title, 200))
                    .col(text(ContentItem::Body))
                    // JSON object of the kind's own fields.
                    .col(text(ContentItem::Fields))
                    .col(ts_null(ContentItem::ScheduledAt))
                    .col(string(ContentItem::Status, 20))
                    .col(
                        ColumnDef::new(ContentItem::ContentVersion)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ContentItem::ApprovedVersion)
                            .integer()
                            .null(),
                    )
                    .col(string_null(ContentItem::OfferCode, 64))
                    .col(uuid_null(ContentItem::LeaseId))
                    .col(ts_null(ContentItem::LeaseExpiresAt))
                    .col(
                        ColumnDef::new(ContentItem::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts_null(ContentItem::NextAttemptAt))
                    .col(ColumnDef::new(ContentItem::LastError).text().null())
                    .col(uuid_null(ContentItem::LastFailedLease))
                    .col(string_null(ContentItem::ExternalPostId, 200))
                    .col(string_null(ContentItem::PostUrl, 2048))
                    .col(ts_null(ContentItem::PublishedAt))
                    .col(ColumnDef::new(ContentItem::StatusReason).text().null())
                    .col(version(ContentItem::Version))
                    .col(ts(ContentItem::CreatedAt))
                    .col(ts(ContentItem::UpdatedAt))
                    .foreign_key(&mut brand_fk(
                        "fk_content_item_brand",
                        ContentItem::Table,
                        ContentItem::BrandId,
                    ))
                    .foreign_key(&mut fk(
                        "fk_content_item_campaign",
                        (ContentItem::Table, ContentItem::CampaignId),
                        (Campaign::Table, Campaign::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_content_item_community",
                        (ContentItem::Table, ContentItem::CommunityId),
                        (Community::Table, Community::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            (
                "ix_content_item_campaign",
                &["campaign_id", "scheduled_at", "id"][..],
                false,
            ),
            (
                "ix_content_item_community_slot",
                &["community_id", "scheduled_at"][..],
                false,
            ),
            (
                "ix_content_item_due",
                &["brand_id", "status", "scheduled_at"][..],
                false,
            ),
            (
                "ix_content_item_brand_slot",
                &["brand_id", "scheduled_at", "id"][..],
                false,
            ),
            // An offer code names one item of the brand (NULLs are distinct).
            (
                "ux_content_item_offer_code",
                &["brand_id", "offer_code"][..],
                true,
            ),
        ] {
            index(manager, name, ContentItem::Table, cols, unique).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ContentVersion::Table)
                    .col(uuid(ContentVersion::ItemId))
                    .col(ColumnDef::new(ContentVersion::Number).integer().not_null())
                    .col(uuid(ContentVersion::BrandId))
                    .col(string(ContentVersion::Title, 200))
                    .col(text(ContentVersion::Body))
                    .col(text(ContentVersion::Fields))
                    .col(uuid_null(ContentVersion::EditedByUserId))
                    .col(ts(ContentVersion::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ContentVersion::ItemId)
                            .col(ContentVersion::Number),
                    )
                    .foreign_key(&mut fk(
                        "fk_content_version_item",
                        (ContentVersion::Table, ContentVersion::ItemId),
                        (ContentItem::Table, ContentItem::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContentReview::Table)
                    .col(uuid(ContentReview::Id).primary_key())
                    .col(uuid(ContentReview::ItemId))
                    .col(uuid(ContentReview::BrandId))
                    .col(
                        ColumnDef::new(ContentReview::ContentVersion)
                            .integer()
                            .not_null(),
                    )
                    .col(string(ContentReview::Decision, 20))
                    .col(ColumnDef::new(ContentReview::Comment).text().null())
                    .col(uuid(ContentReview::UserId))
                    .col(ts(ContentReview::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_content_review_item",
                        (ContentReview::Table, ContentReview::ItemId),
                        (ContentItem::Table, ContentItem::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_content_review_item",
            ContentReview::Table,
            &["item_id", "created_at"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContentMetric::Table)
                    .col(uuid(ContentMetric::ItemId))
                    .col(uuid(ContentMetric::BrandId))
                    .col(string(ContentMetric::Metric, 30))
                    .col(
                        ColumnDef::new(ContentMetric::OptionKey)
                            .string_len(100)
                            .not_null()
                            .default(""),
                    )
                    .col(ts(ContentMetric::ObservedAt))
                    .col(ColumnDef::new(ContentMetric::Value).double().not_null())
                    .col(uuid_null(ContentMetric::RecordedByIntegrationId))
                    .col(ts(ContentMetric::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ContentMetric::ItemId)
                            .col(ContentMetric::Metric)
                            .col(ContentMetric::OptionKey)
                            .col(ContentMetric::ObservedAt),
                    )
                    .foreign_key(&mut fk(
                        "fk_content_metric_item",
                        (ContentMetric::Table, ContentMetric::ItemId),
                        (ContentItem::Table, ContentItem::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ContentMetric::Table.into_iden(),
            ContentReview::Table.into_iden(),
            ContentVersion::Table.into_iden(),
            ContentItem::Table.into_iden(),
            CampaignCommunity::Table.into_iden(),
            Campaign::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
