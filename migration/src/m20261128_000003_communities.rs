//! Communities, channels, members with identities and memberships, activity
//! types and activities, reward programmes and grants, member feedback.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Brand {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Community {
    Table,
    Id,
    BrandId,
    Name,
    Purpose,
    Kind,
    Platform,
    PlatformUrl,
    Status,
    TargetSize,
    TimeZone,
    MaxPromptsPerWeek,
    MinGapHours,
    QuietHoursStart,
    QuietHoursEnd,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Channel {
    Table,
    Id,
    BrandId,
    CommunityId,
    Name,
    Kind,
    ExternalId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Member {
    Table,
    Id,
    BrandId,
    DisplayName,
    CustomerRef,
    MergedInto,
    ErasedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MemberIdentity {
    Table,
    Id,
    BrandId,
    MemberId,
    Platform,
    ExternalId,
    Handle,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Membership {
    Table,
    Id,
    BrandId,
    CommunityId,
    MemberId,
    Role,
    JoinedAt,
    LeftAt,
}

#[derive(DeriveIden)]
enum ActivityType {
    Table,
    Id,
    BrandId,
    Key,
    Name,
    Weight,
}

#[derive(DeriveIden)]
enum Activity {
    Table,
    Id,
    BrandId,
    CommunityId,
    MemberId,
    ChannelId,
    TypeKey,
    Weight,
    IsReply,
    OccurredAt,
    SourceKey,
    Properties,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RewardProgramme {
    Table,
    Id,
    BrandId,
    CommunityId,
    Name,
    Kind,
    Description,
    MinActivities,
    WindowDays,
    MinLevel,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RewardGrant {
    Table,
    Id,
    BrandId,
    ProgrammeId,
    MemberId,
    GrantedAt,
    Note,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
    BrandId,
    CommunityId,
    MemberId,
    Title,
    Body,
    Category,
    Sentiment,
    Status,
    Answer,
    FirstAnsweredAt,
    ClosedAt,
    CreatedAt,
    UpdatedAt,
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

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn text(col: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(col).string_len(len).not_null().to_owned()
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<Alias>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(table).to_owned();
    for c in cols {
        stmt.col(c);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt).await
}

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Community::Table)
                    .col(uuid(Community::Id).primary_key())
                    .col(uuid(Community::BrandId))
                    .col(text(Community::Name, 120))
                    .col(text(Community::Purpose, 1000))
                    .col(text(Community::Kind, 16))
                    .col(text(Community::Platform, 32))
                    .col(
                        ColumnDef::new(Community::PlatformUrl)
                            .string_len(2048)
                            .null(),
                    )
                    .col(text(Community::Status, 16))
                    .col(ColumnDef::new(Community::TargetSize).integer().null())
                    .col(text(Community::TimeZone, 64))
                    .col(
                        ColumnDef::new(Community::MaxPromptsPerWeek)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(Community::MinGapHours).integer().null())
                    .col(ColumnDef::new(Community::QuietHoursStart).integer().null())
                    .col(ColumnDef::new(Community::QuietHoursEnd).integer().null())
                    .col(
                        ColumnDef::new(Community::Version)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .col(ts(Community::CreatedAt))
                    .col(ts(Community::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_community_brand",
                        (Community::Table, Community::BrandId),
                        (Brand::Table, Brand::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_community_brand",
            Community::Table,
            vec![a("brand_id"), a("id")],
            false,
        )
        .await?;
        index(
            manager,
            "ux_community_brand_name",
            Community::Table,
            vec![a("brand_id"), a("name")],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Channel::Table)
                    .col(uuid(Channel::Id).primary_key())
                    .col(uuid(Channel::BrandId))
                    .col(uuid(Channel::CommunityId))
                    .col(text(Channel::Name, 120))
                    .col(text(Channel::Kind, 16))
                    .col(ColumnDef::new(Channel::ExternalId).string_len(200).null())
                    .col(ts(Channel::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_channel_community",
                        (Channel::Table, Channel::CommunityId),
                        (Community::Table, Community::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_channel_community_name",
            Channel::Table,
            vec![a("community_id"), a("name")],
            true,
        )
        .await?;
        index(
            manager,
            "ix_channel_brand",
            Channel::Table,
            vec![a("brand_id"), a("community_id")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Member::Table)
                    .col(uuid(Member::Id).primary_key())
                    .col(uuid(Member::BrandId))
                    .col(ColumnDef::new(Member::DisplayName).string_len(200).null())
                    .col(ColumnDef::new(Member::CustomerRef).string_len(200).null())
                    .col(ColumnDef::new(Member::MergedInto).uuid().null())
                    .col(ts_null(Member::ErasedAt))
                    .col(ts(Member::CreatedAt))
                    .col(ts(Member::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_member_brand",
                        (Member::Table, Member::BrandId),
                        (Brand::Table, Brand::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_member_brand",
            Member::Table,
            vec![a("brand_id"), a("id")],
            false,
        )
        .await?;
        index(
            manager,
            "ix_member_customer",
            Member::Table,
            vec![a("brand_id"), a("customer_ref")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(MemberIdentity::Table)
                    .col(uuid(MemberIdentity::Id).primary_key())
                    .col(uuid(MemberIdentity::BrandId))
                    .col(uuid(MemberIdentity::MemberId))
                    .col(text(MemberIdentity::Platform, 32))
                    .col(text(MemberIdentity::ExternalId, 200))
                    .col(
                        ColumnDef::new(MemberIdentity::Handle)
                            .string_len(200)
                            .null(),
                    )
                    .col(ts(MemberIdentity::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_identity_member",
                        (MemberIdentity::Table, MemberIdentity::MemberId),
                        (Member::Table, Member::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_identity_brand_platform_external",
            MemberIdentity::Table,
            vec![a("brand_id"), a("platform"), a("external_id")],
            true,
        )
        .await?;
        index(
            manager,
            "ix_identity_member",
            MemberIdentity::Table,
            vec![a("member_id")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Membership::Table)
                    .col(uuid(Membership::Id).primary_key())
                    .col(uuid(Membership::BrandId))
                    .col(uuid(Membership::CommunityId))
                    .col(uuid(Membership::MemberId))
                    .col(text(Membership::Role, 16))
                    .col(ts(Membership::JoinedAt))
                    .col(ts_null(Membership::LeftAt))
                    .foreign_key(&mut fk(
                        "fk_membership_community",
                        (Membership::Table, Membership::CommunityId),
                        (Community::Table, Community::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_membership_member",
                        (Membership::Table, Membership::MemberId),
                        (Member::Table, Member::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_membership_community_member",
            Membership::Table,
            vec![a("community_id"), a("member_id")],
            true,
        )
        .await?;
        index(
            manager,
            "ix_membership_member",
            Membership::Table,
            vec![a("member_id")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActivityType::Table)
                    .col(uuid(ActivityType::Id).primary_key())
                    .col(uuid(ActivityType::BrandId))
                    .col(text(ActivityType::Key, 64))
                    .col(text(ActivityType::Name, 120))
                    .col(ColumnDef::new(ActivityType::Weight).integer().not_null())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_activity_type_brand_key",
            ActivityType::Table,
            vec![a("brand_id"), a("key")],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Activity::Table)
                    .col(uuid(Activity::Id).primary_key())
                    .col(uuid(Activity::BrandId))
                    .col(uuid(Activity::CommunityId))
                    .col(uuid(Activity::MemberId))
                    .col(ColumnDef::new(Activity::ChannelId).uuid().null())
                    .col(text(Activity::TypeKey, 64))
                    .col(ColumnDef::new(Activity::Weight).integer().not_null())
                    .col(
                        ColumnDef::new(Activity::IsReply)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ts(Activity::OccurredAt))
                    .col(text(Activity::SourceKey, 200))
                    .col(ColumnDef::new(Activity::Properties).text().null())
                    .col(ts(Activity::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_activity_brand_source",
            Activity::Table,
            vec![a("brand_id"), a("source_key")],
            true,
        )
        .await?;
        index(
            manager,
            "ix_activity_community_time",
            Activity::Table,
            vec![a("community_id"), a("occurred_at")],
            false,
        )
        .await?;
        index(
            manager,
            "ix_activity_member_time",
            Activity::Table,
            vec![a("member_id"), a("occurred_at")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RewardProgramme::Table)
                    .col(uuid(RewardProgramme::Id).primary_key())
                    .col(uuid(RewardProgramme::BrandId))
                    .col(uuid(RewardProgramme::CommunityId))
                    .col(text(RewardProgramme::Name, 120))
                    .col(text(RewardProgramme::Kind, 16))
                    .col(ColumnDef::new(RewardProgramme::Description).text().null())
                    .col(
                        ColumnDef::new(RewardProgramme::MinActivities)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RewardProgramme::WindowDays)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RewardProgramme::MinLevel)
                            .integer()
                            .not_null(),
                    )
                    .col(ts(RewardProgramme::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_programme_community",
                        (RewardProgramme::Table, RewardProgramme::CommunityId),
                        (Community::Table, Community::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_programme_community",
            RewardProgramme::Table,
            vec![a("community_id")],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RewardGrant::Table)
                    .col(uuid(RewardGrant::Id).primary_key())
                    .col(uuid(RewardGrant::BrandId))
                    .col(uuid(RewardGrant::ProgrammeId))
                    .col(uuid(RewardGrant::MemberId))
                    .col(ts(RewardGrant::GrantedAt))
                    .col(ColumnDef::new(RewardGrant::Note).string_len(500).null())
                    .foreign_key(&mut fk(
                        "fk_grant_programme",
                        (RewardGrant::Table, RewardGrant::ProgrammeId),
                        (RewardProgramme::Table, RewardProgramme::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_grant_member",
                        (RewardGrant::Table, RewardGrant::MemberId),
                        (Member::Table, Member::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_grant_programme_member",
            RewardGrant::Table,
            vec![a("programme_id"), a("member_id")],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Feedback::Table)
                    .col(uuid(Feedback::Id).primary_key())
                    .col(uuid(Feedback::BrandId))
                    .col(uuid(Feedback::CommunityId))
                    .col(ColumnDef::new(Feedback::MemberId).uuid().null())
                    .col(text(Feedback::Title, 200))
                    .col(ColumnDef::new(Feedback::Body).text().null())
                    .col(text(Feedback::Category, 16))
                    .col(ColumnDef::new(Feedback::Sentiment).double().null())
                    .col(text(Feedback::Status, 16))
                    .col(ColumnDef::new(Feedback::Answer).text().null())
                    .col(ts_null(Feedback::FirstAnsweredAt))
                    .col(ts_null(Feedback::ClosedAt))
                    .col(ts(Feedback::CreatedAt))
                    .col(ts(Feedback::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_feedback_community",
                        (Feedback::Table, Feedback::CommunityId),
                        (Community::Table, Community::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_feedback_community",
            Feedback::Table,
            vec![a("community_id"), a("id")],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Feedback::Table.into_iden(),
            RewardGrant::Table.into_iden(),
            RewardProgramme::Table.into_iden(),
            Activity::Table.into_iden(),
            ActivityType::Table.into_iden(),
            Membership::Table.into_iden(),
            MemberIdentity::Table.into_iden(),
            Member::Table.into_iden(),
            Channel::Table.into_iden(),
            Community::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
