//! What every bulk ingest shares: the all-or-nothing switch, rejected rows,
//! the summary, and row-check helpers.

use async_graphql::{Enum, SimpleObject};
use serde_json::json;
use uuid::Uuid;

pub mod from_json;
pub use from_json::ReadRows;

use crate::{
    audit::service::{self as audit, Event},
    auth::{Caller, Principal},
    context::AppContext,
    error::{AppError, AppResult},
};

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
    /// `BAD_USER_INPUT` for a value that is not acceptable; `CONFLICT` for an
    /// external id already stored with a different payload.
    pub code: String,
}

impl RejectedRow {
    /// A rejection of row `index`'s `field`.
    pub fn new(index: usize, field: &str, reason: impl Into<String>) -> Self {
        Self {
            index: index as i32,
            field: format!("rows.{index}.{field}"),
            reason: reason.into(),
            code: crate::error::code::BAD_USER_INPUT.into(),
        }
    }

    /// Row `index` reuses the external id in `field` with another payload.
    pub fn conflict(index: usize, field: &str) -> Self {
        Self {
            code: crate::error::code::CONFLICT.into(),
            ..Self::new(
                index,
                field,
                format!("{field} is already stored with a different payload; send a new id for a new row"),
            )
        }
    }
}

/// A fingerprint of a row's payload: SHA-256 over its parts, each
/// length-prefixed (so no two different part lists collide by joining),
/// first 16 bytes in hex.
pub fn fingerprint(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    // Into a fixed buffer: `hex::encode` builds its string a char at a time,
    // which showed in profiles of 10,000-row batches.
    let mut out = [0u8; 32];
    if hex::encode_to_slice(&h.finalize()[..16], &mut out).is_err() {
        return String::new(); // 16 bytes always fill 32 hex digits
    }
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

#[derive(sea_orm::FromQueryResult)]
struct StoredFingerprint {
    k: String,
    payload_hash: Option<String>,
}

/// After an insert-or-skip that skipped rows: the batch rows whose key was
/// already stored with another fingerprint. `rows` are (input index, key,
/// fingerprint); `table` and `key_column` are this crate's own names, never
/// input, and `(brand_id, key_column)` is unique in `table`. One statement
/// per [`lookup_chunk`] keys. Rows stored before fingerprints
/// were kept count as replays.
pub async fn conflicting<C: sea_orm::ConnectionTrait>(
    db: &C,
    table: &str,
    key_column: &str,
    brand: uuid::Uuid,
    rows: &[(usize, String, String)],
    field: &str,
) -> crate::error::AppResult<Vec<RejectedRow>> {
    use sea_orm::FromQueryResult;
    let backend = db.get_database_backend();
    let mut stored = std::collections::HashMap::new();
    for chunk in rows.chunks(lookup_chunk(backend)) {
        let keys = chunk.iter().map(|(_, k, _)| k.as_str());
        let (cond, mut values) = crate::db::text_one_of_sql(backend, key_column, keys);
        let sql = format!(
            "SELECT {key_column} AS k, payload_hash FROM {table} WHERE brand_id = ? AND {cond}"
        );
        values.insert(0, brand.into());
        for r in StoredFingerprint::find_by_statement(crate::db::raw(backend, &sql, values))
            .all(db)
            .await?
        {
            stored.insert(r.k, r.payload_hash);
        }
    }
    Ok(rows
        .iter()
        .filter(|(_, k, fp)| matches!(stored.get(k), Some(Some(existing)) if existing != fp))
        .map(|(i, _, _)| RejectedRow::conflict(*i, field))
        .collect())
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

/// Inserts `rows`, skipping rows that collide on the `unique` columns;
/// returns how many were inserted. Each value is moved out of its model
/// into the statement (no query builder in between). On PostgreSQL a batch
/// of up to [`MAX_ROWS`] rows is one statement that reads each column from
/// one array parameter (see [`unnest_insert`]); elsewhere, or when a
/// column's type has no array form here, multi-row statements of [`CHUNK`]
/// rows (see [`values_inserts`]). Rows that set different columns go
/// through the query builder, which fills in the defaults.
pub async fn insert_new<A, C, I>(
    db: &C,
    mut rows: Vec<A>,
    unique: I,
) -> crate::error::AppResult<u64>
where
    A: sea_orm::ActiveModelTrait + Clone + Send,
    C: sea_orm::ConnectionTrait,
    I: IntoIterator<Item = <A::Entity as sea_orm::EntityTrait>::Column> + Clone,
{
    use sea_orm::EntityTrait;
    let backend = db.get_database_backend();
    let unique_names: Vec<&'static str> = unique
        .clone()
        .into_iter()
        .map(|c| sea_orm::IdenStatic::as_str(&c))
        .collect();
    let statements = match set_columns(&rows) {
        Some(columns) => {
            let forms = (backend == sea_orm::DbBackend::Postgres)
                .then(|| array_forms(&rows, &columns))
                .flatten();
            Some(match forms {
                Some(forms) => rows
                    .chunks_mut(MAX_ROWS)
                    .map(|chunk| unnest_insert(chunk, &columns, &forms, &unique_names))
                    .collect::<crate::error::AppResult<Vec<_>>>()?,
                None => values_inserts(backend, &mut rows, &columns, &unique_names),
            })
        }
        None => None,
    };
    let mut inserted = 0;
    if let Some(statements) = statements {
        for statement in statements {
            inserted += db.execute_raw(statement).await?.rows_affected();
        }
        return Ok(inserted);
    }
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

/// The columns every row sets, in the entity's order; `None` when rows set
/// different columns (or none).
#[allow(
    clippy::type_complexity,
    reason = "the entity's own column type, spelled out"
)]
fn set_columns<A>(rows: &[A]) -> Option<Vec<<A::Entity as sea_orm::EntityTrait>::Column>>
where
    A: sea_orm::ActiveModelTrait,
{
    use sea_orm::{EntityTrait, Iterable};
    let first = rows.first()?;
    let mut columns = Vec::new();
    for column in <A::Entity as EntityTrait>::Column::iter() {
        let set = !first.is_not_set(column);
        if rows.iter().any(|r| r.is_not_set(column) == set) {
            return None;
        }
        if set {
            columns.push(column);
        }
    }
    (!columns.is_empty()).then_some(columns)
}

/// The array form of each column value: the array's element type, the SQL
/// array type it is cast to, and the element that stands in for NULL (a
/// NULL is carried by a separate flag; sea-query's arrays hold no NULLs).
type ArrayForm = (sea_orm::sea_query::ArrayType, &'static str, sea_orm::Value);

/// The [`ArrayForm`] of each of `columns`, read off the first row; `None`
/// when a column's type has none here.
fn array_forms<A>(
    rows: &[A],
    columns: &[<A::Entity as sea_orm::EntityTrait>::Column],
) -> Option<Vec<ArrayForm>>
where
    A: sea_orm::ActiveModelTrait,
{
    let first = rows.first()?;
    columns
        .iter()
        .map(|c| array_form(&first.get(*c).into_value()?))
        .collect()
}

fn array_form(value: &sea_orm::Value) -> Option<ArrayForm> {
    use sea_orm::{sea_query::ArrayType, Value};
    Some(match value {
        Value::Uuid(_) => (ArrayType::Uuid, "UUID[]", Value::Uuid(Some(Uuid::nil()))),
        Value::String(_) => (
            ArrayType::String,
            "TEXT[]",
            Value::String(Some(String::new())),
        ),
        Value::BigInt(_) => (ArrayType::BigInt, "BIGINT[]", Value::BigInt(Some(0))),
        Value::Int(_) => (ArrayType::Int, "INTEGER[]", Value::Int(Some(0))),
        Value::Bool(_) => (ArrayType::Bool, "BOOLEAN[]", Value::Bool(Some(false))),
        Value::Double(_) => (
            ArrayType::Double,
            "DOUBLE PRECISION[]",
            Value::Double(Some(0.0)),
        ),
        Value::ChronoDateTimeUtc(_) => (
            ArrayType::ChronoDateTimeUtc,
            "TIMESTAMPTZ[]",
            Value::ChronoDateTimeUtc(Some(chrono::DateTime::UNIX_EPOCH)),
        ),
        _ => return None,
    })
}

/// `ON CONFLICT (unique) ` (or `ON CONFLICT `), ready for `DO NOTHING`.
fn on_conflict(unique: &[&str]) -> String {
    if unique.is_empty() {
        return "ON CONFLICT ".into();
    }
    let columns: Vec<String> = unique.iter().map(|c| format!("\"{c}\"")).collect();
    format!("ON CONFLICT ({}) ", columns.join(", "))
}

/// The quoted names of `columns`.
fn column_names<C: sea_orm::IdenStatic>(columns: &[C]) -> Vec<String> {
    columns
        .iter()
        .map(|c| format!("\"{}\"", sea_orm::IdenStatic::as_str(c)))
        .collect()
}

/// `rows` as one PostgreSQL `INSERT ... SELECT ... FROM UNNEST(...) ON
/// CONFLICT (unique) DO NOTHING`: each of `columns` (set in every row, of
/// the array forms `forms`) is one array parameter, and a column holding
/// NULLs gets a second, boolean array saying which rows are NULL. A column
/// with one value in every row (a batch's brand and time, mostly) is sent
/// once, as a single parameter, and a column NULL in every row not at all,
/// so neither side encodes, sends or unpacks an array of copies; the first
/// column (the id) is always an array, which gives the row count. The
/// values are moved out of the rows.
fn unnest_insert<A>(
    rows: &mut [A],
    columns: &[<A::Entity as sea_orm::EntityTrait>::Column],
    forms: &[ArrayForm],
    unique: &[&str],
) -> crate::error::AppResult<sea_orm::Statement>
where
    A: sea_orm::ActiveModelTrait,
{
    use sea_orm::{EntityName, Value};
    let mut exprs = Vec::new();
    let mut casts = Vec::new();
    let mut names = Vec::new();
    // The single values come first: their placeholders are in the SELECT
    // list, before UNNEST's.
    let mut singles = Vec::new();
    let mut arrays = Vec::new();
    for (k, (column, (array_type, cast, stand_in))) in columns.iter().zip(forms).enumerate() {
        let mut elements = Vec::with_capacity(rows.len());
        let mut nulls = 0;
        for row in rows.iter_mut() {
            let value = row.take(*column).into_value();
            let value = match value {
                Some(v) if std::mem::discriminant(&v) == std::mem::discriminant(stand_in) => v,
                // A model's column holds one type, and every row sets it
                // (checked by the caller).
                _ => {
                    return Err(crate::error::AppError::Internal(anyhow::anyhow!(
                        "column {} is unset or of another type in some rows",
                        sea_orm::IdenStatic::as_str(column)
                    )))
                }
            };
            nulls += usize::from(!value.is_some());
            elements.push(value);
        }
        let one = cast.trim_end_matches("[]");
        if k > 0 && nulls == elements.len() {
            exprs.push(format!("CAST(NULL AS {one})"));
            continue;
        }
        if k > 0 && nulls == 0 && elements.windows(2).all(|w| w[0] == w[1]) {
            exprs.push(format!("CAST(? AS {one})"));
            singles.extend(elements.into_iter().next());
            continue;
        }
        casts.push(format!("CAST(? AS {cast})"));
        names.push(format!("c{k}"));
        if nulls > 0 {
            let flags = elements
                .iter_mut()
                .map(|e| {
                    let null = !e.is_some();
                    if null {
                        *e = stand_in.clone();
                    }
                    Value::Bool(Some(null))
                })
                .collect();
            arrays.push(Value::Array(array_type.clone(), Some(Box::new(elements))));
            casts.push("CAST(? AS BOOLEAN[])".to_string());
            names.push(format!("n{k}"));
            arrays.push(Value::Array(
                sea_orm::sea_query::ArrayType::Bool,
                Some(Box::new(flags)),
            ));
            exprs.push(format!("CASE WHEN t.n{k} THEN NULL ELSE t.c{k} END"));
        } else {
            arrays.push(Value::Array(array_type.clone(), Some(Box::new(elements))));
            exprs.push(format!("t.c{k}"));
        }
    }
    let table = A::Entity::default().table_name().to_string();
    let sql = format!(
        "INSERT INTO \"{table}\" ({}) SELECT {} FROM UNNEST({}) AS t({}) {}DO NOTHING",
        column_names(columns).join(", "),
        exprs.join(", "),
        casts.join(", "),
        names.join(", "),
        on_conflict(unique),
    );
    singles.append(&mut arrays);
    Ok(crate::db::raw(sea_orm::DbBackend::Postgres, &sql, singles))
}

/// `rows` as multi-row `INSERT INTO t (columns) VALUES (?, ...), ... ON
/// CONFLICT (unique) DO NOTHING` statements of [`CHUNK`] rows, one SQL text
/// for every full chunk. `columns` are set in every row (checked by the
/// caller); their values are moved out of the rows. On SQLite a column with
/// one value in every row of a chunk (the batch's brand and time, mostly) is
/// bound once: `INSERT ... SELECT column1, ?, ... FROM (VALUES (...), ...)
/// WHERE true` (SQLite's form of an upsert from a SELECT) with only the other
/// columns in the rows.
fn values_inserts<A>(
    backend: sea_orm::DbBackend,
    rows: &mut [A],
    columns: &[<A::Entity as sea_orm::EntityTrait>::Column],
    unique: &[&str],
) -> Vec<sea_orm::Statement>
where
    A: sea_orm::ActiveModelTrait,
{
    use sea_orm::EntityName;
    let table = A::Entity::default().table_name().to_string();
    let names = column_names(columns).join(", ");
    let conflict = on_conflict(unique);
    let tuple = format!("({})", vec!["?"; columns.len()].join(", "));
    let sql = |n: usize| {
        format!(
            "INSERT INTO \"{table}\" ({names}) VALUES {} {conflict}DO NOTHING",
            vec![tuple.as_str(); n].join(", ")
        )
    };
    let full = sql(CHUNK);
    rows.chunks_mut(CHUNK)
        .map(|chunk| {
            let mut values = Vec::with_capacity(chunk.len() * columns.len());
            for row in chunk.iter_mut() {
                for c in columns {
                    values.extend(row.take(*c).into_value());
                }
            }
            let same = match backend {
                sea_orm::DbBackend::Sqlite => one_value_columns(&values, columns.len()),
                _ => Vec::new(),
            };
            if same.contains(&true) {
                let mut select = Vec::with_capacity(columns.len());
                let mut varying = 0;
                for &one in &same {
                    if one {
                        select.push("?".to_string());
                    } else {
                        varying += 1;
                        select.push(format!("column{varying}"));
                    }
                }
                // Placeholders in order: the single values, then the rows'.
                let mut bound: Vec<sea_orm::Value> = Vec::with_capacity(values.len());
                bound.extend(
                    values
                        .iter()
                        .take(columns.len())
                        .zip(&same)
                        .filter(|(_, one)| **one)
                        .map(|(v, _)| v.clone()),
                );
                bound.extend(
                    values
                        .into_iter()
                        .zip(same.iter().cycle())
                        .filter(|(_, one)| !**one)
                        .map(|(v, _)| v),
                );
                let tuple = format!("({})", vec!["?"; varying].join(", "));
                let text = format!(
                    "INSERT INTO \"{table}\" ({names}) SELECT {} FROM (VALUES {}) WHERE true {conflict}DO NOTHING",
                    select.join(", "),
                    vec![tuple.as_str(); chunk.len()].join(", ")
                );
                return crate::db::raw(backend, &text, bound);
            }
            let text = if chunk.len() == CHUNK {
                full.clone()
            } else {
                sql(chunk.len())
            };
            crate::db::raw(backend, &text, values)
        })
        .collect()
}

/// For a chunk's `values` (row by row, `width` per row), which columns have
/// one value in every row; never the first (the id), and none in a chunk
/// of one row.
fn one_value_columns(values: &[sea_orm::Value], width: usize) -> Vec<bool> {
    let rows = values.len() / width.max(1);
    (0..width)
        .map(|c| c > 0 && rows > 1 && (1..rows).all(|r| values[r * width + c] == values[c]))
        .collect()
}

/// Sorts checked rows: the first row of each key is kept; rejected rows and
/// repeats of a key within the batch are counted in the summary.
pub fn sort_rows<T>(
    checked: Vec<Result<T, RejectedRow>>,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, IngestSummary) {
    let mut summary = IngestSummary::default();
    let mut seen = std::collections::HashSet::new();
    let mut good = Vec::new();
    for row in checked {
        match row {
            Err(rejected) => summary.rejected.push(rejected),
            Ok(row) if !seen.insert(key(&row)) => summary.duplicates += 1,
            Ok(row) => good.push(row),
        }
    }
    (good, summary)
}

/// Whether an all-or-nothing batch stops before writing (it has rejected
/// rows); the summary then reports only those.
pub fn stops(mode: Option<IngestMode>, summary: &mut IngestSummary) -> bool {
    let stop = mode.unwrap_or_default() == IngestMode::AllOrNothing && !summary.rejected.is_empty();
    if stop {
        summary.duplicates = 0;
    }
    stop
}

/// Takes in the conflicts found after an insert-or-skip (rows it skipped
/// because their key holds another payload): in an all-or-nothing batch the
/// whole batch must roll back (returns `true`, the summary then reports only
/// the rejected rows); otherwise they count as rejected, not duplicates.
pub fn settle_conflicts(
    mode: Option<IngestMode>,
    summary: &mut IngestSummary,
    conflicts: Vec<RejectedRow>,
) -> bool {
    if conflicts.is_empty() {
        return false;
    }
    summary.duplicates -= conflicts.len() as i32;
    summary.rejected.extend(conflicts);
    summary.rejected.sort_by_key(|r| r.index);
    if mode.unwrap_or_default() == IngestMode::AllOrNothing {
        summary.inserted = 0;
        summary.updated = 0;
        summary.duplicates = 0;
        return true;
    }
    false
}

/// `WITH v(col, ...) AS (VALUES (?, ...), ...)` for `rows` rows: a batch's
/// keys as a table to join on, so lookups hash-join whatever the planner's
/// statistics say (a long `IN (...)` list of parameters is scanned linearly
/// once the plan is generic).
pub fn values_cte(rows: usize, columns: &[&str]) -> String {
    let row = format!("({})", vec!["?"; columns.len()].join(", "));
    format!(
        "WITH v({}) AS (VALUES {})",
        columns.join(", "),
        vec![row; rows].join(", ")
    )
}

/// A batch's text keys as the table `v(columns...)` to join a lookup on,
/// and its values: `keys` holds one list per column, all of one length. On
/// PostgreSQL each column is one array parameter (`UNNEST`), so one
/// statement takes a whole batch and scans the looked-up table once; on
/// SQLite it is a [`values_cte`] list. Split keys by [`lookup_chunk`].
pub fn keys_cte(
    backend: sea_orm::DbBackend,
    columns: &[&str],
    keys: &[Vec<String>],
) -> (String, Vec<sea_orm::Value>) {
    let rows = keys.first().map_or(0, Vec::len);
    match backend {
        sea_orm::DbBackend::Postgres => (
            format!(
                "WITH v({}) AS (SELECT * FROM UNNEST({}))",
                columns.join(", "),
                vec!["CAST(? AS TEXT[])"; columns.len()].join(", ")
            ),
            keys.iter()
                .map(|column| crate::db::text_array(column))
                .collect(),
        ),
        _ => (
            values_cte(rows, columns),
            (0..rows)
                .flat_map(|i| keys.iter().map(move |column| column[i].clone().into()))
                .collect(),
        ),
    }
}

/// How many keys one [`keys_cte`] lookup takes: a whole batch on
/// PostgreSQL, [`CHUNK`] elsewhere.
pub fn lookup_chunk(backend: sea_orm::DbBackend) -> usize {
    match backend {
        sea_orm::DbBackend::Postgres => MAX_ROWS,
        _ => CHUNK,
    }
}

#[derive(sea_orm::FromQueryResult)]
struct IdentityRow {
    member_id: uuid::Uuid,
    platform: String,
    external_id: String,
}

/// The members of a brand's (platform, external id) identities; one
/// statement per [`lookup_chunk`] keys.
pub async fn members_by_identity<C: sea_orm::ConnectionTrait>(
    db: &C,
    brand: uuid::Uuid,
    keys: &[(String, String)],
) -> crate::error::AppResult<std::collections::HashMap<(String, String), uuid::Uuid>> {
    use sea_orm::FromQueryResult;
    let backend = db.get_database_backend();
    let mut out = std::collections::HashMap::new();
    for chunk in keys.chunks(lookup_chunk(backend)) {
        let (cte, mut values) = keys_cte(
            backend,
            &["p", "e"],
            &[
                chunk.iter().map(|(p, _)| p.clone()).collect(),
                chunk.iter().map(|(_, e)| e.clone()).collect(),
            ],
        );
        let sql = format!(
            "{cte} SELECT i.member_id AS member_id, i.platform AS platform, i.external_id AS external_id \
             FROM member_identity i JOIN v ON i.platform = v.p AND i.external_id = v.e WHERE i.brand_id = ?"
        );
        values.push(brand.into());
        for r in IdentityRow::find_by_statement(crate::db::raw(backend, &sql, values))
            .all(db)
            .await?
        {
            out.insert((r.platform, r.external_id), r.member_id);
        }
    }
    Ok(out)
}

/// How a table's rows are idempotent for one batch: the table, its key
/// column (unique per brand) and the input field carrying the key, with the
/// batch's (input index, key, fingerprint) rows.
pub struct Idempotent<'a> {
    /// The table (this crate's own name, never input).
    pub table: &'static str,
    /// Its key column.
    pub column: &'static str,
    /// The input field that carries the key, for rejected rows.
    pub field: &'static str,
    /// The brand whose keys these are.
    pub brand: uuid::Uuid,
    /// (input index, key, fingerprint) of each row.
    pub keyed: &'a [(usize, String, String)],
    /// The batch's mode.
    pub mode: Option<IngestMode>,
}

/// Inserts the rows whose key is new (see [`insert_new`]), counts the rest
/// as duplicates in `summary`, and, when rows were skipped, takes the reused
/// keys with another payload as conflicts (see [`settle_conflicts`]).
/// Returns `true` when the batch must roll back.
pub async fn insert_idempotent<A, C, I>(
    db: &C,
    rows: Vec<A>,
    unique: I,
    by: Idempotent<'_>,
    summary: &mut IngestSummary,
) -> crate::error::AppResult<bool>
where
    A: sea_orm::ActiveModelTrait + Clone + Send,
    C: sea_orm::ConnectionTrait,
    I: IntoIterator<Item = <A::Entity as sea_orm::EntityTrait>::Column> + Clone,
{
    let candidates = rows.len() as u64;
    let inserted = insert_new(db, rows, unique).await?;
    summary.inserted += inserted as i32;
    summary.duplicates += (candidates - inserted) as i32;
    if inserted == candidates {
        return Ok(false);
    }
    let found = conflicting(db, by.table, by.column, by.brand, by.keyed, by.field).await?;
    Ok(settle_conflicts(by.mode, summary, found))
}

/// Who may push into `brand`: integrations of that brand with `scope`, or staff.
pub async fn may_ingest(
    app: &AppContext,
    caller: &Caller,
    brand: Uuid,
    scope: &str,
) -> AppResult<()> {
    match &caller.principal {
        Principal::Integration(i) => {
            caller.integration_with(scope)?;
            if i.brand_id != brand {
                return Err(AppError::NotFound("brand"));
            }
            Ok(())
        }
        _ => {
            caller.write_scope()?.check(brand, "brand")?;
            crate::brand::service::ensure_exists(app, brand).await
        }
    }
}

/// Refuses a batch of more than [`MAX_ROWS`] rows.
pub fn check_count(n: usize) -> AppResult<()> {
    if n > MAX_ROWS {
        return Err(AppError::bad_input(
            "input.rows",
            format!("at most {MAX_ROWS} rows per call"),
        ));
    }
    Ok(())
}

/// The `ingest.committed` event of a batch that changed something,
/// announced in the batch's transaction.
pub async fn committed(
    txn: &mut crate::db::WriteTxn,
    brand: Uuid,
    action: &str,
    mut counts: serde_json::Value,
) -> AppResult<()> {
    counts["brandId"] = json!(brand);
    counts["ingest"] = json!(action);
    crate::webhook::outbox::announce(
        txn,
        brand,
        crate::webhook::outbox::WebhookEvent::IngestCommitted,
        counts,
    )
    .await
}

/// Records the batch in the audit log when it changed something, and commits.
pub async fn finish(
    caller: &Caller,
    mut txn: crate::db::WriteTxn,
    brand: Uuid,
    action: &str,
    summary: &IngestSummary,
) -> AppResult<()> {
    if summary.inserted > 0 || summary.updated > 0 {
        audit::record(&txn, caller, Event {
            action,
            object_type: "brand",
            object_id: Some(brand),
            brand_id: Some(brand),
            details: Some(json!({ "inserted": summary.inserted, "updated": summary.updated, "duplicates": summary.duplicates, "rejected": summary.rejected.len() })),
        })
        .await?;
        committed(&mut txn, brand, action, json!({ "inserted": summary.inserted, "updated": summary.updated, "duplicates": summary.duplicates, "rejected": summary.rejected.len() })).await?;
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use chrono::Utc;
    use entity::activity;
    use sea_orm::{ActiveModelTrait, DbBackend, Set, Value};
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_fingerprint_is_the_stored_one() {
        // Stored fingerprints must not change: SHA-256 over each part's
        // length (u64, little-endian) and bytes, first 16 bytes in hex,
        // worked out apart (Python's hashlib) for ["o-1", "49.90", ""].
        assert_eq!(
            fingerprint(&["o-1", "49.90", ""]),
            "b8784ca007067223dfb8f4c743b5d7ba"
        );
    }

    fn row(n: usize, properties: Option<&str>) -> activity::ActiveModel {
        activity::ActiveModel {
            id: Set(Uuid::now_v7()),
            brand_id: Set(Uuid::nil()),
            community_id: Set(Uuid::nil()),
            member_id: Set(Uuid::nil()),
            channel_id: Set(None),
            type_key: Set("message".into()),
            weight: Set(6),
            is_reply: Set(false),
            occurred_at: Set(Utc::now()),
            source_key: Set(format!("k-{n}")),
            properties: Set(properties.map(str::to_string)),
            created_at: Set(Utc::now()),
            payload_hash: Set(None),
            content_item_id: Set(None),
        }
    }

    fn unique() -> [&'static str; 2] {
        ["brand_id", "source_key"]
    }

    #[test]
    fn rows_setting_different_columns_are_left_to_the_query_builder() {
        let mut rows: Vec<_> = (0..3).map(|n| row(n, None)).collect();
        assert_eq!(set_columns(&rows).unwrap().len(), 14);
        rows[2].channel_id = sea_orm::ActiveValue::NotSet;
        assert!(set_columns(&rows).is_none());
        assert!(set_columns::<activity::ActiveModel>(&[]).is_none());
    }

    #[test]
    fn multi_row_inserts_take_every_value_in_chunks() {
        // Every column differs between rows, so every value is in the rows.
        let mut rows: Vec<_> = (0..CHUNK as u128 + 1).map(varied_row).collect();
        let columns = set_columns(&rows).unwrap();
        let statements = values_inserts(DbBackend::Sqlite, &mut rows, &columns, &unique());
        assert_eq!(statements.len(), 2);
        let (full, last) = (&statements[0], &statements[1]);
        assert_eq!(full.values.as_ref().unwrap().0.len(), CHUNK * 14);
        assert_eq!(full.sql.matches('?').count(), CHUNK * 14);
        assert_eq!(last.values.as_ref().unwrap().0.len(), 14);
        assert!(last.sql.starts_with("INSERT INTO \"activity\" (\"id\", "));
        assert!(last.sql.ends_with(
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (\"brand_id\", \"source_key\") DO NOTHING"
        ));
        // The last row's key is the last chunk's, in column order.
        let key = columns
            .iter()
            .position(|c| sea_orm::IdenStatic::as_str(c) == "source_key")
            .unwrap();
        assert_eq!(
            last.values.as_ref().unwrap().0[key],
            Value::String(Some(format!("k-{CHUNK}")))
        );
        // The values moved out of the models.
        assert!(rows
            .iter()
            .all(|r| r.is_not_set(activity::Column::SourceKey)));
    }

    /// [`row`] with every column's value differing between `n`s, and each
    /// nullable column set for even `n` and NULL for odd.
    fn varied_row(n: u128) -> activity::ActiveModel {
        let at = chrono::DateTime::UNIX_EPOCH + chrono::Duration::seconds(n as i64);
        let some = |v: Uuid| n.is_multiple_of(2).then_some(v);
        activity::ActiveModel {
            id: Set(Uuid::from_u128(n)),
            brand_id: Set(Uuid::from_u128(100 + n)),
            community_id: Set(Uuid::from_u128(200 + n)),
            member_id: Set(Uuid::from_u128(300 + n)),
            channel_id: Set(some(Uuid::from_u128(400 + n))),
            type_key: Set(format!("type-{n}")),
            weight: Set(n as i32),
            is_reply: Set(n.is_multiple_of(2)),
            occurred_at: Set(at),
            source_key: Set(format!("k-{n}")),
            properties: Set(n.is_multiple_of(2).then(|| "{}".to_string())),
            created_at: Set(at + chrono::Duration::days(1)),
            payload_hash: Set(n.is_multiple_of(2).then(|| format!("h-{n}"))),
            content_item_id: Set(some(Uuid::from_u128(500 + n))),
        }
    }

    #[test]
    fn array_inserts_flag_nulls_beside_their_column() {
        let mut rows = vec![varied_row(0), varied_row(1)];
        let columns = set_columns(&rows).unwrap();
        let forms = array_forms(&rows, &columns).unwrap();
        let statement = unnest_insert(&mut rows, &columns, &forms, &unique()).unwrap();
        let values = &statement.values.as_ref().unwrap().0;
        // One array per column, and one flag array for each column holding
        // NULLs (channel, properties, payload hash, content item).
        assert_eq!(values.len(), 14 + 4);
        assert!(statement.sql.contains("CASE WHEN t.n"));
        assert!(statement
            .sql
            .ends_with("ON CONFLICT (\"brand_id\", \"source_key\") DO NOTHING"));
        let flags: Vec<&Value> = values
            .iter()
            .filter(|v| matches!(v, Value::Array(sea_orm::sea_query::ArrayType::Bool, _)))
            .collect();
        // is_reply's values, then the four flag arrays.
        assert_eq!(flags.len(), 5);
        assert!(flags.contains(&&Value::Array(
            sea_orm::sea_query::ArrayType::Bool,
            Some(Box::new(vec![
                Value::Bool(Some(false)),
                Value::Bool(Some(true))
            ]))
        )));
    }

    /// `count` rows of [`row`] whose ids, times and keys differ and whose
    /// other columns are the same, created at the epoch; with their ids.
    fn rows_at_the_epoch(count: usize) -> (Vec<activity::ActiveModel>, Vec<Value>) {
        let at = chrono::DateTime::UNIX_EPOCH;
        let rows: Vec<_> = (0..count)
            .map(|n| {
                let mut r = row(n, None);
                r.occurred_at = Set(at + chrono::Duration::seconds(n as i64));
                r.created_at = Set(at);
                r
            })
            .collect();
        let ids = rows.iter().map(|r| r.id.clone().unwrap().into()).collect();
        (rows, ids)
    }

    #[test]
    fn a_column_with_one_value_is_sent_once_and_one_all_null_not_at_all() {
        let at = chrono::DateTime::UNIX_EPOCH;
        let (mut rows, ids) = rows_at_the_epoch(3);
        let columns = set_columns(&rows).unwrap();
        let forms = array_forms(&rows, &columns).unwrap();
        let statement = unnest_insert(&mut rows, &columns, &forms, &unique()).unwrap();
        let sql = statement.sql.as_str();
        let values = &statement.values.as_ref().unwrap().0;
        // Arrays: id, occurred_at and source_key, the columns that differ.
        // Single values: brand, community, member, type, weight, is_reply
        // and created_at. NULL in every row: channel, properties, payload
        // hash and content item.
        assert!(sql.contains(
            "SELECT t.c0, CAST($1 AS UUID), CAST($2 AS UUID), CAST($3 AS UUID), CAST(NULL AS UUID), \
             CAST($4 AS TEXT), CAST($5 AS INTEGER), CAST($6 AS BOOLEAN), t.c8, t.c9, CAST(NULL AS TEXT), \
             CAST($7 AS TIMESTAMPTZ), CAST(NULL AS TEXT), CAST(NULL AS UUID) \
             FROM UNNEST(CAST($8 AS UUID[]), CAST($9 AS TIMESTAMPTZ[]), CAST($10 AS TEXT[])) AS t(c0, c8, c9)"
        ), "{sql}");
        assert_eq!(values.len(), 10);
        assert_eq!(values[0], Value::Uuid(Some(Uuid::nil())));
        assert_eq!(values[3], Value::String(Some("message".into())));
        assert_eq!(values[4], Value::Int(Some(6)));
        assert_eq!(values[6], Value::ChronoDateTimeUtc(Some(at)));
        assert_eq!(
            values[7],
            Value::Array(sea_orm::sea_query::ArrayType::Uuid, Some(Box::new(ids)))
        );
        assert_eq!(
            values[9],
            Value::Array(
                sea_orm::sea_query::ArrayType::String,
                Some(Box::new((0..3).map(|n| format!("k-{n}").into()).collect()))
            )
        );
    }

    #[test]
    fn one_row_keeps_its_id_as_an_array_for_the_row_count() {
        let mut rows = vec![row(0, Some("{}"))];
        let columns = set_columns(&rows).unwrap();
        let forms = array_forms(&rows, &columns).unwrap();
        let statement = unnest_insert(&mut rows, &columns, &forms, &unique()).unwrap();
        assert!(statement
            .sql
            .contains("FROM UNNEST(CAST($11 AS UUID[])) AS t(c0)"));
        // Ten single values (the three NULL columns take none), then the id.
        assert_eq!(statement.values.as_ref().unwrap().0.len(), 11);
    }

    #[test]
    fn on_sqlite_a_column_with_one_value_in_a_chunk_is_bound_once() {
        let at = chrono::DateTime::UNIX_EPOCH;
        let (mut rows, ids) = rows_at_the_epoch(CHUNK + 2);
        let columns = set_columns(&rows).unwrap();
        let statements = values_inserts(DbBackend::Sqlite, &mut rows, &columns, &unique());
        assert_eq!(statements.len(), 2);
        let (full, last) = (&statements[0], &statements[1]);
        // Differing: id, occurred_at and source_key. One value: the other
        // eleven, NULLs included.
        assert!(full.sql.starts_with(
            "INSERT INTO \"activity\" (\"id\", \"brand_id\", \"community_id\", \"member_id\", \"channel_id\", \
             \"type_key\", \"weight\", \"is_reply\", \"occurred_at\", \"source_key\", \"properties\", \"created_at\", \
             \"payload_hash\", \"content_item_id\") \
             SELECT column1, ?, ?, ?, ?, ?, ?, ?, column2, column3, ?, ?, ?, ? FROM (VALUES (?, ?, ?), (?, ?, ?), "
        ), "{}", &full.sql[..400]);
        assert!(full.sql.ends_with(
            "(?, ?, ?)) WHERE true ON CONFLICT (\"brand_id\", \"source_key\") DO NOTHING"
        ));
        assert_eq!(full.sql.matches('?').count(), 11 + CHUNK * 3);
        let values = &full.values.as_ref().unwrap().0;
        assert_eq!(values.len(), 11 + CHUNK * 3);
        // The single values in column order, then each row's three.
        assert_eq!(values[0], Value::Uuid(Some(Uuid::nil())));
        assert_eq!(values[3], Value::Uuid(None));
        assert_eq!(values[4], Value::String(Some("message".into())));
        assert_eq!(values[8], Value::ChronoDateTimeUtc(Some(at)));
        assert_eq!(values[11], ids[0]);
        assert_eq!(values[12], Value::ChronoDateTimeUtc(Some(at)));
        assert_eq!(values[13], Value::String(Some("k-0".into())));
        assert_eq!(values[11 + 3 * (CHUNK - 1)], ids[CHUNK - 1]);
        // The last chunk's two rows are a chunk of their own.
        assert_eq!(last.values.as_ref().unwrap().0.len(), 11 + 2 * 3);
        assert_eq!(last.values.as_ref().unwrap().0[11], ids[CHUNK]);
    }
}
