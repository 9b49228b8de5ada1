//! Database access: the pool, migrations, and SQL grouped by aggregate. Every query binds its
//! values; table and column names come only from fixed lists.

pub mod alerts;
pub mod attachments;
pub mod audit;
pub mod cases;
pub mod cql2_sql;
pub mod events;
pub mod export;
pub mod import_stage;
pub mod layers;
pub mod listing;
pub mod locate;
pub mod ogc;
pub mod projects;
pub mod report;
pub mod samples;
pub mod seed;
pub mod sites;
pub mod spatial;
pub mod stats;
pub mod tile_events;
pub mod tiles;
pub mod users;
pub mod versioned;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens a pool without waiting for the database, so the server can start (and report
/// not-ready) while PostgreSQL is still coming up.
pub fn connect_lazy(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
) -> Result<PgPool, sqlx::Error> {
    let mut options: sqlx::postgres::PgConnectOptions = url.parse()?;
    if let Some(limit) = statement_timeout {
        options = options.options([("statement_timeout", format!("{}ms", limit.as_millis()))]);
    }
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        // a ping before every acquire doubles the round trips of each request; a connection
        // that died is found by the query itself, which fails, and the pool drops it
        .test_before_acquire(false)
        .connect_lazy_with(options);
    Ok(pool)
}

/// Creates the database named in the URL when it does not exist yet.
pub async fn create_database_if_missing(url: &str) -> Result<bool, sqlx::Error> {
    use sqlx::migrate::MigrateDatabase;
    if sqlx::Postgres::database_exists(url).await? {
        return Ok(false);
    }
    sqlx::Postgres::create_database(url).await?;
    Ok(true)
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Grants `role` the rights the server needs after migrating (migration 0012): rows of every
/// table and their sequences, no DDL. Run as the schema's owner.
pub async fn grant_app_role(pool: &PgPool, role: &str) -> sqlx::Result<()> {
    sqlx::query!("SELECT grant_app_role($1)", role as &str)
        .fetch_one(pool)
        .await?;
    Ok(())
}

/// The role a pool connects as.
pub async fn current_role(pool: &PgPool) -> sqlx::Result<String> {
    sqlx::query_scalar!(r#"SELECT current_user::text AS "role!""#)
        .fetch_one(pool)
        .await
}

/// Whether the migrations have created the schema (`seed` and `serve` need it, and do not
/// create it themselves).
pub async fn schema_present(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT to_regclass('public.site') IS NOT NULL AS "present!""#)
        .fetch_one(pool)
        .await
}

/// One round trip: the database answers.
pub async fn ping(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query!("SELECT 1 AS one").fetch_one(pool).await?;
    Ok(())
}
