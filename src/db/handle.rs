//! The database handle services run their statements on: a pool, or, for
//! one GraphQL query on PostgreSQL, that pool with one connection the
//! request holds from its first statement to its end.
//!
//! The driver checks a connection with a round trip each time it goes back
//! to the pool, and the ORM takes one from the pool (and gives it back) for
//! every statement, so a page of three statements cost the database six
//! round trips. A query holding its connection pays that check once, when
//! the request ends, and its statements run one after another on it (a
//! page's levels do anyway, each needing the rows of the one above).

use std::sync::Arc;

use sea_orm::{
    sqlx::{self, pool::PoolConnection, Postgres},
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, QueryResult, RuntimeErr, Statement, TransactionOptions, TransactionTrait,
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Mutex;

/// Told of every statement run through a handle: the statement, and
/// whether it failed.
pub type Observer = Arc<dyn Fn(&Statement, bool) + Send + Sync>;

/// A pool, or a pool with the connection of the request at hand. Cloning
/// is cheap and clones share the held connection.
#[derive(Clone)]
pub struct Db {
    pool: DatabaseConnection,
    observer: Option<Observer>,
    held: Option<Arc<Held>>,
}

/// The connection one request holds: taken on its first statement, given
/// back when the last clone of the handle is dropped.
struct Held(Mutex<Option<PoolConnection<Postgres>>>);

impl Db {
    /// Statements on `pool`, each on a connection of its own, reported to
    /// `observer` (which the pool itself is also given).
    pub fn new(mut pool: DatabaseConnection, observer: Option<Observer>) -> Self {
        if let Some(observer) = observer.clone() {
            pool.set_metric_callback(move |info| observer(info.statement, info.failed));
        }
        Self {
            pool,
            observer,
            held: None,
        }
    }

    /// The same pool, with statements run on one connection held until the
    /// returned handle and its clones are dropped. `None` on SQLite, where
    /// there is no round trip to save.
    pub fn holding_one_connection(&self) -> Option<Self> {
        (self.pool.get_database_backend() == DbBackend::Postgres).then(|| Self {
            held: Some(Arc::new(Held(Mutex::new(None)))),
            ..self.clone()
        })
    }

    /// Which database the statements go to.
    pub fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    /// The pool behind the handle (migrations, pool gauges).
    pub fn pool(&self) -> &DatabaseConnection {
        &self.pool
    }

    /// Begins a transaction on a connection of its own. A held connection
    /// is given back first, so a request never waits for a second
    /// connection of a pool while holding one (with every connection held,
    /// each such request would wait for the others).
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.begin_with_options(TransactionOptions::default()).await
    }

    /// [`Db::begin`] with `options`.
    pub async fn begin_with_options(
        &self,
        options: TransactionOptions,
    ) -> Result<DatabaseTransaction, DbErr> {
        if let Some(held) = &self.held {
            held.0.lock().await.take();
        }
        self.pool.begin_with_options(options).await
    }

    /// Runs `run` on the held connection, taken from the pool if the request
    /// has none yet, and reports the statement.
    async fn on_held<T>(
        &self,
        held: &Held,
        stmt: &Statement,
        run: impl AsyncFnOnce(
            &mut sqlx::PgConnection,
            sqlx::query::Query<'_, Postgres, SqlxValues>,
        ) -> Result<T, sqlx::Error>,
    ) -> Result<T, DbErr> {
        let mut slot = held.0.lock().await;
        let conn = match &mut *slot {
            Some(conn) => conn,
            None => slot.insert(
                self.pool
                    .get_postgres_connection_pool()
                    .acquire()
                    .await
                    .map_err(acquire_error)?,
            ),
        };
        let values = stmt
            .values
            .clone()
            .unwrap_or_else(|| sea_orm::sea_query::Values(Vec::new()));
        let query = sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values));
        let result = run(conn, query).await;
        if let Some(observer) = &self.observer {
            observer(stmt, result.is_err());
        }
        result.map_err(|e| DbErr::Query(RuntimeErr::SqlxError(e.into())))
    }
}

/// The error the ORM gives for the same failure to get a connection.
fn acquire_error(e: sqlx::Error) -> DbErr {
    match e {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        e => DbErr::Conn(RuntimeErr::SqlxError(e.into())),
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let Some(held) = &self.held else {
            return self.pool.execute_raw(stmt).await;
        };
        match self
            .on_held(held, &stmt, async |conn, query| query.execute(conn).await)
            .await
        {
            Ok(done) => Ok(ExecResult::from(done)),
            // A failed write is an `Exec` error, as the ORM reports it.
            Err(DbErr::Query(e)) => Err(DbErr::Exec(e)),
            Err(e) => Err(e),
        }
    }

    // Only schema changes and maintenance run unprepared SQL: on the pool.
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.pool.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let Some(held) = &self.held else {
            return self.pool.query_one_raw(stmt).await;
        };
        self.on_held(held, &stmt, async |conn, query| {
            query.fetch_optional(conn).await
        })
        .await
        .map(|row| row.map(QueryResult::from))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let Some(held) = &self.held else {
            return self.pool.query_all_raw(stmt).await;
        };
        self.on_held(held, &stmt, async |conn, query| query.fetch_all(conn).await)
            .await
            .map(|rows| rows.into_iter().map(QueryResult::from).collect())
    }

    fn support_returning(&self) -> bool {
        self.pool.support_returning()
    }
}
