//! Relay object identification: every object with an `id` implements
//! `Node`, and `node(id)` / `nodes(ids)` refetch objects by id alone.
//!
//! Ids are UUIDs, unique across every type, so an id needs no type prefix:
//! one statement finds which table holds each id *and* whether the caller
//! may read it (the same brand scope as every other read), then one
//! statement per type present loads the rows. Another brand's id answers
//! `null`, exactly as a missing one.

use std::collections::HashMap;

use async_graphql::{Context, Interface, Object, ID};
use entity::{
    audience, audit_event, brand, campaign, channel, community, content_item, enrollment, feedback,
    gathering_place, integration, member, report_share_link, report_snapshot, research_finding,
    research_tag, reward_grant, reward_programme, trainee, training_module, training_programme,
    user::{self, Role},
    webhook_delivery, webhook_endpoint,
};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter};
use uuid::Uuid;

use crate::{
    account::graphql::User,
    audit::graphql::AuditEvent,
    auth::Caller,
    brand::graphql::Brand,
    campaign::graphql::Campaign,
    certification::{certifications, graphql::Certification},
    community::graphql::{Channel, Community},
    content::graphql::ContentItem,
    context::{AppContext, ContextExt},
    db,
    error::{AppError, AppResult},
    feedback::graphql::Feedback,
    finding::{graphql::Finding, service::Ranked},
    integration::graphql::Integration,
    member::graphql::Member,
    recognition::graphql::{RewardGrant, RewardProgramme},
    report_page::graphql::ReportShareLink,
    reporting::{graphql::ReportSnapshot, snapshot::Frozen},
    research::graphql::{Audience, GatheringPlace, ResearchTag},
    trainee::graphql::{Enrollment, Trainee},
    training::graphql::{TrainingModule, TrainingProgramme},
    webhook::graphql::{WebhookDelivery, WebhookEndpoint},
};

/// Most ids `nodes` takes.
pub const MAX_IDS: usize = 100;

/// An object with a globally unique id.
#[derive(Interface, Clone)]
#[graphql(field(
    name = "id",
    ty = "&ID",
    desc = "Opaque and unique across every type (a UUID); `node(id:)` refetches the object by it."
))]
// Each variant is the type it names.
#[allow(clippy::large_enum_variant, missing_docs)]
pub enum Node {
    Audience(Audience),
    AuditEvent(AuditEvent),
    Brand(Brand),
    Campaign(Campaign),
    Certification(Certification),
    Channel(Channel),
    Community(Community),
    ContentItem(ContentItem),
    Enrollment(Enrollment),
    Feedback(Feedback),
    Finding(Finding),
    GatheringPlace(GatheringPlace),
    Integration(Integration),
    Member(Member),
    ReportShareLink(ReportShareLink),
    ReportSnapshot(ReportSnapshot),
    ResearchTag(ResearchTag),
    RewardGrant(RewardGrant),
    RewardProgramme(RewardProgramme),
    Trainee(Trainee),
    TrainingModule(TrainingModule),
    TrainingProgramme(TrainingProgramme),
    User(User),
    WebhookDelivery(WebhookDelivery),
    WebhookEndpoint(WebhookEndpoint),
}

/// Who may read a table's rows.
#[derive(Clone, Copy)]
enum Visible {
    /// Rows of brands in the caller's read scope (`brand_id`).
    InScope,
    /// The brands themselves (`id`).
    Brands,
    /// Agency-wide rows (`brand_id` null) and those of brands in scope.
    AgencyOrInScope,
    /// Admins only.
    Admins,
    /// Admins, and each user themselves.
    UsersSelf,
    /// Admins and the brand's consultants (its client users do not).
    Staff,
}

/// Every table of an object with an id: type, table, who reads it.
const TABLES: &[(&str, &str, Visible)] = &[
    ("Audience", "audience", Visible::InScope),
    ("AuditEvent", "audit_event", Visible::Admins),
    ("Brand", "brand", Visible::Brands),
    ("Campaign", "campaign", Visible::InScope),
    ("Certification", "certification", Visible::InScope),
    ("Channel", "channel", Visible::InScope),
    ("Community", "community", Visible::InScope),
    ("ContentItem", "content_item", Visible::InScope),
    ("Enrollment", "enrollment", Visible::InScope),
    ("Feedback", "feedback", Visible::InScope),
    ("Finding", "research_finding", Visible::InScope),
    ("GatheringPlace", "gathering_place", Visible::InScope),
    ("Integration", "integration", Visible::InScope),
    ("Member", "member", Visible::InScope),
    ("ReportShareLink", "report_share_link", Visible::Staff),
    ("ReportSnapshot", "report_snapshot", Visible::InScope),
    ("ResearchTag", "research_tag", Visible::InScope),
    ("RewardGrant", "reward_grant", Visible::InScope),
    ("RewardProgramme", "reward_programme", Visible::InScope),
    ("Trainee", "trainee", Visible::InScope),
    (
        "TrainingModule",
        "training_module",
        Visible::AgencyOrInScope,
    ),
    (
        "TrainingProgramme",
        "training_programme",
        Visible::AgencyOrInScope,
    ),
    ("User", "app_user", Visible::UsersSelf),
    ("WebhookDelivery", "webhook_delivery", Visible::Staff),
    ("WebhookEndpoint", "webhook_endpoint", Visible::Staff),
];

#[derive(FromQueryResult)]
struct Found {
    kind: String,
    id: Uuid,
}

/// The type of each id the caller may read, in one statement.
async fn visible_kinds(app: &AppContext, caller: &Caller, ids: &[Uuid]) -> AppResult<Vec<Found>> {
    let scope = caller.read_scope()?;
    let me = caller.user()?;
    let staff = caller.write_scope().ok();
    let backend = app.db.get_database_backend();
    let mut parts = Vec::new();
    let mut values = Vec::new();
    for (kind, table, visible) in TABLES {
        let (condition, bound) = match visible {
            Visible::InScope => scope.sql("brand_id"),
            Visible::Brands => scope.sql("id"),
            Visible::AgencyOrInScope => {
                let (c, v) = scope.sql("brand_id");
                (format!("(brand_id IS NULL OR {c})"), v)
            }
            Visible::Admins if me.role == Role::Admin => ("1 = 1".into(), Vec::new()),
            Visible::UsersSelf if me.role == Role::Admin => ("1 = 1".into(), Vec::new()),
            Visible::UsersSelf => ("id = ?".into(), vec![me.id.into()]),
            Visible::Staff => match &staff {
                Some(s) => s.sql("brand_id"),
                None => continue,
            },
            Visible::Admins => continue,
        };
        let (ids_sql, ids_bound) = db::one_of_sql(backend, "id", ids);
        parts.push(format!(
            "SELECT '{kind}' AS kind, id FROM {table} WHERE {ids_sql} AND {condition}"
        ));
        values.extend(ids_bound);
        values.extend(bound);
    }
    let sql = parts.join(" UNION ALL ");
    Ok(Found::find_by_statement(db::raw(backend, &sql, values))
        .all(&app.db)
        .await?)
}

/// Loads rows of one entity by id and turns them into nodes.
async fn rows<E, F>(
    app: &AppContext,
    id_column: E::Column,
    ids: &[Uuid],
    id_of: impl Fn(&E::Model) -> Uuid,
    node: F,
) -> AppResult<Vec<(Uuid, Node)>>
where
    E: EntityTrait,
    F: Fn(E::Model) -> AppResult<Node>,
{
    let models = E::find()
        .filter(id_column.is_in(ids.iter().copied()))
        .all(&app.db)
        .await?;
    models
        .into_iter()
        .map(|m| Ok((id_of(&m), node(m)?)))
        .collect()
}

/// The objects of one type, by id (already checked as readable).
async fn load(app: &AppContext, kind: &str, ids: &[Uuid]) -> AppResult<Vec<(Uuid, Node)>> {
    Ok(match kind {
        "Audience" => {
            rows::<audience::Entity, _>(
                app,
                audience::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::Audience(m.try_into()?)),
            )
            .await?
        }
        "AuditEvent" => {
            rows::<audit_event::Entity, _>(
                app,
                audit_event::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::AuditEvent(m.into())),
            )
            .await?
        }
        "Brand" => {
            rows::<brand::Entity, _>(
                app,
                brand::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::Brand(m.into())),
            )
            .await?
        }
        "Campaign" => {
            rows::<campaign::Entity, _>(
                app,
                campaign::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::Campaign(m.try_into()?)),
            )
            .await?
        }
        "Certification" => certifications::select()
            .filter(entity::certification::Column::Id.is_in(ids.iter().copied()))
            .into_model::<certifications::CertificationRow>()
            .all(&app.db)
            .await?
            .into_iter()
            .map(|c| (c.id, Node::Certification(c.into())))
            .collect(),
        "Channel" => {
            rows::<channel::Entity, _>(
                app,
                channel::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::Channel(m.try_into()?)),
            )
            .await?
        }
        "Community" => {
            rows::<community::Entity, _>(
                app,
                community::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::Community(m.try_into()?)),
            )
            .await?
        }
        "ContentItem" => {
            rows::<content_item::Entity, _>(
                app,
                content_item::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::ContentItem(m.try_into()?)),
            )
            .await?
        }
        "Enrollment" => {
            rows::<enrollment::Entity, _>(
                app,
                enrollment::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::Enrollment(m.try_into()?)),
            )
            .await?
        }
        "Feedback" => {
            rows::<feedback::Entity, _>(
                app,
                feedback::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::Feedback(m.try_into()?)),
            )
            .await?
        }
        "Finding" => {
            rows::<research_finding::Entity, _>(
                app,
                research_finding::Column::Id,
                ids,
                |m| m.id,
                |m| {
                    Ok(Node::Finding(Finding::from_ranked(Ranked {
                        finding: m,
                        relevance: 0.0,
                    })?))
                },
            )
            .await?
        }
        "GatheringPlace" => {
            rows::<gathering_place::Entity, _>(
                app,
                gathering_place::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::GatheringPlace(m.try_into()?)),
            )
            .await?
        }
        "Integration" => {
            rows::<integration::Entity, _>(
                app,
                integration::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::Integration(m.into())),
            )
            .await?
        }
        "Member" => {
            rows::<member::Entity, _>(
                app,
                member::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::Member(m.into())),
            )
            .await?
        }
        "ReportShareLink" => {
            rows::<report_share_link::Entity, _>(
                app,
                report_share_link::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::ReportShareLink(m.into())),
            )
            .await?
        }
        "ReportSnapshot" => {
            rows::<report_snapshot::Entity, _>(
                app,
                report_snapshot::Column::Id,
                ids,
                |m| m.id,
                |m| {
                    Ok(Node::ReportSnapshot(crate::reporting::graphql::snapshot(
                        Frozen::from_model(m)?,
                    )))
                },
            )
            .await?
        }
        "ResearchTag" => {
            rows::<research_tag::Entity, _>(
                app,
                research_tag::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::ResearchTag(m.try_into()?)),
            )
            .await?
        }
        "RewardGrant" => {
            rows::<reward_grant::Entity, _>(
                app,
                reward_grant::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::RewardGrant(m.into())),
            )
            .await?
        }
        "RewardProgramme" => {
            rows::<reward_programme::Entity, _>(
                app,
                reward_programme::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::RewardProgramme(m.try_into()?)),
            )
            .await?
        }
        "Trainee" => {
            rows::<trainee::Entity, _>(
                app,
                trainee::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::Trainee(m.into())),
            )
            .await?
        }
        "TrainingModule" => {
            rows::<training_module::Entity, _>(
                app,
                training_module::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::TrainingModule(m.try_into()?)),
            )
            .await?
        }
        "TrainingProgramme" => {
            rows::<training_programme::Entity, _>(
                app,
                training_programme::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::TrainingProgramme(m.try_into()?)),
            )
            .await?
        }
        "User" => {
            rows::<user::Entity, _>(
                app,
                user::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::User(m.into())),
            )
            .await?
        }
        "WebhookDelivery" => {
            let found = webhook_delivery::Entity::find()
                .filter(webhook_delivery::Column::Id.is_in(ids.iter().copied()))
                .all(&app.db)
                .await?;
            let delivery_ids: Vec<Uuid> = found.iter().map(|d| d.id).collect();
            let mut attempts = crate::loaders::group(
                crate::webhook::service::attempts_of(app, &delivery_ids)
                    .await?
                    .into_iter()
                    .map(|a| (a.delivery_id, a.into())),
            );
            found
                .into_iter()
                .map(|d| {
                    let mine = attempts.remove(&d.id).unwrap_or_default();
                    (
                        d.id,
                        Node::WebhookDelivery(crate::webhook::graphql::delivery(d, mine)),
                    )
                })
                .collect()
        }
        "WebhookEndpoint" => {
            rows::<webhook_endpoint::Entity, _>(
                app,
                webhook_endpoint::Column::Id,
                ids,
                |m| m.id,
                |m| Ok(Node::WebhookEndpoint(m.into())),
            )
            .await?
        }
        other => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "no loader for node type {other}"
            )))
        }
    })
}

/// The objects behind `ids` that the caller may read, by id.
async fn resolve(
    app: &AppContext,
    caller: &Caller,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Node>> {
    let found = visible_kinds(app, caller, ids).await?;
    let mut by_kind: HashMap<String, Vec<Uuid>> = HashMap::new();
    for f in found {
        by_kind.entry(f.kind).or_default().push(f.id);
    }
    let mut out = HashMap::new();
    for (kind, ids) in by_kind {
        out.extend(load(app, &kind, &ids).await?);
    }
    Ok(out)
}

fn parse(field: &str, id: &ID) -> AppResult<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| AppError::bad_input(field, format!("{field} is not a valid id")))
}

/// Refetching by id.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this id, of any type, if it exists and you may read
    /// it (`null` otherwise: another brand's object looks like a missing one).
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An object's id.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let id = parse("id", &id)?;
        Ok(resolve(ctx.app()?, ctx.caller()?, &[id]).await?.remove(&id))
    }

    /// The objects with these ids (1-100), in the same order, `null` for
    /// each that does not exist or that you may not read.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Objects' ids, 1-100.")] ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.is_empty() || ids.len() > MAX_IDS {
            return Err(AppError::bad_input("ids", format!("ids takes 1-{MAX_IDS} ids")).into());
        }
        let parsed = ids
            .iter()
            .map(|id| parse("ids", id))
            .collect::<AppResult<Vec<_>>>()?;
        let found = resolve(ctx.app()?, ctx.caller()?, &parsed).await?;
        Ok(parsed.iter().map(|id| found.get(id).cloned()).collect())
    }
}
