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
pub mod odata;
pub mod routes;
pub mod store;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Semaphore;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::Keys;
use crate::store::PhotoStore;

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
}

impl Default for Config {
    fn default() -> Config {
        Config {
            body_limit: DEFAULT_BODY_LIMIT,
            max_concurrent_ingests: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            public_url: None,
            options: userphoto::Options::default(),
        }
    }
}

/// The shared state of the server.
#[derive(Debug)]
pub struct App {
    /// Where photo sets live.
    pub store: PhotoStore,
    /// The token secret.
    pub keys: Keys,
    /// The settings.
    pub config: Config,
    /// Permits for concurrent ingests.
    pub ingests: Arc<Semaphore>,
}

impl App {
    /// The server state over this store, with these keys and settings.
    pub fn new(store: PhotoStore, keys: Keys, mut config: Config) -> App {
        config.max_concurrent_ingests = config.max_concurrent_ingests.max(1);
        config.options.limits.max_input_bytes = config.body_limit;
        App {
            store,
            keys,
            ingests: Arc::new(Semaphore::new(config.max_concurrent_ingests)),
            config,
        }
    }
}

/// The HTTP application: `GET /healthz`, every photo route (see [`routes`]) and Graph's
/// JSON batching (see [`batch`]).
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/v1.0/$batch",
            post(|state, request| batch::handle("/v1.0", state, request)),
        )
        .route(
            "/beta/$batch",
            post(|state, request| batch::handle("/beta", state, request)),
        )
        .fallback(routes::dispatch)
        .with_state(app)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}
