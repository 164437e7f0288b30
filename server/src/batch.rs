//! Microsoft Graph's JSON batching: `POST /v1.0/$batch` and `POST /beta/$batch`.
//!
//! A batch holds up to [`MAX_REQUESTS`] requests, each with an `id`, a `method`, a `url`
//! relative to the batch's base (`/users/a@b.com/photo/$value`), and optional `headers`,
//! `body` and `dependsOn`. Each runs through the same handler as a direct request, with the
//! batch's `Authorization` header, so each is authorised on its own: one 403 does not fail the
//! others. Requests run in waves: every request whose dependencies have answered runs at once,
//! beside the others of its wave; a request whose dependency failed answers 424.
//!
//! The answer is `{"responses": [...]}` in the order of the requests, each with its `id`,
//! `status`, `headers` and `body`: JSON bodies as JSON, binary ones (a photo's `$value`)
//! base64-encoded, as Graph writes them, with their `Content-Type`. A request body may be a
//! JSON value or, for binary content such as a photo, a base64 string (standard or URL-safe
//! alphabet) with the `Content-Type` in `headers`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::observe;
use crate::routes::{dispatch, read_limited};
use crate::App;

/// The most requests a batch may hold, as on Graph.
pub const MAX_REQUESTS: usize = 20;

/// The most bytes an inner response body may have: the largest rendition is far below it.
const MAX_INNER_RESPONSE: usize = 64 << 20;

#[derive(Debug, Deserialize)]
struct Batch {
    requests: Vec<Step>,
}

/// One request of a batch, as its JSON gives it.
#[derive(Debug, Deserialize)]
struct Step {
    id: String,
    method: String,
    url: String,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    body: Option<Value>,
    /// Graph's `dependsOn`; Microsoft's Python client writes `depends_on`.
    #[serde(default, rename = "dependsOn", alias = "depends_on")]
    depends_on: Option<Vec<String>>,
}

/// A request of the batch, checked and ready to run.
struct Prepared {
    id: String,
    depends_on: Vec<usize>,
    request: Option<Request>,
}

/// The `$batch` handler of one Graph base (`/v1.0` or `/beta`).
pub async fn handle(base: &'static str, State(app): State<Arc<App>>, request: Request) -> Response {
    match run(base, app, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// The largest batch body taken: one photo at the upload limit, base64-encoded, and the JSON
/// around it.
fn body_limit(app: &App) -> u64 {
    app.config.body_limit.saturating_mul(4) / 3 + (1 << 20)
}

async fn run(base: &'static str, app: Arc<App>, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    // Who the batch acts for is checked once here (401 for the whole batch, as Graph does);
    // what each request may do, by each request.
    app.auth.authenticate(&parts.headers).await?;
    let bytes = read_limited(&parts.headers, body, body_limit(&app)).await?;
    let batch: Batch = serde_json::from_slice(&bytes)
        .map_err(|e| bad_request(format!("the batch is not a valid JSON batch: {e}")))?;
    let steps = prepare(base, &parts.headers, batch)?;
    let responses = execute(&app, steps).await;
    let body = serde_json::to_vec(&json!({ "responses": responses }))
        .expect("batch responses always serialise");
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BAD_REQUEST, message)
}

/// Checks the batch as a whole (size, ids, dependencies) and builds each request; a request
/// that cannot be built keeps `None` and answers 400 on its own.
fn prepare(base: &str, outer: &HeaderMap, batch: Batch) -> Result<Vec<Prepared>, ApiError> {
    let steps = batch.requests;
    if steps.is_empty() {
        return Err(bad_request("the batch holds no requests"));
    }
    if steps.len() > MAX_REQUESTS {
        return Err(bad_request(format!(
            "the batch holds {} requests; the limit is {MAX_REQUESTS}",
            steps.len()
        )));
    }
    // Ids are compared without case, as Graph compares them.
    let mut index = HashMap::new();
    for (at, step) in steps.iter().enumerate() {
        if step.id.is_empty() {
            return Err(bad_request("a request of the batch has no id"));
        }
        if index.insert(step.id.to_lowercase(), at).is_some() {
            return Err(bad_request(format!(
                "the id {:?} names more than one request of the batch",
                step.id
            )));
        }
    }
    let mut prepared = Vec::new();
    for (at, step) in steps.into_iter().enumerate() {
        let mut depends_on = Vec::new();
        for id in step.depends_on.iter().flatten() {
            match index.get(&id.to_lowercase()) {
                Some(&other) if other != at => depends_on.push(other),
                Some(_) => {
                    return Err(bad_request(format!(
                        "the request {:?} depends on itself",
                        step.id
                    )))
                }
                None => {
                    return Err(bad_request(format!(
                        "the request {:?} depends on {id:?}, which the batch does not hold",
                        step.id
                    )))
                }
            }
        }
        let path = inner_path(base, &step.url)?;
        let request = build(&path, outer, &step);
        prepared.push(Prepared {
            id: step.id,
            depends_on,
            request,
        });
    }
    if has_cycle(&prepared) {
        return Err(bad_request("the requests' dependencies form a cycle"));
    }
    Ok(prepared)
}

/// The path and query a request's `url` names under `base`: relative to it as Graph defines
/// (`/users/a/photo`, `users/a/photo`), or already under it (`/v1.0/users/a/photo`, or a whole
/// URL, as some clients send). A nested batch is refused.
fn inner_path(base: &str, url: &str) -> Result<String, ApiError> {
    let relative = match url.parse::<Uri>() {
        Ok(uri) if uri.scheme().is_some() => uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        _ => url.to_owned(),
    };
    let relative = format!("/{}", relative.trim_start_matches('/'));
    let under_base = relative
        .get(..base.len() + 1)
        .is_some_and(|head| head.eq_ignore_ascii_case(&format!("{base}/")));
    let path = if under_base {
        relative
    } else {
        format!("{base}{relative}")
    };
    let last = path.split('?').next().unwrap_or("").trim_end_matches('/');
    if last
        .rsplit('/')
        .next()
        .is_some_and(|segment| segment.eq_ignore_ascii_case("$batch"))
    {
        return Err(bad_request("a batch may not hold another batch"));
    }
    Ok(path)
}

/// The request a step describes, with the batch's `Authorization`; `None` when its method,
/// URL, headers or body cannot make one.
fn build(path: &str, outer: &HeaderMap, step: &Step) -> Option<Request> {
    let method = Method::from_bytes(step.method.to_ascii_uppercase().as_bytes()).ok()?;
    let uri: Uri = path.parse().ok()?;
    let mut headers = HeaderMap::new();
    for (name, value) in &step.headers {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).ok()?,
            HeaderValue::from_str(value).ok()?,
        );
    }
    for name in [header::AUTHORIZATION, header::HOST] {
        if let Some(value) = outer.get(&name) {
            headers.insert(name, value.clone());
        }
    }
    let body = match &step.body {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => decode_base64(text)?,
        Some(other) => serde_json::to_vec(other).ok()?,
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let mut request = Request::new(Body::from(body));
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Some(request)
}

/// A base64 body, in either alphabet, padded or not.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let text = text.trim().trim_end_matches('=');
    STANDARD_NO_PAD
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(text))
        .ok()
}

fn has_cycle(steps: &[Prepared]) -> bool {
    // 0 unvisited, 1 on the path, 2 done.
    fn visit(at: usize, steps: &[Prepared], state: &mut [u8]) -> bool {
        match state[at] {
            1 => return true,
            2 => return false,
            _ => {}
        }
        state[at] = 1;
        if steps[at]
            .depends_on
            .iter()
            .any(|&next| visit(next, steps, state))
        {
            return true;
        }
        state[at] = 2;
        false
    }
    let mut state = vec![0; steps.len()];
    (0..steps.len()).any(|at| visit(at, steps, &mut state))
}

/// Runs the requests in waves and gives their answers in the batch's order.
async fn execute(app: &Arc<App>, mut steps: Vec<Prepared>) -> Vec<Value> {
    let mut answers: Vec<Option<(u16, Value)>> = vec![None; steps.len()];
    while answers.iter().any(Option::is_none) {
        let ready: Vec<usize> = (0..steps.len())
            .filter(|&at| answers[at].is_none())
            .filter(|&at| steps[at].depends_on.iter().all(|&d| answers[d].is_some()))
            .collect();
        let mut wave = Vec::new();
        for &at in &ready {
            let failed = steps[at].depends_on.iter().find(|&&d| {
                answers[d]
                    .as_ref()
                    .is_some_and(|(status, _)| !(200..300).contains(status))
            });
            let id = steps[at].id.clone();
            if let Some(&dependency) = failed {
                let message = format!(
                    "the request {:?} it depends on failed",
                    steps[dependency].id
                );
                answers[at] = Some((424, failed_dependency(&id, &message)));
                continue;
            }
            let request = steps[at].request.take();
            let app = app.clone();
            wave.push(async move {
                let answer = match request {
                    Some(request) => {
                        let method = request.method().clone();
                        let path = request.uri().path().to_owned();
                        let started = Instant::now();
                        let response = dispatch(State(app.clone()), request).await;
                        let status = response.status().as_u16();
                        observe::answered_in_batch(
                            &app,
                            &id,
                            &method,
                            &path,
                            status,
                            started.elapsed(),
                        );
                        answer(&id, response).await
                    }
                    None => error_answer(
                        &id,
                        bad_request("the request's method, url, headers or body are not valid"),
                    ),
                };
                (at, answer)
            });
        }
        for (at, answer) in futures_util::future::join_all(wave).await {
            answers[at] = Some(answer);
        }
    }
    answers
        .into_iter()
        .map(|answer| answer.map(|(_, value)| value).unwrap_or(Value::Null))
        .collect()
}

fn failed_dependency(id: &str, message: &str) -> Value {
    let error = ApiError::new(
        StatusCode::FAILED_DEPENDENCY,
        ErrorCode::FAILED_DEPENDENCY,
        message,
    );
    error_answer(id, error).1
}

fn error_answer(id: &str, error: ApiError) -> (u16, Value) {
    let status = error.status.as_u16();
    let body = json!({ "error": { "code": error.code.as_str(), "message": error.message } });
    (
        status,
        json!({
            "id": id,
            "status": status,
            "headers": { "Content-Type": "application/json" },
            "body": body,
        }),
    )
}

/// One response of the batch: its status, headers and body (JSON as JSON, bytes as base64).
async fn answer(id: &str, response: Response) -> (u16, Value) {
    let (parts, body) = response.into_parts();
    let status = parts.status.as_u16();
    let bytes = match axum::body::to_bytes(body, MAX_INNER_RESPONSE).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return error_answer(
                id,
                ApiError::internal(format!("the response could not be read: {e}")),
            )
        }
    };
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        if name == header::CONTENT_LENGTH {
            continue;
        }
        if let Ok(value) = value.to_str() {
            headers.insert(canonical(name.as_str()), Value::from(value));
        }
    }
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let mut out = json!({ "id": id, "status": status, "headers": headers });
    if !bytes.is_empty() {
        // Only a JSON answer is parsed; a photo's bytes go straight to base64.
        let parsed = json
            .then(|| serde_json::from_slice::<Value>(&bytes).ok())
            .flatten();
        out["body"] = parsed.unwrap_or_else(|| {
            Value::from(base64::engine::general_purpose::STANDARD.encode(&bytes))
        });
    }
    (status, out)
}

/// `content-type` as Graph writes header names in batch responses: `Content-Type`, `ETag`.
fn canonical(name: &str) -> String {
    if name == "etag" {
        return "ETag".to_owned();
    }
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_urls_resolve_under_the_base() {
        for (url, path) in [
            (
                "/users/a@b.com/photo/$value",
                "/v1.0/users/a@b.com/photo/$value",
            ),
            ("users/a@b.com/photo", "/v1.0/users/a@b.com/photo"),
            ("/v1.0/me/photos", "/v1.0/me/photos"),
            ("/V1.0/me/photos", "/V1.0/me/photos"),
            (
                "http://127.0.0.1:8080/v1.0/me/photo?x=1",
                "/v1.0/me/photo?x=1",
            ),
            ("/beta/me/photo", "/v1.0/beta/me/photo"),
        ] {
            assert_eq!(inner_path("/v1.0", url).unwrap(), path, "{url}");
        }
        for nested in ["/$batch", "$batch", "/v1.0/$batch", "/$BATCH/"] {
            assert!(inner_path("/v1.0", nested).is_err(), "{nested}");
        }
    }

    #[test]
    fn bodies_decode_from_either_alphabet() {
        let bytes: Vec<u8> = (0..=255).collect();
        let standard = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        assert_ne!(standard.trim_end_matches('='), url_safe);
        assert_eq!(decode_base64(&standard).unwrap(), bytes);
        assert_eq!(decode_base64(&url_safe).unwrap(), bytes);
        assert!(decode_base64("not base64!").is_none());
    }

    #[test]
    fn header_names_are_written_as_graph_writes_them() {
        assert_eq!(canonical("content-type"), "Content-Type");
        assert_eq!(canonical("etag"), "ETag");
        assert_eq!(canonical("cache-control"), "Cache-Control");
    }
}
