//! Activity types and bulk, idempotent activity ingest.
//!
//! A batch runs in one transaction with a fixed number of multi-row
//! statements per chunk of rows (never one statement per row): look up the
//! batch's identities, create the unknown members and identities, add the
//! missing memberships, resolve channels, insert the activities with
//! `ON CONFLICT DO NOTHING` on the brand's source keys.

use std::collections::{HashMap, HashSet};

use async_graphql::{InputObject, SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};
use entity::{activity, activity_type, channel, member, member_identity, membership};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::service::{self as audit, Event},
    auth::{Caller, Principal},
    community::service::{writable, Platform},
    context::{parse_id, AppContext},
    error::{AppError, AppResult},
    ingest::{
        fingerprint, insert_idempotent, insert_new, members_by_identity, plain, sort_rows, stops,
        Idempotent, IngestMode, IngestSummary, RejectedRow, CHUNK, MAX_ROWS,
    },
    member::service::MemberRole,
    validation,
};

/// Built-in weights, used where the brand has not set its own (crowd.dev's).
pub const DEFAULT_WEIGHTS: &[(&str, &str, i32)] = &[
    ("message", "Message", 6),
    ("join", "Joined", 3),
    ("topic", "New topic", 8),
    ("reply", "Reply", 6),
    ("like", "Like or reaction", 1),
    ("post", "Post", 10),
    ("comment", "Comment", 6),
];
/// Weight of a key with neither a brand weight nor a built-in one.
pub const FALLBACK_WEIGHT: i32 = 2;

/// An activity type with its weight.
#[derive(Debug, Clone, SimpleObject)]
pub struct ActivityTypeWeight {
    /// Key used in ingest, e.g. `message`.
    pub key: String,
    /// Name shown.
    pub name: String,
    /// Weight in engagement scores.
    pub weight: i32,
    /// Whether the brand set it (otherwise it is a built-in default).
    pub custom: bool,
}

/// A brand's weight for an activity type.
#[derive(Debug, Clone, InputObject)]
pub struct SetActivityTypeInput {
    /// The brand.
    pub brand_id: ID,
    /// Key, 1-64 characters of a-z, 0-9, `_`, `-`, `:` and `.`.
    pub key: String,
    /// Name shown.
    pub name: String,
    /// Weight, 1-12.
    pub weight: i32,
}

/// One activity pushed by an integration.
#[derive(Debug, Clone, InputObject, serde::Deserialize)]
// Read like the GraphQL input type when a batch is read from JSON
// (`ingest::ReadRows`): the same names, no other field.
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivityRowInput {
    /// The sender's unique key for this activity (idempotency), 1-200 characters.
    pub source_key: String,
    /// The member's user id on the platform.
    pub external_id: String,
    /// The platform of that id (default: the community's).
    pub platform: Option<Platform>,
    /// The member's user name there, used for new members.
    pub handle: Option<String>,
    /// Activity type key, e.g. `message`.
    pub kind: String,
    /// When it happened (not more than a day ahead).
    pub occurred_at: DateTime<Utc>,
    /// The platform's channel id, if known.
    pub channel_external_id: Option<String>,
    /// Whether it answered someone else (counts towards the reply rate).
    pub is_reply: Option<bool>,
    /// Extra facts as a JSON object, up to 4 KB.
    pub properties: Option<async_graphql::Json<serde_json::Value>>,
    /// The campaign content item of this community it answers (e.g. a reply
    /// to the post); counted in the item's results.
    pub content_item_id: Option<ID>,
}

/// A batch of activities for one community.
#[derive(Debug, Clone, InputObject)]
pub struct IngestActivitiesInput {
    /// The community.
    pub community_id: ID,
    /// Up to 10,000 rows.
    pub rows: Vec<ActivityRowInput>,
    /// What to do with rejected rows (default `ALL_OR_NOTHING`).
    pub mode: Option<IngestMode>,
}

/// What an ingest call did.
#[derive(Debug, Clone, SimpleObject)]
pub struct IngestResult {
    /// Rows stored now.
    pub inserted: i32,
    /// Rows whose source key was already stored (or repeated in the batch): nothing changed.
    pub duplicates: i32,
    /// Rows refused, with their index and reason.
    pub rejected: Vec<RejectedRow>,
    /// Members created from unknown identities.
    pub members_created: i32,
}

fn key_ok(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b':' | b'.')
        })
}

/// The brand's activity types: its own weights, then the built-in defaults.
pub async fn types(
    app: &AppContext,
    caller: &Caller,
    brand_id: Uuid,
) -> AppResult<Vec<ActivityTypeWeight>> {
    caller.read_scope()?.check(brand_id, "brand")?;
    crate::brand::service::ensure_exists(app, brand_id).await?;
    let own = activity_type::Entity::find()
        .filter(activity_type::Column::BrandId.eq(brand_id))
        .all(&app.db)
        .await?;
    let mut out: Vec<ActivityTypeWeight> = own
        .iter()
        .map(|t| ActivityTypeWeight {
            key: t.key.clone(),
            name: t.name.clone(),
            weight: t.weight,
            custom: true,
        })
        .collect();
    for (key, name, weight) in DEFAULT_WEIGHTS {
        if !own.iter().any(|t| t.key == *key) {
            out.push(ActivityTypeWeight {
                key: (*key).into(),
                name: (*name).into(),
                weight: *weight,
                custom: false,
            });
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// Sets a brand's weight for a type (applies to activities ingested from now on).
pub async fn set_type(
    app: &AppContext,
    caller: &Caller,
    input: SetActivityTypeInput,
) -> AppResult<ActivityTypeWeight> {
    let brand_id = parse_id("input.brandId", &input.brand_id)?;
    caller.write_scope()?.check(brand_id, "brand")?;
    let key = input.key.trim().to_string();
    if !key_ok(&key) {
        return Err(AppError::bad_input(
            "input.key",
            "key must be 1-64 characters of a-z, 0-9, _, -, : and .",
        ));
    }
    let name = validation::text("input.name", &input.name, 1, 120)?;
    if !(1..=12).contains(&input.weight) {
        return Err(AppError::bad_input("input.weight", "weight must be 1-12"));
    }
    let txn = crate::db::WriteTxn::for_brand(app, brand_id).await?;
    let existing = activity_type::Entity::find()
        .filter(activity_type::Column::BrandId.eq(brand_id))
        .filter(activity_type::Column::Key.eq(key.as_str()))
        .one(&txn)
        .await?;
    match existing {
        Some(e) => {
            let mut a: activity_type::ActiveModel = e.into();
            a.name = Set(name.clone());
            a.weight = Set(input.weight);
            a.update(&txn).await?;
        }
        None => {
            activity_type::ActiveModel {
                id: Set(Uuid::now_v7()),
                brand_id: Set(brand_id),
                key: Set(key.clone()),
                name: Set(name.clone()),
                weight: Set(input.weight),
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        caller,
        Event {
            action: "activity_type.set",
            object_type: "activity_type",
            object_id: None,
            brand_id: Some(brand_id),
            details: Some(json!({ "key": key, "weight": input.weight })),
        },
    )
    .await?;
    // Weights change every engagement score.
    txn.commit().await?;
    Ok(ActivityTypeWeight {
        key,
        name,
        weight: input.weight,
        custom: true,
    })
}

struct Row {
    source_key: String,
    platform: String,
    external_id: String,
    handle: Option<String>,
    kind: String,
    occurred_at: DateTime<Utc>,
    channel: Option<String>,
    is_reply: bool,
    properties: Option<String>,
    content_item: Option<Uuid>,
}

fn check_row(
    index: usize,
    r: ActivityRowInput,
    default_platform: &str,
    items: &HashSet<Uuid>,
    now: DateTime<Utc>,
) -> Result<Row, RejectedRow> {
    let reject = |field: &str, reason: &str| RejectedRow::new(index, field, reason);
    if !plain(&r.source_key, 200) {
        return Err(reject(
            "sourceKey",
            "sourceKey must be 1-200 characters without control characters",
        ));
    }
    if !plain(&r.external_id, 200) {
        return Err(reject(
            "externalId",
            "externalId must be 1-200 characters without control characters",
        ));
    }
    if r.handle.as_deref().is_some_and(|h| !plain(h, 200)) {
        return Err(reject(
            "handle",
            "handle must be 1-200 characters without control characters",
        ));
    }
    let kind = r.kind.trim().to_lowercase();
    if !key_ok(&kind) {
        return Err(reject(
            "kind",
            "kind must be 1-64 characters of a-z, 0-9, _, -, : and .",
        ));
    }
    if r.occurred_at > now + Duration::days(1) {
        return Err(reject(
            "occurredAt",
            "occurredAt is more than a day in the future",
        ));
    }
    if r.channel_external_id
        .as_deref()
        .is_some_and(|c| !plain(c, 200))
    {
        return Err(reject(
            "channelExternalId",
            "channelExternalId must be 1-200 characters",
        ));
    }
    let properties = match r.properties {
        None => None,
        Some(async_graphql::Json(v)) if v.is_object() => {
            let text = v.to_string();
            if text.len() > 4096 {
                return Err(reject("properties", "properties must be at most 4 KB"));
            }
            Some(text)
        }
        Some(_) => return Err(reject("properties", "properties must be a JSON object")),
    };
    let content_item = match &r.content_item_id {
        None => None,
        Some(id) => Some(
            Uuid::parse_str(id.as_str())
                .ok()
                .filter(|id| items.contains(id))
                .ok_or_else(|| reject("contentItemId", "not a content item of this community"))?,
        ),
    };
    Ok(Row {
        content_item,
        source_key: r.source_key.trim().to_string(),
        platform: r
            .platform
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| default_platform.to_string()),
        external_id: r.external_id.trim().to_string(),
        handle: r.handle.map(|h| h.trim().to_string()),
        kind,
        occurred_at: r.occurred_at,
        channel: r.channel_external_id.map(|c| c.trim().to_string()),
        is_reply: r.is_reply.unwrap_or(false),
        properties,
    })
}

/// Who may push activities into the community's brand: integrations with
/// `ingest:activities` of that brand, admins and the brand's consultants.
async fn may_ingest(
    app: &AppContext,
    caller: &Caller,
    community_id: Uuid,
) -> AppResult<entity::community::Model> {
    match &caller.principal {
        Principal::Integration(i) => {
            caller.integration_with("ingest:activities")?;
            let c = entity::community::Entity::find_by_id(community_id)
                .filter(entity::community::Column::BrandId.eq(i.brand_id))
                .one(&app.db)
                .await?;
            c.ok_or(AppError::NotFound("community"))
        }
        _ => writable(app, caller, community_id).await,
    }
}

/// The payload of an activity as sent, for telling a replay from a reused
/// source key.
fn activity_fingerprint(community: Uuid, r: &Row) -> String {
    let community = community.to_string();
    let at = r.occurred_at.timestamp_micros().to_string();
    let item = r.content_item.map(|i| i.to_string());
    let mut parts = vec![
        community.as_str(),
        &r.platform,
        &r.external_id,
        &r.kind,
        &at,
        r.channel.as_deref().unwrap_or("\u{1}none"),
        if r.is_reply { "reply" } else { "post" },
        r.properties.as_deref().unwrap_or("\u{1}none"),
    ];
    // Only when named, so rows stored before items could be named keep
    // their fingerprint.
    if let Some(item) = &item {
        parts.push(item);
    }
    fingerprint(&parts)
}

/// Ingests a batch; see the module documentation.
#[tracing::instrument(skip_all, fields(rows = input.rows.len()))]
pub async fn ingest(
    app: &AppContext,
    caller: &Caller,
    input: IngestActivitiesInput,
) -> AppResult<IngestResult> {
    let community_id = parse_id("input.communityId", &input.community_id)?;
    if input.rows.len() > MAX_ROWS {
        return Err(AppError::bad_input(
            "input.rows",
            format!("at most {MAX_ROWS} rows per call"),
        ));
    }
    let community = may_ingest(app, caller, community_id).await?;
    let brand = community.brand_id;
    let now = Utc::now();

    let items = crate::content::service::items_of_community(
        &app.db,
        community.id,
        input
            .rows
            .iter()
            .filter_map(|r| r.content_item_id.as_ref())
            .filter_map(|id| Uuid::parse_str(id.as_str()).ok()),
    )
    .await?;
    let checked = input
        .rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| check_row(i, r, &community.platform, &items, now).map(|row| (i, row)))
        .collect();
    let (rows, mut sorted) = sort_rows(checked, |(_, r): &(usize, Row)| r.source_key.clone());
    let (indices, rows): (Vec<usize>, Vec<Row>) = rows.into_iter().unzip();
    let keyed: Vec<(usize, String, String)> = indices
        .iter()
        .zip(&rows)
        .map(|(i, r)| {
            (
                *i,
                r.source_key.clone(),
                activity_fingerprint(community.id, r),
            )
        })
        .collect();
    if stops(input.mode, &mut sorted) {
        return Ok(IngestResult {
            inserted: 0,
            duplicates: 0,
            rejected: sorted.rejected,
            members_created: 0,
        });
    }
    let (rejected, repeated) = (sorted.rejected, sorted.duplicates as u64);

    let weights = weights(app, brand).await?;
    let (mut txn, _) = crate::db::WriteTxn::for_community(app, community.id).await?;
    let (member_of, members_created) =
        resolve_members(&txn, brand, community.id, &rows, now).await?;
    let channels = resolve_channels(&txn, community.id, &rows).await?;
    // The rows are not needed after this: their values move into the models.
    let models: Vec<activity::ActiveModel> = rows
        .into_iter()
        .zip(&keyed)
        .filter_map(|(r, (_, _, fp))| {
            let member = member_of.get(&(r.platform, r.external_id))?;
            Some(activity::ActiveModel {
                payload_hash: Set(Some(fp.clone())),
                id: Set(Uuid::now_v7()),
                brand_id: Set(brand),
                community_id: Set(community.id),
                member_id: Set(*member),
                channel_id: Set(r.channel.as_ref().and_then(|c| channels.get(c).copied())),
                weight: Set(weights.get(&r.kind).copied().unwrap_or(FALLBACK_WEIGHT)),
                type_key: Set(r.kind),
                is_reply: Set(r.is_reply),
                occurred_at: Set(r.occurred_at),
                source_key: Set(r.source_key),
                properties: Set(r.properties),
                created_at: Set(now),
                content_item_id: Set(r.content_item),
            })
        })
        .collect();
    let mut summary = IngestSummary {
        duplicates: repeated as i32,
        rejected,
        ..IngestSummary::default()
    };
    let by = Idempotent {
        table: "activity",
        column: "source_key",
        field: "sourceKey",
        brand,
        keyed: &keyed,
        mode: input.mode,
    };
    let unique = [activity::Column::BrandId, activity::Column::SourceKey];
    if insert_idempotent(&txn, models, unique, by, &mut summary).await? {
        return Ok(IngestResult {
            inserted: 0,
            duplicates: 0,
            rejected: summary.rejected,
            members_created: 0,
        });
    }
    let inserted = summary.inserted as u64;
    let IngestSummary {
        duplicates,
        rejected,
        ..
    } = summary;
    let duplicates = duplicates as u64;
    if inserted > 0 || members_created > 0 {
        audit::record(&txn, caller, Event {
            action: "activity.ingest",
            object_type: "community",
            object_id: Some(community.id),
            brand_id: Some(brand),
            details: Some(json!({ "inserted": inserted, "duplicates": duplicates, "rejected": rejected.len(), "membersCreated": members_created })),
        })
        .await?;
        crate::ingest::committed(&mut txn, brand, "activity.ingest", json!({ "communityId": community.id, "inserted": inserted, "duplicates": duplicates, "rejected": rejected.len(), "membersCreated": members_created })).await?;
    }
    txn.commit().await?;
    Ok(IngestResult {
        inserted: inserted as i32,
        duplicates: duplicates as i32,
        rejected,
        members_created: members_created as i32,
    })
}

async fn weights(app: &AppContext, brand: Uuid) -> AppResult<HashMap<String, i32>> {
    let mut map: HashMap<String, i32> = DEFAULT_WEIGHTS
        .iter()
        .map(|(k, _, w)| ((*k).to_string(), *w))
        .collect();
    for t in activity_type::Entity::find()
        .filter(activity_type::Column::BrandId.eq(brand))
        .all(&app.db)
        .await?
    {
        map.insert(t.key, t.weight);
    }
    Ok(map)
}

/// Finds or creates the member of every (platform, external id) in the
/// batch and makes sure each is in the community. Returns the map and how
/// many members were created.
async fn resolve_members<C: ConnectionTrait>(
    db: &C,
    brand: Uuid,
    community: Uuid,
    rows: &[Row],
    now: DateTime<Utc>,
) -> AppResult<(HashMap<(String, String), Uuid>, u64)> {
    // First sighting of each identity: its handle and earliest activity.
    let mut wanted: HashMap<(String, String), (Option<String>, DateTime<Utc>)> = HashMap::new();
    for r in rows {
        let e = wanted
            .entry((r.platform.clone(), r.external_id.clone()))
            .or_insert((r.handle.clone(), r.occurred_at));
        if r.occurred_at < e.1 {
            e.1 = r.occurred_at;
        }
    }
    let keys: Vec<(String, String)> = wanted.keys().cloned().collect();
    let mut found = members_by_identity(db, brand, &keys).await?;
    let missing: Vec<&(String, String)> = keys.iter().filter(|k| !found.contains_key(*k)).collect();
    let mut created = 0u64;
    if !missing.is_empty() {
        let ids: Vec<Uuid> = missing.iter().map(|_| Uuid::now_v7()).collect();
        let members: Vec<member::ActiveModel> = missing
            .iter()
            .zip(&ids)
            .map(|(k, id)| member::ActiveModel {
                id: Set(*id),
                brand_id: Set(brand),
                display_name: Set(wanted.get(*k).and_then(|w| w.0.clone())),
                customer_ref: Set(None),
                merged_into: Set(None),
                erased_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .collect();
        insert_new(db, members, [member::Column::Id]).await?;
        let identities: Vec<member_identity::ActiveModel> = missing
            .iter()
            .zip(&ids)
            .map(|(k, id)| member_identity::ActiveModel {
                id: Set(Uuid::now_v7()),
                brand_id: Set(brand),
                member_id: Set(*id),
                platform: Set(k.0.clone()),
                external_id: Set(k.1.clone()),
                handle: Set(wanted.get(*k).and_then(|w| w.0.clone())),
                created_at: Set(now),
            })
            .collect();
        // A concurrent batch may have created the same identity: its wins.
        let unique = [
            member_identity::Column::BrandId,
            member_identity::Column::Platform,
            member_identity::Column::ExternalId,
        ];
        created = insert_new(db, identities, unique).await?;
        let missing_keys: Vec<(String, String)> = missing.iter().map(|k| (*k).clone()).collect();
        found.extend(members_by_identity(db, brand, &missing_keys).await?);
        if (created as usize) < missing.len() {
            // Where a concurrent batch's identity won, this batch reuses its
            // member and removes the one it made, so no member is left
            // without an identity.
            let orphans: Vec<Uuid> = missing
                .iter()
                .zip(&ids)
                .filter(|(k, id)| found.get(**k) != Some(*id))
                .map(|(_, id)| *id)
                .collect();
            for chunk in orphans.chunks(CHUNK) {
                member::Entity::delete_many()
                    .filter(member::Column::Id.is_in(chunk.to_vec()))
                    .exec(db)
                    .await?;
            }
        }
    }
    // Everyone seen in the community is a member of it, from their first activity.
    let member_ids: Vec<(Uuid, DateTime<Utc>)> = wanted
        .iter()
        .filter_map(|(k, (_, first))| found.get(k).map(|m| (*m, *first)))
        .collect();
    let memberships: Vec<membership::ActiveModel> = member_ids
        .iter()
        .map(|(m, first)| membership::ActiveModel {
            id: Set(Uuid::now_v7()),
            brand_id: Set(brand),
            community_id: Set(community),
            member_id: Set(*m),
            role: Set(MemberRole::Member.as_str().into()),
            joined_at: Set(*first),
            left_at: Set(None),
        })
        .collect();
    insert_new(
        db,
        memberships,
        [
            membership::Column::CommunityId,
            membership::Column::MemberId,
        ],
    )
    .await?;
    Ok((found, created))
}

async fn resolve_channels<C: ConnectionTrait>(
    db: &C,
    community: Uuid,
    rows: &[Row],
) -> AppResult<HashMap<String, Uuid>> {
    let wanted: HashSet<&str> = rows.iter().filter_map(|r| r.channel.as_deref()).collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(channel::Entity::find()
        .filter(channel::Column::CommunityId.eq(community))
        .filter(channel::Column::ExternalId.is_in(wanted))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| c.external_id.map(|e| (e, c.id)))
        .collect())
}
