//! The replica's table of an entity, derived from the server's: the columns both keep, with their
//! types and NOT NULL, without what only the server enforces (foreign keys, uniqueness,
//! defaults: the replica stores rows the server already checked, every column written).

use crate::Replicated;

/// `CREATE TABLE` for the replica's copy of `T`, from the server's DDL of `T`'s table (which may
/// hold more tables; the first `CREATE TABLE {T::TABLE} (` is used), keeping the columns of
/// [`Replicated::COLUMNS`] in the server's order. `None` when the server DDL has no such table.
pub fn replica_table<T: Replicated>(server_ddl: &str) -> Option<String> {
    table_of(server_ddl, T::TABLE, T::COLUMNS)
}

fn table_of(server_ddl: &str, table: &str, columns: &str) -> Option<String> {
    let start = server_ddl.find(&format!("CREATE TABLE {table} ("))?;
    let body = &server_ddl[start..];
    let end = body.find("\n);")?;
    let wanted: Vec<&str> = columns.split(',').map(str::trim).collect();
    let mut kept = Vec::new();
    for line in body[..end].lines().skip(1) {
        let line = line.trim().trim_end_matches(',');
        let Some(name) = line.split_whitespace().next() else { continue };
        if !wanted.contains(&name) {
            // Comments, table constraints and the server's own columns.
            continue;
        }
        kept.push(replica_column(line));
    }
    let width = kept.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let lines: Vec<String> = kept.iter().map(|(name, def)| format!("    {name:<width$} {def}")).collect();
    Some(format!("\nCREATE TABLE {table} (\n{}\n);\n", lines.join(",\n")))
}

/// A server column definition as the replica keeps it: `(name, type and constraints)`.
fn replica_column(line: &str) -> (String, String) {
    let mut words = line.split_whitespace();
    let name = words.next().unwrap_or_default().to_owned();
    let mut def: Vec<&str> = Vec::new();
    let mut rest = words.peekable();
    while let Some(w) = rest.next() {
        match w {
            "REFERENCES" => {
                rest.next();
            }
            "DEFAULT" => {
                rest.next();
            }
            "UNIQUE" => {}
            w => def.push(w),
        }
    }
    (name, def.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replica_keeps_the_shared_columns_without_the_servers_constraints() {
        let server = "
CREATE TABLE things (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES org_units(id),
    code        TEXT NOT NULL UNIQUE,
    -- A comment about the next column.
    secret      TEXT,
    active      INTEGER NOT NULL DEFAULT 1,
    note        TEXT NOT NULL DEFAULT '',
    UNIQUE (unit_id, code)
);
CREATE INDEX things_unit ON things(unit_id);
";
        let got = table_of(server, "things", "id, unit_id, code, active, note").expect("table");
        assert_eq!(
            got,
            "
CREATE TABLE things (
    id      INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL,
    code    TEXT NOT NULL,
    active  INTEGER NOT NULL,
    note    TEXT NOT NULL
);
"
        );
        assert!(table_of(server, "others", "id").is_none());
    }

    /// Every replicated table derived this way is valid SQLite and holds exactly the shared columns.
    #[test]
    fn every_derived_table_holds_the_shared_columns() {
        use crate::entities::*;
        use hcp_protocol::*;
        fn check<T: Replicated>(server_ddl: &str) {
            let ddl = replica_table::<T>(server_ddl).expect(T::TABLE);
            let c = rusqlite::Connection::open_in_memory().expect("db");
            c.execute_batch(&ddl).expect(T::TABLE);
            // Every shared column, and no other (an org unit's `active` came with a later migration
            // on both sides).
            let names: Vec<String> = c
                .prepare(&format!("SELECT name FROM pragma_table_info('{}') ORDER BY cid", T::TABLE))
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .expect("columns");
            let mut shared: Vec<&str> = T::COLUMNS.split(',').map(str::trim).collect();
            if T::ENTITY == Entity::OrgUnit {
                shared.retain(|c| *c != "active");
            }
            assert_eq!(names, shared, "{}", T::TABLE);
        }
        check::<OrgUnitRow>(org_unit::SERVER_DDL);
        check::<StaffRow>(staff::SERVER_DDL);
        check::<RatingRow>(rating::SERVER_DDL);
        check::<CaseEventRow>(case_event::SERVER_DDL);
        check::<ServiceItemRow>(service_item::SERVER_DDL);
        check::<SettingRow>(setting::SERVER_DDL);
        check::<AwardRow>(award::SERVER_DDL);
        check::<AttachmentRow>(attachment::SERVER_DDL);
        check::<SelfAssessmentRow>(crate::entities::self_assessment::SERVER_DDL);
        check::<SurveyResultRow>(crate::entities::self_assessment::SERVER_DDL);
    }
}
