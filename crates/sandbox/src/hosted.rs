//! The hosted verification page of `embedded-link` sessions: `provider_link` opens it, a
//! person (or a test) picks an outcome, and the browser is sent on to `redirect_uri` with
//! `verification_id` and `status` in the query.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
// HTML text and double-quoted attribute values are escaped as XML's are.
use balampay_openapi::xml::escape;
use balampay_schema::{User, VerificationStatus};
use uuid::Uuid;

use crate::app::App;
use crate::state::{Outcome, Step, decide};

type Shared = Arc<App>;

/// The hosted page's routes (no credentials: a browser opens them).
pub(crate) fn routes() -> Router<Shared> {
    Router::new().route("/sandbox/hosted/{verification_id}", get(page).post(submit))
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body><h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape(title)
    );
    (status, Html(page)).into_response()
}

fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "No such verification session",
        "<p>This link is not valid.</p>",
    )
}

/// The session id of a hosted page's path; a malformed one is an unknown page.
fn session_id(id: Result<Path<String>, PathRejection>) -> Option<Uuid> {
    id.ok().and_then(|Path(id)| Uuid::parse_str(&id).ok())
}

async fn page(
    AxumState(app): AxumState<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let Some(id) = session_id(id) else {
        return not_found();
    };
    let state = app.lock();
    let Some(stored) = state
        .verifications
        .get(&id)
        .filter(|v| v.verification.r#type == balampay_schema::VerificationType::EmbeddedLink)
    else {
        return not_found();
    };
    let name = match state
        .users
        .get(&stored.verification.user_id)
        .map(|u| &u.user)
    {
        Some(User::Individual(user)) => format!("{} {}", user.first_name, user.last_name),
        Some(User::Business(user)) => user.business_name.clone(),
        None => String::new(),
    };
    if stored.verification.status != VerificationStatus::Pending {
        let status = serde_json::to_value(stored.verification.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        return html(
            StatusCode::OK,
            "Verification finished",
            &format!("<p id=\"status\">Status: {}</p>", escape(&status)),
        );
    }
    let buttons = [
        ("auto", "Continue (decided by the sandbox's test inputs)"),
        ("approve", "Approve"),
        ("reject", "Reject"),
        ("review", "Send to manual review"),
    ]
    .iter()
    .map(|(value, label)| {
        format!("<button type=\"submit\" name=\"choice\" value=\"{value}\">{label}</button>")
    })
    .collect::<Vec<_>>()
    .join("\n");
    html(
        StatusCode::OK,
        "BalamPay identity verification (sandbox)",
        &format!(
            "<p>Verifying <strong id=\"name\">{}</strong>.</p>\n<form method=\"post\">\n{buttons}\n</form>",
            escape(&name)
        ),
    )
}

async fn submit(
    AxumState(app): AxumState<Shared>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Response {
    let Some(id) = session_id(id) else {
        return not_found();
    };
    let form = String::from_utf8_lossy(&body);
    let choice = form
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "choice")
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default();
    let mut state = app.lock();
    let Some(stored) = state
        .verifications
        .get(&id)
        .filter(|v| v.verification.r#type == balampay_schema::VerificationType::EmbeddedLink)
    else {
        return not_found();
    };
    if stored.verification.status != VerificationStatus::Pending {
        return html(
            StatusCode::CONFLICT,
            "Verification already finished",
            "<p>This session has already ended.</p>",
        );
    }
    let user_id = stored.verification.user_id;
    let redirect_uri = stored.verification.redirect_uri.clone().unwrap_or_default();
    let step = match choice.as_str() {
        "approve" => Step::Finish(Outcome::Verified),
        "reject" => Step::Finish(Outcome::Rejected {
            reason: "Your information could not be verified".to_owned(),
            developer_reason: "Rejected on the sandbox's hosted page.".to_owned(),
        }),
        "review" => Step::Review {
            then: Outcome::Verified,
        },
        "auto" => match state.users.get(&user_id) {
            Some(user) => decide(user),
            None => return not_found(),
        },
        other => {
            return html(
                StatusCode::BAD_REQUEST,
                "Unknown choice",
                &format!("<p>{:?} is not a choice of this page.</p>", escape(other)),
            );
        }
    };
    let verification = match state.atomically(|state| state.apply(id, step)) {
        Ok(verification) => verification,
        Err(error) => {
            return html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                &escape(&error.message),
            );
        }
    };
    let status = serde_json::to_value(verification.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}verification_id={id}&status={status}");
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
