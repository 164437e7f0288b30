//! The photo routes, matched by hand over the path: segments such as `Users('a@b.com')` and
//! `photos('240x240')` are OData key syntax, not path parameters.
//!
//! | API | base |
//! |---|---|
//! | Outlook REST v2.0, beta (SPEC §7) | `/api/v2.0`, `/api/beta` |
//! | Microsoft Graph v1.0, beta | `/v1.0`, `/beta` |
//!
//! Under each base: `me` or `users('{user}')` (Graph also `users/{user}`, and a group's photo
//! under `groups('{id}')` or `groups/{id}`), then `photo`, `photo/$value`, `photos`,
//! `photos('{size}')`, `photos('{size}')/$value` (Graph also `photos/{size}`). Keywords are
//! matched case-insensitively and every segment is percent-decoded.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use percent_encoding::percent_decode_str;
use userphoto::{placeholder, ETag, PhotoMetadata, PhotoSize};

use crate::auth::{Access, Vocabulary};
use crate::error::ApiError;
use crate::error_code::ErrorCode;
use crate::metrics::Upload;
use crate::odata::{literal, Collection, GraphPhoto, OutlookPhoto};
use crate::store::{Held, Owner, Read, SetIndex};
use crate::App;

/// The `Cache-Control` of photo bytes: clients may keep them but revalidate with the ETag,
/// since a photo can change at any time and belongs to one signed-in user's view.
pub const CACHE_CONTROL: &str = "private, no-cache";

/// Which API and version a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `/api/v2.0`.
    OutlookV2,
    /// `/api/beta`: no PATCH.
    OutlookBeta,
    /// `/v1.0`.
    GraphV1,
    /// `/beta` (Graph).
    GraphBeta,
}

impl Api {
    const ALL: [(Api, &'static str); 4] = [
        (Api::OutlookV2, "/api/v2.0"),
        (Api::OutlookBeta, "/api/beta"),
        (Api::GraphV1, "/v1.0"),
        (Api::GraphBeta, "/beta"),
    ];

    /// The base path, `/api/v2.0`.
    pub fn base(self) -> &'static str {
        Api::ALL
            .iter()
            .find(|(api, _)| *api == self)
            .map(|(_, base)| *base)
            .expect("every API has a base")
    }

    /// Whether this is one of the Graph bases.
    pub fn is_graph(self) -> bool {
        matches!(self, Api::GraphV1 | Api::GraphBeta)
    }

    fn vocabulary(self) -> Vocabulary {
        if self.is_graph() {
            Vocabulary::Graph
        } else {
            Vocabulary::Outlook
        }
    }
}

/// Whose photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The signed-in user.
    Me,
    /// The user named in the path (percent-decoded, as written).
    User(String),
    /// The group named in the path (percent-decoded, as written); Graph only.
    Group(String),
}

/// Which resource of the photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `photo` (metadata of the largest size) or `photo/$value` (its bytes).
    Photo {
        /// `/$value`.
        value: bool,
    },
    /// `photos`: every size.
    Photos,
    /// `photos('{size}')`, or its `/$value`.
    Size {
        /// The size as written in the path.
        size: String,
        /// `/$value`.
        value: bool,
    },
}

/// A parsed photo route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The API and version.
    pub api: Api,
    /// Whose photo.
    pub subject: Subject,
    /// Which resource.
    pub resource: Resource,
}

impl Route {
    /// The route with its keys left as placeholders, `/v1.0/users/{id}/photos/{size}/$value`:
    /// what the metrics label a request with.
    pub fn template(&self) -> String {
        let subject = match self.subject {
            Subject::Me => "me",
            Subject::User(_) => "users/{id}",
            Subject::Group(_) => "groups/{id}",
        };
        let resource = match self.resource {
            Resource::Photo { value: false } => "photo",
            Resource::Photo { value: true } => "photo/$value",
            Resource::Photos => "photos",
            Resource::Size { value: false, .. } => "photos/{size}",
            Resource::Size { value: true, .. } => "photos/{size}/$value",
        };
        format!("{}/{subject}/{resource}", self.api.base())
    }
}

/// Parses a request path into a photo route, or `None` when it is none.
pub fn parse(path: &str) -> Option<Route> {
    let (api, rest) = Api::ALL
        .iter()
        .find_map(|(api, base)| path.strip_prefix(base).map(|rest| (*api, rest)))?;
    let rest = rest.strip_prefix('/')?;
    let segments: Vec<String> = rest
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8().map(|s| s.into_owned()))
        .collect::<Result<_, _>>()
        .ok()?;
    let mut segments = segments.iter().map(String::as_str).peekable();

    let first = segments.next()?;
    let subject = if first.eq_ignore_ascii_case("me") {
        Subject::Me
    } else if let Some(key) = keyed(first, "users") {
        Subject::User(key)
    } else if first.eq_ignore_ascii_case("users") {
        Subject::User(segments.next().filter(|s| !s.is_empty())?.to_owned())
    } else if !api.is_graph() {
        return None;
    } else if let Some(key) = keyed(first, "groups") {
        Subject::Group(key)
    } else if first.eq_ignore_ascii_case("groups") {
        Subject::Group(segments.next().filter(|s| !s.is_empty())?.to_owned())
    } else {
        return None;
    };

    let second = segments.next()?;
    let mut resource = if second.eq_ignore_ascii_case("photo") {
        Resource::Photo { value: false }
    } else if second.eq_ignore_ascii_case("photos") {
        match segments.peek() {
            Some(next) if !next.eq_ignore_ascii_case("$value") => {
                let size = segments.next()?.to_owned();
                Resource::Size { size, value: false }
            }
            _ => Resource::Photos,
        }
    } else if let Some(size) = keyed(second, "photos") {
        Resource::Size { size, value: false }
    } else {
        return None;
    };

    if let Some(third) = segments.next() {
        if !third.eq_ignore_ascii_case("$value") {
            return None;
        }
        match &mut resource {
            Resource::Photo { value } | Resource::Size { value, .. } => *value = true,
            Resource::Photos => return None,
        }
    }
    if segments.next().is_some() {
        return None;
    }
    Some(Route {
        api,
        subject,
        resource,
    })
}

/// The key of an OData segment `name('key')` (name case-insensitive, `''` inside the quotes
/// meaning `'`), or `None` when `segment` is not one.
fn keyed(segment: &str, name: &str) -> Option<String> {
    let head = segment.get(..name.len())?;
    if !head.eq_ignore_ascii_case(name) {
        return None;
    }
    let inner = segment[name.len()..]
        .strip_prefix("('")?
        .strip_suffix("')")?;
    // A lone quote inside would have ended the literal.
    if inner.replace("''", "").contains('\'') {
        return None;
    }
    Some(inner.replace("''", "'"))
}

/// The user a path names, as the store keys it: trimmed and lower-case.
///
/// # Errors
///
/// 400 when it is empty, too long, or holds a slash, whitespace or control characters.
pub fn normalize_user(user: &str) -> Result<String, ApiError> {
    normalize_key(user, "a user name")
}

/// A user name or group id as the store keys it: trimmed and lower-case (Graph's ids are
/// GUIDs, which compare without case), or 400 naming `what` it is not.
fn normalize_key(key: &str, what: &str) -> Result<String, ApiError> {
    let key = key.trim().to_lowercase();
    let valid = !key.is_empty()
        && key.len() <= 320
        && !key
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_whitespace() || c.is_control());
    if valid {
        Ok(key)
    } else {
        Err(ApiError::bad_request(format!("{key:?} is not {what}")))
    }
}

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Read,
    Replace,
    Delete,
}

fn action(method: &Method, route: &Route) -> Result<Action, ApiError> {
    let photo_value = matches!(route.resource, Resource::Photo { value: true });
    let photo = matches!(route.resource, Resource::Photo { .. });
    let what = || format!("this resource of {}", route.api.base());
    match *method {
        Method::GET | Method::HEAD => Ok(Action::Read),
        Method::PUT if photo_value => Ok(Action::Replace),
        Method::PATCH if photo_value && route.api != Api::OutlookBeta => Ok(Action::Replace),
        Method::PATCH if photo_value => Err(ApiError::method_not_allowed(
            "PATCH",
            "/api/beta (use PUT to set the photo)",
        )),
        Method::DELETE if photo => Ok(Action::Delete),
        _ => Err(ApiError::method_not_allowed(method.as_str(), &what())),
    }
}

/// The fallback handler: every photo route of every API.
pub async fn dispatch(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    match handle(&app, &parts, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn handle(app: &App, parts: &Parts, body: Body) -> Result<Response, ApiError> {
    let path = parts.uri.path();
    let route = parse(path).ok_or_else(|| ApiError::no_route(path))?;
    let principal = app.auth.authenticate(&parts.headers).await?;
    let target = match &route.subject {
        Subject::Me => Owner::User(principal.me()?.to_owned()),
        Subject::User(user) => Owner::User(normalize_user(user)?),
        Subject::Group(group) => Owner::Group(normalize_key(group, "a group id")?),
    };
    tracing::debug!(principal = %principal.name(), %target, "authorised");
    let action = action(&parts.method, &route)?;
    let access = match action {
        Action::Read => Access::Read,
        Action::Replace | Action::Delete => Access::Write,
    };
    principal.authorize(access, &target, route.api.vocabulary())?;
    let urls = Urls::new(app, parts, &route, &target);
    match action {
        Action::Read => read(app, &route, &target, &urls, &parts.headers).await,
        Action::Replace => replace(app, &parts.headers, body, &target, &urls).await,
        Action::Delete => {
            app.store
                .delete(&target)
                .await
                .map_err(|e| app.store_failed("delete", &e))?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

/// The URLs written into the JSON of one request.
struct Urls {
    api: Api,
    /// `https://host/api/v2.0`.
    root: String,
    /// `Me` or `Users('u')` in Outlook contexts, `users('u')` (or `groups('g')`) in Graph's.
    context_subject: String,
    /// `https://host/api/v2.0/Users('u')`.
    user_url: String,
}

impl Urls {
    fn new(app: &App, parts: &Parts, route: &Route, target: &Owner) -> Urls {
        let origin = match &app.config.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let host = parts
                    .headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .or_else(|| parts.uri.authority().map(|a| a.as_str()))
                    .unwrap_or("localhost");
                format!("http://{host}")
            }
        };
        let root = format!("{origin}{}", route.api.base());
        let user = literal(target.key());
        let context_subject = match (route.api.is_graph(), target, &route.subject) {
            (true, Owner::Group(_), _) => format!("groups({user})"),
            (true, Owner::User(_), _) => format!("users({user})"),
            (false, _, Subject::Me) => "Me".to_owned(),
            (false, _, _) => format!("Users({user})"),
        };
        let user_url = format!("{root}/Users({user})");
        Urls {
            api: route.api,
            root,
            context_subject,
            user_url,
        }
    }

    fn context(&self, what: &str) -> String {
        format!("{}/$metadata#{}/{what}", self.root, self.context_subject)
    }

    /// The JSON of one entity (`photo` or `photos('…')`).
    fn entity(&self, metadata: &PhotoMetadata, of_size: bool) -> Response {
        let what = if of_size {
            "photos/$entity"
        } else {
            "photo/$entity"
        };
        let context = Some(self.context(what));
        if self.api.is_graph() {
            json(&GraphPhoto::new(context, metadata))
        } else {
            let id = if of_size {
                format!("{}/photos('{}')", self.user_url, metadata.id)
            } else {
                format!("{}/photo", self.user_url)
            };
            json(&OutlookPhoto {
                context,
                id,
                metadata: metadata.clone(),
            })
        }
    }

    fn collection(&self, photos: &[PhotoMetadata]) -> Response {
        let context = self.context("photos");
        if self.api.is_graph() {
            json(&Collection {
                context,
                value: photos.iter().map(|m| GraphPhoto::new(None, m)).collect(),
            })
        } else {
            json(&Collection {
                context,
                value: photos
                    .iter()
                    .map(|m| OutlookPhoto {
                        context: None,
                        id: format!("{}/photos('{}')", self.user_url, m.id),
                        metadata: m.clone(),
                    })
                    .collect(),
            })
        }
    }
}

fn json(value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_vec(value).expect("photo JSON always serialises");
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; odata.metadata=minimal"),
        )],
        body,
    )
        .into_response()
}

fn parse_size(size: &str) -> Result<PhotoSize, ApiError> {
    size.parse().map_err(|_| ApiError::size_not_found(size))
}

/// Graph's answer for a photo that does not exist.
fn image_not_found(target: &Owner) -> ApiError {
    let whose = match target {
        Owner::User(_) => "the user",
        Owner::Group(_) => "the group",
    };
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::IMAGE_NOT_FOUND,
        format!("{whose} has no photo"),
    )
}

async fn read(
    app: &App,
    route: &Route,
    target: &Owner,
    urls: &Urls,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let storage = |e: object_store::Error| app.store_failed("read", &e);
    // A group without a photo is 404 ImageNotFound on every route that names one photo; a
    // user's keeps the placeholder's metadata and size errors its routes always had.
    let group = matches!(target, Owner::Group(_));
    match &route.resource {
        Resource::Photo { value: false } => {
            let index = app.store.current(target).await.map_err(storage)?;
            let metadata = match index.as_deref().and_then(SetIndex::largest) {
                Some(metadata) => metadata.clone(),
                None if group => return Err(image_not_found(target)),
                None => placeholder().metadata(),
            };
            Ok(urls.entity(&metadata, false))
        }
        Resource::Photos => {
            let index = app.store.current(target).await.map_err(storage)?;
            let photos = index.map(|i| i.value.clone()).unwrap_or_default();
            Ok(urls.collection(&photos))
        }
        Resource::Size { size, value: false } => {
            let parsed = parse_size(size)?;
            let index = app.store.current(target).await.map_err(storage)?;
            match index.as_deref().map(|i| i.get(parsed)) {
                Some(Some(metadata)) => Ok(urls.entity(metadata, true)),
                None if group => Err(image_not_found(target)),
                Some(None) | None => Err(ApiError::size_not_found(parsed.name())),
            }
        }
        Resource::Photo { value: true } => {
            let read = app
                .store
                .read(target, None, &if_none_match(headers))
                .await
                .map_err(storage)?;
            match read {
                Read::Found(_, metadata, bytes) => Ok(media(&metadata, bytes)),
                Read::NotModified(_, metadata) => Ok(not_modified(&metadata.media_etag)),
                Read::NoPhoto | Read::NoSuchSize if route.api.is_graph() => {
                    Err(image_not_found(target))
                }
                Read::NoPhoto | Read::NoSuchSize => {
                    let placeholder = placeholder();
                    Ok(media(&placeholder.metadata(), placeholder.bytes()))
                }
            }
        }
        Resource::Size { size, value: true } => {
            let parsed = parse_size(size)?;
            let read = app
                .store
                .read(target, Some(parsed), &if_none_match(headers))
                .await
                .map_err(storage)?;
            match read {
                Read::Found(_, metadata, bytes) => Ok(media(&metadata, bytes)),
                Read::NotModified(_, metadata) => Ok(not_modified(&metadata.media_etag)),
                Read::NoPhoto if group => Err(image_not_found(target)),
                Read::NoPhoto | Read::NoSuchSize => Err(ApiError::size_not_found(parsed.name())),
            }
        }
    }
}

/// The ETags named by `If-None-Match`.
fn if_none_match(headers: &HeaderMap) -> Held {
    let mut held = Held::default();
    for tag in headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        if tag.trim() == "*" {
            held.any = true;
        } else if let Some(etag) = ETag::parse(tag) {
            held.tags.push(etag);
        }
    }
    held
}

/// The bytes of a photo, with the caching headers; the placeholder (empty ETag) has no ETag.
fn media(metadata: &PhotoMetadata, bytes: Bytes) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&metadata.media_content_type).expect("content types are ASCII"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if !metadata.media_etag.is_empty() {
        headers.insert(
            header::ETAG,
            HeaderValue::from_str(metadata.media_etag.as_str()).expect("ETags are ASCII"),
        );
    }
    response
}

fn not_modified(etag: &ETag) -> Response {
    (
        StatusCode::NOT_MODIFIED,
        [
            (
                header::ETAG,
                HeaderValue::from_str(etag.as_str()).expect("ETags are ASCII"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_CONTROL),
            ),
        ],
    )
        .into_response()
}

/// Reads a request body of at most `limit` bytes: 413 from `Content-Length` alone when it
/// declares more, else 413 as soon as the bytes read pass the limit; the rest is not read.
///
/// # Errors
///
/// 413 over the limit; 400 when the body breaks off.
pub async fn read_limited(headers: &HeaderMap, body: Body, limit: u64) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(ApiError::too_large(limit));
    }
    // Capacity from the declared length, which is already known to be within the limit.
    let capacity = usize::try_from(declared.unwrap_or(64 << 10).min(limit)).unwrap_or(0);
    let mut buffer = BytesMut::with_capacity(capacity);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("the upload broke off: {e}")))?;
        if (buffer.len() + chunk.len()) as u64 > limit {
            return Err(ApiError::too_large(limit));
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer.freeze())
}

async fn replace(
    app: &App,
    headers: &HeaderMap,
    body: Body,
    target: &Owner,
    urls: &Urls,
) -> Result<Response, ApiError> {
    let bytes = read_limited(headers, body, app.config.body_limit)
        .await
        .inspect_err(|e| {
            if e.status == StatusCode::PAYLOAD_TOO_LARGE {
                app.metrics
                    .upload(Upload::Rejected(userphoto::ErrorKind::TooLarge));
            }
        })?;
    app.metrics.ingests_waiting().inc();
    let permit = app.ingests.clone().acquire_owned().await;
    app.metrics.ingests_waiting().dec();
    let permit = permit.map_err(|_| ApiError::internal("the server is shutting down"))?;
    let options = app.config.options.clone();
    let rendered = userphoto::RenderOptions::of(&options);
    app.metrics.ingests_running().inc();
    let started = Instant::now();
    let original = bytes.clone();
    let ingested = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        userphoto::ingest(&bytes, &options)
    })
    .await;
    app.metrics.ingests_running().dec();
    app.metrics.ingested(started.elapsed());
    let set = ingested
        .map_err(|e| ApiError::internal(format!("ingest failed: {e}")))?
        .map_err(|e| {
            tracing::info!(owner = %target, error = %e, kind = %e.kind(), "upload rejected");
            app.metrics.upload(Upload::Rejected(e.kind()));
            ApiError::rejected(&e)
        })?;
    let index = app
        .store
        .replace(target, &set, original, rendered)
        .await
        .map_err(|e| app.store_failed("replace", &e))?;
    app.metrics.upload(Upload::Stored);
    let largest = index.largest().expect("a set always holds a size");
    let mut response = urls.entity(largest, false);
    response.headers_mut().insert(
        header::ETAG,
        HeaderValue::from_str(largest.media_etag.as_str()).expect("ETags are ASCII"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(api: Api, subject: Subject, resource: Resource) -> Option<Route> {
        Some(Route {
            api,
            subject,
            resource,
        })
    }

    #[test]
    fn parses_outlook_paths() {
        assert_eq!(
            parse("/api/v2.0/me/photo"),
            route(
                Api::OutlookV2,
                Subject::Me,
                Resource::Photo { value: false }
            )
        );
        assert_eq!(
            parse("/api/beta/Users('A@b.com')/photos('240X240')/$value"),
            route(
                Api::OutlookBeta,
                Subject::User("A@b.com".into()),
                Resource::Size {
                    size: "240X240".into(),
                    value: true
                }
            )
        );
        assert_eq!(
            parse("/api/v2.0/users(%27a%40b.com%27)/photo/%24value"),
            route(
                Api::OutlookV2,
                Subject::User("a@b.com".into()),
                Resource::Photo { value: true }
            )
        );
        assert_eq!(
            parse("/api/v2.0/Users('o''brien@b.com')/photos"),
            route(
                Api::OutlookV2,
                Subject::User("o'brien@b.com".into()),
                Resource::Photos
            )
        );
    }

    #[test]
    fn parses_graph_paths() {
        assert_eq!(
            parse("/v1.0/users/alice%40contoso.com/photos/48x48/$value"),
            route(
                Api::GraphV1,
                Subject::User("alice@contoso.com".into()),
                Resource::Size {
                    size: "48x48".into(),
                    value: true
                }
            )
        );
        assert_eq!(
            parse("/beta/me/photos"),
            route(Api::GraphBeta, Subject::Me, Resource::Photos)
        );
        assert_eq!(
            parse("/v1.0/groups/0F3C-12/photos/96x96/$value"),
            route(
                Api::GraphV1,
                Subject::Group("0F3C-12".into()),
                Resource::Size {
                    size: "96x96".into(),
                    value: true
                }
            )
        );
        assert_eq!(
            parse("/beta/Groups('0f3c')/photo"),
            route(
                Api::GraphBeta,
                Subject::Group("0f3c".into()),
                Resource::Photo { value: false }
            )
        );
        assert_eq!(
            parse("/v1.0/groups/0f3c/photo/$value").unwrap().template(),
            "/v1.0/groups/{id}/photo/$value"
        );
    }

    #[test]
    fn rejects_other_paths() {
        for path in [
            "/",
            "/api/v2.0",
            "/api/v2.0/",
            "/api/v3.0/me/photo",
            "/api/v2.0/me",
            "/api/v2.0/me/photo/$value/x",
            "/api/v2.0/me/photos/$value",
            "/api/v2.0/Users('a'b')/photo",
            "/api/v2.0/Users(a)/photo",
            "/api/v2.0/me/photograph",
            "/api/v2.0/me/photo/value",
            // Group photos are Graph's.
            "/api/v2.0/groups('g')/photo",
            "/api/beta/groups/g/photo/$value",
            "/v1.0/groups//photo",
            "/v1.0/groups/photo",
        ] {
            assert_eq!(parse(path), None, "{path}");
        }
    }

    #[test]
    fn user_names() {
        assert_eq!(
            normalize_user(" Alice@Contoso.COM ").unwrap(),
            "alice@contoso.com"
        );
        for bad in ["", "a/b", "a b", "a\u{0}b"] {
            assert!(normalize_user(bad).is_err(), "{bad:?}");
        }
    }
}
