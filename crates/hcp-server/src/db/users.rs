//! `users`: accounts with argon2 password hashes, a role and a home unit (their jurisdiction).

use super::{args, parse_col, Conn, DbResult, Row};
use hcp_domain::Role;
use hcp_protocol::{ChangeOp, Entity};

pub const DDL: &str = "
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    unit_id       INTEGER NOT NULL REFERENCES org_units(id),
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);
";

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub unit_id: i64,
    pub unit_name: String,
    pub scope_path: String,
    pub active: bool,
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub unit_id: i64,
    pub created_at: &'a str,
}

/// Creates an account and records its change at its unit's path; returns its id.
pub fn insert(conn: &Conn<'_>, u: &NewUser<'_>) -> DbResult<i64> {
    let id = conn.insert(
        "INSERT INTO users (username, display_name, password_hash, role, unit_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        args![u.username, u.display_name, u.password_hash, u.role.as_str(), u.unit_id, u.created_at],
    )?;
    let path = unit_path(conn, id)?.ok_or_else(|| super::DbError::Corrupt(format!("account {id} has no unit")))?;
    super::changes::record(conn, Entity::User, id, &path, ChangeOp::Upsert, u.created_at)?;
    Ok(id)
}

/// The path of an account's unit (where the account is replicated).
fn unit_path(conn: &Conn<'_>, id: i64) -> DbResult<Option<String>> {
    conn.query_opt("SELECT o.path FROM users u JOIN org_units o ON o.id = u.unit_id WHERE u.id = ?1", [id], |r| {
        r.get(0)
    })
}

const SELECT: &str = "SELECT u.id, u.username, u.display_name, u.password_hash, u.role, u.unit_id,
        o.name, o.path, u.active
   FROM users u JOIN org_units o ON o.id = u.unit_id";

fn read(r: &Row) -> DbResult<User> {
    let role: String = r.get(4)?;
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        password_hash: r.get(3)?,
        role: parse_col(&role, "users.role", Role::parse)?,
        unit_id: r.get(5)?,
        unit_name: r.get(6)?,
        scope_path: r.get(7)?,
        active: r.get(8)?,
    })
}

pub fn by_username(conn: &Conn<'_>, username: &str) -> DbResult<Option<User>> {
    conn.query_opt(&format!("{SELECT} WHERE u.username = ?1"), [username], read)
}

pub fn by_id(conn: &Conn<'_>, id: i64) -> DbResult<Option<User>> {
    conn.query_opt(&format!("{SELECT} WHERE u.id = ?1"), [id], read)
}

/// The user of a live bearer token (stored hashed in `tokens`; not revoked and not expired at
/// `now`, RFC 3339 UTC), in one statement: every authenticated request asks this, and on
/// PostgreSQL each statement is a round trip.
pub fn by_live_token(conn: &Conn<'_>, token_hash: &str, now: &str) -> DbResult<Option<User>> {
    conn.query_opt(
        &format!("{SELECT} JOIN tokens t ON t.user_id = u.id WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2"),
        [token_hash, now],
        read,
    )
}

/// Links a staff member's account to their staff record, so bad reviews of their service name them
/// as the rated staff member (who may appeal).
pub const STAFF_LINK_DDL: &str = "ALTER TABLE users ADD COLUMN staff_id INTEGER REFERENCES staff(id);";

/// Stores a new password hash (argon2 PHC string).
/// The ids of the accounts whose unit lies in the scope `scope`..`upper`.
pub fn ids_in_scope(conn: &Conn<'_>, scope: &str, upper: &str) -> DbResult<Vec<i64>> {
    conn.query_map(
        "SELECT u.id FROM users u JOIN org_units o ON o.id = u.unit_id WHERE o.path >= ?1 AND o.path < ?2 ORDER BY u.id",
        [scope, upper],
        |r| r.get(0),
    )
}

/// Changes to an account; `None` keeps the field.
pub struct Patch<'a> {
    pub display_name: Option<&'a str>,
    pub role: Option<Role>,
    pub unit_id: Option<i64>,
    pub active: Option<bool>,
    pub password_hash: Option<&'a str>,
}

/// Applies a [`Patch`].
/// Changes an account and records its change: an account moved to another unit is deleted at
/// the old unit's path (that jurisdiction drops it) and upserted at the new one.
pub fn update(conn: &Conn<'_>, id: i64, p: &Patch<'_>, at: &str) -> DbResult<()> {
    let before = unit_path(conn, id)?;
    conn.execute(
        "UPDATE users SET display_name = coalesce(?2, display_name), role = coalesce(?3, role),
                unit_id = coalesce(?4, unit_id), active = coalesce(?5, active),
                password_hash = coalesce(?6, password_hash)
          WHERE id = ?1",
        args![id, p.display_name, p.role.map(|r| r.as_str()), p.unit_id, p.active, p.password_hash],
    )?;
    let Some(after) = unit_path(conn, id)? else { return Ok(()) };
    if let Some(before) = before.filter(|b| *b != after) {
        super::changes::record(conn, Entity::User, id, &before, ChangeOp::Delete, at)?;
    }
    super::changes::record(conn, Entity::User, id, &after, ChangeOp::Upsert, at)?;
    Ok(())
}

pub fn set_password_hash(conn: &Conn<'_>, id: i64, hash: &str) -> DbResult<bool> {
    Ok(conn.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", args![id, hash])? > 0)
}

pub fn link_staff(conn: &Conn<'_>, user_id: i64, staff_id: i64) -> DbResult<()> {
    conn.execute("UPDATE users SET staff_id = ?2 WHERE id = ?1", [user_id, staff_id])?;
    Ok(())
}

/// The unit path of the staff record an account is linked to, if any.
pub fn staff_path(conn: &Conn<'_>, user_id: i64) -> DbResult<Option<String>> {
    conn.query_opt(
        "SELECT s.unit_path FROM users u JOIN staff s ON s.id = u.staff_id WHERE u.id = ?1",
        [user_id],
        |r| r.get(0),
    )
}

/// The account of a staff member, if they have one.
pub fn by_staff(conn: &Conn<'_>, staff_id: i64) -> DbResult<Option<i64>> {
    conn.query_opt("SELECT id FROM users WHERE staff_id = ?1 AND active = 1", [staff_id], |r| r.get(0))
}

pub fn count(conn: &Conn<'_>) -> DbResult<i64> {
    conn.query_row("SELECT count(*) FROM users", (), |r| r.get(0))
}

/// The rows of [`rows_in_scope`] with an id above `after`, by id (a resumed snapshot).
pub fn rows_in_scope_after(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    mut f: impl FnMut(hcp_protocol::UserRow) -> DbResult<()>,
) -> DbResult<()> {
    conn.each(
        "SELECT u.id, u.display_name, u.role, u.unit_id, o.path, u.active FROM users u JOIN org_units o ON o.id = u.unit_id
          WHERE o.path >= ?1 AND o.path < ?2 AND u.id > ?3 ORDER BY u.id",
        args![scope, upper, after],
        |r| {
            let role: String = r.get(2)?;
            f(hcp_protocol::UserRow {
                id: r.get(0)?,
                display_name: r.get(1)?,
                role: parse_col(&role, "users.role", Role::parse)?,
                unit_id: r.get(3)?,
                unit_path: r.get(4)?,
                active: r.get(5)?,
            })
        },
    )
}

pub fn count_in_scope_after(conn: &Conn<'_>, scope: &str, upper: &str, after: i64) -> DbResult<u64> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM users u JOIN org_units o ON o.id = u.unit_id WHERE o.path >= ?1 AND o.path < ?2 AND u.id > ?3",
        args![scope, upper, after],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

pub fn row(conn: &Conn<'_>, id: i64) -> DbResult<Option<hcp_protocol::UserRow>> {
    Ok(by_id(conn, id)?.map(|u| hcp_protocol::UserRow {
        id: u.id,
        display_name: u.display_name,
        role: u.role,
        unit_id: u.unit_id,
        unit_path: u.scope_path,
        active: u.active,
    }))
}

/// The active administrators, other than `except`, whose jurisdiction covers `path` (their
/// unit is `path` or above it).
pub fn active_admins_covering(conn: &Conn<'_>, path: &str, except: i64) -> DbResult<i64> {
    conn.query_row(
        "SELECT count(*) FROM users u JOIN org_units o ON o.id = u.unit_id
          WHERE u.role = 'administrator' AND u.active = 1 AND u.id <> ?2
            AND substr(?1, 1, length(o.path)) = o.path",
        args![path, except],
        |r| r.get(0),
    )
}
