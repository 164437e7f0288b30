//! The reference user-photo server: the Outlook photo REST API (`/api/v2.0`, `/api/beta`)
//! on the `userphoto` library, with photo sets kept in any [`object_store`] backend (local
//! disk, memory, S3).
//!
//! [`router`] builds the axum application; the `userphoto-server` binary adds the command
//! line, logging and graceful shutdown around it. Tests and embedders can run it in-process:
//!
//! ```no_run
//! use std::sync::Arc;
//! use userphoto_server::{router, App, Config, auth::Keys, store::PhotoStore};
//!
//! # async fn run() -> std::io::Result<()> {
//! let store = PhotoStore::new(Arc::new(object_store::memory::InMemory::new()));
//! let app = App::new(store, Keys::new(b"secret"), Config::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, router(Arc::new(app))).await
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod batch;
pub mod error;
pub mod error_code;
pub mod metrics;
pub mod observe;
pub mod odata;
pub mod rerender;
pub mod routes;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Semaphore;

use crate::auth::Authenticator;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::store::{PhotoStore, StoreError};

/// The service's default upload limit, 4 MiB (SPEC §5).
pub const DEFAULT_BODY_LIMIT: u64 = 4 << 20;

/// What the server does, apart from where it stores photos and how it checks tokens.
#[derive(Debug, Clone)]
pub struct Config {
    /// The most bytes an upload may have; more is answered 413 without reading the rest.
    pub body_limit: u64,
    /// How many uploads are ingested at once on the blocking pool; more wait their turn.
    pub max_concurrent_ingests: usize,
    /// The base URL written into `@odata.context` and `@odata.id` (`https://photos.example`);
    /// when `None`, `http://` and the request's `Host`.
    pub public_url: Option<String>,
    /// How uploads are rendered (quality, background, pixel limits). Its `max_input_bytes`
    /// is replaced by `body_limit`.
    pub options: userphoto::Options,
    /// Where `GET /metrics` is served.
    pub metrics: MetricsEndpoint,
}

/// Where `GET /metrics` is served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MetricsEndpoint {
    /// On the API's own address, beside the photo routes.
    #[default]
    WithApi,
    /// Elsewhere: [`metrics_router`] on an address of its own, kept off the API's.
    Separate,
}

/// How long `GET /readyz` waits for the store before it answers 503.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

impl Default for Config {
    fn default() -> Config {
        Config {
            body_limit: DEFAULT_BODY_LIMIT,
            max_concurrent_ingests: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            public_url: None,
            options: userphoto::Options::default(),
            metrics: MetricsEndpoint::default(),
        }
    }
}

/// The shared state of the server.
#[derive(Debug)]
pub struct App {
    /// Where photo sets live.
    pub store: PhotoStore,
    /// Where tokens come from.
    pub auth: Authenticator,
    /// The settings.
    pub config: Config,
    /// Permits for concurrent ingests.
    pub ingests: Arc<Semaphore>,
    /// The counters, gauges and histograms of `/metrics`.
    pub metrics: Metrics,
}

impl App {
    /// The server state over this store, taking tokens from `auth` (an OpenID Connect
    /// [`Issuer`](auth::oidc::Issuer) or development [`Keys`](auth::Keys)), with these settings.
    pub fn new(store: PhotoStore, auth: impl Into<Authenticator>, mut config: Config) -> App {
        config.max_concurrent_ingests = config.max_concurrent_ingests.max(1);
        config.options.limits.max_input_bytes = config.body_limit;
        App {
            store,
            auth: auth.into(),
            ingests: Arc::new(Semaphore::new(config.max_concurrent_ingests)),
            config,
            metrics: Metrics::new(),
        }
    }

    /// The answer to a failure of the store during `operation`: counted, logged, and 500.
    pub fn store_failed(&self, operation: &'static str, error: &StoreError) -> ApiError {
        self.metrics.store_error(operation);
        ApiError::storage(error)
    }
}

/// The HTTP application: every photo route (see [`routes`]), Graph's JSON batching (see
/// [`batch`]), `GET /healthz` (the process answers), `GET /readyz` (the store answers too)
/// and, unless it is [served elsewhere](MetricsEndpoint::Separate), `GET /metrics`. Every
/// answer carries a `request-id` header, and every log line of its request that id
/// ([`observe`]).
pub fn router(app: Arc<App>) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/v1.0/$batch",
            post(|state, request| batch::handle("/v1.0", state, request)),
        )
        .route(
            "/beta/$batch",
            post(|state, request| batch::handle("/beta", state, request)),
        )
        .route("/readyz", get(readyz));
    if app.config.metrics == MetricsEndpoint::WithApi {
        router = router.route("/metrics", get(metrics));
    }
    router
        .fallback(routes::dispatch)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            observe::observe,
        ))
        .with_state(app)
}

/// `GET /metrics` alone, for an address of its own ([`MetricsEndpoint::Separate`]).
pub fn metrics_router(app: Arc<App>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(app)
}

async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        app.metrics.encode(),
    )
}

/// 200 while the store answers within [`READY_TIMEOUT`], 503 otherwise.
async fn readyz(State(app): State<Arc<App>>) -> impl IntoResponse {
    let failure = match tokio::time::timeout(READY_TIMEOUT, app.store.probe()).await {
        Ok(Ok(())) => return (StatusCode::OK, "ready".to_owned()),
        Ok(Err(error)) => error.to_string(),
        Err(_) => format!("no answer within {} s", READY_TIMEOUT.as_secs()),
    };
    app.metrics.store_error("ready");
    tracing::warn!(error = %failure, "not ready: the store does not answer");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("not ready: the store does not answer: {failure}"),
    )
}
