//! GraphQL types and resolvers for scheduling: the content calendar, slot
//! suggestions, taking a slot, and the members offers reach.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    offers::{self, RecipientRow, RecipientStatus},
    service as schedule,
};
use crate::{
    auth::BrandScope,
    content::graphql::{item, ContentItem},
    context::{parse_id, to_id, ContextExt},
    error::{AppError, AppResult},
    member::graphql::Identity,
    pagination::{Connection, PageRequest},
};

/// A member an offer is addressed to, or was kept from by the brand's cap.
#[derive(Debug, Clone, SimpleObject)]
pub struct ContentRecipient {
    /// The member.
    pub member_id: ID,
    /// Whether the offer reaches them.
    pub status: RecipientStatus,
    /// Their own code, when the item hands out one per member.
    pub offer_code: Option<String>,
    /// Why the cap kept them from it, naming the offers that fill the window.
    pub reason: Option<String>,
    /// The item's slot when the recipients were fixed.
    pub at: DateTime<Utc>,
    /// Their accounts on platforms, to reach them where the item is posted.
    pub identities: Vec<Identity>,
}

impl TryFrom<RecipientRow> for ContentRecipient {
    type Error = AppError;

    fn try_from(r: RecipientRow) -> AppResult<Self> {
        Ok(Self {
            member_id: to_id(r.recipient.member_id),
            status: RecipientStatus::from_db(&r.recipient.status)?,
            offer_code: r.recipient.offer_code,
            reason: r.recipient.reason,
            at: r.recipient.at,
            identities: r
                .identities
                .into_iter()
                .map(Identity::try_from)
                .collect::<AppResult<_>>()?,
        })
    }
}

/// A page of an item's recipients.
pub(crate) async fn recipient_page(
    ctx: &Context<'_>,
    scope: &BrandScope,
    item: Uuid,
    status: Option<RecipientStatus>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<ContentRecipient>> {
    let page = PageRequest::new(
        first,
        after.as_deref(),
        offers::RECIPIENT_CURSOR,
        1,
        ctx.wants_total(),
    )?;
    let page = offers::recipients(ctx.app()?, scope, item, status, page).await?;
    Ok(page.try_map(ContentRecipient::try_from)?.into())
}

/// An entry of the content calendar.
#[derive(Debug, Clone, SimpleObject)]
pub struct CalendarEntry {
    /// The item.
    pub item: ContentItem,
    /// Whether its slot breaks the community's cadence policy against the
    /// community's other items with a slot.
    pub conflicted: bool,
    /// Ids of the items it conflicts with.
    pub conflicts_with: Vec<ID>,
    /// The rules it breaks, in words.
    pub breaches: Vec<String>,
}

/// Scheduling queries.
#[derive(Default)]
pub struct ScheduleQuery;

#[Object]
impl ScheduleQuery {
    /// A brand's items with a slot in `[from, to)` (at most 366 days) across
    /// its communities, by slot, each flagged when it breaks its
    /// community's cadence policy against the others (cancelled and failed
    /// items leave the calendar).
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per GraphQL argument"
    )]
    async fn content_calendar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The brand.")] brand_id: ID,
        #[graphql(desc = "Start (inclusive).")] from: DateTime<Utc>,
        #[graphql(desc = "End (exclusive).")] to: DateTime<Utc>,
        #[graphql(desc = "Only these communities (at most 100).")] community_ids: Option<Vec<ID>>,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<CalendarEntry>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            schedule::CALENDAR_CURSOR,
            2,
            ctx.wants_total(),
        )?;
        let communities = community_ids
            .map(|ids| {
                ids.iter()
                    .enumerate()
                    .map(|(i, c)| parse_id(&format!("communityIds.{i}"), c))
                    .collect::<AppResult<Vec<_>>>()
            })
            .transpose()?;
        let page = schedule::calendar(
            ctx.app()?,
            ctx.caller()?,
            parse_id("brandId", &brand_id)?,
            from,
            to,
            communities,
            page,
        )
        .await?;
        Ok(page
            .try_map(|r| {
                let mut with: Vec<ID> = Vec::new();
                for b in &r.breaches {
                    for i in b.items() {
                        let id = to_id(*i);
                        if !with.contains(&id) {
                            with.push(id);
                        }
                    }
                }
                Ok::<_, AppError>(CalendarEntry {
                    conflicted: !r.breaches.is_empty(),
                    breaches: r.breaches.iter().map(|b| b.describe(&r.policy)).collect(),
                    conflicts_with: with,
                    item: ContentItem::try_from(r.item)?,
                })
            })?
            .into())
    }

    /// The next times the community's cadence policy allows after `after`
    /// (whole quarter hours, within 90 days), usable together.
    async fn suggest_slots(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The community.")] community_id: ID,
        #[graphql(desc = "Earliest time (default now).")] after: Option<DateTime<Utc>>,
        #[graphql(desc = "How many, 1-50 (default 5).")] count: Option<i32>,
        #[graphql(desc = "For a prompt (default true), or for another item.")] prompt: Option<bool>,
    ) -> async_graphql::Result<Vec<DateTime<Utc>>> {
        Ok(schedule::suggest_slots(
            ctx.app()?,
            ctx.caller()?,
            parse_id("communityId", &community_id)?,
            after.unwrap_or_else(Utc::now),
            count.unwrap_or(5),
            prompt.unwrap_or(true),
        )
        .await?)
    }
}

/// Scheduling mutations.
#[derive(Default)]
pub struct ScheduleMutation;

#[Object]
impl ScheduleMutation {
    /// Gives an approved item its slot (`at`, default its `scheduledAt`),
    /// refused with the conflicting items named when the slot breaks the
    /// community's cadence policy; moves a scheduled one.
    async fn schedule_content(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item.")] id: ID,
        #[graphql(desc = "The slot (default the item's scheduledAt).")] at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<ContentItem> {
        item(schedule::schedule(ctx.app()?, ctx.caller()?, parse_id("id", &id)?, at).await)
    }
}
