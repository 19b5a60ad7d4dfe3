//! Relay connections with opaque keyset cursors.
//!
//! A cursor is the sort key of a row (its ordering's columns, ending with the
//! unique id) encoded as base64url JSON and tagged with the ordering it came
//! from. Pages are stable under inserts: the next page starts strictly after
//! the last row seen, whatever was added meanwhile.

use std::borrow::Cow;

use async_graphql::{OutputType, SimpleObject, TypeName};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sea_orm::{
    sea_query::{ExprTrait, SimpleExpr},
    Condition, Order,
};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// Page size when `first` is not given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest `first` accepted; more is `BAD_USER_INPUT`, not a silent cap.
pub const MAX_PAGE_SIZE: u64 = 100;

/// A validated `first`/`after` pair.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// Rows wanted.
    pub first: u64,
    /// Decoded `after` cursor.
    pub after: Option<CursorKey>,
    /// Whether `totalCount` was selected (counted only then).
    pub want_total: bool,
    /// Whether a cursor was selected (`edges.cursor` or `pageInfo`); the
    /// rows' cursors are encoded only then.
    pub want_cursors: bool,
}

/// A decoded cursor: the ordering tag and the row's sort-key values.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CursorKey {
    /// Ordering the cursor belongs to.
    #[serde(rename = "o")]
    pub order: String,
    /// Sort-key values, as strings, in the ordering's column order.
    #[serde(rename = "k")]
    pub keys: Vec<String>,
}

impl CursorKey {
    /// Encodes the cursor as an opaque string.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.as_bytes()).ok()?;
        // No store accepts a NUL character: such a cursor is not one of ours.
        let text = std::str::from_utf8(&bytes).ok()?;
        if text.contains('\0') || text.contains("\\u0000") {
            return None;
        }
        serde_json::from_slice(&bytes).ok()
    }
}

impl PageRequest {
    /// Validates `first` and `after` for the named ordering; `after` must have
    /// been produced by the same ordering and carry `key_count` values.
    pub fn new(
        first: Option<i32>,
        after: Option<&str>,
        order: &str,
        key_count: usize,
        want_total: bool,
    ) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => {
                return Err(AppError::bad_input("first", "first must not be negative"))
            }
            Some(n) if n as u64 > MAX_PAGE_SIZE => {
                return Err(AppError::bad_input(
                    "first",
                    format!("first must be at most {MAX_PAGE_SIZE}"),
                ))
            }
            Some(n) => n as u64,
        };
        let after = match after {
            None => None,
            Some(raw) => match CursorKey::decode(raw) {
                Some(c) if c.order == order && c.keys.len() == key_count => Some(c),
                Some(_) => {
                    return Err(AppError::bad_input(
                        "after",
                        "this cursor belongs to another ordering; start again without `after`",
                    ))
                }
                None => return Err(AppError::bad_input("after", "not a valid cursor")),
            },
        };
        Ok(Self {
            first,
            after,
            want_total,
            want_cursors: true,
        })
    }

    /// Encodes the rows' cursors only if `wanted` (see
    /// [`crate::context::ContextExt::wants_cursors`]); a page whose cursors are
    /// not selected then skips formatting a key per row.
    pub fn cursors(mut self, wanted: bool) -> Self {
        self.want_cursors = wanted;
        self
    }
}

/// Builds the keyset condition "row comes strictly after `values`" for an
/// ordering given as `(column, direction, value)`; the last column must be
/// unique (the id).
pub fn after_condition(keys: Vec<(SimpleExpr, Order, sea_orm::Value)>) -> Condition {
    let mut any = Condition::any();
    for i in 0..keys.len() {
        let mut all = Condition::all();
        for (expr, _, value) in keys.iter().take(i) {
            all = all.add(expr.clone().eq(value.clone()));
        }
        let (expr, order, value) = &keys[i];
        all = all.add(match order {
            Order::Desc => expr.clone().lt(value.clone()),
            _ => expr.clone().gt(value.clone()),
        });
        any = any.add(all);
    }
    any
}

/// A page of rows as the service returns it.
#[derive(Debug)]
pub struct Page<T> {
    /// Rows with their cursors.
    pub rows: Vec<(String, T)>,
    /// Whether more rows follow.
    pub has_next: bool,
    /// Whether the page started after a cursor.
    pub has_previous: bool,
    /// Rows matching the filter, when asked for.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// Makes a page from `first + 1` fetched rows. Cursors are left empty
    /// when the request selected none (`req.want_cursors`).
    pub fn from_rows(
        mut rows: Vec<T>,
        req: &PageRequest,
        total: Option<u64>,
        cursor: impl Fn(&T) -> CursorKey,
    ) -> Self {
        let has_next = rows.len() as u64 > req.first;
        rows.truncate(req.first as usize);
        Self {
            rows: rows
                .into_iter()
                .map(|r| {
                    let c = if req.want_cursors {
                        cursor(&r).encode()
                    } else {
                        String::new()
                    };
                    (c, r)
                })
                .collect(),
            has_next,
            has_previous: req.after.is_some(),
            total,
        }
    }

    /// Converts each row for the API, stopping at the first row that fails.
    pub fn try_map<U, E>(self, f: impl Fn(T) -> Result<U, E>) -> Result<Page<U>, E> {
        let mut rows = Vec::with_capacity(self.rows.len());
        for (cursor, r) in self.rows {
            rows.push((cursor, f(r)?));
        }
        Ok(Page {
            rows,
            has_next: self.has_next,
            has_previous: self.has_previous,
            total: self.total,
        })
    }

    /// Converts each row for the API.
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(|(c, r)| (c, f(r))).collect(),
            has_next: self.has_next,
            has_previous: self.has_previous,
            total: self.total,
        }
    }
}

/// Relay page information.
#[derive(Debug, SimpleObject)]
#[graphql(serial)]
pub struct PageInfo {
    /// Whether more rows follow this page.
    pub has_next_page: bool,
    /// Whether rows precede this page (true when `after` was given).
    pub has_previous_page: bool,
    /// Cursor of the first row of this page.
    pub start_cursor: Option<String>,
    /// Cursor of the last row of this page; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// One row of a connection.
#[derive(Debug, SimpleObject)]
#[graphql(name_type, serial)]
pub struct Edge<T: OutputType> {
    /// Opaque cursor of this row.
    pub cursor: String,
    /// The row.
    pub node: T,
}

/// A page of a list (Relay connection).
#[derive(Debug, SimpleObject)]
#[graphql(name_type, serial)]
pub struct Connection<T: OutputType> {
    /// The rows of this page, each with its cursor.
    pub edges: Vec<Edge<T>>,
    /// Where this page sits in the list.
    pub page_info: PageInfo,
    /// How many rows match the filter in all pages.
    pub total_count: u64,
}

impl<T: OutputType> TypeName for Edge<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", T::type_name()).into()
    }
}

impl<T: OutputType> TypeName for Connection<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

impl<T: OutputType> From<Page<T>> for Connection<T> {
    fn from(page: Page<T>) -> Self {
        let start_cursor = page.rows.first().map(|(c, _)| c.clone());
        let end_cursor = page.rows.last().map(|(c, _)| c.clone());
        Self {
            page_info: PageInfo {
                has_next_page: page.has_next,
                has_previous_page: page.has_previous,
                start_cursor,
                end_cursor,
            },
            total_count: page.total.unwrap_or_default(),
            edges: page
                .rows
                .into_iter()
                .map(|(cursor, node)| Edge { cursor, node })
                .collect(),
        }
    }
}

/// Pages `query` newest first by its time-ordered UUID column `id_col`; the
/// cursor carries `tag` and the last id seen.
pub async fn newest_first<E>(
    db: &crate::db::Db,
    query: sea_orm::Select<E>,
    id_col: E::Column,
    page: &PageRequest,
    tag: &str,
    id_of: impl Fn(&E::Model) -> uuid::Uuid,
) -> AppResult<Page<E::Model>>
where
    E: sea_orm::EntityTrait,
    E::Model: Send + Sync,
{
    newest_first_as(db, query, id_col, page, tag, id_of).await
}

/// [`newest_first`] with each row read as `M` (e.g. a model read by
/// position, [`crate::db::Positional`]).
pub async fn newest_first_as<E, M>(
    db: &crate::db::Db,
    query: sea_orm::Select<E>,
    id_col: E::Column,
    page: &PageRequest,
    tag: &str,
    id_of: impl Fn(&M) -> uuid::Uuid,
) -> AppResult<Page<M>>
where
    E: sea_orm::EntityTrait,
    E::Model: Send + Sync,
    M: sea_orm::FromQueryResult + Send + Sync,
{
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
    let total = if page.want_total {
        Some(query.clone().count(db).await?)
    } else {
        None
    };
    let mut query = query;
    if let Some(after) = &page.after {
        let id = after
            .keys
            .first()
            .and_then(|k| uuid::Uuid::parse_str(k).ok())
            .ok_or_else(|| AppError::bad_input("after", "not a valid cursor"))?;
        query = query.filter(id_col.lt(id));
    }
    let rows = query
        .order_by(id_col, Order::Desc)
        .limit(page.first + 1)
        .into_model::<M>()
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, page, total, |m| CursorKey {
        order: tag.into(),
        keys: vec![id_of(m).to_string()],
    }))
}
