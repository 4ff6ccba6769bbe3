//! The request id of each request: made by the outermost middleware, kept in a task-local so
//! that every error body, wherever it is made, carries it.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use balampay_schema::spec::REQUEST_ID_HEADER;
use uuid::Uuid;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being answered (for error bodies).
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "req_unknown".to_owned())
}

pub(crate) async fn request_id(request: Request, next: Next) -> Response {
    let id = format!("req_{}", Uuid::new_v4().simple());
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
