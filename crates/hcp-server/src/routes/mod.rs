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

use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Every route with its documentation, from one list: a handler is served at the path and method
/// its `#[utoipa::path]` names, and so documented; nothing is routed any other way.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .routes(routes!(health::healthz))
        .routes(routes!(health::openapi))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::me))
        .routes(routes!(sync::snapshot))
        .routes(routes!(sync::pull))
        .routes(routes!(cases::push))
        .routes(routes!(cases::command))
        .routes(routes!(intake::ratings))
        .routes(routes!(intake::complaint))
        .routes(routes!(audit::verify))
        .routes(routes!(ratings::reveal))
        .routes(routes!(kpis::report))
        .routes(routes!(rankings::league))
        .routes(routes!(doc_numbers::reserve))
        .routes(routes!(integrity::list))
        .routes(routes!(integrity::decide))
        .routes(routes!(integrity::scan))
        .routes(routes!(awards::confirm))
        .routes(routes!(audit::trail))
        .routes(routes!(admin::list_units, admin::create_unit))
        .routes(routes!(admin::update_unit))
        .routes(routes!(admin::list_staff, admin::create_staff))
        .routes(routes!(admin::update_staff))
        .routes(routes!(admin::list_users, admin::create_user))
        .routes(routes!(admin::update_user))
        .routes(routes!(admin::list_items, admin::create_item))
        .routes(routes!(admin::update_item))
        .routes(routes!(admin::get_calendar, admin::put_calendar))
        .routes(routes!(admin::import_calendar_year))
        .routes(routes!(admin::get_policy, admin::put_policy))
        .routes(routes!(disclosure::monthly))
        .routes(routes!(updates::manifest))
        .routes(routes!(updates::file))
        .routes(routes!(hotline::list))
        .routes(routes!(hotline::retry))
        .routes(routes!(self_assessments::submit))
        .routes(routes!(self_assessments::review))
        .routes(routes!(self_assessments::import_surveys))
        .routes(routes!(attachments::declare))
        .routes(routes!(attachments::download))
        .routes(routes!(attachments::chunks))
        .routes(routes!(attachments::put_chunk))
        .routes(routes!(attachments::complete))
        .routes(routes!(attachments::prove))
        .routes(routes!(attachments::limits))
        .routes(routes!(replica_image::info))
        .routes(routes!(replica_image::download))
}

/// The router of [`api`].
pub fn router() -> Router<AppState> {
    api().split_for_parts().0
}
