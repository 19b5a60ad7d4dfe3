//! Database connection (PostgreSQL or SQLite) and migrations.

use std::{sync::Arc, time::Duration};

use uuid::Uuid;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
};
use secrecy::ExposeSecret;

mod handle;

pub use handle::{Db, Observer};

use crate::{
    cache::versions::{Subject, Versions},
    config::{DatabaseKind, Settings},
    context::AppContext,
    error::{AppError, AppResult},
    live::bus::{LiveBus, LiveEvent},
    telemetry::Metrics,
};

/// Which pool a connection belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Every read and write (`database.max_connections`).
    Main,
    /// Reports and other aggregates (`reports.max_connections`), so that
    /// heavy work queues on its own connections and never starves the rest.
    Reports,
}

impl Pool {
    /// The `pool` label of the pool metrics.
    pub fn label(self) -> &'static str {
        match self {
            Self::Main => "main",
            Self::Reports => "reports",
        }
    }

    fn size(self, settings: &Settings) -> (u32, Duration) {
        match self {
            Self::Main => (
                settings.database.max_connections,
                Duration::from_secs(settings.database.acquire_timeout_secs),
            ),
            Self::Reports => (
                settings.reports.max_connections,
                Duration::from_secs(settings.reports.acquire_timeout_secs),
            ),
        }
    }
}

/// Connects the main pool, counting every statement in `metrics`.
pub async fn connect(settings: &Settings, metrics: Option<&Metrics>) -> anyhow::Result<Db> {
    connect_pool(settings, metrics, Pool::Main).await
}

/// Connects one pool with its settings, counting every statement in `metrics`.
pub async fn connect_pool(
    settings: &Settings,
    metrics: Option<&Metrics>,
    pool: Pool,
) -> anyhow::Result<Db> {
    let kind = settings.database_kind()?;
    if kind == DatabaseKind::Sqlite && settings.database.url.is_none() {
        std::fs::create_dir_all(&settings.database.data_dir).with_context(|| {
            format!(
                "could not create database.data_dir {}",
                settings.database.data_dir.display()
            )
        })?;
    }
    let url = settings.database_url();
    let (max_connections, acquire_timeout) = pool.size(settings);
    let mut opts = ConnectOptions::new(url.expose_secret().to_owned());
    opts.max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .connect_timeout(Duration::from_secs(settings.database.acquire_timeout_secs))
        // A connection used moments ago is alive: checking it on every
        // acquire would add a round trip (and a wake-up of its backend) to
        // each statement. Only connections idle long enough to have been
        // dropped are checked.
        .test_before_acquire_if_idle_for(Duration::from_millis(
            settings.database.ping_idle_after_ms,
        ))
        .sqlx_logging(false);
    match kind {
        DatabaseKind::Postgres => {
            opts.statement_timeout(Duration::from_millis(
                settings.database.statement_timeout_ms,
            ))
            .set_application_name("hearth");
            if pool == Pool::Reports {
                // Report statements run for tens to hundreds of
                // milliseconds, where compiling them (JIT) costs more
                // than it saves.
                let work_mem = format!("{}MB", settings.reports.work_mem_mb);
                opts.map_sqlx_postgres_opts(move |o| {
                    o.options([("work_mem", work_mem.as_str()), ("jit", "off")])
                });
            }
        }
        DatabaseKind::Sqlite => {
            // SQLite keeps each connection's page cache and prepared
            // statements for as long as the connection lives, which held the
            // resident set up after a burst of writes. An idle connection is
            // closed (and its memory freed); opening one again is a file
            // open, unlike a PostgreSQL connection.
            opts.idle_timeout(Duration::from_secs(
                settings.database.sqlite_idle_close_secs,
            ));
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
            });
        }
    }
    let db = Database::connect(opts)
        .await
        .context("could not connect to the database (check database.url)")?;
    let observer = metrics.map(|metrics| {
        let statements = metrics.db_statements.clone();
        let errors = metrics.db_statement_errors.clone();
        let log = metrics.statement_log.clone();
        metrics
            .db_pool_max
            .with_label_values(&[pool.label()])
            .set(i64::from(max_connections));
        Arc::new(move |statement: &Statement, failed: bool| {
            statements.inc();
            log.record(statement);
            if failed {
                errors.inc();
            }
        }) as Observer
    });
    Ok(Db::new(db, observer))
}

/// Refreshes the gauges of one pool (called when `/metrics` is scraped).
pub fn record_pool(db: &Db, pool: Pool, metrics: &Metrics) {
    let db = db.pool();
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => return,
    };
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    metrics
        .db_pool
        .with_label_values(&[pool.label(), "idle"])
        .set(idle);
    metrics
        .db_pool
        .with_label_values(&[pool.label(), "in_use"])
        .set(i64::from(size) - idle);
}

/// Applies every pending migration.
pub async fn migrate_up(db: &Db) -> anyhow::Result<()> {
    Migrator::up(db.pool(), None)
        .await
        .context("migration failed")
}

/// Rolls back the last `steps` migrations.
pub async fn migrate_down(db: &Db, steps: u32) -> anyhow::Result<()> {
    Migrator::down(db.pool(), Some(steps))
        .await
        .context("rollback failed")
}

/// Each migration's name and whether it is applied.
pub async fn migration_status(db: &Db) -> anyhow::Result<Vec<(String, bool)>> {
    let applied: Vec<String> = Migrator::get_applied_migrations(db.pool())
        .await
        .context("could not read the applied migrations")?
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    Ok(Migrator::migrations()
        .iter()
        .map(|m| {
            let name = m.name().to_string();
            let done = applied.contains(&name);
            (name, done)
        })
        .collect())
}

/// A raw statement written with `?` placeholders, numbered `$1, $2, ...`
/// for PostgreSQL. Only for aggregate SQL the query builder cannot express;
/// values are always bound, never spliced into the text.
pub fn raw(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    let text = match backend {
        DbBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => sql.to_string(),
    };
    sea_orm::Statement::from_sql_and_values(backend, text, values)
}

/// `column` is one of `ids`, for hand-written SQL: the condition and its
/// values. On PostgreSQL the ids are one array parameter (`= ANY(?)`), so a
/// statement has one prepared plan and one bind whatever the count; SQLite
/// has no arrays (and stores UUIDs as blobs), so there it is an `IN` list.
/// An empty `ids` matches nothing.
pub fn one_of_sql(backend: DbBackend, column: &str, ids: &[Uuid]) -> (String, Vec<sea_orm::Value>) {
    let values = ids.iter().map(|id| (*id).into()).collect();
    any_of_sql(
        backend,
        column,
        values,
        sea_orm::sea_query::ArrayType::Uuid,
        "",
    )
}

/// [`one_of_sql`] for a text column: one text array on PostgreSQL. Where
/// an index leads with the statement's other equalities and then `column`,
/// PostgreSQL walks it once for the sorted array, whatever the table's size
/// (a join on the batch's keys as a table hashed the whole table instead).
pub fn text_one_of_sql<'a>(
    backend: DbBackend,
    column: &str,
    values: impl IntoIterator<Item = &'a str>,
) -> (String, Vec<sea_orm::Value>) {
    let values = values.into_iter().map(|v| v.into()).collect();
    any_of_sql(
        backend,
        column,
        values,
        sea_orm::sea_query::ArrayType::String,
        "TEXT[]",
    )
}

/// `column = ANY(?)` over one array of `ty` (cast to `cast` when given) on
/// PostgreSQL; an `IN` list (or nothing matched) elsewhere.
fn any_of_sql(
    backend: DbBackend,
    column: &str,
    values: Vec<sea_orm::Value>,
    ty: sea_orm::sea_query::ArrayType,
    cast: &str,
) -> (String, Vec<sea_orm::Value>) {
    match backend {
        DbBackend::Postgres => {
            let param = if cast.is_empty() {
                "?".to_string()
            } else {
                format!("CAST(? AS {cast})")
            };
            (
                format!("{column} = ANY({param})"),
                vec![sea_orm::Value::Array(ty, Some(Box::new(values)))],
            )
        }
        _ if values.is_empty() => ("1 = 0".into(), Vec::new()),
        _ => (
            format!("{column} IN ({})", vec!["?"; values.len()].join(", ")),
            values,
        ),
    }
}

/// The same condition for the query builder: `column = ANY(?)` with one
/// array parameter on PostgreSQL, `column IN (...)` elsewhere.
pub fn one_of<C: sea_orm::ColumnTrait>(
    backend: DbBackend,
    column: C,
    ids: &[Uuid],
) -> sea_orm::sea_query::SimpleExpr {
    match backend {
        DbBackend::Postgres => any_of(column, uuid_array(ids)),
        _ => column.is_in(ids.iter().copied()),
    }
}

/// `column = ANY(array)` (PostgreSQL).
fn any_of<C: sea_orm::ColumnTrait>(
    column: C,
    array: sea_orm::Value,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{extension::postgres::PgFunc, Expr, ExprTrait};
    Expr::col(column).eq(PgFunc::any(Expr::val(array)))
}

/// `values` as one PostgreSQL text array parameter.
pub fn text_array(values: &[String]) -> sea_orm::Value {
    sea_orm::Value::Array(
        sea_orm::sea_query::ArrayType::String,
        Some(Box::new(values.iter().map(|v| v.clone().into()).collect())),
    )
}

fn uuid_array(ids: &[Uuid]) -> sea_orm::Value {
    sea_orm::Value::Array(
        sea_orm::sea_query::ArrayType::Uuid,
        Some(Box::new(ids.iter().map(|id| (*id).into()).collect())),
    )
}

/// A value the driver decodes on both databases.
pub trait DriverValue:
    for<'r> sea_orm::sqlx::Decode<'r, sea_orm::sqlx::Postgres>
    + sea_orm::sqlx::Type<sea_orm::sqlx::Postgres>
    + for<'r> sea_orm::sqlx::Decode<'r, sea_orm::sqlx::Sqlite>
    + sea_orm::sqlx::Type<sea_orm::sqlx::Sqlite>
{
}

impl<T> DriverValue for T where
    T: for<'r> sea_orm::sqlx::Decode<'r, sea_orm::sqlx::Postgres>
        + sea_orm::sqlx::Type<sea_orm::sqlx::Postgres>
        + for<'r> sea_orm::sqlx::Decode<'r, sea_orm::sqlx::Sqlite>
        + sea_orm::sqlx::Type<sea_orm::sqlx::Sqlite>
{
}

/// Reads a row's columns in the order its statement selects them, straight
/// from the driver's row. For rows read by the thousand per page: sea-orm's
/// derived readers look each column up by name and, for every NULL in an
/// optional column, format an error that is then thrown away. The driver's
/// check of each column's declared type against the Rust type is skipped
/// too: a reader sits beside the one statement whose columns it reads (or,
/// for an entity's model, selects them with the entity's `find()` or its
/// `COLUMN_LIST`, whose order a unit test checks against the entity's), and
/// the API tests read every such row back on both databases (a value the
/// type cannot decode is still an error).
pub struct ByPosition<'a> {
    row: &'a QueryResult,
    next: usize,
}

impl<'a> ByPosition<'a> {
    /// Starts at the first column of `row`.
    pub fn new(row: &'a QueryResult) -> Self {
        Self { row, next: 0 }
    }

    /// The next column's value (an `Option` for a column that may be NULL).
    pub fn read<T: DriverValue>(&mut self) -> Result<T, DbErr> {
        use sea_orm::sqlx::Row;
        let at = self.next;
        self.next += 1;
        let read = if let Some(row) = self.row.try_as_pg_row() {
            row.try_get_unchecked(at)
        } else if let Some(row) = self.row.try_as_sqlite_row() {
            row.try_get_unchecked(at)
        } else {
            return Err(DbErr::Type(
                "rows by position need PostgreSQL or SQLite".into(),
            ));
        };
        read.map_err(|e| DbErr::Type(format!("column {at}: {e}")))
    }
}

/// A row type read with [`ByPosition`]: its fields in the order its
/// statements select their columns (implemented by [`read_by_position!`]).
pub trait ReadByPosition: Sized {
    /// The columns, in field order.
    const COLUMNS: &'static [&'static str];
    /// The same columns as an SQL select list.
    const COLUMN_LIST: &'static str;
    /// Reads one row.
    fn read_row(row: &QueryResult) -> Result<Self, DbErr>;
}

/// A model defined in the entity crate, read by position: select its
/// columns in field order (an entity's `find()` does, and
/// [`ReadByPosition::COLUMN_LIST`] lists them), then unwrap with `.0`.
#[derive(Debug, Clone)]
pub struct Positional<M>(pub M);

impl<M: ReadByPosition + Send + Sync> sea_orm::FromQueryResult for Positional<M> {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        M::read_row(row).map(Positional)
    }
}

/// `query` selecting exactly `R`'s columns, in `R`'s field order, and
/// reading its rows as `R`: the reader's field list is the select list.
pub fn select_as<E, R>(query: sea_orm::Select<E>) -> sea_orm::Selector<sea_orm::SelectModel<R>>
where
    E: sea_orm::EntityTrait,
    R: ReadByPosition + sea_orm::FromQueryResult,
{
    use sea_orm::{
        sea_query::{Alias, Expr},
        QuerySelect,
    };
    query
        .select_only()
        .exprs(
            R::COLUMNS
                .iter()
                .map(|c| Expr::col((E::default(), Alias::new(*c)))),
        )
        .into_model::<R>()
}

/// Implements [`ReadByPosition`] (and, for a type of this crate,
/// `FromQueryResult`) for a struct read with [`ByPosition`]: its fields,
/// listed in the order the statement selects their columns. A model of the
/// entity crate is named with `entity` first and read as [`Positional`].
#[macro_export]
macro_rules! read_by_position {
    (entity $row:ty { $first:ident $(, $field:ident)* $(,)? }) => {
        impl $crate::db::ReadByPosition for $row {
            const COLUMNS: &'static [&'static str] =
                &[stringify!($first) $(, stringify!($field))*];
            const COLUMN_LIST: &'static str =
                concat!(stringify!($first) $(, ", ", stringify!($field))*);
            fn read_row(row: &sea_orm::QueryResult) -> Result<Self, sea_orm::DbErr> {
                let mut columns = $crate::db::ByPosition::new(row);
                Ok(Self {
                    $first: columns.read()?,
                    $($field: columns.read()?),*
                })
            }
        }
    };
    ($row:ident { $($fields:tt)* }) => {
        $crate::read_by_position!(entity $row { $($fields)* });
        impl sea_orm::FromQueryResult for $row {
            fn from_query_result(
                row: &sea_orm::QueryResult,
                _prefix: &str,
            ) -> Result<Self, sea_orm::DbErr> {
                <Self as $crate::db::ReadByPosition>::read_row(row)
            }
        }
    };
}

/// The rows of `table` selected by a nested page: for each of `parents`,
/// the first `first` rows whose `parent` column is that parent and that
/// match `filter` (SQL with `?` marks binding `values`), in `order`.
pub struct FirstPerParent<'a> {
    /// Table to read.
    pub table: &'a str,
    /// Columns to return (`*` for whole rows).
    pub columns: &'a str,
    /// The column naming each row's parent.
    pub parent: &'a str,
    /// Further condition on the rows (`1 = 1` for none).
    pub filter: &'a str,
    /// Values of the `?` marks in `filter`.
    pub values: Vec<sea_orm::Value>,
    /// Order of rows within a parent, as an `ORDER BY` list.
    pub order: &'a str,
}

impl FirstPerParent<'_> {
    /// One statement for all parents, rows grouped by parent and in order
    /// within each. PostgreSQL takes the parents as one array and reads each
    /// one's rows with a bounded lateral subquery, so an index in `order`
    /// yields exactly `first` rows per parent with no sort of the rest;
    /// SQLite numbers the rows with a window function.
    pub fn statement(self, backend: DbBackend, parents: &[Uuid], first: u64) -> Statement {
        let Self {
            table,
            columns,
            parent,
            filter,
            values,
            order,
        } = self;
        let (parents_sql, mut bound) = one_of_sql(backend, parent, parents);
        let sql = match backend {
            DbBackend::Postgres => format!(
                "SELECT page.* FROM unnest(?::uuid[]) AS parent(parent_key) CROSS JOIN LATERAL (\
                   SELECT {columns} FROM {table} WHERE {parent} = parent.parent_key AND {filter} \
                   ORDER BY {order} LIMIT ?\
                 ) page ORDER BY page.{parent}, {order}"
            ),
            _ => format!(
                "SELECT * FROM (\
                   SELECT {columns}, ROW_NUMBER() OVER (PARTITION BY {parent} ORDER BY {order}) AS page_row \
                   FROM {table} WHERE {parents_sql} AND {filter}\
                 ) ranked WHERE page_row <= ? ORDER BY {parent}, page_row"
            ),
        };
        bound.extend(values);
        bound.push((first as i64).into());
        raw(backend, &sql, bound)
    }
}

/// How many rows of `table` each parent (column `parent`) has in `scope`:
/// what a nested connection's `totalCount` shows, one statement for every
/// parent of the page. Parents without rows are absent.
pub async fn count_per_parent(
    db: &Db,
    table: &str,
    parent: &str,
    scope: &crate::auth::BrandScope,
    parents: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, u64>> {
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        parent: Uuid,
        n: i64,
    }
    if parents.is_empty() {
        return Ok(Default::default());
    }
    let backend = db.get_database_backend();
    let (parents_sql, mut values) = one_of_sql(backend, parent, parents);
    let (in_scope, scope_values) = scope.sql("brand_id");
    values.extend(scope_values);
    let sql = format!(
        "SELECT {parent} AS parent, COUNT(*) AS n FROM {table} \
         WHERE {parents_sql} AND {in_scope} GROUP BY {parent}"
    );
    use sea_orm::FromQueryResult;
    let rows = Row::find_by_statement(raw(backend, &sql, values))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.parent, u64::try_from(r.n).unwrap_or(0)))
        .collect())
}

/// SQL for the UTC calendar day of a timestamp column.
pub fn day_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("(({column}) AT TIME ZONE 'UTC')::date"),
        _ => format!("substr({column}, 1, 10)"),
    }
}

/// SQL for the seconds from timestamp column `from` to column `to`.
pub fn seconds_between(backend: DbBackend, from: &str, to: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("EXTRACT(EPOCH FROM ({to} - {from}))"),
        _ => format!("((julianday({to}) - julianday({from})) * 86400.0)"),
    }
}

/// SQL comparing timestamp column `left` with timestamp column `right`
/// shifted by `days` whole days: `left <op> right + days`. On SQLite both
/// sides are compared as Julian days.
pub fn compare_shifted(backend: DbBackend, left: &str, op: &str, right: &str, days: i64) -> String {
    match backend {
        DbBackend::Postgres => format!("{left} {op} {right} + INTERVAL '{days} days'"),
        _ => format!("julianday({left}) {op} julianday({right}, '{days:+} days')"),
    }
}

/// SQL for the UTC month (`YYYY-MM`) of a timestamp column.
pub fn month_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM')"),
        _ => format!("substr({column}, 1, 7)"),
    }
}

/// SQL for a value that groups a timestamp column by calendar month (UTC),
/// cheaper to compute per row than [`month_of`]'s text on PostgreSQL; turn
/// it into `YYYY-MM` with [`month_key_text`].
pub fn month_key(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("date_trunc('month', ({column}) AT TIME ZONE 'UTC')"),
        _ => month_of(backend, column),
    }
}

/// SQL for the `YYYY-MM` text of a [`month_key`] value.
pub fn month_key_text(backend: DbBackend, key: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({key}, 'YYYY-MM')"),
        _ => key.to_string(),
    }
}

/// SQL for the Monday (`YYYY-MM-DD`, UTC) of a timestamp column's week.
pub fn week_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => {
            format!("to_char(date_trunc('week', ({column}) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')")
        }
        _ => format!("date({column}, '-6 days', 'weekday 1')"),
    }
}

/// A write transaction that knows which versions it changes: they are
/// bumped and marked pending just before it commits and confirmed once it
/// has (see [`crate::cache::versions`]). Dropped without
/// [`WriteTxn::commit`], it rolls back and bumps nothing.
pub struct WriteTxn {
    inner: DatabaseTransaction,
    versions: Versions,
    touched: Vec<Subject>,
    live: LiveBus,
    announced: Vec<LiveEvent>,
}

impl WriteTxn {
    /// Begins a transaction on the app's pool. On SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`), so concurrent writers queue on the
    /// busy timeout instead of failing when a read would turn into a write.
    pub async fn begin(app: &AppContext) -> AppResult<Self> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(Self {
            inner: app.db.begin_with_options(options).await?,
            versions: app.versions.clone(),
            touched: Vec::new(),
            live: app.live.clone(),
            announced: Vec::new(),
        })
    }

    /// Begins a write to a brand's data: the brand's row is read (and, on
    /// PostgreSQL, share-locked so it cannot be archived meanwhile) inside
    /// the transaction, an archived brand is refused with `CONFLICT`
    /// (archived means read-only for everything under it), and the brand's
    /// data version moves when the write commits.
    pub async fn for_brand(app: &AppContext, brand: Uuid) -> AppResult<Self> {
        let mut txn = Self::outside_reports(app, brand).await?;
        txn.touch(Subject::BrandData(brand));
        Ok(txn)
    }

    /// Begins a write to brand data that no report or cached value reads
    /// (audience research): checked and locked as [`WriteTxn::for_brand`]
    /// does, but the brand's data version stays, so cached reports are not
    /// recomputed for it.
    pub async fn outside_reports(app: &AppContext, brand: Uuid) -> AppResult<Self> {
        let txn = Self::begin(app).await?;
        let row = txn
            .read_locked("SELECT status FROM brand WHERE id = ?", brand, "brand")
            .await?;
        refuse_archived(&row, "status", "brand")?;
        Ok(txn)
    }

    /// Begins a write to something under a community, as
    /// [`WriteTxn::for_brand`] does for its brand; an archived community is
    /// refused with `CONFLICT` too. Returns the transaction and the brand.
    pub async fn for_community(app: &AppContext, community: Uuid) -> AppResult<(Self, Uuid)> {
        let mut txn = Self::begin(app).await?;
        let row = txn
            .read_locked(
                "SELECT c.status AS community_status, b.status AS brand_status, b.id AS brand_id \
                 FROM community c JOIN brand b ON b.id = c.brand_id WHERE c.id = ?",
                community,
                "community",
            )
            .await?;
        refuse_archived(&row, "brand_status", "brand")?;
        refuse_archived(&row, "community_status", "community")?;
        let brand: Uuid = row.try_get("", "brand_id")?;
        txn.touch(Subject::BrandData(brand));
        Ok((txn, brand))
    }

    /// Reads the one row `select` finds for `id` inside the transaction,
    /// share-locked on PostgreSQL so that it cannot change until commit;
    /// `NOT_FOUND` (naming `what`) when there is none.
    async fn read_locked(
        &self,
        select: &str,
        id: Uuid,
        what: &'static str,
    ) -> AppResult<sea_orm::QueryResult> {
        let backend = self.get_database_backend();
        let lock = if backend == DbBackend::Postgres {
            " FOR SHARE"
        } else {
            ""
        };
        self.query_one_raw(raw(backend, &format!("{select}{lock}"), vec![id.into()]))
            .await?
            .ok_or(AppError::NotFound(what))
    }

    /// Records that this transaction changes what `subject`'s version
    /// stands for; the version is bumped when the transaction commits.
    pub fn touch(&mut self, subject: Subject) {
        if !self.touched.contains(&subject) {
            self.touched.push(subject);
        }
    }

    /// Announces `event` to live subscribers once (and only if) this
    /// transaction commits (see [`crate::live::bus`]).
    pub fn announce(&mut self, event: LiveEvent) {
        self.announced.push(event);
    }

    /// Bumps every touched version (marking each pending), commits, then
    /// confirms them and sends the announced events.
    pub async fn commit(self) -> AppResult<()> {
        let mut bumps = Vec::with_capacity(self.touched.len());
        for subject in &self.touched {
            bumps.push(self.versions.bump(&self.inner, *subject).await?);
        }
        self.live
            .before_commit(&self.inner, &self.announced)
            .await?;
        self.inner.commit().await?;
        self.versions.confirm(bumps).await;
        self.live.after_commit(self.announced).await;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.inner.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.inner.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.inner.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.inner.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.inner.query_all_raw(stmt).await
    }
}

/// `CONFLICT` when the status in `column` of `row` is `ARCHIVED`: archived
/// means read-only for everything under it.
fn refuse_archived(row: &sea_orm::QueryResult, column: &str, what: &str) -> AppResult<()> {
    if row.try_get::<String>("", column)? == "ARCHIVED" {
        return Err(AppError::Conflict(format!(
            "the {what} is archived and read-only"
        )));
    }
    Ok(())
}
