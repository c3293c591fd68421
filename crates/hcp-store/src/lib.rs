//! The storage layer the central server and the desktop replica share.
//!
//! - [`sql`]: one connection type ([`Conn`]) over SQLite (the server's embedded default and the
//!   replica's SQLCipher file) and PostgreSQL, with one value and row type, so a query is written
//!   once for every engine.
//! - [`Replicated`]: what the server and the replica both know of a replicated entity — its
//!   table, the columns both sides hold, the jurisdiction path it is replicated by, and the mapping
//!   between those columns and its protocol row. Each entity is one module of [`entities`]; the
//!   registry [`visit`] names them all, so code written once over the trait (the server's snapshot
//!   scans and counts, a change page's batched reads, the replica's upserts) serves every entity.
//!
//! Adding a replicated entity: its protocol row (hcp-protocol), its module here, its line in
//! [`visit`], and the two migrations (server and replica) that create its tables.

mod ddl;
pub mod entities;
mod replicated;
pub mod sql;

pub use ddl::replica_table;
pub use replicated::{
    by_column, by_ids, count_in_scope_after, get, get_many, in_scope_after, path_range, upsert, visit, EntityVisitor,
    Replicated, BY_IDS_MAX,
};
pub use sql::{chunks, marks, Args, Conn, Dialect, FromValue, Row, StmtCache, Value};

/// A storage failure. The server turns these into 500s (logged, never shown) or typed 4xx errors;
/// the replica into its own error.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Config(String),
    #[error("storage task failed: {0}")]
    Join(String),
}

pub type DbResult<T> = Result<T, DbError>;

/// Parses a stored enum column, or names the column and the value it could not read.
pub fn parse_col<T>(value: &str, column: &str, parse: impl Fn(&str) -> Option<T>) -> DbResult<T> {
    parse(value).ok_or_else(|| DbError::Corrupt(format!("{column} = '{value}'")))
}
