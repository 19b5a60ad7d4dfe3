//! `GET /reports/{snapshotId}` (HTML) and `GET /reports/{snapshotId}.csv`:
//! for a signed-in user who may read the brand's reports (bearer token), or
//! with a share link's `key`. Anything else that names a snapshot (unknown,
//! another brand's, an expired or revoked link) is the same 404. Every view
//! is audited (`impact.report_view`).

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use entity::{brand, community, report_snapshot};
use sea_orm::EntityTrait;
use serde::Deserialize;
use uuid::Uuid;

use super::{csv, html, links};
use crate::{
    audit::service::{self as audit, Event},
    auth::{ratelimit::Limit, Principal},
    error::AppError,
    http::{graphql::caller_of, AppState},
    reporting::snapshot::{self, Frozen},
};

/// The query string: a share link's key.
#[derive(Deserialize)]
pub struct Key {
    key: Option<String>,
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body("No such report, or the link has expired or been revoked.")
}

fn failed(e: AppError, request_id: &str) -> HttpResponse {
    match e {
        AppError::NotFound(_) | AppError::Forbidden(_) => not_found(),
        AppError::RateLimited { retry_after_secs } => HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, retry_after_secs.to_string()))
            .body("Too many requests."),
        AppError::Unavailable => HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "5"))
            .body("The service is unavailable; try again shortly."),
        e => {
            tracing::error!(request_id, error = ?e, "report page failed");
            HttpResponse::InternalServerError()
                .body(format!("Internal error (request {request_id})."))
        }
    }
}

/// Serves the page or its CSV.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<Key>,
) -> HttpResponse {
    let raw = path.into_inner();
    let (id, as_csv) = match raw.strip_suffix(".csv") {
        Some(id) => (id.to_string(), true),
        None => (raw, false),
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found();
    };
    let caller = match caller_of(&req, &state).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let app = &state.app;
    let rid = caller.request_id.clone();
    // A share link, or a signed-in reader.
    let (frozen, actor) = match query.key.as_deref() {
        Some(key) => {
            if let Err(e) = app
                .limiter
                .hit(Limit::ReportLinkPerIp, &caller.client_ip)
                .await
            {
                return failed(e, &rid);
            }
            let link = match links::open(app, id, key).await {
                Ok(Some(link)) => link,
                Ok(None) => return not_found(),
                Err(e) => return failed(e, &rid),
            };
            let found = report_snapshot::Entity::find_by_id(link.snapshot_id)
                .one(&app.db)
                .await;
            match found
                .map_err(AppError::from)
                .and_then(|m| m.ok_or(AppError::NotFound("report snapshot")))
            {
                Ok(m) => match Frozen::from_model(m) {
                    Ok(f) => (f, ("share_link", Some(link.id))),
                    Err(e) => return failed(e, &rid),
                },
                Err(e) => return failed(e, &rid),
            }
        }
        None if matches!(caller.principal, Principal::Anonymous) => {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body("Sign in, or open the page with a share link.");
        }
        None => match snapshot::get(app, &caller, id).await {
            Ok(f) => {
                let actor = caller.actor();
                (f, actor)
            }
            Err(e) => return failed(e, &rid),
        },
    };
    let m = &frozen.model;
    let viewed = audit::record_as(
        &app.db,
        actor.0,
        actor.1,
        &rid,
        Event {
            action: "impact.report_view",
            object_type: "report_snapshot",
            object_id: Some(m.id),
            brand_id: Some(m.brand_id),
            details: Some(serde_json::json!({ "format": if as_csv { "csv" } else { "html" } })),
        },
    )
    .await;
    if let Err(e) = viewed {
        return failed(e, &rid);
    }
    if as_csv {
        return match csv::render(&frozen) {
            Ok(body) => ok("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"impact-report-{}.csv\"", m.id),
                ))
                .body(body),
            Err(e) => failed(e, &rid),
        };
    }
    match heading(&state, m).await {
        Ok(h) => ok("text/html; charset=utf-8").body(html::render(&frozen, &h)),
        Err(e) => failed(e, &rid),
    }
}

/// 200 for a page or CSV: never cached or indexed, no referrer (a share
/// link's key is in the address), nothing but inline styles allowed.
fn ok(content_type: &str) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::Ok();
    b.content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("x-robots-tag", "noindex"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ));
    b
}

async fn heading(state: &AppState, m: &report_snapshot::Model) -> Result<html::Heading, AppError> {
    let db = &state.app.db;
    let brand = brand::Entity::find_by_id(m.brand_id)
        .one(db)
        .await?
        .map(|b| b.name)
        .unwrap_or_default();
    let community = match m.community_id {
        Some(c) => community::Entity::find_by_id(c)
            .one(db)
            .await?
            .map(|c| c.name),
        None => None,
    };
    Ok(html::Heading { brand, community })
}
