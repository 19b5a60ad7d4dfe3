//! GraphQL for share links; the page itself is served over plain HTTP
//! ([`super::http`]).

use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::report_share_link;

use super::links;
use crate::{
    context::{parse_id, to_id, ContextExt},
    pagination::{Connection, PageRequest},
};

/// Whether a share link opens its report now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ShareLinkStatus {
    /// It opens the report.
    Active,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

/// A link that opens one frozen report without an account.
#[derive(Debug, Clone, SimpleObject)]
pub struct ReportShareLink {
    /// Unique id.
    pub id: ID,
    /// The frozen report it opens.
    pub snapshot_id: ID,
    /// The report's brand.
    pub brand_id: ID,
    /// Who created it.
    pub created_by: ID,
    /// When.
    pub created_at: DateTime<Utc>,
    /// From this instant it opens nothing.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether it opens the report now.
    pub status: ShareLinkStatus,
}

impl From<report_share_link::Model> for ReportShareLink {
    fn from(l: report_share_link::Model) -> Self {
        let status = match links::status(&l) {
            "REVOKED" => ShareLinkStatus::Revoked,
            "EXPIRED" => ShareLinkStatus::Expired,
            _ => ShareLinkStatus::Active,
        };
        Self {
            id: to_id(l.id),
            snapshot_id: to_id(l.snapshot_id),
            brand_id: to_id(l.brand_id),
            created_by: to_id(l.created_by),
            created_at: l.created_at,
            expires_at: l.expires_at,
            revoked_at: l.revoked_at,
            status,
        }
    }
}

/// A share link just created. Its key is shown only now: the server keeps
/// a digest of it.
#[derive(Debug, Clone, SimpleObject)]
pub struct CreatedShareLink {
    /// The link.
    pub link: ReportShareLink,
    /// The page's path with its key, to append to the server's address:
    /// `/reports/{snapshotId}?key=…`.
    pub path: String,
    /// The same figures as CSV: `/reports/{snapshotId}.csv?key=…`.
    pub csv_path: String,
}

/// Share-link queries.
#[derive(Default)]
pub struct ReportPageQuery;

#[Object]
impl ReportPageQuery {
    /// A frozen report's share links, newest first (admins and the brand's
    /// consultants).
    async fn report_share_links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The frozen report.")] snapshot_id: ID,
        #[graphql(desc = "Rows per page: 0-100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Cursor after which the page starts.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<ReportShareLink>> {
        let page = PageRequest::new(
            first,
            after.as_deref(),
            links::CURSOR_TAG,
            1,
            ctx.wants_total(),
        )?;
        let page = links::list(
            ctx.app()?,
            ctx.caller()?,
            parse_id("snapshotId", &snapshot_id)?,
            page,
        )
        .await?;
        Ok(page.map(ReportShareLink::from).into())
    }
}

/// Share-link mutations.
#[derive(Default)]
pub struct ReportPageMutation;

#[Object]
impl ReportPageMutation {
    /// Creates a link that opens a frozen report's page (and its CSV)
    /// without an account until it expires or is revoked (admins and the
    /// brand's consultants). Every view is audited
    /// (`impact.report_view`).
    async fn create_report_share_link(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The frozen report.")] snapshot_id: ID,
        #[graphql(desc = "Days the link stands: 1-90, default 7.")] expires_in_days: Option<i32>,
    ) -> async_graphql::Result<CreatedShareLink> {
        let snapshot = parse_id("snapshotId", &snapshot_id)?;
        let created = links::create(ctx.app()?, ctx.caller()?, snapshot, expires_in_days).await?;
        let path = links::path(snapshot, &created.token);
        Ok(CreatedShareLink {
            link: created.link.into(),
            csv_path: path.replacen("?key=", ".csv?key=", 1),
            path,
        })
    }

    /// Revokes a share link: from the next request on it opens nothing.
    async fn revoke_report_share_link(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The link.")] id: ID,
    ) -> async_graphql::Result<ReportShareLink> {
        let link = links::revoke(ctx.app()?, ctx.caller()?, parse_id("id", &id)?).await?;
        Ok(link.into())
    }
}
