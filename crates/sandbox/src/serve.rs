//! The HTTP/1.1 server loop, with the limits a server on a network needs: how long a client
//! may take to send a request's head (hyper's header read timeout; a client that sends one
//! byte a second is disconnected), and how large the head may be.
//!
//! The head's limits are enforced twice on purpose. hyper refuses heads beyond its own
//! buffer and header-count limits; those limits are set well above the API's ([`Limits`]),
//! so that a request over the API's limits reaches [`protocol_limits`] and is answered with
//! a precise error body, like every other error. A head too malformed or too large for
//! hyper to read at all (a NUL in a header, conflicting `Content-Length`s, a URI over
//! 64 KiB, a head over [`HYPER_MAX_HEAD_BYTES`]) is answered by hyper itself, without a
//! body; [`ErrorBodies`] gives that answer the error body on its way out.

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State as AxumState};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use balampay_schema::{ErrorCode, ErrorLocation, FieldErrorCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

use crate::error::ApiError;

/// hyper's buffer for a request head: larger than any head the API accepts, so that the
/// API's own limits answer first, with a body.
const HYPER_MAX_HEAD_BYTES: usize = 1024 * 1024 + 64 * 1024;

/// hyper's limit on the number of header fields, above [`Limits::max_headers`] for the same
/// reason.
const HYPER_MAX_HEADERS: usize = 1000;

/// How long connections may take to finish when the sandbox stops.
const DRAIN: Duration = Duration::from_secs(5);

/// The limits on what clients send, and how long they may take to send it.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// How long a client may take to send a request's head; the connection is closed after
    /// that (default 10 s). The clock starts when the server waits for a head, so it is also
    /// how long an idle keep-alive connection stays open.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body once its head arrived; a `400`
    /// after that (default 30 s).
    pub body_read_timeout: Duration,
    /// The most header fields a request may have (default 100).
    pub max_headers: usize,
    /// The most bytes of header names and values a request may have (default 64 KiB).
    pub max_header_bytes: usize,
    /// The longest request target (path and query) in bytes (default 8 KiB).
    pub max_uri_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_headers: 100,
            max_header_bytes: 64 * 1024,
            max_uri_bytes: 8 * 1024,
        }
    }
}

/// Serves `router` on `listener` until `stopped` fires, then lets open connections finish
/// for up to [`DRAIN`].
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(HYPER_MAX_HEAD_BYTES)
        .max_headers(HYPER_MAX_HEADERS);
    let graceful = GracefulShutdown::new();
    // The connections' tasks: aborted when this function ends (after the drain) or when its
    // own task is aborted (the sandbox dropped), so that no connection outlives the sandbox
    // and answers from memory after the data file is closed.
    let mut connections: tokio::task::JoinSet<()> = tokio::task::JoinSet::new();
    loop {
        // Finished connections leave the set, so that it holds only open ones.
        while connections.try_join_next().is_some() {}
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        // Out of file descriptors, say: wait rather than spin.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(router.clone());
                let io = TokioIo::new(ErrorBodies::new(stream));
                let connection = graceful.watch(http.serve_connection(io, service));
                connections.spawn(async move {
                    // A connection's errors (a client gone, a head too slow) end it; there is
                    // no one left to tell.
                    let _ = connection.await;
                });
            }
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
    connections.shutdown().await;
}

/// A connection's stream, which gives hyper's own error answers the API's error body.
///
/// hyper answers a request head it cannot parse (a NUL in a header, conflicting
/// `Content-Length`s, a target over 64 KiB, a head over its buffer) by itself, with a bare
/// `400`, `414` or `431`, and closes the connection; it has no hook for the body. Every
/// answer the application makes carries `x-request-id` (the outermost middleware adds it),
/// so a `4xx` head without one is hyper's. Such a head is replaced, on its way out, by a
/// `400` with the error body (`400` is what the spec documents for a malformed request;
/// `414` and `431` are not in it), naming what hyper refused. Nothing else is touched.
pub(crate) struct ErrorBodies<S> {
    inner: S,
    /// The replacement being written, and how much of it is written.
    replacing: Option<(Vec<u8>, usize)>,
    /// Whether hyper's answer was replaced: whatever hyper writes after it is dropped.
    replaced: bool,
}

impl<S> ErrorBodies<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            replacing: None,
            replaced: false,
        }
    }
}

/// The API's answer for one of hyper's automatic error heads (`head`: its bytes up to the
/// blank line), or `None` when the head is not one of them.
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let status: u16 = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let lines: Vec<String> = text.lines().map(str::to_ascii_lowercase).collect();
    if !(400..500).contains(&status)
        || lines.iter().any(|line| line.starts_with("x-request-id:"))
        || !lines
            .iter()
            .any(|line| line.replace(' ', "") == "content-length:0")
    {
        return None;
    }
    let (message, location) = match status {
        414 => (
            "The request target is longer than the server can read (64 KiB).",
            ErrorLocation::Path,
        ),
        431 => (
            "The request's header section is larger than the server can read.",
            ErrorLocation::Header,
        ),
        _ => (
            "The request is not valid HTTP/1.1: a malformed request line or header field (a control character, a byte that is not allowed, conflicting Content-Length fields).",
            ErrorLocation::Header,
        ),
    };
    let request_id = format!("req_{}", uuid::Uuid::new_v4().simple());
    let error = ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message).with_detail(
        location,
        "",
        FieldErrorCode::InvalidFormat,
        message,
    );
    let body = serde_json::to_vec(&error.body(&request_id)).ok()?;
    let mut answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-request-id: {request_id}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for ErrorBodies<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> ErrorBodies<S> {
    /// Writes what is left of the replacement; ready once all of it is written.
    fn drain(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        while let Some((bytes, written)) = &mut self.replacing {
            if *written == bytes.len() {
                self.replacing = None;
                break;
            }
            let n = std::task::ready!(
                std::pin::Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..])
            )?;
            if n == 0 {
                return std::task::Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        std::task::Poll::Ready(Ok(()))
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for ErrorBodies<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = &mut *self;
        // hyper's automatic answer is a whole head with no body, written last and at once
        // (the stream is not vectored, so hyper flattens its writes): only a buffer that is
        // exactly such a head is considered, never the rest of a partly written response.
        if this.replacing.is_none()
            && !this.replaced
            && buf.starts_with(b"HTTP/1.1 4")
            && buf.ends_with(b"\r\n\r\n")
            && buf.windows(4).position(|w| w == b"\r\n\r\n") == Some(buf.len() - 4)
            && let Some(answer) = replacement(buf)
        {
            this.replacing = Some((answer, 0));
            this.replaced = true;
        }
        if this.replaced {
            // hyper's bytes are taken and dropped; ours go out instead.
            std::task::ready!(this.drain(cx))?;
            return std::task::Poll::Ready(Ok(buf.len()));
        }
        std::pin::Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Refuses, with the error body, a request whose head is over the API's limits: too many
/// header fields, too many header bytes, or too long a target. The status is `400`, which
/// the spec documents for every operation as a malformed request; the detail names the
/// part (`header` or `query`/`path`) and the limit.
pub(crate) async fn protocol_limits(
    AxumState(limits): AxumState<Limits>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if headers.len() > limits.max_headers {
        return too_large(
            ErrorLocation::Header,
            "",
            format!(
                "The request has {} header fields; at most {} are accepted.",
                headers.len(),
                limits.max_headers
            ),
        );
    }
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if header_bytes > limits.max_header_bytes {
        let largest = headers
            .iter()
            .max_by_key(|(name, value)| name.as_str().len() + value.len())
            .map(|(name, _)| name.as_str().to_owned())
            .unwrap_or_default();
        return too_large(
            ErrorLocation::Header,
            &largest,
            format!(
                "The request's header fields are {header_bytes} bytes; at most {} are accepted.",
                limits.max_header_bytes
            ),
        );
    }
    let uri = request.uri();
    let target = uri.path_and_query().map_or(0, |p| p.as_str().len());
    if target > limits.max_uri_bytes {
        // The part that makes most of the target.
        let location = match uri.query() {
            Some(query) if query.len() > uri.path().len() => ErrorLocation::Query,
            _ => ErrorLocation::Path,
        };
        return too_large(
            location,
            "",
            format!(
                "The request target is {target} bytes; at most {} are accepted.",
                limits.max_uri_bytes
            ),
        );
    }
    next.run(request).await
}

fn too_large(location: ErrorLocation, field: &str, message: String) -> Response {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::BadRequest,
        message.clone(),
    )
    .with_detail(location, field, FieldErrorCode::TooLong, message)
    .into_response()
}
