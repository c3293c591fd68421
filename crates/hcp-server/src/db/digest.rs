//! The scope digest of the server's side (see `hcp_protocol::digest`): every row a client of the
//! jurisdiction holds — exactly the rows the snapshot sends to a user of that role, within the
//! replication window starting at `since` (`""`: the whole history; a replica knows its own).

use hcp_protocol::{digest, EntityRow};

use super::{Conn, DbResult};

pub fn scope_digest(conn: &Conn<'_>, scope: &str, role: hcp_domain::Role, since: &str) -> DbResult<String> {
    let upper = format!("{scope}~");
    let mut lines = Vec::new();
    let mut add = |row: EntityRow| {
        let (entity, id, fields) = digest::fields(&row);
        lines.push(digest::line(entity, id, &fields));
        Ok(())
    };
    for e in hcp_protocol::Entity::ALL {
        super::snapshot::stream(conn, e, scope, &upper, role, 0, since, 0, &mut add)?;
    }
    Ok(digest::of(lines))
}
