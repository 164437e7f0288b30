//! `userphoto-server`: the reference photo server, and `userphoto-server token` to mint
//! bearer tokens for it.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use object_store::ObjectStore;
use userphoto_server::auth::{parse_duration, Keys};
use userphoto_server::store::PhotoStore;
use userphoto_server::{router, App, Config, DEFAULT_BODY_LIMIT};

/// The reference user-photo server: the Outlook photo REST API (/api/v2.0, /api/beta) and
/// Microsoft Graph's profile photo API (/v1.0, /beta), storing photos on disk or in S3.
///
/// Every flag can also be given by the environment variable named in its help.
#[derive(Parser, Debug)]
#[command(name = "userphoto-server", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: Serve,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a bearer token signed with the server's secret, alone on stdout.
    ///
    /// Example: userphoto-server token --user alice@contoso.com --scopes "User.ReadWrite"
    Token {
        /// The user the token signs in (its `upn` claim).
        #[arg(long)]
        user: String,
        /// Space-separated scopes (its `scp` claim), e.g. "User.Read User.ReadBasic.All".
        #[arg(long, default_value = "")]
        scopes: String,
        /// How long the token is valid: 90s, 15m, 1h, 7d.
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        expires: Duration,
        #[command(flatten)]
        secret: Secret,
    },
}

#[derive(Args, Debug)]
struct Secret {
    /// A file holding the HS256 secret that signs tokens (a trailing newline is ignored).
    /// Without it, the secret is the environment variable USERPHOTO_JWT_SECRET.
    #[arg(long, env = "USERPHOTO_JWT_SECRET_FILE", global = true)]
    jwt_secret_file: Option<PathBuf>,
}

impl Secret {
    fn keys(&self) -> anyhow::Result<Keys> {
        let secret = match &self.jwt_secret_file {
            Some(path) => {
                let text = std::fs::read(path)
                    .with_context(|| format!("reading the JWT secret from {}", path.display()))?;
                let trimmed = text.trim_ascii_end().to_vec();
                trimmed
            }
            None => match std::env::var("USERPHOTO_JWT_SECRET") {
                Ok(secret) => secret.into_bytes(),
                Err(_) => bail!(
                    "no token secret: set USERPHOTO_JWT_SECRET or pass --jwt-secret-file FILE"
                ),
            },
        };
        if secret.len() < 16 {
            bail!(
                "the token secret is {} bytes; use at least 16",
                secret.len()
            );
        }
        Ok(Keys::new(&secret))
    }
}

#[derive(Args, Debug)]
struct Serve {
    /// Keep photos in this folder (created if missing). The default store.
    #[arg(
        long,
        env = "USERPHOTO_DATA",
        default_value = "./data",
        conflicts_with = "store"
    )]
    data: PathBuf,
    /// Keep photos in this object store instead: s3://bucket/prefix (configured by the AWS_*
    /// variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
    /// AWS_ALLOW_HTTP …), gs://bucket/prefix (GOOGLE_* variables), az://container/prefix
    /// (AZURE_* variables), file:///path, or memory:// (lost on exit).
    #[arg(long, env = "USERPHOTO_STORE")]
    store: Option<String>,
    /// The address to listen on.
    #[arg(long, env = "USERPHOTO_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The largest upload in bytes; larger ones are answered 413 unread.
    #[arg(long, env = "USERPHOTO_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: u64,
    /// How many uploads are ingested at once (default: the number of CPUs).
    #[arg(long, env = "USERPHOTO_MAX_INGESTS")]
    max_ingests: Option<usize>,
    /// JPEG quality of the renditions, 1-100.
    #[arg(long, env = "USERPHOTO_QUALITY", default_value_t = userphoto::Options::DEFAULT_QUALITY,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    quality: u8,
    /// The base URL written into @odata.context and @odata.id (default http://<Host header>).
    #[arg(long, env = "USERPHOTO_PUBLIC_URL")]
    public_url: Option<String>,
    #[command(flatten)]
    secret: Secret,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Token {
            user,
            scopes,
            expires,
            secret,
        }) => {
            let keys = secret.keys()?;
            println!("{}", keys.mint(&user, &scopes, expires)?);
            Ok(())
        }
        None => serve(cli.serve),
    }
}

fn serve(args: Serve) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .init();
    let keys = args.secret.keys()?;
    // Upload after upload, reuse memory instead of faulting it in again (see its docs).
    userphoto::keep_freed_memory();
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async move {
        let store = open_store(&args)?;
        let mut config = Config {
            body_limit: args.body_limit,
            public_url: args.public_url,
            ..Config::default()
        };
        config.options.quality = args.quality;
        if let Some(n) = args.max_ingests {
            config.max_concurrent_ingests = n;
        }
        let app = Arc::new(App::new(PhotoStore::new(store), keys, config));
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        tracing::info!(address = %listener.local_addr()?, "userphoto-server listening");
        axum::serve(listener, router(app))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving")?;
        tracing::info!("stopped");
        Ok(())
    })
}

fn open_store(args: &Serve) -> anyhow::Result<Arc<dyn ObjectStore>> {
    match &args.store {
        Some(url) => {
            let store = userphoto_server::store::open(url)
                .with_context(|| format!("opening the store {url}"))?;
            tracing::info!(store = %url, "photo store");
            Ok(store)
        }
        None => {
            let store = userphoto_server::store::open_dir(&args.data)
                .with_context(|| format!("opening the data folder {}", args.data.display()))?;
            tracing::info!(data = %args.data.display(), "photo store");
            Ok(store)
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
