//! Offers addressed to members: whom an `EXCLUSIVE_OFFER` or `EARLY_ACCESS`
//! item reaches, the brand's cap on offers per member, and per-member codes.
//!
//! Rules (documented in `docs/campaigns.md`):
//! - the recipients are fixed when the item is scheduled (and again when it
//!   is moved): the members of its community at that moment who have not
//!   left it, were not erased and were not merged into another member;
//! - the brand's cap (`maxOffersPerMember`, default 4) is the most offers a
//!   member is addressed in any 30 days (`[w, w + 30 days)`), counted over
//!   every community and platform of the brand, from the offers that are
//!   scheduled or published; a member the item would put over the cap is
//!   kept from it (`CAPPED`, naming the offers that fill the window), the
//!   way e-mail tools suppress a contact that reached its frequency cap;
//! - with `perMemberCodes`, each addressed member gets a code of their own,
//!   the item's code followed by `-` and 8 random characters; a member keeps
//!   the code when the item is moved. Orders naming either code count for
//!   the item.

use std::collections::HashMap;

use async_graphql::SimpleObject;
use chrono::{DateTime, Duration, Utc};
use entity::{brand, content_item, content_recipient, member_identity};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::cadence;
use crate::{
    auth::BrandScope,
    content::service::{ContentFields, ContentKind},
    context::AppContext,
    db::{self, WriteTxn},
    db_enum,
    error::{AppError, AppResult},
    ingest::CHUNK,
    pagination::{CursorKey, Page, PageRequest},
};

/// Days of the window the cap counts over.
pub const CAP_WINDOW_DAYS: i64 = 30;
/// The cap a new brand starts with.
pub const DEFAULT_CAP: i32 = 4;
/// Largest cap a brand may set.
pub const MAX_CAP: i32 = 100;
/// Random characters after the item's code in a per-member code.
const SUFFIX_LEN: usize = 8;
/// Longest item code that leaves room for a per-member suffix.
pub const PREFIX_MAX: usize = 64 - 1 - SUFFIX_LEN;

db_enum! {
    /// Whether a member is reached by an offer.
    pub enum RecipientStatus {
        /// The offer is addressed to the member.
        Addressed = "ADDRESSED",
        /// The brand's cap kept the member from the offer.
        Capped = "CAPPED",
    }
}

/// Checks a brand's cap: 1 to [`MAX_CAP`], or none.
pub fn check_cap(field: &str, cap: Option<i32>) -> AppResult<Option<i32>> {
    match cap {
        Some(c) if !(1..=MAX_CAP).contains(&c) => Err(AppError::bad_input(
            field,
            format!("the cap is 1-{MAX_CAP} offers per member in {CAP_WINDOW_DAYS} days, or null for none"),
        )),
        other => Ok(other),
    }
}

/// The item's code, `-` and [`SUFFIX_LEN`] random characters (40 bits).
fn per_member_code(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        crate::auth::tokens::readable_code(SUFFIX_LEN)
    )
}

/// How many members an item reaches and how many the cap kept from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, SimpleObject)]
pub struct RecipientCounts {
    /// Members the offer is addressed to.
    pub addressed: i64,
    /// Members the brand's cap kept from it.
    pub capped: i64,
}

#[derive(FromQueryResult)]
struct MemberRow {
    member_id: Uuid,
}

#[derive(FromQueryResult)]
struct TakenRow {
    member_id: Uuid,
    item_id: Uuid,
    at: DateTime<Utc>,
}

/// Locks the brand row for the rest of the transaction (PostgreSQL `FOR
/// UPDATE`; SQLite write transactions are serialised already), so two
/// offers scheduled at once in different communities cannot both take a
/// member's last place under the cap; returns the cap.
async fn lock_cap(txn: &WriteTxn, brand: Uuid) -> AppResult<Option<i32>> {
    let mut q = brand::Entity::find_by_id(brand);
    if txn.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.one(txn)
        .await?
        .ok_or(AppError::NotFound("brand"))?
        .max_offers_per_member)
}

/// Fixes whom `item` reaches at its slot `at` (see the module rules), in
/// the scheduling transaction; items that are not offers reach nobody.
pub async fn address(
    txn: &WriteTxn,
    item: &content_item::Model,
    fields: &ContentFields,
    at: DateTime<Utc>,
) -> AppResult<RecipientCounts> {
    if !ContentKind::from_db(&item.kind)?.is_offer() {
        return Ok(RecipientCounts::default());
    }
    let cap = lock_cap(txn, item.brand_id).await?;
    let backend = txn.get_database_backend();
    let current = "SELECT ms.member_id AS member_id FROM membership ms \
         JOIN member m ON m.id = ms.member_id \
         WHERE ms.brand_id = ? AND ms.community_id = ? AND ms.left_at IS NULL \
         AND m.erased_at IS NULL AND m.merged_into IS NULL";
    let members = MemberRow::find_by_statement(db::raw(
        backend,
        &format!("{current} ORDER BY ms.member_id"),
        vec![item.brand_id.into(), item.community_id.into()],
    ))
    .all(txn)
    .await?;
    let codes: HashMap<Uuid, String> = content_recipient::Entity::find()
        .filter(content_recipient::Column::ItemId.eq(item.id))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|r| r.offer_code.map(|c| (r.member_id, c)))
        .collect();
    let window = Duration::days(CAP_WINDOW_DAYS);
    let mut taken: HashMap<Uuid, Vec<(Uuid, DateTime<Utc>)>> = HashMap::new();
    if cap.is_some() {
        let rows = TakenRow::find_by_statement(db::raw(
            backend,
            &format!(
                "SELECT r.member_id AS member_id, r.item_id AS item_id, r.at AS at \
                 FROM content_recipient r JOIN content_item i ON i.id = r.item_id \
                 WHERE r.brand_id = ? AND r.status = 'ADDRESSED' \
                 AND i.status IN ('SCHEDULED', 'PUBLISHED') AND r.item_id <> ? \
                 AND r.at > ? AND r.at < ? AND r.member_id IN ({current})"
            ),
            vec![
                item.brand_id.into(),
                item.id.into(),
                (at - window).into(),
                (at + window).into(),
                item.brand_id.into(),
                item.community_id.into(),
            ],
        ))
        .all(txn)
        .await?;
        for r in rows {
            taken
                .entry(r.member_id)
                .or_default()
                .push((r.item_id, r.at));
        }
    }
    let prefix = fields
        .per_member_codes
        .unwrap_or(false)
        .then_some(fields.offer_code.as_deref())
        .flatten();
    let now = Utc::now();
    let mut counts = RecipientCounts::default();
    let rows: Vec<content_recipient::ActiveModel> = members
        .into_iter()
        .map(|m| {
            let fullest = taken
                .get(&m.member_id)
                .map(|t| cadence::fullest_window(t, at, window))
                .unwrap_or_default();
            let capped = cap.filter(|c| fullest.len() as i64 + 1 > i64::from(*c));
            let (status, code, reason) = match capped {
                Some(c) => {
                    counts.capped += 1;
                    let names: Vec<String> = fullest.iter().map(Uuid::to_string).collect();
                    (
                        RecipientStatus::Capped,
                        None,
                        Some(format!(
                            "already addressed {} offers within {CAP_WINDOW_DAYS} days (the brand's cap is {c}): {}",
                            fullest.len(),
                            names.join(", ")
                        )),
                    )
                }
                None => {
                    counts.addressed += 1;
                    let code = prefix.map(|p| {
                        codes
                            .get(&m.member_id)
                            .cloned()
                            .unwrap_or_else(|| per_member_code(p))
                    });
                    (RecipientStatus::Addressed, code, None)
                }
            };
            content_recipient::ActiveModel {
                item_id: Set(item.id),
                member_id: Set(m.member_id),
                brand_id: Set(item.brand_id),
                community_id: Set(item.community_id),
                at: Set(at),
                status: Set(status.as_str().into()),
                offer_code: Set(code),
                reason: Set(reason),
                created_at: Set(now),
            }
        })
        .collect();
    content_recipient::Entity::delete_many()
        .filter(content_recipient::Column::ItemId.eq(item.id))
        .exec(txn)
        .await?;
    for chunk in rows.chunks(CHUNK) {
        content_recipient::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await
            .map_err(|e| {
                AppError::from_db_unique(e, || {
                    "a generated member code collided with another; schedule the item again".into()
                })
            })?;
    }
    Ok(counts)
}

/// A member an offer is addressed to, or was kept from.
#[derive(Debug, Clone)]
pub struct RecipientRow {
    /// The stored row.
    pub recipient: content_recipient::Model,
    /// The member's accounts on platforms, by platform.
    pub identities: Vec<member_identity::Model>,
}

/// Cursor tag of the recipient list.
pub const RECIPIENT_CURSOR: &str = "recipients";

/// A page of an item's recipients in `scope`, by member id (two
/// statements: the rows, then the members' accounts; a third counts them
/// when `totalCount` is asked for).
pub async fn recipients(
    app: &AppContext,
    scope: &BrandScope,
    item: Uuid,
    status: Option<RecipientStatus>,
    page: PageRequest,
) -> AppResult<Page<RecipientRow>> {
    let mut q = content_recipient::Entity::find()
        .filter(content_recipient::Column::ItemId.eq(item))
        .filter(scope.condition(content_recipient::Column::BrandId));
    if let Some(s) = status {
        q = q.filter(content_recipient::Column::Status.eq(s.as_str()));
    }
    let total = if page.want_total {
        Some(q.clone().count(&app.db).await?)
    } else {
        None
    };
    if let Some(c) = &page.after {
        let member = Uuid::parse_str(&c.keys[0])
            .map_err(|_| AppError::bad_input("after", "not a valid cursor"))?;
        q = q.filter(content_recipient::Column::MemberId.gt(member));
    }
    let rows = q
        .order_by_asc(content_recipient::Column::MemberId)
        .limit(page.first + 1)
        .all(&app.db)
        .await?;
    let members: Vec<Uuid> = rows.iter().map(|r| r.member_id).collect();
    let mut identities: HashMap<Uuid, Vec<member_identity::Model>> = HashMap::new();
    if !members.is_empty() {
        for i in member_identity::Entity::find()
            .filter(member_identity::Column::MemberId.is_in(members))
            .filter(scope.condition(member_identity::Column::BrandId))
            .order_by_asc(member_identity::Column::Platform)
            .order_by_asc(member_identity::Column::ExternalId)
            .all(&app.db)
            .await?
        {
            identities.entry(i.member_id).or_default().push(i);
        }
    }
    let rows = rows
        .into_iter()
        .map(|r| RecipientRow {
            identities: identities.remove(&r.member_id).unwrap_or_default(),
            recipient: r,
        })
        .collect();
    Ok(Page::from_rows(rows, &page, total, |r| CursorKey {
        order: RECIPIENT_CURSOR.into(),
        keys: vec![r.recipient.member_id.to_string()],
    }))
}

/// Recipient counts of many items in `scope` (one statement).
pub async fn counts_of(
    app: &AppContext,
    scope: &BrandScope,
    items: &[Uuid],
) -> AppResult<HashMap<Uuid, RecipientCounts>> {
    let rows: Vec<(Uuid, String, i64)> = content_recipient::Entity::find()
        .select_only()
        .column(content_recipient::Column::ItemId)
        .column(content_recipient::Column::Status)
        .column_as(content_recipient::Column::MemberId.count(), "n")
        .filter(content_recipient::Column::ItemId.is_in(items.to_vec()))
        .filter(scope.condition(content_recipient::Column::BrandId))
        .group_by(content_recipient::Column::ItemId)
        .group_by(content_recipient::Column::Status)
        .into_tuple()
        .all(&app.db)
        .await?;
    let mut out: HashMap<Uuid, RecipientCounts> = HashMap::new();
    for (item, status, n) in rows {
        let c = out.entry(item).or_default();
        match RecipientStatus::from_db(&status)? {
            RecipientStatus::Addressed => c.addressed = n,
            RecipientStatus::Capped => c.capped = n,
        }
    }
    Ok(out)
}

/// Moves a merged member's offers to the member kept, except for items the
/// kept member is a recipient of already (those stay with the merged
/// member, codes included, so orders naming them still count).
pub async fn merge<C: ConnectionTrait>(db: &C, gone: Uuid, keep: Uuid) -> AppResult<()> {
    let backend = db.get_database_backend();
    db.execute_raw(db::raw(
        backend,
        "UPDATE content_recipient SET member_id = ? WHERE member_id = ? \
         AND item_id NOT IN (SELECT item_id FROM content_recipient WHERE member_id = ?)",
        vec![keep.into(), gone.into(), keep.into()],
    ))
    .await?;
    Ok(())
}
