//! Brand rules and queries.

use async_graphql::{Enum, InputObject, MaybeUndefined};
use chrono::Utc;
use entity::brand::{self, BrandStatus as DbStatus};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
    ActiveModelTrait, ColumnTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    audit::service::{self as audit, Event},
    auth::Caller,
    brand::data_version,
    cache::CacheKey,
    context::AppContext,
    db::WriteTxn,
    error::{AppError, AppResult},
    pagination::{after_condition, CursorKey, Page, PageRequest},
    schedule::offers,
    validation,
};

/// Lifecycle status of a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum BrandStatus {
    /// The agency works for this brand.
    Active,
    /// Kept for its history; read-only.
    Archived,
}

impl From<DbStatus> for BrandStatus {
    fn from(s: DbStatus) -> Self {
        match s {
            DbStatus::Active => Self::Active,
            DbStatus::Archived => Self::Archived,
        }
    }
}

impl From<BrandStatus> for DbStatus {
    fn from(s: BrandStatus) -> Self {
        match s {
            BrandStatus::Active => Self::Active,
            BrandStatus::Archived => Self::Archived,
        }
    }
}

/// Orderings of the brand list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum BrandOrder {
    /// Newest first.
    #[default]
    CreatedAtDesc,
    /// Oldest first.
    CreatedAtAsc,
    /// By name, A to Z.
    NameAsc,
    /// By name, Z to A.
    NameDesc,
}

impl BrandOrder {
    fn tag(self) -> &'static str {
        match self {
            Self::CreatedAtDesc => "cd",
            Self::CreatedAtAsc => "ca",
            Self::NameAsc => "na",
            Self::NameDesc => "nd",
        }
    }

    fn by_name(self) -> bool {
        matches!(self, Self::NameAsc | Self::NameDesc)
    }

    fn direction(self) -> Order {
        match self {
            Self::CreatedAtDesc | Self::NameDesc => Order::Desc,
            Self::CreatedAtAsc | Self::NameAsc => Order::Asc,
        }
    }

    /// Number of values in this ordering's cursor.
    pub fn key_count(self) -> usize {
        if self.by_name() {
            2
        } else {
            1
        }
    }

    /// The cursor tag this ordering's cursors carry.
    pub fn cursor_tag(self) -> &'static str {
        self.tag()
    }

    fn cursor(self, m: &brand::Model) -> CursorKey {
        let keys = if self.by_name() {
            vec![m.name.clone(), m.id.to_string()]
        } else {
            vec![m.id.to_string()]
        };
        CursorKey {
            order: self.tag().into(),
            keys,
        }
    }
}

/// Filters of the brand list.
#[derive(Debug, Clone, Default, InputObject)]
pub struct BrandFilter {
    /// Only brands with this status.
    pub status: Option<BrandStatus>,
    /// Only brands whose name contains this text (case-insensitive).
    pub name_contains: Option<String>,
}

/// A new brand.
#[derive(Debug, Clone, InputObject)]
pub struct CreateBrandInput {
    /// Display name, 1-120 characters.
    pub name: String,
    /// Unique URL-safe handle (a-z, 0-9, hyphens); derived from the name when omitted.
    pub slug: Option<String>,
    /// Free text about the brand, up to 2000 characters.
    pub description: Option<String>,
    /// The brand's public web site (http or https).
    pub website_url: Option<String>,
    /// Most offers and early-access items a member is addressed in any 30
    /// days, across the brand's communities: 1-100, default 4; `null`: no cap.
    pub max_offers_per_member: MaybeUndefined<i32>,
}

/// Changes to a brand; omitted fields stay as they are, `null` clears an optional field.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateBrandInput {
    /// New display name.
    pub name: Option<String>,
    /// New unique handle.
    pub slug: Option<String>,
    /// New description; `null` clears it.
    pub description: MaybeUndefined<String>,
    /// New web site; `null` clears it.
    pub website_url: MaybeUndefined<String>,
    /// New cap on offers per member in 30 days (1-100); `null`: no cap.
    /// Offers already scheduled keep their recipients.
    pub max_offers_per_member: MaybeUndefined<i32>,
    /// The version you read; when given and stale the update is refused with `CONFLICT`.
    pub expected_version: Option<i32>,
}

const NAME_MAX: usize = 120;
const DESCRIPTION_MAX: usize = 2000;

fn slug_taken(slug: &str) -> impl FnOnce() -> String + '_ {
    move || format!("the slug \"{slug}\" is already used by another brand")
}

/// A brand's cached row, under the data version that every change of it bumps.
fn cache_key(id: Uuid, version: i64) -> CacheKey {
    CacheKey::brand(id, &format!("brand:v{version}"))
}

/// Creates a brand (admins only).
#[tracing::instrument(skip_all)]
pub async fn create(
    app: &AppContext,
    caller: &Caller,
    input: CreateBrandInput,
) -> AppResult<brand::Model> {
    caller.admin()?;
    let name = validation::text("input.name", &input.name, 1, NAME_MAX)?;
    let slug = match input.slug.as_deref() {
        Some(s) => validation::slug("input.slug", s)?,
        None => {
            let derived = validation::slugify(&name);
            validation::slug("input.slug", &derived).map_err(|_| {
                AppError::bad_input(
                    "input.slug",
                    "no slug can be derived from this name; give one",
                )
            })?
        }
    };
    let description = validation::optional_text(
        "input.description",
        input.description.as_deref(),
        DESCRIPTION_MAX,
    )?;
    let website_url = input
        .website_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|u| validation::url("input.websiteUrl", u))
        .transpose()?;
    let max_offers_per_member = match input.max_offers_per_member {
        MaybeUndefined::Undefined => Some(offers::DEFAULT_CAP),
        MaybeUndefined::Null => None,
        MaybeUndefined::Value(c) => offers::check_cap("input.maxOffersPerMember", Some(c))?,
    };
    let now = Utc::now();
    let model = brand::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(slug.clone()),
        name: Set(name),
        description: Set(description),
        website_url: Set(website_url),
        status: Set(DbStatus::Active),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        archived_at: Set(None),
        max_offers_per_member: Set(max_offers_per_member),
    };
    let txn = WriteTxn::begin(app).await?;
    let created = model
        .insert(&txn)
        .await
        .map_err(|e| AppError::from_db_unique(e, slug_taken(&slug)))?;
    audit::record(
        &txn,
        caller,
        Event {
            action: "brand.create",
            object_type: "brand",
            object_id: Some(created.id),
            brand_id: Some(created.id),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// `NOT_FOUND` unless the brand exists (for services of other areas).
pub async fn ensure_exists(app: &AppContext, id: Uuid) -> AppResult<()> {
    if brand::Entity::find_by_id(id).count(&app.db).await? == 0 {
        return Err(AppError::NotFound("brand"));
    }
    Ok(())
}

/// Fetches a brand in the caller's scope, through the cache.
#[tracing::instrument(skip(app, caller))]
pub async fn get(app: &AppContext, caller: &Caller, id: Uuid) -> AppResult<brand::Model> {
    caller.read_scope()?.check(id, "brand")?;
    let key = cache_key(id, data_version::current(app, id).await?);
    if let Some(hit) = app.cache.get_json::<brand::Model>(&key).await {
        return Ok(hit);
    }
    let found = brand::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("brand"))?;
    app.cache.set_json(&key, &found).await;
    Ok(found)
}

async fn load_for_write(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i32>,
) -> AppResult<brand::Model> {
    let scope = caller.write_scope()?;
    let current = brand::Entity::find_by_id(id)
        .filter(scope.condition(brand::Column::Id))
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("brand"))?;
    if let Some(v) = expected_version {
        if v != current.version {
            return Err(AppError::Conflict(format!(
                "the brand was changed meanwhile (version {} now, {v} expected); read it again",
                current.version
            )));
        }
    }
    Ok(current)
}

/// Writes `changes` only if the row still has `current.version`, so two
/// concurrent edits cannot silently overwrite each other; the audit event
/// commits with the change.
async fn save_versioned(
    app: &AppContext,
    caller: &Caller,
    action: &str,
    current: &brand::Model,
    mut changes: brand::ActiveModel,
    conflict: impl FnOnce() -> String,
) -> AppResult<brand::Model> {
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(Utc::now());
    let mut txn = WriteTxn::begin(app).await?;
    data_version::bump(&mut txn, current.id);
    let result = brand::Entity::update_many()
        .set(changes)
        .filter(brand::Column::Id.eq(current.id))
        .filter(brand::Column::Version.eq(current.version))
        .exec(&txn)
        .await
        .map_err(|e| AppError::from_db_unique(e, conflict))?;
    if result.rows_affected == 0 {
        return Err(AppError::Conflict(
            "the brand was changed meanwhile; read it again".into(),
        ));
    }
    audit::record(
        &txn,
        caller,
        Event {
            action,
            object_type: "brand",
            object_id: Some(current.id),
            brand_id: Some(current.id),
            details: None,
        },
    )
    .await?;
    txn.commit().await?;
    brand::Entity::find_by_id(current.id)
        .one(&app.db)
        .await?
        .ok_or(AppError::NotFound("brand"))
}

/// Updates a brand's details (admins and the brand's consultants).
/// Archived brands are read-only.
#[tracing::instrument(skip(app, caller, input))]
pub async fn update(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    input: UpdateBrandInput,
) -> AppResult<brand::Model> {
    caller.write_scope()?;
    let mut changes = <brand::ActiveModel as Default>::default();
    if let Some(name) = &input.name {
        changes.name = Set(validation::text("input.name", name, 1, NAME_MAX)?);
    }
    let new_slug = input
        .slug
        .as_deref()
        .map(|s| validation::slug("input.slug", s))
        .transpose()?;
    if let Some(slug) = &new_slug {
        changes.slug = Set(slug.clone());
    }
    match &input.description {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => changes.description = Set(None),
        MaybeUndefined::Value(d) => {
            changes.description = Set(validation::optional_text(
                "input.description",
                Some(d),
                DESCRIPTION_MAX,
            )?)
        }
    }
    match &input.website_url {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => changes.website_url = Set(None),
        MaybeUndefined::Value(u) if u.trim().is_empty() => changes.website_url = Set(None),
        MaybeUndefined::Value(u) => {
            changes.website_url = Set(Some(validation::url("input.websiteUrl", u)?))
        }
    }
    match input.max_offers_per_member {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => changes.max_offers_per_member = Set(None),
        MaybeUndefined::Value(c) => {
            changes.max_offers_per_member =
                Set(offers::check_cap("input.maxOffersPerMember", Some(c))?)
        }
    }
    let current = load_for_write(app, caller, id, input.expected_version).await?;
    if current.status == DbStatus::Archived {
        return Err(AppError::Conflict(
            "the brand is archived and cannot be changed".into(),
        ));
    }
    let slug = new_slug.unwrap_or_default();
    save_versioned(
        app,
        caller,
        "brand.update",
        &current,
        changes,
        slug_taken(&slug),
    )
    .await
}

/// Archives a brand (admins only; archiving an archived brand changes nothing).
#[tracing::instrument(skip(app, caller))]
pub async fn archive(
    app: &AppContext,
    caller: &Caller,
    id: Uuid,
    expected_version: Option<i32>,
) -> AppResult<brand::Model> {
    caller.admin()?;
    let current = load_for_write(app, caller, id, expected_version).await?;
    if current.status == DbStatus::Archived {
        return Ok(current);
    }
    let changes = brand::ActiveModel {
        status: Set(DbStatus::Archived),
        archived_at: Set(Some(Utc::now())),
        ..<brand::ActiveModel as Default>::default()
    };
    save_versioned(app, caller, "brand.archive", &current, changes, String::new).await
}

/// Lists the brands in the caller's scope, filtered and ordered, one keyset
/// page at a time.
#[tracing::instrument(skip(app, caller))]
pub async fn list(
    app: &AppContext,
    caller: &Caller,
    filter: BrandFilter,
    order: BrandOrder,
    page: PageRequest,
) -> AppResult<Page<brand::Model>> {
    let mut cond = caller.read_scope()?.condition(brand::Column::Id);
    if let Some(status) = filter.status {
        cond = cond.add(brand::Column::Status.eq(DbStatus::from(status)));
    }
    if let Some(text) = filter.name_contains.as_deref() {
        let text = validation::text("filter.nameContains", text, 1, NAME_MAX)?.to_lowercase();
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        cond = cond.add(
            Expr::expr(Func::lower(Expr::col((brand::Entity, brand::Column::Name))))
                .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    let total = if page.want_total {
        Some(
            brand::Entity::find()
                .filter(cond.clone())
                .count(&app.db)
                .await?,
        )
    } else {
        None
    };
    let dir = order.direction();
    let name_col = Expr::col((brand::Entity, brand::Column::Name));
    let id_col = Expr::col((brand::Entity, brand::Column::Id));
    let mut query = brand::Entity::find().filter(cond);
    if let Some(after) = &page.after {
        let id = after
            .keys
            .last()
            .and_then(|k| Uuid::parse_str(k).ok())
            .ok_or_else(|| AppError::bad_input("after", "not a valid cursor"))?;
        let mut keys = Vec::new();
        if order.by_name() {
            keys.push((name_col.clone(), dir.clone(), after.keys[0].clone().into()));
        }
        keys.push((id_col.clone(), dir.clone(), id.into()));
        query = query.filter(after_condition(keys));
    }
    if order.by_name() {
        query = query.order_by(brand::Column::Name, dir.clone());
    }
    let rows = query
        .order_by(brand::Column::Id, dir)
        .limit(page.first + 1)
        .all(&app.db)
        .await?;
    Ok(Page::from_rows(rows, &page, total, |m| order.cursor(m)))
}
