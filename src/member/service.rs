//! Members, their identities per platform and memberships per community;
//! merging and erasure.

use std::collections::HashMap;

use async_graphql::{InputObject, ID};
use chrono::{DateTime, Utc};
use entity::{
    activity, customer, feedback, member, member_identity, membership, reward_grant,
    survey_response,
};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::service::{self as audit, Event},
    auth::{BrandScope, Caller},
    community::service::{writable, Platform},
    context::{parse_id, AppContext},
    db, db_enum,
    error::{AppError, AppResult},
    validation,
};

db_enum! {
    /// A member's role in a community.
    pub enum MemberRole {
        /// A member.
        Member = "MEMBER",
        /// Keeps the conversation healthy.
        Moderator = "MODERATOR",
        /// Speaks for the community.
        Ambassador = "AMBASSADOR",
        /// Runs events.
        Host = "HOST",
        /// The brand's or the agency's staff.
        Staff = "STAFF",
    }
}

/// An identity given when adding a member.
#[derive(Debug, Clone, InputObject)]
pub struct IdentityInput {
    /// The platform.
    pub platform: Platform,
    /// The platform's user id.
    pub external_id: String,
    /// User name on the platform.
    pub handle: Option<String>,
}

/// A new member, optionally placed in a community.
#[derive(Debug, Clone, InputObject)]
pub struct CreateMemberInput {
    /// The brand.
    pub brand_id: ID,
    /// Name shown.
    pub display_name: Option<String>,
    /// The brand's customer reference, for impact measurement.
    pub customer_ref: Option<String>,
    /// Accounts on platforms; each unique per brand.
    pub identities: Vec<IdentityInput>,
    /// A community to join now.
    pub community_id: Option<ID>,
    /// Role in that community (default `MEMBER`).
    pub role: Option<MemberRole>,
}

fn text_opt(field: &str, v: Option<&str>, max: usize) -> AppResult<Option<String>> {
    validation::optional_text(field, v, max)
}

/// A member of the caller's readable brands (merged members redirect).
pub async fn get(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<member::Model> {
    let scope = caller.read_scope()?;
    member::Entity::find_by_id(id)
        .filter(scope.condition(member::Column::BrandId))
        .filter(member::Column::MergedInto.is_null())
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("member"))
}

async fn get_writable(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<member::Model> {
    let scope = caller.write_scope()?;
    member::Entity::find_by_id(id)
        .filter(scope.condition(member::Column::BrandId))
        .filter(member::Column::MergedInto.is_null())
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("member"))
}

/// Adds a member by hand (ingest creates them automatically).
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    input: CreateMemberInput,
) -> AppResult<member::Model> {
    let brand_id = parse_id("input.brandId", &input.brand_id)?;
    caller.write_scope()?.check(brand_id, "brand")?;
    let community = match &input.community_id {
        Some(c) => {
            let c = writable(app, caller, parse_id("input.communityId", c)?).await?;
            if c.brand_id != brand_id {
                return Err(AppError::bad_input(
                    "input.communityId",
                    "the community belongs to another brand",
                ));
            }
            Some(c)
        }
        None => None,
    };
    let display_name = text_opt("input.displayName", input.display_name.as_deref(), 200)?;
    let customer_ref = text_opt("input.customerRef", input.customer_ref.as_deref(), 200)?;
    let mut identities = Vec::new();
    for (i, ident) in input.identities.iter().enumerate() {
        let field = format!("input.identities.{i}.externalId");
        let external = validation::text(&field, &ident.external_id, 1, 200)?;
        let handle = text_opt(
            &format!("input.identities.{i}.handle"),
            ident.handle.as_deref(),
            200,
        )?;
        identities.push((ident.platform, external, handle));
    }
    let now = Utc::now();
    let txn = crate::db::WriteTxn::for_brand(app, brand_id).await?;
    let created = member::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(brand_id),
        display_name: Set(display_name),
        customer_ref: Set(customer_ref),
        merged_into: Set(None),
        erased_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    if !identities.is_empty() {
        let rows = identities
            .iter()
            .map(|(p, e, h)| member_identity::ActiveModel {
                id: Set(Uuid::now_v7()),
                brand_id: Set(brand_id),
                member_id: Set(created.id),
                platform: Set(p.as_str().into()),
                external_id: Set(e.clone()),
                handle: Set(h.clone()),
                created_at: Set(now),
            });
        member_identity::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| {
                AppError::from_db_unique(e, || {
                    "one of these identities already belongs to a member of this brand".into()
                })
            })?;
    }
    if let Some(c) = &community {
        if let Some(r) = input.role {
            crate::certification::roles::check_role(&txn, brand_id, c.id, created.id, r).await?;
        }
        membership::ActiveModel {
            id: Set(Uuid::now_v7()),
            brand_id: Set(brand_id),
            community_id: Set(c.id),
            member_id: Set(created.id),
            role: Set(input.role.unwrap_or(MemberRole::Member).as_str().into()),
            joined_at: Set(now),
            left_at: Set(None),
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        caller,
        Event {
            action: "member.create",
            object_type: "member",
            object_id: Some(created.id),
            brand_id: Some(brand_id),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Sets (or changes) a member's role in a community, joining it if needed;
/// `left = true` records that they left.
pub async fn set_membership(
    app: &AppContext,
    caller: &Caller,
    community_id: Uuid,
    member_id: Uuid,
    role: Option<MemberRole>,
    left: bool,
) -> AppResult<membership::Model> {
    let c = writable(app, caller, community_id).await?;
    let m = get_writable(app, caller, member_id).await?;
    if m.brand_id != c.brand_id {
        return Err(AppError::NotFound("member"));
    }
    let existing = membership::Entity::find()
        .filter(membership::Column::CommunityId.eq(c.id))
        .filter(membership::Column::MemberId.eq(m.id))
        .one(&app.db)
        .await?;
    let now = Utc::now();
    let (txn, _) = crate::db::WriteTxn::for_community(app, c.id).await?;
    if let Some(r) = role.filter(|_| !left) {
        crate::certification::roles::check_role(&txn, c.brand_id, c.id, m.id, r).await?;
    }
    let saved = match existing {
        Some(e) => {
            let mut a: membership::ActiveModel = e.into();
            if let Some(r) = role {
                a.role = Set(r.as_str().into());
            }
            a.left_at = Set(left.then_some(now));
            a.update(&txn).await?
        }
        None => {
            membership::ActiveModel {
                id: Set(Uuid::now_v7()),
                brand_id: Set(c.brand_id),
                community_id: Set(c.id),
                member_id: Set(m.id),
                role: Set(role.unwrap_or(MemberRole::Member).as_str().into()),
                joined_at: Set(now),
                left_at: Set(left.then_some(now)),
            }
            .insert(&txn)
            .await?
        }
    };
    audit::record(
        &txn,
        caller,
        Event {
            action: if left {
                "membership.leave"
            } else {
                "membership.set"
            },
            object_type: "membership",
            object_id: Some(saved.id),
            brand_id: Some(c.brand_id),
            details: Some(json!({ "member": m.id, "community": c.id, "role": saved.role })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Merges `merged` into `kept`: every identity, membership, activity and
/// reward moves to `kept`; `merged` is hidden. Both must be the same brand's.
pub async fn merge(
    app: &AppContext,
    caller: &Caller,
    kept: Uuid,
    merged: Uuid,
) -> AppResult<member::Model> {
    if kept == merged {
        return Err(AppError::bad_input(
            "mergeId",
            "a member cannot be merged into itself",
        ));
    }
    let keep = get_writable(app, caller, kept).await?;
    let gone = get_writable(app, caller, merged).await?;
    if keep.brand_id != gone.brand_id {
        // Across brands the other member is, for this brand, simply not there.
        return Err(AppError::NotFound("member"));
    }
    let txn = crate::db::WriteTxn::for_brand(app, keep.brand_id).await?;
    member_identity::Entity::update_many()
        .col_expr(member_identity::Column::MemberId, Expr::value(keep.id))
        .filter(member_identity::Column::MemberId.eq(gone.id))
        .exec(&txn)
        .await?;
    activity::Entity::update_many()
        .col_expr(activity::Column::MemberId, Expr::value(keep.id))
        .filter(activity::Column::MemberId.eq(gone.id))
        .exec(&txn)
        .await?;
    // What the person said and bought follows them to the kept member, so
    // their answers and spend keep counting as a member's.
    survey_response::Entity::update_many()
        .col_expr(survey_response::Column::MemberId, Expr::value(keep.id))
        .filter(survey_response::Column::MemberId.eq(gone.id))
        .exec(&txn)
        .await?;
    feedback::Entity::update_many()
        .col_expr(feedback::Column::MemberId, Expr::value(keep.id))
        .filter(feedback::Column::MemberId.eq(gone.id))
        .exec(&txn)
        .await?;
    customer::Entity::update_many()
        .col_expr(customer::Column::MemberId, Expr::value(keep.id))
        .filter(customer::Column::MemberId.eq(gone.id))
        .exec(&txn)
        .await?;
    // Offers they were addressed count against the kept member's cap.
    crate::schedule::offers::merge(&txn, gone.id, keep.id).await?;
    // Memberships: keep the earlier join where both were in a community.
    let keep_ms = membership::Entity::find()
        .filter(membership::Column::MemberId.eq(keep.id))
        .all(&txn)
        .await?;
    let gone_ms = membership::Entity::find()
        .filter(membership::Column::MemberId.eq(gone.id))
        .all(&txn)
        .await?;
    for g in gone_ms {
        match keep_ms.iter().find(|k| k.community_id == g.community_id) {
            Some(k) => {
                if g.joined_at < k.joined_at {
                    let mut a: membership::ActiveModel = k.clone().into();
                    a.joined_at = Set(g.joined_at);
                    a.update(&txn).await?;
                }
                membership::Entity::delete_by_id(g.id).exec(&txn).await?;
            }
            None => {
                let mut a: membership::ActiveModel = g.into();
                a.member_id = Set(keep.id);
                a.update(&txn).await?;
            }
        }
    }
    let keep_grants: Vec<Uuid> = reward_grant::Entity::find()
        .filter(reward_grant::Column::MemberId.eq(keep.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|g| g.programme_id)
        .collect();
    reward_grant::Entity::delete_many()
        .filter(reward_grant::Column::MemberId.eq(gone.id))
        .filter(reward_grant::Column::ProgrammeId.is_in(keep_grants))
        .exec(&txn)
        .await?;
    reward_grant::Entity::update_many()
        .col_expr(reward_grant::Column::MemberId, Expr::value(keep.id))
        .filter(reward_grant::Column::MemberId.eq(gone.id))
        .exec(&txn)
        .await?;
    let mut k: member::ActiveModel = keep.clone().into();
    if keep.display_name.is_none() {
        k.display_name = Set(gone.display_name.clone());
    }
    if keep.customer_ref.is_none() {
        k.customer_ref = Set(gone.customer_ref.clone());
    }
    k.updated_at = Set(Utc::now());
    let kept_model = k.update(&txn).await?;
    let mut g: member::ActiveModel = gone.clone().into();
    g.merged_into = Set(Some(keep.id));
    g.display_name = Set(None);
    g.customer_ref = Set(None);
    g.updated_at = Set(Utc::now());
    g.update(&txn).await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "member.merge",
            object_type: "member",
            object_id: Some(keep.id),
            brand_id: Some(keep.brand_id),
            details: Some(json!({ "merged": gone.id })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(kept_model)
}

/// Erases a member's personal data on a privacy request: name, customer
/// reference and link, identities, activity properties, the words of their
/// feedback and survey comments go; the member row, its memberships,
/// activities, feedback and survey scores stay, anonymous, so counts stay
/// true.
pub async fn erase(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<member::Model> {
    let m = get_writable(app, caller, id).await?;
    let mut txn = crate::db::WriteTxn::begin(app).await?;
    feedback::Entity::update_many()
        .col_expr(feedback::Column::Title, Expr::value(ERASED))
        .col_expr(feedback::Column::Body, Expr::value(Option::<String>::None))
        .filter(feedback::Column::MemberId.eq(m.id))
        .exec(&txn)
        .await?;
    survey_response::Entity::update_many()
        .col_expr(
            survey_response::Column::Comment,
            Expr::value(Option::<String>::None),
        )
        .filter(survey_response::Column::MemberId.eq(m.id))
        .exec(&txn)
        .await?;
    customer::Entity::update_many()
        .col_expr(
            customer::Column::MemberId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(customer::Column::MemberId.eq(m.id))
        .exec(&txn)
        .await?;
    member_identity::Entity::delete_many()
        .filter(member_identity::Column::MemberId.eq(m.id))
        .exec(&txn)
        .await?;
    activity::Entity::update_many()
        .col_expr(
            activity::Column::Properties,
            Expr::value(Option::<String>::None),
        )
        .filter(activity::Column::MemberId.eq(m.id))
        .exec(&txn)
        .await?;
    let mut a: member::ActiveModel = m.clone().into();
    a.display_name = Set(None);
    a.customer_ref = Set(None);
    a.erased_at = Set(Some(Utc::now()));
    a.updated_at = Set(Utc::now());
    let erased = a.update(&txn).await?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "member.erase",
            object_type: "member",
            object_id: Some(m.id),
            brand_id: Some(m.brand_id),
            details: None,
        },
    )
    .await?;
    crate::brand::data_version::bump(&mut txn, m.brand_id);
    txn.commit().await?;
    Ok(erased)
}

/// What an erased member's feedback titles read.
pub const ERASED: &str = "(erased)";

/// Identities of many members (one statement, for the DataLoader).
pub async fn identities_of(
    app: &AppContext,
    scope: &BrandScope,
    members: &[Uuid],
) -> AppResult<Vec<IdentityRow>> {
    use member_identity::Column;
    let query = member_identity::Entity::find()
        .filter(db::one_of(
            app.db.get_database_backend(),
            Column::MemberId,
            members,
        ))
        .filter(scope.condition(Column::BrandId))
        .order_by_asc(Column::Id);
    Ok(db::select_as::<_, IdentityRow>(query).all(&app.db).await?)
}

/// A member's account as pages show it: the columns [`identities_of`]
/// selects (these fields, by [`db::select_as`]), read in that order (see [`db::ByPosition`]).
#[derive(Debug, Clone)]
pub struct IdentityRow {
    /// The member.
    pub member_id: Uuid,
    /// The platform, as stored.
    pub platform: String,
    /// The platform's user id.
    pub external_id: String,
    /// User name there.
    pub handle: Option<String>,
}

crate::read_by_position!(IdentityRow {
    member_id,
    platform,
    external_id,
    handle
});

impl From<member_identity::Model> for IdentityRow {
    fn from(m: member_identity::Model) -> Self {
        Self {
            member_id: m.member_id,
            platform: m.platform,
            external_id: m.external_id,
            handle: m.handle,
        }
    }
}

/// Memberships of many members (one statement, for the DataLoader).
pub async fn memberships_of(
    app: &AppContext,
    scope: &BrandScope,
    members: &[Uuid],
) -> AppResult<Vec<membership::Model>> {
    Ok(membership::Entity::find()
        .filter(db::one_of(
            app.db.get_database_backend(),
            membership::Column::MemberId,
            members,
        ))
        .filter(scope.condition(membership::Column::BrandId))
        .order_by_asc(membership::Column::JoinedAt)
        .all(&app.db)
        .await?)
}

/// Members by id (one statement, for the DataLoader).
pub async fn members_by_id(
    app: &AppContext,
    scope: &BrandScope,
    ids: &[Uuid],
) -> AppResult<Vec<MemberCard>> {
    use member::Column;
    let query = member::Entity::find()
        .filter(db::one_of(app.db.get_database_backend(), Column::Id, ids))
        .filter(scope.condition(Column::BrandId));
    Ok(db::select_as::<_, MemberCard>(query).all(&app.db).await?)
}

/// A member as the API shows one: the columns [`members_by_id`] selects
/// (these fields, by [`db::select_as`]), read in that order (see [`db::ByPosition`]).
#[derive(Debug, Clone)]
pub struct MemberCard {
    /// The member.
    pub id: Uuid,
    /// The brand.
    pub brand_id: Uuid,
    /// Name shown.
    pub display_name: Option<String>,
    /// The brand's customer reference.
    pub customer_ref: Option<String>,
    /// When the member's personal data was erased.
    pub erased_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

crate::read_by_position!(MemberCard {
    id,
    brand_id,
    display_name,
    customer_ref,
    erased_at,
    created_at
});

impl From<member::Model> for MemberCard {
    fn from(m: member::Model) -> Self {
        Self {
            id: m.id,
            brand_id: m.brand_id,
            display_name: m.display_name,
            customer_ref: m.customer_ref,
            erased_at: m.erased_at,
            created_at: m.created_at,
        }
    }
}

/// A row of a community's member page: the columns [`first_members_of`]
/// selects, read in that order (see [`db::ByPosition`]).
#[derive(Debug, Clone)]
pub struct MemberRow {
    /// The community.
    pub community_id: Uuid,
    /// The member.
    pub member_id: Uuid,
    /// Role in the community.
    pub role: String,
    /// Joined.
    pub joined_at: DateTime<Utc>,
    /// Left.
    pub left_at: Option<DateTime<Utc>>,
}

crate::read_by_position!(MemberRow {
    community_id,
    member_id,
    role,
    joined_at,
    left_at
});

/// The newest `first` current members of each of many communities, in one
/// statement, for nested member pages.
pub async fn first_members_of(
    app: &AppContext,
    scope: &BrandScope,
    communities: &[Uuid],
    first: u64,
) -> AppResult<Vec<MemberRow>> {
    if communities.is_empty() {
        return Ok(Vec::new());
    }
    let (in_scope, values) = scope.sql("brand_id");
    let filter = format!("left_at IS NULL AND {in_scope}");
    let statement = db::FirstPerParent {
        table: "membership",
        columns: "community_id, member_id, role, joined_at, left_at",
        parent: "community_id",
        filter: &filter,
        values,
        order: "joined_at DESC, member_id DESC",
    }
    .statement(app.db.get_database_backend(), communities, first);
    Ok(MemberRow::find_by_statement(statement).all(&app.db).await?)
}

/// Current member counts of many communities (one statement).
pub async fn member_counts(
    app: &AppContext,
    scope: &BrandScope,
    communities: &[Uuid],
) -> AppResult<Vec<(Uuid, i64)>> {
    use sea_orm::QuerySelect;
    Ok(membership::Entity::find()
        .select_only()
        .column(membership::Column::CommunityId)
        .column_as(membership::Column::Id.count(), "n")
        .filter(db::one_of(
            app.db.get_database_backend(),
            membership::Column::CommunityId,
            communities,
        ))
        .filter(membership::Column::LeftAt.is_null())
        .filter(scope.condition(membership::Column::BrandId))
        .group_by(membership::Column::CommunityId)
        .into_tuple()
        .all(&app.db)
        .await?)
}

/// What the selection asks for below a page of communities.
#[derive(Debug, Clone, Copy)]
pub struct NestedSelection {
    /// Members per community (the `first` of the nested page).
    pub first: u64,
    /// Whether each community's member count is selected.
    pub counts: bool,
    /// Whether the members themselves are selected.
    pub members: bool,
    /// Whether the members' identities are selected.
    pub identities: bool,
}

/// What is below a page of communities, loaded one statement per level so
/// that nested pages cost the same number of statements however many rows
/// they hold.
#[derive(Debug, Default)]
pub struct NestedMembers {
    /// Each community's newest `first + 1` current members (one more than
    /// asked, to know whether a next page exists); every community asked for
    /// has an entry.
    pub pages: HashMap<Uuid, Vec<MemberRow>>,
    /// Each community's current member count, when selected.
    pub counts: Option<HashMap<Uuid, i64>>,
    /// The members of those pages, when selected.
    pub members: Vec<MemberCard>,
    /// Each member's identities, when selected (every member has an entry).
    pub identities: Option<HashMap<Uuid, Vec<IdentityRow>>>,
}

/// Loads what `want` asks for below `communities`, within the caller's scope.
pub async fn nested_members(
    app: &AppContext,
    scope: &BrandScope,
    communities: &[Uuid],
    want: NestedSelection,
) -> AppResult<NestedMembers> {
    let mut out = NestedMembers::default();
    if communities.is_empty() {
        return Ok(out);
    }
    let rows = first_members_of(app, scope, communities, want.first + 1).await?;
    let mut pages = crate::loaders::group(rows.into_iter().map(|r| (r.community_id, r)));
    out.pages = communities
        .iter()
        .map(|c| (*c, pages.remove(c).unwrap_or_default()))
        .collect();
    if want.counts {
        let counts: HashMap<Uuid, i64> = member_counts(app, scope, communities)
            .await?
            .into_iter()
            .collect();
        out.counts = Some(
            communities
                .iter()
                .map(|c| (*c, counts.get(c).copied().unwrap_or(0)))
                .collect(),
        );
    }
    let mut ids: Vec<Uuid> = out.pages.values().flatten().map(|r| r.member_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if !want.members || ids.is_empty() {
        return Ok(out);
    }
    out.members = members_by_id(app, scope, &ids).await?;
    if want.identities {
        let mut found = crate::loaders::group(
            identities_of(app, scope, &ids)
                .await?
                .into_iter()
                .map(|i| (i.member_id, i)),
        );
        out.identities = Some(
            ids.iter()
                .map(|m| (*m, found.remove(m).unwrap_or_default()))
                .collect(),
        );
    }
    Ok(out)
}
