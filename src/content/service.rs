//! Content items: their kinds and typed fields, versions, the client's
//! review, the status machine and cancelling.

use std::collections::HashSet;

use async_graphql::{InputObject, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{channel, community, content_item, content_review, content_version};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::service as audit,
    auth::{BrandScope, Caller},
    campaign::service as campaigns,
    context::{parse_id, AppContext},
    db::{self, WriteTxn},
    db_enum,
    error::{AppError, AppResult},
    schedule::service::take_slot,
    validation::{self, check_version},
};

db_enum! {
    /// What a content item is. Prompts (they ask members to respond) are
    /// `QUESTION`, `POLL`, `EVENT`, `AMA`, `CHALLENGE` and `UGC_PROMPT`.
    pub enum ContentKind {
        /// Something to read.
        Post = "POST",
        /// A question to the members (prompt).
        Question = "QUESTION",
        /// A poll with options (prompt).
        Poll = "POLL",
        /// An event with a start and a place or link (prompt).
        Event = "EVENT",
        /// Ask-me-anything with a host (prompt).
        Ama = "AMA",
        /// A challenge to take part in (prompt).
        Challenge = "CHALLENGE",
        /// An offer with a code for members.
        ExclusiveOffer = "EXCLUSIVE_OFFER",
        /// Early access for members.
        EarlyAccess = "EARLY_ACCESS",
        /// A call for members' own content (prompt).
        UgcPrompt = "UGC_PROMPT",
        /// A member in the spotlight.
        Spotlight = "SPOTLIGHT",
    }
}

impl ContentKind {
    /// Whether the kind asks members to respond (counted by the cadence guard).
    pub fn is_prompt(self) -> bool {
        use ContentKind::*;
        matches!(self, Question | Poll | Event | Ama | Challenge | UgcPrompt)
    }

    /// Whether the kind is an offer (code, discount, expiry).
    pub fn is_offer(self) -> bool {
        matches!(self, Self::ExclusiveOffer | Self::EarlyAccess)
    }
}

db_enum! {
    /// Where a content item stands. `DRAFT → IN_REVIEW → APPROVED →
    /// SCHEDULED → PUBLISHED`; `IN_REVIEW → CHANGES_REQUESTED → IN_REVIEW`;
    /// `SCHEDULED → FAILED` after the last failed attempt; anything not yet
    /// published, failed or cancelled → `CANCELLED`. An edit of an approved
    /// or scheduled item sends it back to `IN_REVIEW`.
    pub enum ContentStatus {
        /// Being written.
        Draft = "DRAFT",
        /// Waiting for the client.
        InReview = "IN_REVIEW",
        /// The client asked for changes.
        ChangesRequested = "CHANGES_REQUESTED",
        /// The client approved the current version.
        Approved = "APPROVED",
        /// Approved and given a slot; publishing bots will claim it.
        Scheduled = "SCHEDULED",
        /// Posted on the platform.
        Published = "PUBLISHED",
        /// Publishing failed too often.
        Failed = "FAILED",
        /// Called off.
        Cancelled = "CANCELLED",
    }
}

impl ContentStatus {
    /// Whether nothing can change it any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Published | Self::Failed | Self::Cancelled)
    }
}

db_enum! {
    /// A client's decision.
    pub enum ReviewDecision {
        /// The version may be published.
        Approved = "APPROVED",
        /// The version needs changes.
        ChangesRequested = "CHANGES_REQUESTED",
    }
}

/// The kind's own fields. Each kind takes only its own: `POLL` options;
/// `EVENT` start, end, place or link, capacity; `AMA` host, start, end,
/// link; `EXCLUSIVE_OFFER` and `EARLY_ACCESS` code, discount, expiry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, SimpleObject, InputObject)]
#[graphql(input_name = "ContentFieldsInput")]
#[serde(rename_all = "camelCase", default)]
pub struct ContentFields {
    /// `POLL`: 2-10 distinct options, 1-100 characters each.
    pub poll_options: Option<Vec<String>>,
    /// `EVENT`, `AMA`: start.
    pub starts_at: Option<DateTime<Utc>>,
    /// `EVENT`, `AMA`: end, after the start.
    pub ends_at: Option<DateTime<Utc>>,
    /// `EVENT`: where (a place name or address).
    pub place: Option<String>,
    /// `EVENT`, `AMA`: where online (http(s) URL).
    pub link: Option<String>,
    /// `EVENT`: most attendees, 1 or more.
    pub capacity: Option<i32>,
    /// `AMA`: who answers.
    pub host: Option<String>,
    /// `EXCLUSIVE_OFFER` (required), `EARLY_ACCESS`: the code members use,
    /// unique per brand, 3-64 letters, digits, `-` or `_`.
    pub offer_code: Option<String>,
    /// Offers: discount in percent, above 0 and below 100.
    pub discount_percent: Option<f64>,
    /// Offers: when the offer ends.
    pub expires_at: Option<DateTime<Utc>>,
    /// `EVENT`, `AMA`: the member who hosts it (a member of the brand); the
    /// item is flagged when the community requires a certification for
    /// `HOST` that they lack.
    pub host_member_id: Option<ID>,
    /// Offers with a code: give each addressed member a code of their own
    /// (the item's code, `-` and 8 random characters); the item's code is
    /// then at most 55 characters.
    pub per_member_codes: Option<bool>,
}

/// What an offer code is.
pub const OFFER_CODE_RULE: &str = "an offer code is 3-64 letters, digits, - or _";

/// An offer code as stored (trimmed, upper case), or `None` if it is not one.
pub fn offer_code(code: &str) -> Option<String> {
    let code = code.trim();
    let ok = (3..=64).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| code.to_uppercase())
}

fn only_for(field: &str, kinds: &str) -> AppError {
    AppError::bad_input(
        format!("input.fields.{field}"),
        format!("{field} is only for {kinds} items"),
    )
}

/// `BAD_USER_INPUT` unless the fields' host is a member of `brand`.
async fn check_host(app: &AppContext, brand: Uuid, f: &ContentFields) -> AppResult<()> {
    let Some(h) = &f.host_member_id else {
        return Ok(());
    };
    let id = parse_id("input.fields.hostMemberId", h)?;
    let found = entity::member::Entity::find_by_id(id)
        .filter(entity::member::Column::BrandId.eq(brand))
        .one(&app.db)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(AppError::bad_input(
            "input.fields.hostMemberId",
            "hostMemberId must be a member of the brand",
        )),
    }
}

/// Checks the fields against the kind; returns them normalised.
pub fn check_fields(kind: ContentKind, f: ContentFields) -> AppResult<ContentFields> {
    use ContentKind::*;
    let bad = |field: &str, why: &str| AppError::bad_input(format!("input.fields.{field}"), why);
    if f.poll_options.is_some() && kind != Poll {
        return Err(only_for("pollOptions", "POLL"));
    }
    if (f.starts_at.is_some() || f.ends_at.is_some() || f.link.is_some())
        && !matches!(kind, Event | Ama)
    {
        return Err(only_for("startsAt, endsAt and link", "EVENT and AMA"));
    }
    if (f.place.is_some() || f.capacity.is_some()) && kind != Event {
        return Err(only_for("place and capacity", "EVENT"));
    }
    if f.host.is_some() && kind != Ama {
        return Err(only_for("host", "AMA"));
    }
    if let Some(h) = &f.host_member_id {
        if !matches!(kind, Event | Ama) {
            return Err(only_for("hostMemberId", "EVENT and AMA"));
        }
        parse_id("input.fields.hostMemberId", h)?;
    }
    if (f.offer_code.is_some()
        || f.discount_percent.is_some()
        || f.expires_at.is_some()
        || f.per_member_codes.is_some())
        && !kind.is_offer()
    {
        return Err(only_for(
            "offerCode, discountPercent, expiresAt and perMemberCodes",
            "EXCLUSIVE_OFFER and EARLY_ACCESS",
        ));
    }
    let mut out = f.clone();
    if kind == Poll {
        let options = f.poll_options.unwrap_or_default();
        if !(2..=10).contains(&options.len()) {
            return Err(bad("pollOptions", "a poll has 2-10 options"));
        }
        let mut seen = HashSet::new();
        let mut clean = Vec::new();
        for (i, o) in options.iter().enumerate() {
            let o = validation::text(&format!("input.fields.pollOptions.{i}"), o, 1, 100)?;
            if !seen.insert(o.to_lowercase()) {
                return Err(bad("pollOptions", "poll options must differ"));
            }
            clean.push(o);
        }
        out.poll_options = Some(clean);
    }
    if matches!(kind, Event | Ama) {
        let start = f
            .starts_at
            .ok_or_else(|| bad("startsAt", "an event or AMA needs startsAt"))?;
        if f.ends_at.is_some_and(|e| e <= start) {
            return Err(bad("endsAt", "endsAt must be after startsAt"));
        }
        out.link = f
            .link
            .as_deref()
            .map(|l| validation::url("input.fields.link", l))
            .transpose()?;
    }
    if kind == Event {
        out.place = validation::optional_text("input.fields.place", f.place.as_deref(), 300)?;
        if out.place.is_none() && out.link.is_none() {
            return Err(bad("place", "an event needs a place or a link"));
        }
        if f.capacity.is_some_and(|c| c < 1) {
            return Err(bad("capacity", "capacity is 1 or more"));
        }
    }
    if kind == Ama {
        out.host = Some(validation::text(
            "input.fields.host",
            f.host.as_deref().unwrap_or_default(),
            1,
            120,
        )?);
    }
    if kind.is_offer() {
        match f.offer_code.as_deref().map(str::trim) {
            Some(code) => {
                out.offer_code =
                    Some(offer_code(code).ok_or_else(|| bad("offerCode", OFFER_CODE_RULE))?);
            }
            None if kind == ExclusiveOffer => {
                return Err(bad("offerCode", "an exclusive offer needs an offer code"))
            }
            None => {}
        }
        if f.per_member_codes == Some(true) {
            match &out.offer_code {
                None => {
                    return Err(bad(
                        "perMemberCodes",
                        "per-member codes need an offer code to start from",
                    ))
                }
                Some(c) if c.len() > crate::schedule::offers::PREFIX_MAX => {
                    return Err(bad(
                        "offerCode",
                        &format!(
                            "with per-member codes the offer code is at most {} characters",
                            crate::schedule::offers::PREFIX_MAX
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        if f.discount_percent
            .is_some_and(|d| !d.is_finite() || d <= 0.0 || d >= 100.0)
        {
            return Err(bad(
                "discountPercent",
                "discountPercent is above 0 and below 100",
            ));
        }
    }
    Ok(out)
}

/// A new content item.
#[derive(Debug, Clone, InputObject)]
pub struct CreateContentItemInput {
    /// The campaign.
    pub campaign_id: ID,
    /// One of the campaign's communities.
    pub community_id: ID,
    /// A channel of that community.
    pub channel_id: Option<ID>,
    /// What it is.
    pub kind: ContentKind,
    /// Title, 1-200 characters.
    pub title: String,
    /// Body, 1-20000 characters.
    pub body: String,
    /// The kind's own fields.
    pub fields: Option<ContentFields>,
    /// The intended slot (taken only when the item is scheduled).
    pub scheduled_at: Option<DateTime<Utc>>,
}

/// An edit of a content item; omitted fields stay. A change of title,
/// body or fields is a new version.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateContentItemInput {
    /// New title.
    pub title: Option<String>,
    /// New body.
    pub body: Option<String>,
    /// New fields (replace them all).
    pub fields: Option<ContentFields>,
    /// New intended slot (an approved or scheduled item keeps its approval;
    /// a scheduled one is checked against the cadence guard again).
    pub scheduled_at: Option<DateTime<Utc>>,
    /// The version you read; stale is `CONFLICT`.
    pub expected_version: Option<i32>,
}

/// An item in `scope` (`NOT_FOUND` otherwise).
pub async fn item_in<C: ConnectionTrait>(
    db: &C,
    scope: &BrandScope,
    id: Uuid,
) -> AppResult<content_item::Model> {
    content_item::Entity::find_by_id(id)
        .filter(scope.condition(content_item::Column::BrandId))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("content item"))
}

/// An item the caller may read.
pub async fn readable(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
) -> AppResult<content_item::Model> {
    item_in(&app.db, &caller.read_scope()?, id).await
}

pub(crate) fn invalid_move(from: ContentStatus, action: &str) -> AppError {
    AppError::bad_input("id", format!("a {} item cannot be {action}", from.as_str()))
}

/// Locks the item's community for the rest of the transaction (PostgreSQL
/// `FOR UPDATE`; SQLite write transactions are serialised already), so two
/// schedulers cannot both take the last slot, and refuses an archived one.
pub(crate) async fn lock_community(txn: &WriteTxn, community: Uuid) -> AppResult<community::Model> {
    let mut q = community::Entity::find_by_id(community);
    if txn.get_database_backend() == DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    let c = q.one(txn).await?.ok_or(AppError::NotFound("community"))?;
    if c.status == "ARCHIVED" {
        return Err(AppError::Conflict(
            "the community is archived: it is read-only".into(),
        ));
    }
    Ok(c)
}

async fn version_row(
    txn: &WriteTxn,
    item: &content_item::Model,
    number: i32,
    caller: &Caller,
) -> AppResult<()> {
    content_version::ActiveModel {
        item_id: Set(item.id),
        number: Set(number),
        brand_id: Set(item.brand_id),
        title: Set(item.title.clone()),
        body: Set(item.body.clone()),
        fields: Set(item.fields.clone()),
        edited_by_user_id: Set(caller.user().ok().map(|u| u.id)),
        created_at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    Ok(())
}

fn code_taken(code: &Option<String>) -> impl FnOnce() -> String + '_ {
    move || {
        format!(
            "the brand already has an item with offer code {}",
            code.as_deref().unwrap_or_default()
        )
    }
}

fn fields_json(f: &ContentFields) -> AppResult<String> {
    serde_json::to_string(f).map_err(|e| AppError::Internal(e.into()))
}

/// The stored fields.
pub fn fields_of(m: &content_item::Model) -> AppResult<ContentFields> {
    parse_fields(&m.fields)
}

/// Stored fields from JSON.
pub fn parse_fields(text: &str) -> AppResult<ContentFields> {
    serde_json::from_str(text)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored fields: {e}")))
}

/// Creates a draft item (version 1).
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    input: CreateContentItemInput,
) -> AppResult<content_item::Model> {
    let campaign_id = parse_id("input.campaignId", &input.campaign_id)?;
    let campaign = campaigns::open_campaign(app, caller, campaign_id).await?;
    let community = parse_id("input.communityId", &input.community_id)?;
    let linked = entity::campaign_community::Entity::find_by_id((campaign_id, community))
        .one(&app.db)
        .await?;
    if linked.is_none() {
        return Err(AppError::bad_input(
            "input.communityId",
            "the community is not one of the campaign's communities",
        ));
    }
    let channel = match &input.channel_id {
        Some(c) => Some(channel_of(app, community, parse_id("input.channelId", c)?).await?),
        None => None,
    };
    let title = validation::text("input.title", &input.title, 1, 200)?;
    let body = validation::text("input.body", &input.body, 1, 20_000)?;
    let fields = check_fields(input.kind, input.fields.unwrap_or_default())?;
    check_host(app, campaign.brand_id, &fields).await?;
    let now = Utc::now();
    let row = content_item::ActiveModel {
        id: Set(Uuid::now_v7()),
        brand_id: Set(campaign.brand_id),
        campaign_id: Set(campaign_id),
        community_id: Set(community),
        channel_id: Set(channel),
        kind: Set(input.kind.as_str().into()),
        is_prompt: Set(input.kind.is_prompt()),
        title: Set(title),
        body: Set(body),
        fields: Set(fields_json(&fields)?),
        scheduled_at: Set(input.scheduled_at),
        status: Set(ContentStatus::Draft.as_str().into()),
        content_version: Set(1),
        approved_version: Set(None),
        offer_code: Set(fields.offer_code.clone()),
        lease_id: Set(None),
        lease_expires_at: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(None),
        last_error: Set(None),
        last_failed_lease: Set(None),
        external_post_id: Set(None),
        post_url: Set(None),
        published_at: Set(None),
        status_reason: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = WriteTxn::outside_reports(app, campaign.brand_id).await?;
    lock_community(&txn, community).await?;
    let created = row
        .insert(&txn)
        .await
        .map_err(|e| AppError::from_db_unique(e, code_taken(&fields.offer_code)))?;
    version_row(&txn, &created, 1, caller).await?;
    audit::record_object(
        &txn,
        caller,
        "content.create",
        ("content_item", created.id, created.brand_id),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

async fn channel_of(app: &AppContext, community: Uuid, id: Uuid) -> AppResult<Uuid> {
    channel::Entity::find_by_id(id)
        .filter(channel::Column::CommunityId.eq(community))
        .one(&app.db)
        .await?
        .map(|c| c.id)
        .ok_or_else(|| {
            AppError::bad_input("input.channelId", "the channel is not in that community")
        })
}

/// Saves `changes` to `current` if it is still at its version (bumping
/// it); `CONFLICT` if it moved meanwhile.
pub async fn save_versioned(
    txn: &WriteTxn,
    current: &content_item::Model,
    mut changes: content_item::ActiveModel,
) -> AppResult<content_item::Model> {
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(Utc::now());
    let code = match &changes.offer_code {
        sea_orm::ActiveValue::Set(c) => c.clone(),
        _ => None,
    };
    content_item::Entity::update_many()
        .set(changes)
        .filter(content_item::Column::Id.eq(current.id))
        .filter(content_item::Column::Version.eq(current.version))
        .exec_with_returning(txn)
        .await
        .map_err(|e| AppError::from_db_unique(e, code_taken(&code)))?
        .into_iter()
        .next()
        .ok_or_else(|| {
            AppError::Conflict("the content item was changed meanwhile; read it again".into())
        })
}

/// [`save_versioned`], audited as the caller's `action`.
pub(crate) async fn save(
    txn: &WriteTxn,
    caller: &Caller,
    current: &content_item::Model,
    changes: content_item::ActiveModel,
    action: &'static str,
    details: Option<serde_json::Value>,
) -> AppResult<content_item::Model> {
    let saved = save_versioned(txn, current, changes).await?;
    audit::record_object(
        txn,
        caller,
        action,
        ("content_item", current.id, current.brand_id),
        details,
    )
    .await?;
    Ok(saved)
}

/// An item of an open campaign that staff may change.
pub(crate) async fn staff_item(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
) -> AppResult<content_item::Model> {
    let item = item_in(&app.db, &caller.write_scope()?, id).await?;
    campaigns::open_campaign(app, caller, item.campaign_id).await?;
    Ok(item)
}

/// Edits an item. A change of title, body or fields adds a version; if the
/// item was approved or scheduled it goes back to `IN_REVIEW` (the approval
/// belongs to the version approved) and gives up its slot.
pub async fn update(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateContentItemInput,
) -> AppResult<content_item::Model> {
    let current = staff_item(app, caller, id).await?;
    check_version("content item", current.version, input.expected_version)?;
    let status = ContentStatus::from_db(&current.status)?;
    if status.is_final() {
        return Err(invalid_move(status, "edited"));
    }
    let kind = ContentKind::from_db(&current.kind)?;
    let mut a = <content_item::ActiveModel as Default>::default();
    let mut content_changed = false;
    if let Some(t) = &input.title {
        let t = validation::text("input.title", t, 1, 200)?;
        content_changed |= t != current.title;
        a.title = Set(t);
    }
    if let Some(b) = &input.body {
        let b = validation::text("input.body", b, 1, 20_000)?;
        content_changed |= b != current.body;
        a.body = Set(b);
    }
    if let Some(f) = input.fields {
        let f = check_fields(kind, f)?;
        check_host(app, current.brand_id, &f).await?;
        content_changed |= f != fields_of(&current)?;
        a.offer_code = Set(f.offer_code.clone());
        a.fields = Set(fields_json(&f)?);
    }
    let txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    let c = lock_community(&txn, current.community_id).await?;
    if let Some(at) = input.scheduled_at {
        a.scheduled_at = Set(Some(at));
        if status == ContentStatus::Scheduled && !content_changed {
            take_slot(&txn, &c, &current, at).await?;
        }
    }
    let mut details = None;
    if content_changed {
        let number = current.content_version + 1;
        a.content_version = Set(number);
        if matches!(status, ContentStatus::Approved | ContentStatus::Scheduled) {
            a.status = Set(ContentStatus::InReview.as_str().into());
            a.approved_version = Set(None);
            details = Some(json!({ "from": status.as_str(), "to": "IN_REVIEW" }));
        }
    }
    let saved = save(&txn, caller, &current, a, "content.update", details).await?;
    if content_changed {
        version_row(&txn, &saved, saved.content_version, caller).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// Sends a draft (or an item with changes requested) to the client.
pub async fn submit(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<content_item::Model> {
    let current = staff_item(app, caller, id).await?;
    let status = ContentStatus::from_db(&current.status)?;
    if !matches!(
        status,
        ContentStatus::Draft | ContentStatus::ChangesRequested
    ) {
        return Err(invalid_move(
            status,
            "submitted for review (only DRAFT or CHANGES_REQUESTED)",
        ));
    }
    let mut txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    let saved = save(
        &txn,
        caller,
        &current,
        content_item::ActiveModel {
            status: Set(ContentStatus::InReview.as_str().into()),
            ..Default::default()
        },
        "content.submit",
        Some(json!({ "from": status.as_str(), "to": "IN_REVIEW" })),
    )
    .await?;
    crate::webhook::outbox::announce(
        &mut txn,
        saved.brand_id,
        crate::webhook::outbox::WebhookEvent::ContentAwaitingApproval,
        json!({ "brandId": saved.brand_id, "itemId": saved.id, "campaignId": saved.campaign_id, "communityId": saved.community_id, "title": saved.title, "contentVersion": saved.content_version }),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// A client user's decision on the current version of an item in review.
/// Only client users of the item's brand decide; `content_version` must be
/// the current one (`CONFLICT` if the item was edited since it was read).
pub async fn review(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    content_version: i32,
    decision: ReviewDecision,
    comment: Option<&str>,
) -> AppResult<content_item::Model> {
    let user = caller.user()?;
    // Another brand's item is NOT_FOUND before anything else is said.
    let current = readable(app, caller, id).await?;
    if user.role != entity::user::Role::Client {
        return Err(AppError::Forbidden(
            "only the brand's client users approve content or ask for changes".into(),
        ));
    }
    let comment = validation::optional_text("comment", comment, 5000)?;
    if decision == ReviewDecision::ChangesRequested && comment.is_none() {
        return Err(AppError::bad_input(
            "comment",
            "say what should change: a comment is required",
        ));
    }
    let status = ContentStatus::from_db(&current.status)?;
    if status != ContentStatus::InReview {
        return Err(invalid_move(status, "reviewed (only IN_REVIEW)"));
    }
    if content_version != current.content_version {
        return Err(AppError::Conflict(format!(
            "version {content_version} is not the current one ({}); read the item again",
            current.content_version
        )));
    }
    let (to, approved) = match decision {
        ReviewDecision::Approved => (ContentStatus::Approved, Some(content_version)),
        ReviewDecision::ChangesRequested => (ContentStatus::ChangesRequested, None),
    };
    let mut txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    content_review::ActiveModel {
        id: Set(Uuid::now_v7()),
        item_id: Set(id),
        brand_id: Set(current.brand_id),
        content_version: Set(content_version),
        decision: Set(decision.as_str().into()),
        comment: Set(comment),
        user_id: Set(user.id),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let saved = save(
        &txn,
        caller,
        &current,
        content_item::ActiveModel {
            status: Set(to.as_str().into()),
            approved_version: Set(approved),
            ..Default::default()
        },
        "content.review",
        Some(json!({ "decision": decision.as_str(), "contentVersion": content_version })),
    )
    .await?;
    if decision == ReviewDecision::Approved {
        crate::webhook::outbox::announce(
            &mut txn,
            saved.brand_id,
            crate::webhook::outbox::WebhookEvent::ContentApproved,
            json!({ "brandId": saved.brand_id, "itemId": saved.id, "campaignId": saved.campaign_id, "communityId": saved.community_id, "title": saved.title, "approvedVersion": content_version }),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// Cancels an item that is not published, failed or cancelled.
pub async fn cancel(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    reason: Option<&str>,
) -> AppResult<content_item::Model> {
    let current = item_in(&app.db, &caller.write_scope()?, id).await?;
    let status = ContentStatus::from_db(&current.status)?;
    if status.is_final() {
        return Err(invalid_move(status, "cancelled"));
    }
    let reason = validation::optional_text("reason", reason, 1000)?;
    let txn = WriteTxn::outside_reports(app, current.brand_id).await?;
    let saved = save(
        &txn,
        caller,
        &current,
        content_item::ActiveModel {
            status: Set(ContentStatus::Cancelled.as_str().into()),
            status_reason: Set(Some(reason.unwrap_or_else(|| "cancelled".into()))),
            lease_id: Set(None),
            lease_expires_at: Set(None),
            ..Default::default()
        },
        "content.cancel",
        Some(json!({ "from": status.as_str() })),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Communities that have items in a campaign.
pub async fn communities_with_content<C: ConnectionTrait>(
    db: &C,
    campaign: Uuid,
) -> AppResult<Vec<Uuid>> {
    Ok(content_item::Entity::find()
        .select_only()
        .column(content_item::Column::CommunityId)
        .filter(content_item::Column::CampaignId.eq(campaign))
        .distinct()
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// Cursor tag of item lists (slot order).
pub const ITEM_CURSOR: &str = "content";

/// A campaign's items, as `Campaign.items` lists them.
pub struct CampaignItems;

impl crate::loaders::ChildRows for CampaignItems {
    const TABLE: &'static str = "content_item";
    const PARENT: &'static str = "campaign_id";
}

/// An item's versions, as `ContentItem.versions` lists them.
pub struct ItemVersions;

impl crate::loaders::ChildRows for ItemVersions {
    const TABLE: &'static str = "content_version";
    const PARENT: &'static str = "item_id";
}

/// The first `first` items of many campaigns (one statement, for the
/// DataLoader): by slot (items without one last), then id.
pub async fn first_items_of(
    app: &AppContext,
    scope: &BrandScope,
    campaigns: &[Uuid],
    first: u64,
) -> AppResult<Vec<content_item::Model>> {
    if campaigns.is_empty() {
        return Ok(Vec::new());
    }
    let (in_scope, values) = scope.sql("brand_id");
    let statement = db::FirstPerParent {
        table: "content_item",
        columns: "*",
        parent: "campaign_id",
        filter: &in_scope,
        values,
        order: "CASE WHEN scheduled_at IS NULL THEN 1 ELSE 0 END, scheduled_at, id",
    }
    .statement(app.db.get_database_backend(), campaigns, first);
    Ok(content_item::Model::find_by_statement(statement)
        .all(&app.db)
        .await?)
}

/// The newest `first` versions of many items (one statement).
pub async fn first_versions_of(
    app: &AppContext,
    scope: &BrandScope,
    items: &[Uuid],
    first: u64,
) -> AppResult<Vec<content_version::Model>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let (in_scope, values) = scope.sql("brand_id");
    let statement = db::FirstPerParent {
        table: "content_version",
        columns: "*",
        parent: "item_id",
        filter: &in_scope,
        values,
        order: "number DESC",
    }
    .statement(app.db.get_database_backend(), items, first);
    Ok(content_version::Model::find_by_statement(statement)
        .all(&app.db)
        .await?)
}

/// The reviews of many items, oldest first (one statement).
pub async fn reviews_of(
    app: &AppContext,
    scope: &BrandScope,
    items: &[Uuid],
) -> AppResult<Vec<content_review::Model>> {
    Ok(content_review::Entity::find()
        .filter(content_review::Column::ItemId.is_in(items.to_vec()))
        .filter(scope.condition(content_review::Column::BrandId))
        .order_by_asc(content_review::Column::CreatedAt)
        .order_by_asc(content_review::Column::Id)
        .all(&app.db)
        .await?)
}

/// Which of `ids` are content items of `community` (one statement; none
/// when `ids` is empty).
pub async fn items_of_community<C: ConnectionTrait>(
    db: &C,
    community: Uuid,
    ids: impl Iterator<Item = Uuid>,
) -> AppResult<HashSet<Uuid>> {
    let ids: HashSet<Uuid> = ids.collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(content_item::Entity::find()
        .select_only()
        .column(content_item::Column::Id)
        .filter(content_item::Column::CommunityId.eq(community))
        .filter(content_item::Column::Id.is_in(ids))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
