//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Haochaping central API (好差评督办中心接口)", description = "Ratings, bad-review cases and sync for the 好差评 supervision client."),
    paths(
        routes::health::healthz,
        routes::health::openapi,
        routes::auth::login,
        routes::auth::logout,
        routes::auth::me,
        routes::sync::snapshot,
        routes::sync::pull,
        routes::cases::push,
        routes::cases::command,
        routes::intake::ratings,
        routes::intake::complaint,
        routes::audit::verify,
        routes::ratings::reveal,
        routes::kpis::report,
        routes::audit::trail,
        routes::admin::list_units,
        routes::admin::create_unit,
        routes::admin::update_unit,
        routes::admin::list_staff,
        routes::admin::create_staff,
        routes::admin::update_staff,
        routes::admin::list_users,
        routes::admin::create_user,
        routes::admin::update_user,
        routes::admin::list_items,
        routes::admin::create_item,
        routes::admin::update_item,
        routes::admin::get_calendar,
        routes::admin::put_calendar,
        routes::admin::get_policy,
        routes::admin::put_policy,
        routes::integrity::list,
        routes::integrity::decide,
        routes::integrity::scan,
    ),
    components(schemas(
        hcp_protocol::ErrorBody, hcp_protocol::LoginRequest, hcp_protocol::LoginResponse, hcp_protocol::UserInfo,
        hcp_protocol::SnapshotLine, hcp_protocol::SnapshotResume, hcp_protocol::EntityRow, hcp_protocol::Counts, hcp_protocol::PullResponse,
        hcp_protocol::Change, hcp_protocol::ChangeOp, hcp_protocol::Entity, hcp_protocol::OrgUnitRow,
        hcp_protocol::StaffRow, hcp_protocol::UserRow, hcp_protocol::RatingRow, hcp_protocol::CaseRow, hcp_protocol::CaseEventRow,
        hcp_protocol::Health, hcp_protocol::CommandEnvelope, hcp_protocol::CommandResult, hcp_protocol::CommandStatus,
        hcp_protocol::PushRequest, hcp_protocol::PushResponse, hcp_protocol::RatingIn, hcp_protocol::LevelIn,
        hcp_protocol::EvaluatorIn, hcp_protocol::IntakeRequest, hcp_protocol::IntakeResponse, hcp_protocol::IntakeResult,
        hcp_protocol::IntakeStatus, hcp_protocol::ComplaintIn, crate::db::evidence::ChainReport, hcp_protocol::RevealRequest, hcp_protocol::RevealedEvaluator,
        routes::kpis::KpiReport, routes::kpis::UnitKpis, routes::kpis::ChannelCount,
        hcp_protocol::ServiceItemRow, hcp_protocol::SettingRow, hcp_protocol::JurisdictionPolicy,
        crate::db::audit_log::Entry, routes::admin::OrgUnitIn, routes::admin::OrgUnitPatch, routes::admin::StaffIn,
        routes::admin::StaffPatch, routes::admin::UserIn, routes::admin::UserPatch, routes::admin::AdminUser,
        routes::admin::ItemIn, routes::admin::ItemPatch, routes::admin::CalendarOut, routes::admin::PolicyOut,
        hcp_protocol::IntegrityFlagRow, hcp_protocol::FlagStatus, hcp_protocol::FlagDecisionRequest,
        crate::integrity::ScanReport,
    )),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    /// Every route the router serves is in the OpenAPI document with each of its methods (read
    /// from the router's own source, so a new route without annotations fails here).
    #[test]
    fn the_document_covers_every_route() {
        let doc = serde_json::to_value(super::document()).expect("json");
        let paths = doc["paths"].as_object().expect("paths");
        let source = include_str!("routes/mod.rs");
        let mut checked = 0;
        for line in source.lines().filter(|l| l.trim_start().starts_with(".route(\"")) {
            let path = line.split('"').nth(1).expect("a path");
            let item = paths.get(path).unwrap_or_else(|| panic!("{path} is missing from the OpenAPI document"));
            for method in ["get", "post", "put", "patch", "delete"] {
                if line.contains(&format!("{method}(")) {
                    assert!(item.get(method).is_some(), "{method} {path} is missing from the OpenAPI document");
                    checked += 1;
                }
            }
        }
        assert!(checked >= 30, "only {checked} routes found: has the router's layout changed?");
    }
}
