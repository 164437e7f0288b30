//! What every request leaves behind: a request id (a GUID, as Graph's `request-id`), returned
//! in the `request-id` header and carried by every log line of the request through its span,
//! an access log line, and its count and duration in the metrics. A request inside a JSON batch
//! is counted and logged like one sent alone (see [`answered_in_batch`]), so that the metrics
//! of a route say how often it is served however clients group their requests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::{routes, App};

/// The response header that names the request, as Microsoft Graph names it.
pub const REQUEST_ID: &str = "request-id";

/// The route label of a path: its template (see [`routes::Route::template`]) or, for a path
/// that is no route, the path itself when it is one of the server's own, else `other`.
pub fn route_label(path: &str) -> String {
    match routes::parse(path) {
        Some(route) => route.template(),
        None if matches!(
            path,
            "/healthz" | "/readyz" | "/metrics" | "/v1.0/$batch" | "/beta/$batch"
        ) =>
        {
            path.to_owned()
        }
        None => "other".to_owned(),
    }
}

/// The middleware: a fresh request id, the span every log line of the request is written in,
/// the access log line, the metrics, and the `request-id` header.
pub async fn observe(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    app.metrics
        .request(method.as_str(), &route_label(&path), status, elapsed);
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "answered"
        );
    });
    response.headers_mut().insert(
        REQUEST_ID,
        HeaderValue::from_str(&id).expect("a GUID is a header value"),
    );
    response
}

/// Records a request answered inside a JSON batch: its count and duration under its own route,
/// and an access log line naming its method, path and `id` in the batch, written in the batch's
/// span (so it carries the batch's request id).
pub fn answered_in_batch(
    app: &App,
    id: &str,
    method: &Method,
    path: &str,
    status: u16,
    elapsed: Duration,
) {
    app.metrics
        .request(method.as_str(), &route_label(path), status, elapsed);
    tracing::info!(
        batch_id = id,
        %method,
        path,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "answered in a batch"
    );
}
