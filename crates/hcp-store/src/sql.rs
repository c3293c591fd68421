//! One SQL interface over the two backends, so every table module is written once.
//!
//! Statements are written in the dialect both engines share: numbered parameters `?1, ?2, …`
//! (rewritten to `$1, $2, …` for PostgreSQL), `INSERT … RETURNING id`, `ON CONFLICT … DO …`,
//! `coalesce`, `substr`, `length`. Integers are 64-bit on both sides and booleans are stored as
//! 0/1 integers, so rows read back the same. The few real differences (JSON access, the append-only
//! triggers, the DDL types) are handled where they occur (`hcp-stats`' JSON access, the modules'
//! PostgreSQL DDL) and by the server's migration translator.
//!
//! A [`Conn`] is always inside a transaction its owner opened (the server's `Db`, the replica's
//! own transactions); it never commits itself.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};

use crate::{DbError, DbResult};

/// Which SQL engine a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    /// Bytes (`BLOB` on SQLite, `BYTEA` on PostgreSQL): attachment chunks.
    Blob(Vec<u8>),
    /// A list of integers, bound as one `BIGINT[]` parameter (PostgreSQL only, e.g.
    /// `id = ANY(?1)`): see [`crate::by_column`].
    Ints(Vec<i64>),
}

macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::Int(v as i64)
            }
        }
        impl From<&$t> for Value {
            fn from(v: &$t) -> Value {
                Value::Int(*v as i64)
            }
        }
    )*};
}
value_from_int!(i64, i32, u8, u16, u32);

impl From<usize> for Value {
    fn from(v: usize) -> Value {
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<&bool> for Value {
    fn from(v: &bool) -> Value {
        Value::Int(i64::from(*v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}
impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Value {
        v.as_deref().map_or(Value::Null, Value::from)
    }
}
impl From<&Value> for Value {
    fn from(v: &Value) -> Value {
        v.clone()
    }
}

/// Parameters of a statement: an array of values (`[id]`, `[a, b]`), `args![…]` for mixed types,
/// or `()` for none.
pub trait Args {
    fn into_values(self) -> Vec<Value>;
}

impl<T: Into<Value>, const N: usize> Args for [T; N] {
    fn into_values(self) -> Vec<Value> {
        self.into_iter().map(Into::into).collect()
    }
}
impl Args for Vec<Value> {
    fn into_values(self) -> Vec<Value> {
        self
    }
}
impl Args for &[Value] {
    fn into_values(self) -> Vec<Value> {
        self.to_vec()
    }
}
impl Args for () {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
}

/// Mixed-type statement parameters: `args![id, name, maybe_unit]`.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { vec![$($crate::sql::Value::from($v)),*] };
}

/// Cuts `items` into slices for multi-row statements: 64 rows at most, the rest in halving sizes
/// (32, 16, …, 1), so that a connection prepares (and caches) few distinct statements whatever the
/// batch size.
pub fn chunks<T>(items: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    let mut size = 64;
    while !rest.is_empty() {
        while size > rest.len() {
            size /= 2;
        }
        let (head, tail) = rest.split_at(size);
        out.push(head);
        rest = tail;
    }
    out
}

/// `n` rows of `width` numbered parameters from `?1`: `(?1, ?2), (?3, ?4)` (width 1: `?1, ?2`).
pub fn marks(n: usize, width: usize) -> String {
    let row = |i: usize| (1..=width).map(|j| format!("?{}", i * width + j)).collect::<Vec<_>>().join(", ");
    if width == 1 {
        (0..n).map(row).collect::<Vec<_>>().join(", ")
    } else {
        (0..n).map(|i| format!("({})", row(i))).collect::<Vec<_>>().join(", ")
    }
}

/// A type a column converts into.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self, String>;
}

fn int_of(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Null => Err("unexpected NULL".into()),
        other => Err(format!("expected an integer, found {other:?}")),
    }
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Result<i64, String> {
        int_of(v)
    }
}
macro_rules! from_value_narrow {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value) -> Result<$t, String> {
                let i = int_of(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} does not fit {}", stringify!($t)))
            }
        }
    )*};
}
from_value_narrow!(i32, u8, u16, u32, u64, usize);

impl FromValue for bool {
    fn from_value(v: &Value) -> Result<bool, String> {
        Ok(int_of(v)? != 0)
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<f64, String> {
        match v {
            Value::Real(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            Value::Null => Err("unexpected NULL".into()),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Result<String, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            Value::Null => Err("unexpected NULL".into()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Value {
        Value::Blob(v)
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Value {
        Value::Blob(v.to_vec())
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Result<Vec<u8>, String> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            Value::Null => Err("unexpected NULL".into()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Option<T>, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(Vec<Value>);

impl Row {
    /// Column `i` converted to `T`; a missing column, a NULL where none is allowed or a wrong type
    /// is a [`DbError::Corrupt`].
    pub fn get<T: FromValue>(&self, i: usize) -> DbResult<T> {
        let v = self.0.get(i).ok_or_else(|| DbError::Corrupt(format!("no column {i}")))?;
        T::from_value(v).map_err(|e| DbError::Corrupt(format!("column {i}: {e}")))
    }

    pub fn values(&self) -> &[Value] {
        &self.0
    }
}

/// Per-connection prepared statements (PostgreSQL), keyed by the statement's text as written.
#[derive(Default)]
pub struct StmtCache(HashMap<String, postgres::Statement>);

enum Inner<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres { tx: RefCell<PgHandle<'a>>, cache: &'a RefCell<StmtCache> },
}

/// A PostgreSQL connection inside a transaction, or outside one (see [`Conn::postgres_statements`]).
enum PgHandle<'a> {
    Tx(postgres::Transaction<'a>),
    Statements(&'a mut postgres::Client),
}

/// Runs `$body` with `$c` bound to the PostgreSQL client or transaction behind a [`PgHandle`].
macro_rules! on_pg {
    ($handle:expr, $c:ident => $body:expr) => {
        match &mut *$handle {
            PgHandle::Tx($c) => $body,
            PgHandle::Statements($c) => $body,
        }
    };
}

/// A connection inside an open transaction (or, on PostgreSQL, a connection whose statements each
/// run on their own: [`Conn::postgres_statements`]).
pub struct Conn<'a> {
    inner: Inner<'a>,
    savepoints: Cell<u32>,
}

impl<'a> Conn<'a> {
    pub fn sqlite(c: &'a rusqlite::Connection) -> Conn<'a> {
        Conn { inner: Inner::Sqlite(c), savepoints: Cell::new(0) }
    }

    pub fn postgres(tx: postgres::Transaction<'a>, cache: &'a RefCell<StmtCache>) -> Conn<'a> {
        Conn { inner: Inner::Postgres { tx: RefCell::new(PgHandle::Tx(tx)), cache }, savepoints: Cell::new(0) }
    }

    /// A PostgreSQL connection outside any transaction: each statement runs in its own (and sees
    /// the data committed when it starts), which saves the two round trips of `BEGIN` and `COMMIT`.
    /// Only for reads whose statements need no snapshot in common.
    pub fn postgres_statements(client: &'a mut postgres::Client, cache: &'a RefCell<StmtCache>) -> Conn<'a> {
        Conn {
            inner: Inner::Postgres { tx: RefCell::new(PgHandle::Statements(client)), cache },
            savepoints: Cell::new(0),
        }
    }

    /// The PostgreSQL transaction back, to commit or roll back (`None` on SQLite and outside a
    /// transaction).
    pub fn into_postgres(self) -> Option<postgres::Transaction<'a>> {
        match self.inner {
            Inner::Postgres { tx, .. } => match tx.into_inner() {
                PgHandle::Tx(t) => Some(t),
                PgHandle::Statements(_) => None,
            },
            Inner::Sqlite(_) => None,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            Inner::Postgres { .. } => Dialect::Postgres,
        }
    }

    /// Runs a statement; returns the number of rows it changed.
    pub fn execute(&self, sql: &str, args: impl Args) -> DbResult<u64> {
        let values = args.into_values();
        match &self.inner {
            Inner::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter()))? as u64)
            }
            Inner::Postgres { tx, cache } => {
                let mut tx = borrow(tx)?;
                let stmt = prepare(&mut tx, cache, sql)?;
                Ok(on_pg!(tx, c => c.execute(&stmt, &pg_params(&values)))?)
            }
        }
    }

    /// Runs an `INSERT … RETURNING id` and returns the id.
    pub fn insert(&self, sql: &str, args: impl Args) -> DbResult<i64> {
        self.query_row(sql, args, |r| r.get(0))
    }

    /// Feeds every row of a query to `f`, streaming (rows are not collected first). `f` must not
    /// use this connection.
    pub fn each(&self, sql: &str, args: impl Args, mut f: impl FnMut(Row) -> DbResult<()>) -> DbResult<()> {
        let values = args.into_values();
        match &self.inner {
            Inner::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let n = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
                while let Some(r) = rows.next()? {
                    f(sqlite_row(r, n)?)?;
                }
                Ok(())
            }
            Inner::Postgres { tx, cache } => {
                let mut tx = borrow(tx)?;
                let stmt = prepare(&mut tx, cache, sql)?;
                let params = pg_params(&values);
                on_pg!(tx, c => {
                    let mut rows = c.query_raw(&stmt, params.iter().copied())?;
                    while let Some(r) = rows.next()? {
                        f(pg_row(&r)?)?;
                    }
                    Ok(())
                })
            }
        }
    }

    /// Every row of a query, each mapped by `f`.
    pub fn query_map<T>(&self, sql: &str, args: impl Args, f: impl Fn(&Row) -> DbResult<T>) -> DbResult<Vec<T>> {
        let mut out = Vec::new();
        self.each(sql, args, |r| {
            out.push(f(&r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of a query mapped by `f`, or `None` when there is none.
    pub fn query_opt<T>(&self, sql: &str, args: impl Args, f: impl FnOnce(&Row) -> DbResult<T>) -> DbResult<Option<T>> {
        let mut first = None;
        self.each(sql, args, |r| {
            if first.is_none() {
                first = Some(r);
            }
            Ok(())
        })?;
        first.map(|r| f(&r)).transpose()
    }

    /// The first row of a query mapped by `f`; no row is an error.
    pub fn query_row<T>(&self, sql: &str, args: impl Args, f: impl FnOnce(&Row) -> DbResult<T>) -> DbResult<T> {
        self.query_opt(sql, args, f)?.ok_or_else(|| DbError::Corrupt(format!("no row from: {}", first_line(sql))))
    }

    /// Inserts many rows into `table` as fast as the engine allows: one prepared statement
    /// executed per row on SQLite, `COPY … FROM STDIN` on PostgreSQL. For bulk loads (seeding).
    pub fn bulk_insert(
        &self,
        table: &str,
        columns: &[&str],
        rows: impl IntoIterator<Item = Vec<Value>>,
    ) -> DbResult<u64> {
        let cols = columns.join(", ");
        let mut n = 0;
        match &self.inner {
            Inner::Sqlite(c) => {
                let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
                let mut stmt =
                    c.prepare_cached(&format!("INSERT INTO {table} ({cols}) VALUES ({})", marks.join(", ")))?;
                for row in rows {
                    if row.len() != columns.len() {
                        return Err(DbError::Corrupt(format!(
                            "{table}: {} values for {} columns",
                            row.len(),
                            columns.len()
                        )));
                    }
                    stmt.execute(rusqlite::params_from_iter(row.iter()))?;
                    n += 1;
                }
            }
            Inner::Postgres { tx, .. } => {
                use std::io::Write;
                let mut tx = borrow(tx)?;
                let copy = format!("COPY {table} ({cols}) FROM STDIN");
                let mut w = on_pg!(tx, c => c.copy_in(&copy))?;
                let mut line = String::with_capacity(1024);
                for row in rows {
                    if row.len() != columns.len() {
                        return Err(DbError::Corrupt(format!(
                            "{table}: {} values for {} columns",
                            row.len(),
                            columns.len()
                        )));
                    }
                    line.clear();
                    for (i, v) in row.iter().enumerate() {
                        if i > 0 {
                            line.push('\t');
                        }
                        copy_text(v, &mut line);
                    }
                    line.push('\n');
                    w.write_all(line.as_bytes()).map_err(|e| DbError::Corrupt(format!("COPY {table}: {e}")))?;
                    n += 1;
                }
                w.finish()?;
            }
        }
        Ok(n)
    }

    /// Runs several `;`-separated statements without parameters (DDL).
    pub fn batch(&self, sql: &str) -> DbResult<()> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres { tx, .. } => {
                let mut tx = borrow(tx)?;
                Ok(on_pg!(tx, c => c.batch_execute(sql))?)
            }
        }
    }

    /// Runs `f` in a savepoint: its writes are kept when it returns `(value, true)` and undone
    /// when it returns `(value, false)` or fails.
    pub fn savepoint<T>(&self, f: impl FnOnce(&Conn<'a>) -> DbResult<(T, bool)>) -> DbResult<T> {
        let n = self.savepoints.get() + 1;
        self.savepoints.set(n);
        let name = format!("hcp_sp{n}");
        self.batch(&format!("SAVEPOINT {name}"))?;
        let out = f(self);
        let keep = matches!(out, Ok((_, true)));
        let end = if keep {
            self.batch(&format!("RELEASE SAVEPOINT {name}"))
        } else {
            self.batch(&format!("ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}"))
        };
        self.savepoints.set(n - 1);
        let (value, _) = out?;
        end?;
        Ok(value)
    }
}

impl hcp_stats::FactSource for Conn<'_> {
    fn is_postgres(&self) -> bool {
        self.dialect() == Dialect::Postgres
    }

    fn each_row(
        &self,
        sql: &str,
        args: &[&str],
        f: &mut dyn FnMut(&[hcp_stats::Cell]) -> hcp_stats::Result<()>,
    ) -> hcp_stats::Result<()> {
        use hcp_stats::Cell;
        let values: Vec<Value> = args.iter().map(|a| Value::from(*a)).collect();
        let mut cells = Vec::new();
        self.each(sql, values, |r| {
            cells.clear();
            cells.extend(r.values().iter().map(|v| match v {
                Value::Null => Cell::Null,
                Value::Int(i) => Cell::Int(*i),
                Value::Real(x) => Cell::Real(*x),
                Value::Text(t) => Cell::Text(t.clone()),
                Value::Blob(b) => Cell::Text(hex::encode(b)),
                Value::Ints(v) => Cell::Text(format!("{v:?}")),
            }));
            f(&cells).map_err(|e| DbError::Corrupt(e.to_string()))
        })
        .map_err(|e| hcp_stats::StatsError::Source(e.to_string()))
    }
}

/// A value in PostgreSQL's COPY text format.
fn copy_text(v: &Value, out: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Null => out.push_str("\\N"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Real(f) => {
            let _ = write!(out, "{f}");
        }
        Value::Blob(b) => {
            out.push_str("\\\\x");
            out.push_str(&hex::encode(b));
        }
        Value::Ints(v) => {
            out.push('{');
            for (i, n) in v.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{n}");
            }
            out.push('}');
        }
        Value::Text(s) => {
            for ch in s.chars() {
                match ch {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

fn first_line(sql: &str) -> &str {
    sql.trim().lines().next().unwrap_or("")
}

fn borrow<'b, 'a>(tx: &'b RefCell<PgHandle<'a>>) -> DbResult<std::cell::RefMut<'b, PgHandle<'a>>> {
    tx.try_borrow_mut().map_err(|_| DbError::Corrupt("the connection is already in use by a running query".into()))
}

fn prepare(tx: &mut PgHandle<'_>, cache: &RefCell<StmtCache>, sql: &str) -> DbResult<postgres::Statement> {
    let mut cache = cache.try_borrow_mut().map_err(|_| DbError::Corrupt("statement cache in use".into()))?;
    if let Some(s) = cache.0.get(sql) {
        return Ok(s.clone());
    }
    let text = to_postgres(sql);
    let stmt = on_pg!(tx, c => c.prepare(&text))?;
    cache.0.insert(sql.to_owned(), stmt.clone());
    Ok(stmt)
}

/// `?1` → `$1` (and a bare `?` → the next number), outside quoted strings and identifiers.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut next = 1;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    digits = next.to_string();
                }
                next = digits.parse::<u32>().map_or(next, |n| n + 1);
                out.push('$');
                out.push_str(&digits);
            }
            None => out.push(c),
        }
    }
    out
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            Value::Ints(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "a list of integers binds only on PostgreSQL".into(),
                ))
            }
        })
    }
}

fn sqlite_row(r: &rusqlite::Row<'_>, n: usize) -> DbResult<Row> {
    use rusqlite::types::ValueRef;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(match r.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(v) => Value::Int(v),
            ValueRef::Real(v) => Value::Real(v),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        });
    }
    Ok(Row(out))
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => Err(format!("cannot send an integer as {ty}").into()),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => Err(format!("cannot send a number as {ty}").into()),
            },
            Value::Text(s) => match *ty {
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                _ => s.as_str().to_sql(ty, out),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => b.as_slice().to_sql(ty, out),
                _ => Err(format!("cannot send bytes as {ty}").into()),
            },
            Value::Ints(v) => match *ty {
                Type::INT8_ARRAY => v.to_sql(ty, out),
                _ => Err(format!("cannot send a list of integers as {ty}").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn pg_params(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

fn pg_row(r: &postgres::Row) -> DbResult<Row> {
    let mut out = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let v = match *col.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::Int),
            Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map_or(Value::Null, |v| Value::Int(v.into())),
            Type::INT2 => r.try_get::<_, Option<i16>>(i)?.map_or(Value::Null, |v| Value::Int(v.into())),
            Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map_or(Value::Null, |v| Value::Int(v.into())),
            Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map_or(Value::Null, Value::Real),
            Type::FLOAT4 => r.try_get::<_, Option<f32>>(i)?.map_or(Value::Null, |v| Value::Real(v.into())),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                r.try_get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text)
            }
            Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i)?.map_or(Value::Null, Value::Blob),
            ref other => {
                return Err(DbError::Corrupt(format!(
                    "column {} has type {other}; cast it to bigint, double precision or text",
                    col.name()
                )))
            }
        };
        out.push(v);
    }
    Ok(Row(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered_for_postgres_outside_quotes() {
        assert_eq!(to_postgres("SELECT a FROM t WHERE b = ?1 AND c = ?12"), "SELECT a FROM t WHERE b = $1 AND c = $12");
        assert_eq!(
            to_postgres("SELECT '?1', \"x?\" WHERE a = ? AND b = ?"),
            "SELECT '?1', \"x?\" WHERE a = $1 AND b = $2"
        );
    }

    #[test]
    fn copy_text_escapes_what_copy_would_misread() {
        let mut out = String::new();
        for v in [Value::Null, Value::Int(-3), Value::Text("a\tb\nc\\d\re".into())] {
            copy_text(&v, &mut out);
            out.push('|');
        }
        assert_eq!(out, "\\N|-3|a\\tb\\nc\\\\d\\re|");
    }

    #[test]
    fn the_sqlite_side_reads_what_it_wrote() {
        let c = rusqlite::Connection::open_in_memory().expect("db");
        let conn = Conn::sqlite(&c);
        conn.batch("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT, f REAL)").expect("ddl");
        let id =
            conn.insert("INSERT INTO t (n, s, f) VALUES (?1, ?2, ?3) RETURNING id", args![7, "七", 0.5]).expect("ins");
        conn.execute("INSERT INTO t (n, s, f) VALUES (?1, ?2, ?3)", args![None::<i64>, None::<String>, 1])
            .expect("ins");
        let (n, s, f): (i64, String, f64) = conn
            .query_row("SELECT n, s, f FROM t WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("row");
        assert_eq!((n, s.as_str(), f), (7, "七", 0.5));
        let nulls: Vec<(Option<i64>, Option<String>)> =
            conn.query_map("SELECT n, s FROM t ORDER BY id", (), |r| Ok((r.get(0)?, r.get(1)?))).expect("rows");
        assert_eq!(nulls[1], (None, None));
        assert!(conn.query_opt("SELECT n FROM t WHERE id = 99", (), |r| r.get::<i64>(0)).expect("q").is_none());
        let err = conn.query_row("SELECT s FROM t WHERE id = 2", (), |r| r.get::<String>(0)).expect_err("null");
        assert!(err.to_string().contains("NULL"), "{err}");
        // A refused savepoint leaves nothing behind; a kept one stays.
        conn.savepoint(|c| Ok((c.execute("DELETE FROM t", ())?, false))).expect("sp");
        assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0)).expect("n"), 2);
        conn.savepoint(|c| Ok((c.execute("DELETE FROM t WHERE id = ?1", [id])?, true))).expect("sp");
        assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0)).expect("n"), 1);
    }
}
