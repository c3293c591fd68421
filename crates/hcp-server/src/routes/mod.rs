//! HTTP routes.

pub mod admin;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod awards;
pub mod byte_range;
pub mod cases;
pub mod disclosure;
pub mod doc_numbers;
pub mod health;
pub mod hotline;
pub mod intake;
pub mod integrity;
pub mod kpis;
pub mod rankings;
pub mod ratings;
pub mod replica_image;
pub mod self_assessments;
pub mod sync;
pub mod updates;

use axum::routing::{get, patch, post, put};
use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/api/openapi.json", get(health::openapi))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/password", post(auth::change_password))
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/sync/snapshot", get(sync::snapshot))
        .route("/api/v1/sync/pull", get(sync::pull))
        .route("/api/v1/sync/push", post(cases::push))
        .route("/api/v1/cases/commands", post(cases::command))
        .route("/api/v1/intake/ratings", post(intake::ratings))
        .route("/api/v1/intake/complaints", post(intake::complaint))
        .route("/api/v1/audit/evidence/verify", get(audit::verify))
        .route("/api/v1/ratings/{id}/reveal", post(ratings::reveal))
        .route("/api/v1/kpis", get(kpis::report))
        .route("/api/v1/rankings", get(rankings::league))
        .route("/api/v1/doc-numbers/reserve", post(doc_numbers::reserve))
        .route("/api/v1/integrity/flags", get(integrity::list))
        .route("/api/v1/integrity/flags/{id}/decision", post(integrity::decide))
        .route("/api/v1/integrity/scan", post(integrity::scan))
        .route("/api/v1/awards", post(awards::confirm))
        .route("/api/v1/audit", get(audit::trail))
        .route("/api/v1/admin/org-units", get(admin::list_units).post(admin::create_unit))
        .route("/api/v1/admin/org-units/{id}", patch(admin::update_unit))
        .route("/api/v1/admin/staff", get(admin::list_staff).post(admin::create_staff))
        .route("/api/v1/admin/staff/{id}", patch(admin::update_staff))
        .route("/api/v1/admin/users", get(admin::list_users).post(admin::create_user))
        .route("/api/v1/admin/users/{id}", patch(admin::update_user))
        .route("/api/v1/admin/items", get(admin::list_items).post(admin::create_item))
        .route("/api/v1/admin/items/{id}", patch(admin::update_item))
        .route("/api/v1/admin/calendar", get(admin::get_calendar).put(admin::put_calendar))
        .route("/api/v1/admin/calendar/years", post(admin::import_calendar_year))
        .route("/api/v1/admin/policies/{unit_id}", get(admin::get_policy).put(admin::put_policy))
        .route("/api/v1/disclosure", get(disclosure::monthly))
        .route("/api/v1/updates/{target}/{current_version}", get(updates::manifest))
        .route("/api/v1/updates/files/{target}/{version}/{file}", get(updates::file))
        .route("/api/v1/admin/hotline/deliveries", get(hotline::list))
        .route("/api/v1/admin/hotline/deliveries/{id}/retry", post(hotline::retry))
        .route("/api/v1/self-assessments", post(self_assessments::submit))
        .route("/api/v1/self-assessments/{id}/review", post(self_assessments::review))
        .route("/api/v1/surveys/import", post(self_assessments::import_surveys))
        .route("/api/v1/attachments", post(attachments::declare))
        .route("/api/v1/attachments/{sha256}", get(attachments::download))
        .route("/api/v1/attachments/{sha256}/chunks", get(attachments::chunks))
        .route("/api/v1/attachments/{sha256}/chunks/{index}", put(attachments::put_chunk))
        .route("/api/v1/attachments/{sha256}/complete", post(attachments::complete))
        .route("/api/v1/attachments/{sha256}/proof", post(attachments::prove))
        .route("/api/v1/attachments/limits", get(attachments::limits))
        .route("/api/v1/sync/image/info", get(replica_image::info))
        .route("/api/v1/sync/image", get(replica_image::download))
}
