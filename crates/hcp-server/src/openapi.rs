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

/// The answers every operation may give that the handlers do not declare one by one: 401 for a
/// missing or dead token, and for a request body 400 (not JSON), 413 (over the limit) and 415
/// (not `application/json`); a request with parameters may get 400 for a malformed one. Request
/// bodies say their size limit.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |what: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(what)
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                    )
                    .build(),
            )
        };
        let limit = format!("At most {} MB.", crate::error::MAX_BODY_BYTES / (1024 * 1024));
        for item in openapi.paths.paths.values_mut() {
            for op in
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
            {
                let answers = &mut op.responses.responses;
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    answers
                        .entry("401".into())
                        .or_insert_with(|| error("not signed in, or the token expired or was revoked"));
                }
                // The rate limit reads the bearer token of any request, so an open operation called
                // with a token (the updater inside a signed-in app, say) can be throttled too.
                answers
                    .entry("429".into())
                    .or_insert_with(|| error("this token's request rate is exceeded; Retry-After says when to retry"));
                if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                    answers
                        .entry("400".into())
                        .or_insert_with(|| error("a malformed path or query parameter, or an unknown one"));
                }
                if let Some(body) = op.request_body.as_mut() {
                    answers
                        .entry("400".into())
                        .or_insert_with(|| error("the body is not valid JSON, or a parameter is malformed"));
                    answers.entry("413".into()).or_insert_with(|| error("the body is over the size limit"));
                    answers.entry("415".into()).or_insert_with(|| error("the body is not application/json"));
                    answers
                        .entry("422".into())
                        .or_insert_with(|| error("a field is missing, unknown, of the wrong type or out of range"));
                    body.description = Some(match body.description.take() {
                        Some(d) => format!("{d} {limit}"),
                        None => limit.clone(),
                    });
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Haochaping central API (好差评督办中心接口)",
        description = "Ratings, bad-review cases and sync for the 好差评 supervision client."
    ),
    components(schemas(
        hcp_protocol::ErrorBody,
        hcp_protocol::LoginRequest,
        hcp_protocol::ChangePasswordRequest,
        hcp_protocol::LoginResponse,
        hcp_protocol::UserInfo,
        hcp_protocol::SnapshotLine,
        hcp_protocol::SnapshotResume,
        hcp_protocol::EntityRow,
        hcp_protocol::Counts,
        hcp_protocol::PullResponse,
        hcp_protocol::ReplicaImageInfo,
        hcp_protocol::Change,
        hcp_protocol::ChangeOp,
        hcp_protocol::Entity,
        hcp_protocol::OrgUnitRow,
        hcp_protocol::StaffRow,
        hcp_protocol::UserRow,
        hcp_protocol::RatingRow,
        hcp_protocol::CaseRow,
        hcp_protocol::CaseEventRow,
        hcp_protocol::Health,
        hcp_protocol::CommandEnvelope,
        hcp_protocol::CommandResult,
        hcp_protocol::CommandStatus,
        hcp_protocol::PushRequest,
        hcp_protocol::PushResponse,
        hcp_protocol::RatingIn,
        hcp_protocol::LevelIn,
        hcp_protocol::EvaluatorIn,
        hcp_protocol::IntakeRequest,
        hcp_protocol::IntakeResponse,
        hcp_protocol::IntakeResult,
        hcp_protocol::IntakeStatus,
        hcp_protocol::ComplaintIn,
        crate::db::evidence::ChainReport,
        hcp_protocol::RevealRequest,
        hcp_protocol::RevealedEvaluator,
        routes::kpis::KpiReport,
        routes::kpis::UnitKpis,
        routes::kpis::ChannelCount,
        routes::disclosure::Disclosure,
        routes::disclosure::DisclosureRowOut,
        hcp_protocol::ServiceItemRow,
        hcp_protocol::SettingRow,
        hcp_protocol::JurisdictionPolicy,
        crate::db::audit_log::Entry,
        routes::admin::OrgUnitIn,
        routes::admin::OrgUnitPatch,
        routes::admin::StaffIn,
        routes::admin::StaffPatch,
        routes::admin::UserIn,
        routes::admin::UserPatch,
        routes::admin::AdminUser,
        routes::admin::ItemIn,
        routes::admin::ItemPatch,
        routes::admin::CalendarOut,
        routes::admin::PolicyOut,
        routes::admin::CalendarPublished,
        routes::admin::RecountedDeadline,
        routes::admin::CalendarYearIn,
        hcp_protocol::IntegrityFlagRow,
        hcp_protocol::FlagStatus,
        hcp_protocol::FlagDecisionRequest,
        hcp_protocol::AwardRow,
        hcp_protocol::AwardRequest,
        crate::integrity::ScanReport,
        hcp_protocol::DocNumberReserveRequest,
        hcp_protocol::DocNumberBlock,
        routes::updates::UpdateManifest,
        routes::hotline::DeliveryPage,
        routes::hotline::DeliveryCounts,
        crate::db::hotline_outbox::Delivery,
        crate::db::hotline_outbox::Attempt,
        crate::hotline::DeliveryState,
        crate::hotline::HotlineCallback,
        hcp_protocol::SelfAssessmentRow,
        hcp_protocol::SelfAssessmentSubmitRequest,
        hcp_protocol::SelfAssessmentReviewRequest,
        hcp_protocol::SurveyResultRow,
        hcp_protocol::SurveyImportRequest,
        hcp_protocol::SurveyImportLine,
        hcp_protocol::SurveyProblem,
        hcp_protocol::SurveyImportReport,
        hcp_protocol::AttachmentRow,
        hcp_protocol::AttachmentStatus,
        hcp_protocol::AttachmentDeclaration,
        hcp_protocol::UploadProgress,
        hcp_protocol::PossessionProof,
    ))
)]
struct ApiDoc;

/// The document's frame: its title, the shared schemas; the routes add their paths
/// ([`routes::api`]).
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The whole document: the routes' paths with the answers every operation may give and the
/// bearer scheme.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = routes::api().split_for_parts();
    BearerAuth.modify(&mut doc);
    CommonAnswers.modify(&mut doc);
    doc
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The document's operations: `(path, methods)`.
    fn routes(doc: &serde_json::Value) -> Vec<(String, Vec<&'static str>)> {
        doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .map(|(path, item)| {
                let methods =
                    ["get", "post", "put", "patch", "delete"].into_iter().filter(|m| item.get(*m).is_some()).collect();
                (path.clone(), methods)
            })
            .collect()
    }

    fn placeholders(path: &str) -> BTreeSet<String> {
        path.split('/').filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}').map(str::to_owned)).collect()
    }

    /// The router and the document come from one list (`routes::api`): nothing is routed
    /// another way. Each operation declares exactly its path's parameters as path parameters
    /// (required); every other parameter is a query parameter; secured operations document 401
    /// and operations with a body 400, 413, 415 and 422.
    #[test]
    fn the_document_matches_the_router() {
        let source = include_str!("routes/mod.rs");
        assert!(!source.contains(".route(") && !source.contains(".nest("), "a route outside `routes::api`'s list");
        let doc = serde_json::to_value(super::document()).expect("json");
        let paths = doc["paths"].as_object().expect("paths");
        let routes = routes(&doc);
        assert!(routes.len() >= 25, "only {} routes found", routes.len());
        let mut problems = Vec::new();
        let mut operations = 0;
        for (path, methods) in &routes {
            let item = &paths[path.as_str()];
            for m in methods {
                operations += 1;
                let op = &item[*m];
                let params = op["parameters"].as_array().cloned().unwrap_or_default();
                let path_params: BTreeSet<String> = params
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect();
                if path_params != placeholders(path) {
                    problems.push(format!(
                        "{m} {path}: path parameters {path_params:?}, the route has {:?}",
                        placeholders(path)
                    ));
                }
                for p in &params {
                    match p["in"].as_str() {
                        Some("path") if p["required"] != true => problems.push(format!("{m} {path}: {p} not required")),
                        Some("path") | Some("query") => {}
                        other => problems.push(format!("{m} {path}: parameter {} in {other:?}", p["name"])),
                    }
                }
                let answers = op["responses"].as_object().expect("responses");
                if op["security"].as_array().is_some_and(|s| !s.is_empty()) && !answers.contains_key("401") {
                    problems.push(format!("{m} {path}: no 401"));
                }
                if op.get("requestBody").is_some() {
                    for code in ["400", "413", "415", "422"] {
                        if !answers.contains_key(code) {
                            problems.push(format!("{m} {path}: no {code}"));
                        }
                    }
                    let d = op["requestBody"]["description"].as_str().unwrap_or_default();
                    if !d.contains("MB") {
                        problems.push(format!("{m} {path}: the body's size limit is not stated"));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "the document disagrees with the router:\n{}", problems.join("\n"));
        assert!(operations >= 30, "{operations}");
    }
}
