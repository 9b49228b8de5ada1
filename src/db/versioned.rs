//! Optimistic locking, shared by the aggregates that carry a version (projects and cases): why a
//! guarded write did not happen, and the check of the caller's version against the locked row.

/// A row whose writes are guarded by its version.
pub trait Versioned {
    fn version(&self) -> i32;
}

/// Why a write did not happen; `T` is the aggregate, returned when the caller's copy is stale.
#[derive(Debug)]
pub enum WriteRefused<T> {
    NotFound,
    /// the caller's version is not the current one
    Stale(Box<T>),
    /// a rule of the lifecycle or of the data refused it
    Rule(String),
}

#[derive(Debug)]
pub enum WriteRefusedOrDb<T> {
    Refused(WriteRefused<T>),
    Db(sqlx::Error),
}

impl<T> From<sqlx::Error> for WriteRefusedOrDb<T> {
    fn from(e: sqlx::Error) -> Self {
        WriteRefusedOrDb::Db(e)
    }
}

pub type WriteResult<T, Aggregate> = Result<T, WriteRefusedOrDb<Aggregate>>;

pub fn refused<T, Aggregate>(r: WriteRefused<Aggregate>) -> WriteResult<T, Aggregate> {
    Err(WriteRefusedOrDb::Refused(r))
}

/// The row locked by the caller, if it is still at the version the caller read.
pub fn at_version<T: Versioned>(locked: Option<T>, version: i32) -> WriteResult<T, T> {
    match locked {
        None => refused(WriteRefused::NotFound),
        Some(row) if row.version() != version => refused(WriteRefused::Stale(Box::new(row))),
        Some(row) => Ok(row),
    }
}

/// A refused transition's message, naming what the current status allows.
pub fn transition_refused(noun: &str, from: &str, to: &str, allowed: &[&str]) -> String {
    let allowed = if allowed.is_empty() {
        "none: it is final".to_string()
    } else {
        allowed.join(", ")
    };
    format!("a {noun} cannot go from {from} to {to}; allowed from {from}: {allowed}")
}
