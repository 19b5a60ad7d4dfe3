//! Audience research: audiences, the brand's codebook of tags, findings with
//! their tags and full-text index, and gathering places; communities may
//! name the audience they were built for and keep the recommendation they
//! followed.
//!
//! Full-text search is native on each database: on PostgreSQL a generated
//! `tsvector` column (English configuration) with a GIN index; on SQLite an
//! FTS5 table (Porter stemmer over `unicode61`) kept in step by triggers,
//! keyed by the finding's id (not by rowid, which VACUUM may renumber).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::{brand_fk, index, string, text, ts, uuid, version};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Audience {
    Table,
    Id,
    BrandId,
    Name,
    Description,
    AgeBands,
    Locations,
    Languages,
    Interests,
    Values,
    Goals,
    PainPoints,
    EstimatedSize,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ResearchTag {
    Table,
    Id,
    BrandId,
    Key,
    Label,
    Kind,
    Keywords,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ResearchFinding {
    Table,
    Id,
    BrandId,
    AudienceId,
    ExternalId,
    PayloadHash,
    Source,
    Platform,
    Text,
    Url,
    CollectedAt,
    Sentiment,
    Weight,
    RecordedByUserId,
    RecordedByIntegrationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FindingTag {
    Table,
    FindingId,
    TagId,
    BrandId,
    TaggedBy,
}

#[derive(DeriveIden)]
enum GatheringPlace {
    Table,
    Id,
    BrandId,
    AudienceId,
    Platform,
    Name,
    Url,
    MemberCount,
    PostsPerWeek,
    BrandPresent,
    SelfPromotionAllowed,
    HouseRules,
    AudienceShare,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Community {
    Table,
    AudienceId,
    Recommendation,
}

const POSTGRES_SEARCH: &[&str] = &[
    "ALTER TABLE research_finding ADD COLUMN search tsvector \
     GENERATED ALWAYS AS (to_tsvector('english', text)) STORED",
    "CREATE INDEX ix_research_finding_search ON research_finding USING GIN (search)",
];

const SQLITE_SEARCH: &[&str] = &[
    "CREATE VIRTUAL TABLE research_finding_fts USING fts5(\
     finding_id UNINDEXED, text, tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER research_finding_fts_insert AFTER INSERT ON research_finding BEGIN \
     INSERT INTO research_finding_fts (finding_id, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER research_finding_fts_delete AFTER DELETE ON research_finding BEGIN \
     DELETE FROM research_finding_fts WHERE finding_id = old.id; END",
    "CREATE TRIGGER research_finding_fts_update AFTER UPDATE OF text ON research_finding BEGIN \
     UPDATE research_finding_fts SET text = new.text WHERE finding_id = old.id; END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let lists = [
            Audience::AgeBands,
            Audience::Locations,
            Audience::Languages,
            Audience::Interests,
            Audience::Values,
            Audience::Goals,
            Audience::PainPoints,
        ];
        let mut audience = Table::create()
            .table(Audience::Table)
            .col(uuid(Audience::Id).primary_key())
            .col(uuid(Audience::BrandId))
            .col(string(Audience::Name, 120))
            .col(ColumnDef::new(Audience::Description).text().null())
            .to_owned();
        for l in lists {
            // JSON arrays of strings.
            audience.col(text(l));
        }
        audience
            .col(ColumnDef::new(Audience::EstimatedSize).big_integer().null())
            .col(string(Audience::Status, 20))
            .col(version(Audience::Version))
            .col(ts(Audience::CreatedAt))
            .col(ts(Audience::UpdatedAt))
            .foreign_key(&mut brand_fk(
                "fk_audience_brand",
                Audience::Table,
                Audience::BrandId,
            ));
        manager.create_table(audience).await?;
        index(
            manager,
            "ux_audience_brand_name",
            Audience::Table,
            &["brand_id", "name"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ResearchTag::Table)
                    .col(uuid(ResearchTag::Id).primary_key())
                    .col(uuid(ResearchTag::BrandId))
                    .col(string(ResearchTag::Key, 64))
                    .col(string(ResearchTag::Label, 120))
                    .col(string(ResearchTag::Kind, 20))
                    .col(text(ResearchTag::Keywords))
                    .col(version(ResearchTag::Version))
                    .col(ts(ResearchTag::CreatedAt))
                    .col(ts(ResearchTag::UpdatedAt))
                    .foreign_key(&mut brand_fk(
                        "fk_research_tag_brand",
                        ResearchTag::Table,
                        ResearchTag::BrandId,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_research_tag_brand_key",
            ResearchTag::Table,
            &["brand_id", "key"],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ResearchFinding::Table)
                    .col(uuid(ResearchFinding::Id).primary_key())
                    .col(uuid(ResearchFinding::BrandId))
                    .col(uuid(ResearchFinding::AudienceId))
                    .col(
                        ColumnDef::new(ResearchFinding::ExternalId)
                            .string_len(200)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ResearchFinding::PayloadHash)
                            .string_len(32)
                            .null(),
                    )
                    .col(string(ResearchFinding::Source, 20))
                    .col(
                        ColumnDef::new(ResearchFinding::Platform)
                            .string_len(20)
                            .null(),
                    )
                    .col(text(ResearchFinding::Text))
                    .col(ColumnDef::new(ResearchFinding::Url).string_len(2048).null())
                    .col(ts(ResearchFinding::CollectedAt))
                    .col(ColumnDef::new(ResearchFinding::Sentiment).double().null())
                    .col(ColumnDef::new(ResearchFinding::Weight).double().not_null())
                    .col(
                        ColumnDef::new(ResearchFinding::RecordedByUserId)
                            .uuid()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ResearchFinding::RecordedByIntegrationId)
                            .uuid()
                            .null(),
                    )
                    .col(ts(ResearchFinding::CreatedAt))
                    .foreign_key(&mut brand_fk(
                        "fk_research_finding_brand",
                        ResearchFinding::Table,
                        ResearchFinding::BrandId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_research_finding_audience")
                            .from(ResearchFinding::Table, ResearchFinding::AudienceId)
                            .to(Audience::Table, Audience::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Idempotent ingest: one external id per brand (NULLs are distinct).
        index(
            manager,
            "ux_research_finding_brand_external",
            ResearchFinding::Table,
            &["brand_id", "external_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_research_finding_audience_collected",
            ResearchFinding::Table,
            &["audience_id", "collected_at", "id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(FindingTag::Table)
                    .col(uuid(FindingTag::FindingId))
                    .col(uuid(FindingTag::TagId))
                    .col(uuid(FindingTag::BrandId))
                    .col(string(FindingTag::TaggedBy, 10))
                    .primary_key(
                        Index::create()
                            .col(FindingTag::FindingId)
                            .col(FindingTag::TagId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_finding_tag_finding")
                            .from(FindingTag::Table, FindingTag::FindingId)
                            .to(ResearchFinding::Table, ResearchFinding::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_finding_tag_tag")
                            .from(FindingTag::Table, FindingTag::TagId)
                            .to(ResearchTag::Table, ResearchTag::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_finding_tag_tag",
            FindingTag::Table,
            &["tag_id"],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(GatheringPlace::Table)
                    .col(uuid(GatheringPlace::Id).primary_key())
                    .col(uuid(GatheringPlace::BrandId))
                    .col(uuid(GatheringPlace::AudienceId))
                    .col(string(GatheringPlace::Platform, 20))
                    .col(string(GatheringPlace::Name, 200))
                    .col(ColumnDef::new(GatheringPlace::Url).string_len(2048).null())
                    .col(
                        ColumnDef::new(GatheringPlace::MemberCount)
                            .big_integer()
                            .null(),
                    )
                    .col(ColumnDef::new(GatheringPlace::PostsPerWeek).double().null())
                    .col(
                        ColumnDef::new(GatheringPlace::BrandPresent)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(GatheringPlace::SelfPromotionAllowed)
                            .boolean()
                            .null(),
                    )
                    .col(ColumnDef::new(GatheringPlace::HouseRules).text().null())
                    .col(
                        ColumnDef::new(GatheringPlace::AudienceShare)
                            .double()
                            .null(),
                    )
                    .col(version(GatheringPlace::Version))
                    .col(ts(GatheringPlace::CreatedAt))
                    .col(ts(GatheringPlace::UpdatedAt))
                    .foreign_key(&mut brand_fk(
                        "fk_gathering_place_brand",
                        GatheringPlace::Table,
                        GatheringPlace::BrandId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_gathering_place_audience")
                            .from(GatheringPlace::Table, GatheringPlace::AudienceId)
                            .to(Audience::Table, Audience::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_gathering_place_audience",
            GatheringPlace::Table,
            &["audience_id"],
            false,
        )
        .await?;

        for col in [
            ColumnDef::new(Community::AudienceId)
                .uuid()
                .null()
                .to_owned(),
            ColumnDef::new(Community::Recommendation)
                .text()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Community::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }

        let db = manager.get_connection();
        let search = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES_SEARCH,
            _ => SQLITE_SEARCH,
        };
        for sql in search {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            for sql in [
                "DROP TRIGGER IF EXISTS research_finding_fts_insert",
                "DROP TRIGGER IF EXISTS research_finding_fts_delete",
                "DROP TRIGGER IF EXISTS research_finding_fts_update",
                "DROP TABLE IF EXISTS research_finding_fts",
            ] {
                db.execute_unprepared(sql).await?;
            }
        }
        for col in [Community::Recommendation, Community::AudienceId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Community::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            GatheringPlace::Table.into_iden(),
            FindingTag::Table.into_iden(),
            ResearchFinding::Table.into_iden(),
            ResearchTag::Table.into_iden(),
            Audience::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
