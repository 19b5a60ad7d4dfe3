//! What every bulk ingest shares: the all-or-nothing switch, rejected rows,
//! the summary, and row-check helpers.

use async_graphql::{Enum, SimpleObject};

/// All-or-nothing, or keep the good rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum IngestMode {
    /// Any rejected row means nothing is written (the default).
    #[default]
    AllOrNothing,
    /// Good rows are written; rejected rows are reported.
    PerRow,
}

/// Why a row was not taken.
#[derive(Debug, Clone, SimpleObject)]
pub struct RejectedRow {
    /// Position in `rows`, from 0.
    pub index: i32,
    /// The offending field, e.g. `rows.3.amount`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl RejectedRow {
    /// A rejection of row `index`'s `field`.
    pub fn new(index: usize, field: &str, reason: impl Into<String>) -> Self {
        Self {
            index: index as i32,
            field: format!("rows.{index}.{field}"),
            reason: reason.into(),
        }
    }
}

/// What an ingest call did.
#[derive(Debug, Clone, Default, SimpleObject)]
pub struct IngestSummary {
    /// Rows stored now.
    pub inserted: i32,
    /// Rows that changed something already stored (e.g. a new member link).
    pub updated: i32,
    /// Rows already stored (or repeated in the batch): nothing changed.
    pub duplicates: i32,
    /// Rows refused, with their index and reason.
    pub rejected: Vec<RejectedRow>,
}

/// 1-`max` characters, no control characters.
pub fn plain(value: &str, max: usize) -> bool {
    !value.trim().is_empty() && value.chars().count() <= max && !value.chars().any(char::is_control)
}

/// Most rows in one ingest call.
pub const MAX_ROWS: usize = 10_000;
/// Rows per multi-row statement.
pub const CHUNK: usize = 500;

/// Inserts `rows` in multi-row statements of [`CHUNK`] rows, skipping rows
/// that collide on the `unique` columns; returns how many were inserted.
pub async fn insert_new<A, C, I>(db: &C, rows: Vec<A>, unique: I) -> crate::error::AppResult<u64>
where
    A: sea_orm::ActiveModelTrait + Clone + Send,
    C: sea_orm::ConnectionTrait,
    I: IntoIterator<Item = <A::Entity as sea_orm::EntityTrait>::Column> + Clone,
{
    use sea_orm::EntityTrait;
    let mut inserted = 0;
    for chunk in rows.chunks(CHUNK) {
        let result = <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on(unique.clone())
            .exec_without_returning(db)
            .await?;
        if let sea_orm::TryInsertResult::Inserted(n) = result {
            inserted += n;
        }
    }
    Ok(inserted)
}
