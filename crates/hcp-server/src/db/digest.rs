//! The scope digest of the server's side (see `hcp_protocol::digest`): every row a client of the
//! jurisdiction holds — exactly the rows the snapshot sends to a user of that role.

use hcp_protocol::{digest, EntityRow};

use super::{case_events, cases, org_units, ratings, service_items, settings, staff, users, Conn, DbResult};

pub fn scope_digest(conn: &Conn<'_>, scope: &str, role: hcp_domain::Role) -> DbResult<String> {
    let upper = format!("{scope}~");
    let mut lines = Vec::new();
    let mut add = |row: EntityRow| {
        let (entity, id, fields) = digest::fields(&row);
        lines.push(digest::line(entity, id, &fields));
        Ok(())
    };
    org_units::in_scope(conn, scope, &upper, |r| add(EntityRow::OrgUnit(r)))?;
    staff::in_scope(conn, scope, &upper, |r| add(EntityRow::Staff(r)))?;
    users::rows_in_scope(conn, scope, &upper, |r| add(EntityRow::User(r)))?;
    ratings::in_scope(conn, scope, &upper, 0, false, |r| add(EntityRow::Rating(r)))?;
    cases::in_scope(conn, scope, &upper, 0, false, |r| add(EntityRow::Case(r)))?;
    case_events::in_scope(conn, scope, &upper, 0, false, |r| add(EntityRow::CaseEvent(r)))?;
    service_items::in_scope(conn, scope, &upper, |r| add(EntityRow::ServiceItem(r)))?;
    settings::in_scope(conn, scope, &upper, |r| add(EntityRow::Setting(r)))?;
    super::integrity_flags::for_role_in_scope(conn, scope, &upper, 0, role, |r| add(EntityRow::IntegrityFlag(r)))?;
    super::awards::in_scope_after(conn, scope, &upper, 0, |r| add(EntityRow::Award(r)))?;
    super::self_assessments::in_scope_after(conn, scope, &upper, 0, |r| add(EntityRow::SelfAssessment(r)))?;
    super::self_assessments::surveys_in_scope_after(conn, scope, &upper, 0, |r| add(EntityRow::SurveyResult(r)))?;
    super::attachments::in_scope_after(conn, scope, &upper, 0, |r| add(EntityRow::Attachment(r)))?;
    Ok(digest::of(lines))
}
